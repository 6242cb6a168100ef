package httpapi

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/certledger/certledger/gateway/gatewaytest/ccledger"
	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/domain/exchange"
	"github.com/certledger/certledger/internal/domain/lineage"
	"github.com/certledger/certledger/internal/gm"
)

// proofEnv is the exchange env with item tax-record and grant g-1 (dept-a to
// dept-b: income, name).
func proofEnv(t *testing.T) *env {
	e := exchangeEnv(t)
	for _, s := range []struct {
		path string
		body any
	}{
		{"/api/v1/catalog", CatalogItemInput{Provider: "dept-a", ID: "tax-record", Name: "Tax record", Fields: []string{"income", "name", "taxId"}}},
		{"/api/v1/grants", exGrantRec("g-1")},
	} {
		if r := e.do("POST", s.path, aClerk, s.body); r.status != http.StatusCreated {
			t.Fatalf("seed %s: %d %s", s.path, r.status, r.body)
		}
	}
	return e
}

// seal makes dept-a's envelope of payload for dept-b under header h.
func seal(t *testing.T, h exchange.EnvelopeHeader, payload string) exchange.Sealed {
	t.Helper()
	s, err := exchange.SealEnvelope(h, &keyOf["dept-b"].Key.PublicKey, []byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// sendSealed records exchange id for a sealed envelope (dept-a's signature).
func sendSealed(t *testing.T, e *env, id string, s exchange.Sealed, certs []string) {
	t.Helper()
	x := ExchangeRecord{ID: id, GrantID: "g-1", Provider: "dept-a", Consumer: "dept-b", Fields: []string{"income"},
		PayloadHash: s.PayloadHash, EnvelopeHash: s.EnvelopeHash, Certificates: certs, KeyID: keyA}
	kind, rec := x.SignedForm()
	var err error
	if x.Signature, err = canon.Sign(keyOf["dept-a"].Key, kind, rec); err != nil {
		t.Fatal(err)
	}
	if r := e.do("POST", "/api/v1/exchanges", aClerk, x); r.status != http.StatusCreated {
		t.Fatalf("send %s: %d %s", id, r.status, r.body)
	}
}

// exchangeReceipt is dept-b's signed receipt over an envelope it opened.
func exchangeReceipt(t *testing.T, id string, env []byte, decision, reason string) ExchangeAnswer {
	t.Helper()
	o, err := exchange.OpenEnvelope(env, keyOf["dept-b"].Key)
	if err != nil {
		t.Fatal(err)
	}
	fields, err := exchange.PayloadFields(o.Payload)
	if err != nil {
		t.Fatal(err)
	}
	a := ExchangeAnswer{ExchangeID: id, Consumer: "dept-b", PayloadHash: o.PayloadHash, EnvelopeHash: o.EnvelopeHash,
		Fields: fields, Decision: decision, KeyID: keyOf["dept-b"].KeyID}
	if reason != "" {
		a.ReasonHash = gm.SM3Hex([]byte(reason))
	}
	kind, rec := a.SignedForm()
	a.Signature = sign("dept-b", kind, rec)
	return a
}

func TestEnvelopeStoreAndReceipts(t *testing.T) {
	e := proofEnv(t)
	h := exchange.EnvelopeHeader{ExchangeID: "x-1", GrantID: "g-1", Provider: "dept-a", Consumer: "dept-b", Fields: []string{"income"}}
	s := seal(t, h, `{"income":52000}`)
	path := "/api/v1/envelopes/" + s.EnvelopeHash
	other := seal(t, exchange.EnvelopeHeader{ExchangeID: "x-9", GrantID: "g-1", Provider: "dept-a", Consumer: "gov", Fields: []string{"income"}}, `{"income":1}`)
	// Sealed for dept-a's own key instead of the consumer's.
	wrongKey, err := exchange.SealEnvelope(h, &keyOf["dept-a"].Key.PublicKey, []byte(`{"income":1}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, method, path, token string
		body                      any
		status                    int
	}{
		{"deposit by the consumer", "PUT", path, bClerk, string(s.Bytes), 403},
		{"deposit by an auditor (role)", "PUT", path, aAuditor, string(s.Bytes), 403},
		{"digest of other bytes", "PUT", "/api/v1/envelopes/" + gm.SM3Hex([]byte("x")), aClerk, string(s.Bytes), 400},
		{"not an envelope", "PUT", "/api/v1/envelopes/" + gm.SM3Hex([]byte("{}")), aClerk, "{}", 400},
		{"header not matching the grant's parties", "PUT", "/api/v1/envelopes/" + other.EnvelopeHash, aClerk, string(other.Bytes), 403},
		{"sealed for a key not the consumer's", "PUT", "/api/v1/envelopes/" + wrongKey.EnvelopeHash, aClerk, string(wrongKey.Bytes), 403},
		{"fetch before deposit", "GET", path, bClerk, nil, 404},
		{"deposit", "PUT", path, aClerk, string(s.Bytes), 201},
		{"deposit again", "PUT", path, aClerk, string(s.Bytes), 200},
		{"fetch by the governance department (not a party)", "GET", path, govAdmin, nil, 403},
		{"fetch by the consumer", "GET", path, bClerk, nil, 200},
	} {
		r := e.do(c.method, c.path, c.token, c.body)
		if r.status != c.status {
			t.Errorf("%s: %d %s, want %d", c.name, r.status, r.body, c.status)
		}
		if c.name == "fetch by the consumer" && string(r.body) != string(s.Bytes) {
			t.Errorf("fetched bytes differ")
		}
	}

	// The exchange records the envelope; the consumer acknowledges what it decrypted.
	sendSealed(t, e, "x-1", s, nil)
	if r := e.do("POST", "/api/v1/exchanges/x-1/ack", bClerk, exchangeReceipt(t, "x-1", s.Bytes, "ack", "")); r.status != http.StatusOK {
		t.Fatalf("receipt: %d %s", r.status, r.body)
	}
	var vr exchange.VerifyResult
	if err := json.Unmarshal(e.do("GET", "/api/v1/exchanges/verify?id=x-1", bClerk, nil).body, &vr); err != nil || vr.Verdict != "VALID" {
		t.Fatalf("verify: %+v %v", vr, err)
	}

	// Over-sent: taxId in the envelope. The ack is refused (403) and the access
	// log line names the consumer; the rejection records the fields.
	s2 := seal(t, exchange.EnvelopeHeader{ExchangeID: "x-2", GrantID: "g-1", Provider: "dept-a", Consumer: "dept-b", Fields: []string{"income", "taxId"}},
		`{"income":1,"taxId":"T"}`)
	sendSealed(t, e, "x-2", s2, nil)
	if r := e.do("POST", "/api/v1/exchanges/x-2/ack", bClerk, exchangeReceipt(t, "x-2", s2.Bytes, "ack", "")); r.status != http.StatusForbidden {
		t.Fatalf("ack beyond the grant: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/v1/exchanges/x-2/reject", bClerk, exchangeReceipt(t, "x-2", s2.Bytes, "reject", "taxId not granted")); r.status != http.StatusOK {
		t.Fatalf("reject: %d %s", r.status, r.body)
	}
	// An acknowledgement of x-1 by dept-a in its own name: refused; the line names
	// the real consumer, the provider and the department claimed.
	a := exAnswerRec("x-1", "ack")
	a.Consumer = "dept-a"
	a.Signature = sign("dept-a", canon.KindExchangeAck, a)
	if r := e.do("POST", "/api/v1/exchanges/x-1/ack", aClerk, a); r.status != http.StatusForbidden {
		t.Fatalf("ack by the provider: %d %s", r.status, r.body)
	}
	logs := e.logs.String()
	for _, want := range []string{
		`"record":"exchange/x-2 grant/g-1 consumer/dept-b provider/dept-a"`,
		`"record":"exchange/x-1 grant/g-1 consumer/dept-b provider/dept-a claimed/dept-a"`,
		`"role":"auditor","record":"envelope/` + s.EnvelopeHash + `"`,
		`"record":"envelope/` + other.EnvelopeHash + ` exchange/x-9 grant/g-1 consumer/gov provider/dept-a"`,
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("access log lacks %s", want)
		}
	}
}

func TestAuditorRefusalsCarryTheRecord(t *testing.T) {
	e := proofEnv(t)
	for _, c := range []struct {
		method, path string
		body         any
		record       string
	}{
		{"POST", "/api/v1/exchanges/x-1/ack", exAnswerRec("x-1", "ack"), "exchange/x-1"},
		{"POST", "/api/v1/grants", exGrantRec("g-9"), "grant/g-9 consumer/dept-b provider/dept-a"},
		{"POST", "/api/v1/exchanges", exExchRec("x-7"), "exchange/x-7 grant/g-1 consumer/dept-b provider/dept-a"},
		{"POST", "/api/v1/catalog/dept-a/tax-record/withdraw", CatalogChange{Provider: "dept-a", ID: "tax-record", Reason: "r", PrevTxID: "t"}, "catalog/dept-a/tax-record"},
		{"POST", "/api/v1/catalog", CatalogItemInput{Provider: "dept-a", ID: "other", Fields: []string{"a"}}, "catalog/dept-a/other"},
	} {
		if r := e.do(c.method, c.path, aAuditor, c.body); r.status != http.StatusForbidden {
			t.Errorf("%s %s by an auditor: %d", c.method, c.path, r.status)
		}
		if want := `"role":"auditor","record":"` + c.record + `"`; !strings.Contains(e.logs.String(), want) {
			t.Errorf("access log lacks %s", want)
		}
	}
}

func TestCatalogChangesAndDeletionRoutes(t *testing.T) {
	e := proofEnv(t)
	var item exchange.CatalogItem
	_ = json.Unmarshal(e.do("GET", "/api/v1/catalog/dept-a/tax-record", bClerk, nil).body, &item)
	up := CatalogChange{Provider: "dept-a", ID: "tax-record", Name: "Tax record", Fields: []string{"income", "name"}, PrevTxID: item.TxID}
	if r := e.do("PUT", "/api/v1/catalog/dept-a/tax-record", bClerk, up); r.status != http.StatusForbidden {
		t.Fatalf("update by dept-b: %d", r.status)
	}
	if r := e.do("PUT", "/api/v1/catalog/dept-a/other", aClerk, up); r.status != http.StatusBadRequest {
		t.Fatalf("path and body disagree: %d", r.status)
	}
	r := e.do("PUT", "/api/v1/catalog/dept-a/tax-record", aClerk, up)
	if r.status != http.StatusOK {
		t.Fatalf("update: %d %s", r.status, r.body)
	}
	var res struct {
		Record exchange.CatalogItem `json:"record"`
	}
	_ = json.Unmarshal(r.body, &res)
	wd := CatalogChange{Provider: "dept-a", ID: "tax-record", Reason: "replaced", PrevTxID: res.Record.TxID}
	if r := e.do("POST", "/api/v1/catalog/dept-a/tax-record/withdraw", aClerk, wd); r.status != http.StatusOK {
		t.Fatalf("withdraw: %d %s", r.status, r.body)
	}
	var hist []json.RawMessage
	if err := json.Unmarshal(e.do("GET", "/api/v1/catalog/dept-a/tax-record/history", bClerk, nil).body, &hist); err != nil || len(hist) != 3 {
		t.Fatalf("history: %d %v", len(hist), err)
	}

	// Deletion: g-1 is active, so the attestation is refused (409); by dept-a, 403.
	var g struct {
		TxID string `json:"txId"`
	}
	_ = json.Unmarshal(e.do("GET", "/api/v1/grants/g-1", bClerk, nil).body, &g)
	d := DeletionAttestation{GrantID: "g-1", Consumer: "dept-b", PrevTxID: g.TxID, KeyID: keyOf["dept-b"].KeyID}
	d.Signature = sign("dept-b", canon.KindGrantDeletion, d)
	if r := e.do("POST", "/api/v1/grants/g-1/deletion", aClerk, d); r.status != http.StatusForbidden {
		t.Fatalf("attest by the provider: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/v1/grants/g-1/deletion", bClerk, d); r.status != http.StatusConflict {
		t.Fatalf("attest while active: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/api/v1/grants?consumer=dept-b&deletion=maybe", bClerk, nil); r.status != http.StatusBadRequest {
		t.Fatalf("bad deletion filter: %d", r.status)
	}
	if r := e.do("GET", "/api/v1/grants?consumer=dept-b&deletion=missing", bClerk, nil); r.status != http.StatusOK || !strings.Contains(string(r.body), `"records":[]`) {
		t.Fatalf("missing (none ended): %d %s", r.status, r.body)
	}
}

func TestLineageRoute(t *testing.T) {
	e := proofEnv(t)
	e.ledger.Department(t, ccledger.Dept{ID: "dept-h", Org: "h", Categories: []string{"licence"}})
	if r := e.do("POST", "/api/v1/certificates", aClerk, certRecord("c-1", "dept-a")); r.status != http.StatusCreated {
		t.Fatalf("issue: %d %s", r.status, r.body)
	}
	s := seal(t, exchange.EnvelopeHeader{ExchangeID: "x-1", GrantID: "g-1", Provider: "dept-a", Consumer: "dept-b", Fields: []string{"income"}}, `{"income":1}`)
	sendSealed(t, e, "x-1", s, []string{"c-1"})
	in := TicketInput{ID: "t-1", Category: "licence", ContentHash: hashA, ReporterCommitment: commitA, Channel: "web",
		Refs: []string{"certificate:c-1", "exchange:x-1"}}
	if r := e.do("POST", "/api/v1/tickets", govAdmin, in); r.status != http.StatusCreated {
		t.Fatalf("ticket: %d %s", r.status, r.body)
	}
	graph := func(token, query string) (lineage.Graph, int) {
		r := e.do("GET", "/api/v1/audit/lineage/"+query, token, nil)
		var g lineage.Graph
		_ = json.Unmarshal(r.body, &g)
		return g, r.status
	}
	g, st := graph(aAuditor, "c-1")
	if st != 200 || len(g.Nodes) != 3 || len(g.Edges) != 3 || g.Hidden != 0 {
		t.Fatalf("auditor: %d %+v", st, g)
	}
	// dept-b: the certificate and its own exchange; the ticket (with dept-h) hidden.
	g, st = graph(bClerk, "c-1")
	if st != 200 || len(g.Nodes) != 2 || len(g.Edges) != 1 || g.Hidden != 1 || g.Edges[0] != (lineage.Edge{From: "exchange:x-1", To: "certificate:c-1", Relation: lineage.RelCarries}) {
		t.Fatalf("dept-b: %d %+v", st, g)
	}
	// From the ticket, both ways.
	g, st = graph(govAdmin, "t-1?kind=ticket&depth=1")
	if st != 200 || len(g.Nodes) != 3 || g.Root != "ticket:t-1" {
		t.Fatalf("from the ticket: %d %+v", st, g)
	}
	if _, st := graph(bClerk, "t-1?kind=ticket"); st != http.StatusForbidden {
		t.Fatalf("ticket root for dept-b: %d", st)
	}
	for _, q := range []string{"c-1?kind=batch", "c-1?depth=9", "c-404"} {
		if _, st := graph(aAuditor, q); st != http.StatusBadRequest && st != http.StatusNotFound {
			t.Errorf("%s: %d", q, st)
		}
	}
}

func TestExchangePolicyRoutes(t *testing.T) {
	e := proofEnv(t)
	on := ExchangePolicy{RequireEnvelope: true, RequireSealedText: true}
	if r := e.do("PUT", "/api/v1/exchange/policy", aAdmin, on); r.status != http.StatusForbidden {
		t.Fatalf("set by a department admin: %d %s", r.status, r.body)
	}
	if r := e.do("PUT", "/api/v1/exchange/policy", govAdmin, `{"requireEnvelope":"yes"}`); r.status != http.StatusBadRequest {
		t.Fatalf("bad body: %d", r.status)
	}
	if r := e.do("PUT", "/api/v1/exchange/policy", govAdmin, on); r.status != http.StatusOK {
		t.Fatalf("set: %d %s", r.status, r.body)
	}
	var got ExchangePolicy
	if err := json.Unmarshal(e.do("GET", "/api/v1/exchange/policy", bClerk, nil).body, &got); err != nil || got != on {
		t.Fatalf("get: %+v %v", got, err)
	}
	if r := e.do("POST", "/api/v1/exchanges", aClerk, exExchRec("x-1")); r.status != http.StatusForbidden || !strings.Contains(string(r.body), "envelope") {
		t.Fatalf("declared send under the policy: %d %s", r.status, r.body)
	}
}
