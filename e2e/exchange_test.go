package e2e

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/internal/gm"
	"github.com/certledger/certledger/internal/testkit"
)

type exCatalogItem struct {
	Provider string   `json:"provider"`
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Fields   []string `json:"fields"`
	TxID     string   `json:"txId"`
}

type exGrant struct {
	ID              string   `json:"id"`
	Provider        string   `json:"provider"`
	Consumer        string   `json:"consumer"`
	Item            string   `json:"item"`
	Fields          []string `json:"fields"`
	Purpose         string   `json:"purpose"`
	LegalBasis      string   `json:"legalBasis"`
	ValidFrom       string   `json:"validFrom"`
	ValidUntil      string   `json:"validUntil"`
	KeyID           string   `json:"keyId"`
	Signature       string   `json:"signature"`
	Status          string   `json:"status"`
	EffectiveStatus string   `json:"effectiveStatus"`
	TxID            string   `json:"txId"`
}

type exExchange struct {
	ID           string   `json:"id"`
	GrantID      string   `json:"grantId"`
	Provider     string   `json:"provider"`
	Consumer     string   `json:"consumer"`
	Fields       []string `json:"fields"`
	PayloadHash  string   `json:"payloadHash"`
	EnvelopeHash string   `json:"envelopeHash"`
	Signature    string   `json:"signature"`
	Status       string   `json:"status"`
	SentAt       string   `json:"sentAt"`
	Ack          *struct {
		Decision  string `json:"decision"`
		Consumer  string `json:"consumer"`
		Signature string `json:"signature"`
		At        string `json:"at"`
	} `json:"ack"`
	TxID string `json:"txId"`
}

type exVerify struct {
	Verdict  string      `json:"verdict"`
	Matches  []string    `json:"matches"`
	Exchange *exExchange `json:"exchange"`
	Steps    []struct {
		Step   int    `json:"step"`
		Name   string `json:"name"`
		Status string `json:"status"`
		Code   string `json:"code"`
	} `json:"steps"`
}

type exAudit struct {
	Department string `json:"department"`
	Summary    struct {
		Sent          int            `json:"sent"`
		Received      int            `json:"received"`
		Acknowledged  int            `json:"acknowledged"`
		Rejected      int            `json:"rejected"`
		Pending       int            `json:"pending"`
		Refused       int            `json:"refused"`
		RefusedByCode map[string]int `json:"refusedByCode"`
		ActiveGrants  int            `json:"activeGrants"`
		TotalGrants   int            `json:"totalGrants"`
	} `json:"summary"`
	Sent     []exExchange `json:"sent"`
	Received []exExchange `json:"received"`
	Grants   []exGrant    `json:"grants"`
	Refused  []struct {
		Department string `json:"department"`
		Route      string `json:"route"`
		Status     int    `json:"status"`
		Code       string `json:"code"`
		Record     string `json:"record"`
	} `json:"refused"`
}

// TestExchangeEndToEnd drives a cross-department data exchange through the CLI on the
// devnet: catalogue, grant, a send outside the grant (refused, nothing written), a send
// within it, acknowledgements by the wrong party and twice (refused), verification of
// the payload and of a tampered copy, revocation, a send after it, and the audit report
// with the refused attempts read from the gateway's access log.
func TestExchangeEndToEnd(t *testing.T) {
	e := need(t)
	t.Parallel()
	dir := t.TempDir()
	sfx := testkit.RandomHex(3)
	prov, cons := "ex-p-"+sfx, "ex-c-"+sfx
	keyP := registerDept(t, e, dir, prov, "DeptAMSP")
	keyC := registerDept(t, e, dir, cons, "DeptBMSP")
	const clerkP, clerkC, auditor = "clerk-p", "clerk-c", "auditor"
	g := startOwnGateway(t, e, []gwToken{
		{clerkP, prov, "dept-a", "clerk"},
		{clerkC, cons, "dept-b", "clerk"},
		{auditor, "gov", "gov", "auditor"},
	})
	const item = "tax-record"
	grant := prov + "-g-1"
	payload := writeDoc(t, dir, "payload.json", `{"name":"ACME Ltd","income":1250000}`+"\n")
	plainHash, _, _ := gm.SM3File(payload)
	writeDoc(t, dir, "address.json", `{"income":1250000,"address":"1 Main St"}`+"\n")
	now := time.Now().UTC()
	from, to := now.AddDate(0, 0, -1).Format("2006-01-02"), now.AddDate(0, 0, 1).Format("2006-01-02")

	listExchanges := func() []exExchange {
		t.Helper()
		var l []exExchange
		jsonOut(t, g.ok(t, dir, clerkP, "-o", "json", "exchange", "list", "--grant", grant), &l)
		return l
	}
	showGrant := func() exGrant {
		t.Helper()
		var gr exGrant
		jsonOut(t, g.ok(t, dir, clerkP, "-o", "json", "grant", "show", grant), &gr)
		return gr
	}
	verify := func(args ...string) (exVerify, result) {
		t.Helper()
		r := g.cl(t, dir, auditor, append([]string{"-o", "json", "exchange", "verify"}, args...)...)
		var v exVerify
		if r.code == 0 || r.code == 1 {
			jsonOut(t, r, &v)
		}
		return v, r
	}

	// Catalogue.
	g.ok(t, dir, clerkP, "catalog", "add", "--dept", prov, "--id", item, "--name", "Tax record",
		"--description", "annual declared income", "--fields", "name,income,address,id_number")
	var items []exCatalogItem
	jsonOut(t, g.ok(t, dir, clerkP, "-o", "json", "catalog", "list", "--provider", prov), &items)
	if len(items) != 1 || items[0].ID != item || items[0].Provider != prov || len(items[0].Fields) != 4 {
		t.Fatalf("catalog list --provider %s: %+v", prov, items)
	}
	wantExit(t, g.cl(t, dir, clerkC, "catalog", "list"), 0, item, prov)
	// Only the provider adds to its own catalogue.
	wantExit(t, g.cl(t, dir, clerkC, "catalog", "add", "--dept", prov, "--id", "other", "--fields", "a"), 1, "FORBIDDEN")

	// Grant: two of the four fields, signed by the provider.
	validUntil := now.AddDate(0, 0, 30).Format("2006-01-02")
	r := g.ok(t, dir, clerkP, "-o", "json", "grant", "create", "--id", grant, "--consumer", cons, "--item", item,
		"--fields", "name,income", "--purpose", "subsidy eligibility", "--legal-basis", "Reg. 12/2025 art. 4",
		"--valid-until", validUntil, "--key", keyP)
	var gw struct {
		TxID   string  `json:"txId"`
		Record exGrant `json:"record"`
	}
	jsonOut(t, r, &gw)
	if gw.TxID == "" || gw.Record.ID != grant || gw.Record.Provider != prov || gw.Record.Consumer != cons ||
		strings.Join(gw.Record.Fields, ",") != "income,name" || gw.Record.Signature == "" {
		t.Fatalf("grant create: %+v", gw)
	}
	if gr := showGrant(); gr.EffectiveStatus != "active" || gr.TxID != gw.TxID {
		t.Fatalf("grant show: %+v", gr)
	}
	// The purpose stays here: the ledger has its SM3.
	wantExit(t, g.cl(t, dir, clerkC, "grant", "show", grant), 0, "active", prov, cons, "purpose sm3:  "+gm.SM3Hex([]byte("subsidy eligibility")))
	for _, q := range []struct{ role, flag, dept string }{{clerkP, "--provider", prov}, {clerkC, "--consumer", cons}} {
		var gl []exGrant
		jsonOut(t, g.ok(t, dir, q.role, "-o", "json", "grant", "list", q.flag, q.dept), &gl)
		if len(gl) != 1 || gl[0].ID != grant {
			t.Fatalf("grant list %s %s: %+v", q.flag, q.dept, gl)
		}
	}

	// A field outside the grant: FORBIDDEN, nothing recorded (the envelope sealed for
	// it stays in the gateway's store: ciphertext no exchange names).
	r = g.cl(t, dir, clerkP, "exchange", "send", "--grant", grant, "--file", "address.json", "--fields", "income,address",
		"--id", grant+"-x0", "--key", keyP)
	wantExit(t, r, 1, "FORBIDDEN")
	if l := listExchanges(); len(l) != 0 {
		t.Fatalf("a refused send left exchanges %+v", l)
	}
	wantExit(t, g.cl(t, dir, clerkP, "exchange", "show", grant+"-x0"), 1, "NOT_FOUND")

	// Within scope.
	x := grant + "-x1"
	r = g.ok(t, dir, clerkP, "-o", "json", "exchange", "send", "--grant", grant, "--file", "payload.json", "--fields", "name,income",
		"--id", x, "--key", keyP)
	var xw struct {
		TxID         string     `json:"txId"`
		Record       exExchange `json:"record"`
		EnvelopeHash string     `json:"envelopeHash"`
		Stored       bool       `json:"storedInGateway"`
		Salt         string     `json:"salt"`
		Received     []string   `json:"fieldsReceived"`
	}
	jsonOut(t, r, &xw)
	// The ledger has the envelope's SM3 and the salted digest, never the plain SM3.
	if xw.Record.ID != x || xw.Record.Status != "sent" || xw.Record.PayloadHash == plainHash || !xw.Stored ||
		xw.Record.EnvelopeHash != xw.EnvelopeHash || xw.Record.Consumer != cons || strings.Join(xw.Record.Fields, ",") != "income,name" {
		t.Fatalf("exchange send: %+v", xw)
	}
	if l := listExchanges(); len(l) != 1 || l[0].ID != x {
		t.Fatalf("exchange list after one send: %+v", l)
	}
	if b, _ := os.ReadFile(payload); strings.Contains(r.stdout+r.stderr, "ACME Ltd") || len(b) == 0 {
		t.Fatal("the payload's content left the machine (printed in the send result)")
	}
	v, vr := verify("--id", x)
	if vr.code != 1 || v.Verdict != "NOT_ACKNOWLEDGED" {
		t.Fatalf("verify before the acknowledgement: want NOT_ACKNOWLEDGED exit 1:\n%s", vr)
	}

	// Acknowledgements: not by the provider (the envelope is sealed for the consumer's
	// key); by the consumer once, over what it decrypted.
	wantExit(t, g.cl(t, dir, clerkP, "exchange", "ack", x, "--key", keyP), 1, "does not open")
	r = g.ok(t, dir, clerkC, "-o", "json", "exchange", "ack", x, "--out", "received.json", "--note", "received", "--key", keyC)
	jsonOut(t, r, &xw)
	if xw.Record.Status != "acknowledged" || xw.Record.Ack == nil || xw.Record.Ack.Decision != "ack" || xw.Record.Ack.Signature == "" ||
		strings.Join(xw.Received, ",") != "income,name" || len(xw.Salt) != 64 {
		t.Fatalf("exchange ack: %+v", xw)
	}
	if got, _ := os.ReadFile(dir + "/received.json"); string(got) != `{"name":"ACME Ltd","income":1250000}`+"\n" {
		t.Fatalf("decrypted payload %q", got)
	}
	salt := xw.Salt
	wantExit(t, g.cl(t, dir, clerkC, "exchange", "ack", x, "--key", keyC), 1, "CONFLICT")
	wantExit(t, g.cl(t, dir, clerkC, "exchange", "reject", x, "--reason", "changed my mind", "--key", keyC), 1, "CONFLICT")

	// Verify: the payload is VALID; a tampered copy is not.
	v, vr = verify("--file", "payload.json", "--salt", salt)
	if vr.code != 0 || v.Verdict != "VALID" || v.Exchange == nil || v.Exchange.ID != x {
		t.Fatalf("verify the payload: want VALID exit 0:\n%s", vr)
	}
	for _, s := range v.Steps {
		if s.Status != "pass" {
			t.Fatalf("step %d %s = %s %s on a VALID exchange:\n%s", s.Step, s.Name, s.Status, s.Code, vr)
		}
	}
	wantExit(t, g.cl(t, dir, auditor, "exchange", "verify", "--file", "payload.json", "--salt", salt), 0, "verdict: VALID", x, prov+" -> "+cons)
	wantExit(t, g.cl(t, dir, auditor, "exchange", "verify", "--id", x), 0, "verdict: VALID")
	b, _ := os.ReadFile(payload)
	writeDoc(t, dir, "tampered.json", strings.Replace(string(b), "1250000", "1250001", 1))
	v, vr = verify("--file", "tampered.json", "--salt", salt)
	if vr.code != 1 || v.Verdict == "VALID" {
		t.Fatalf("verify a tampered payload: want not VALID, exit 1:\n%s", vr)
	}
	v, vr = verify("--id", x, "--file", "tampered.json", "--salt", salt)
	if vr.code != 1 || v.Verdict != "HASH_MISMATCH" {
		t.Fatalf("verify --id with a tampered payload: want HASH_MISMATCH exit 1:\n%s", vr)
	}
	wantExit(t, g.cl(t, dir, auditor, "exchange", "verify", "--file", "tampered.json", "--salt", salt), 1, "verdict:")

	// Revoke: later sends are refused; what was sent stays provable.
	wantExit(t, g.cl(t, dir, clerkP, "grant", "revoke", grant, "--reason", "purpose fulfilled", "--key", keyP), 0, "revoked")
	if gr := showGrant(); gr.EffectiveStatus != "revoked" || gr.Status != "revoked" {
		t.Fatalf("grant after revoke: %+v", gr)
	}
	r = g.cl(t, dir, clerkP, "exchange", "send", "--grant", grant, "--file", "payload.json", "--fields", "income,name",
		"--id", grant+"-x2", "--key", keyP)
	wantExit(t, r, 1, "FORBIDDEN")
	if l := listExchanges(); len(l) != 1 {
		t.Fatalf("a send after the revocation left exchanges %+v", l)
	}
	if v, vr = verify("--file", "payload.json", "--salt", salt); vr.code != 0 || v.Verdict != "VALID" {
		t.Fatalf("an exchange sent before the revocation must stay VALID:\n%s", vr)
	}

	// The audit: the ledger's side and the refused attempts from the access log.
	var rep exAudit
	jsonOut(t, g.ok(t, dir, auditor, "-o", "json", "audit", "exchanges", "--dept", prov, "--from", from, "--to", to,
		"--access-log", g.log), &rep)
	s := rep.Summary
	if rep.Department != prov || s.Sent != 1 || s.Received != 0 || s.Acknowledged != 1 || s.Pending != 0 ||
		s.TotalGrants != 1 || s.ActiveGrants != 0 || len(rep.Sent) != 1 || rep.Sent[0].ID != x {
		t.Fatalf("audit exchanges --dept %s: %+v", prov, rep)
	}
	// prov's refused writes: the out-of-scope send and the send after the revocation;
	// and the refused second answers to its exchange (they name both parties). Its own
	// ack attempt never left the machine: the envelope does not open with its key.
	if s.Refused != 4 || s.RefusedByCode["FORBIDDEN"] != 2 || s.RefusedByCode["CONFLICT"] != 2 {
		t.Fatalf("audit exchanges --dept %s refused %d %v, want 2 FORBIDDEN, 2 CONFLICT: %+v", prov, s.Refused, s.RefusedByCode, rep.Refused)
	}
	jsonOut(t, g.ok(t, dir, auditor, "-o", "json", "audit", "exchanges", "--dept", cons, "--from", from, "--to", to,
		"--access-log", g.log), &rep)
	// cons: received one; refused: its attempt on prov's catalogue, the two sends aimed
	// at it, its second ack and its late reject.
	if s := rep.Summary; s.Received != 1 || s.Sent != 0 || s.Acknowledged != 1 || s.TotalGrants != 1 ||
		s.Refused != 5 || s.RefusedByCode["FORBIDDEN"] != 3 || s.RefusedByCode["CONFLICT"] != 2 {
		t.Fatalf("audit exchanges --dept %s: %+v", cons, rep)
	}
	r = g.ok(t, dir, auditor, "audit", "exchanges", "--dept", prov, "--from", from, "--to", to, "--access-log", g.log)
	for _, w := range []string{"department " + prov, "sent", "acknowledged", "refused attempts", x, grant, "revoked", "FORBIDDEN", "POST /api/v1/exchanges"} {
		if !strings.Contains(r.stdout, w) {
			t.Fatalf("audit exchanges table lacks %q:\n%s", w, r)
		}
	}
	// Without the access log the report says it did not read refusals.
	wantExit(t, g.cl(t, dir, auditor, "audit", "exchanges", "--dept", prov, "--from", from, "--to", to), 0, "not read")
}
