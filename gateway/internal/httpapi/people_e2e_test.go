package httpapi

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	excc "github.com/certledger/certledger/chaincode/contract/exchange"
	"github.com/certledger/certledger/chaincode/contract/registry"
	"github.com/certledger/certledger/gateway/internal/auth"
	"github.com/certledger/certledger/gateway/internal/config"
	"github.com/certledger/certledger/gateway/internal/ledgerclient"
	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/domain/exchange"
	"github.com/certledger/certledger/internal/gm"
	"github.com/certledger/certledger/internal/profile"
	"github.com/certledger/certledger/network/devnet"
)

// startPeopleStack is the exchange stack with per-person identities: clerk1 and
// clerk2 (clerks of dept-a), bclerk (clerk of dept-b) and auditor (governance
// organisation, role auditor) each sign with a client certificate of their own
// from their organisation's CA; gov has none and acts as the governance Admin.
func startPeopleStack(t *testing.T) (*exStack, map[string]devnet.User) {
	t.Helper()
	if testing.Short() || os.Getenv("CERTLEDGER_SKIP_E2E") != "" {
		t.Skip("end-to-end per-person identity test against an in-process devnet skipped (-short or CERTLEDGER_SKIP_E2E)")
	}
	cc, err := contractapi.NewChaincode(registry.New(), excc.New())
	if err != nil {
		t.Fatal(err)
	}
	users := []stackUser{{"dept-a", "clerk1", ""}, {"dept-a", "clerk2", ""}, {"dept-b", "bclerk", ""}, {"gov", "auditor", ""}}
	fab, cfg, added := serveDevnetUsers(t, devnet.Config{Block: devnet.BlockConfig{MaxTxCount: 10, Timeout: 2 * time.Millisecond}}, cc, ledgerclient.Timeouts{}, users)
	s := &exStack{devnetStack: &devnetStack{tokens: map[string]string{}, c: &http.Client{Timeout: 30 * time.Second}}, depts: map[string]*exDept{}}
	for _, p := range []struct{ name, dept, org, role string }{
		{"gov", "gov", "gov", config.RoleAdmin},
		{"clerk1", "dept-a", "dept-a", config.RoleClerk}, {"clerk2", "dept-a", "dept-a", config.RoleClerk},
		{"bclerk", "dept-b", "dept-b", config.RoleClerk}, {"auditor", "gov", "gov", config.RoleAuditor},
	} {
		tok := fmt.Sprintf("tok-%s-%d", p.name, time.Now().UnixNano())
		s.tokens[p.name] = tok
		pr := config.Principal{Department: p.dept, Org: p.org, Role: p.role}
		if u, ok := added[p.name]; ok {
			pr.Identity = &config.Identity{Cert: u.Cert, Key: u.Key}
		}
		cfg.Tokens = append(cfg.Tokens, config.Token{ID: p.name, SHA256: config.HashToken(tok), Principal: pr})
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	srv, err := New(Options{Ledger: fab, Auth: auth.New(&cfg), DefaultOrg: "gov", GovernanceDepartment: "gov",
		Logger: slog.New(slog.DiscardHandler), MVCCRetries: 3})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	s.url = hs.URL
	s.close = func() { s.c.CloseIdleConnections(); srv.CloseStreams(); hs.Close() }
	t.Cleanup(s.close)
	for _, d := range []struct{ id, msp string }{{"dept-a", "DeptAMSP"}, {"dept-b", "DeptBMSP"}} {
		k, err := gm.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		pemBytes, _ := gm.MarshalPublicKeyPEM(&k.PublicKey)
		s.must(t, "POST", "/api/v1/departments", "gov", DepartmentInput{ID: d.id, Name: d.id, MSPID: d.msp,
			Categories: []string{}, PublicKeys: []string{string(pemBytes)}}, http.StatusCreated)
		s.depts[d.id] = &exDept{id: d.id, key: k, keyID: gm.KeyID(&k.PublicKey)}
	}
	return s, added
}

// TestPeopleEndToEnd: through the gateway, each caller's ledger calls sign with
// its own identity, so records and their history name the clerk (not the
// organisation's Admin); a record the department signed for one clerk and
// another submits is refused with nothing written; the auditor's identity is a
// client, not an admin, and reads everything the auditor role may.
func TestPeopleEndToEnd(t *testing.T) {
	s, users := startPeopleStack(t)
	a, b := s.depts["dept-a"], s.depts["dept-b"]

	whoami := func(who string) Whoami {
		var w Whoami
		if err := json.Unmarshal(s.must(t, "GET", "/api/v1/whoami", who, nil, http.StatusOK).body, &w); err != nil {
			t.Fatal(err)
		}
		return w
	}
	if w := whoami("clerk1"); w.Operator != "clerk1@dept-a" || w.MSPID != "DeptAMSP" || !w.OwnIdentity || w.Role != config.RoleClerk {
		t.Fatalf("clerk1 whoami %+v", w)
	}
	if w := whoami("gov"); w.Operator != "Admin@gov.certledger.local" || w.OwnIdentity {
		t.Fatalf("gov whoami %+v", w)
	}
	s.must(t, "GET", "/api/v1/whoami", "", nil, http.StatusUnauthorized)

	// The auditor is a client of the governance organisation, not an admin.
	aud := whoami("auditor")
	if aud.Operator != "auditor@gov" || aud.MSPID != "GovMSP" || !aud.OwnIdentity {
		t.Fatalf("auditor whoami %+v", aud)
	}
	if u := users["auditor"]; u.Role != "client" {
		t.Fatalf("auditor identity has node OU %q, want client", u.Role)
	}
	_, _, cert, err := profile.LoadIdentity("GovMSP", users["auditor"].Cert, users["auditor"].Key)
	if err != nil {
		t.Fatal(err)
	}
	if ou := cert.Subject.OrganizationalUnit; len(ou) != 1 || ou[0] != "client" {
		t.Fatalf("auditor certificate OU %v", ou)
	}

	s.must(t, "POST", "/api/v1/catalog", "clerk1", CatalogItemInput{Provider: "dept-a", ID: "tax-record", Name: "Tax record",
		Fields: []string{"address", "income", "name", "taxId"}}, http.StatusCreated)

	// A grant dept-a signed for clerk1, submitted by clerk2: refused, not written.
	g := exSignedGrant(t, a, "g-p1", "dept-b", []string{"income"}, time.Now().Add(24*time.Hour))
	g.Operator = "clerk1@dept-a"
	if g.Signature, err = canon.Sign(a.key, canon.KindGrant, g); err != nil {
		t.Fatal(err)
	}
	if r := s.must(t, "POST", "/api/v1/grants", "clerk2", g, http.StatusForbidden); r.code() != "FORBIDDEN" {
		t.Fatalf("mismatched operator: %s", r.body)
	}
	s.must(t, "GET", "/api/v1/grants/g-p1", "auditor", nil, http.StatusNotFound)
	// Submitted by clerk1: written, and the record names clerk1.
	s.must(t, "POST", "/api/v1/grants", "clerk1", g, http.StatusCreated)
	var stored exchange.Grant
	if err := json.Unmarshal(s.must(t, "GET", "/api/v1/grants/g-p1", "auditor", nil, http.StatusOK).body, &stored); err != nil {
		t.Fatal(err)
	}
	if stored.ActorID != "clerk1@dept-a" || stored.Operator != "clerk1@dept-a" {
		t.Fatalf("stored grant actor %q operator %q", stored.ActorID, stored.Operator)
	}

	// An exchange signed without an operator: the ledger still names clerk2.
	h := gm.SM3Hex([]byte("payload p1"))
	s.must(t, "POST", "/api/v1/exchanges", "clerk2", exSignedExchange(t, a, "x-p1", "g-p1", "dept-b", h, []string{"income"}), http.StatusCreated)
	ans := ExchangeAnswer{ExchangeID: "x-p1", Consumer: "dept-b", PayloadHash: h, Decision: "ack", KeyID: b.keyID, Operator: "bclerk@dept-b"}
	if ans.Signature, err = canon.Sign(b.key, canon.KindExchangeAck, ans); err != nil {
		t.Fatal(err)
	}
	s.must(t, "POST", "/api/v1/exchanges/x-p1/ack", "bclerk", ans, http.StatusOK)

	// The history, read by the auditor, names the person of every version.
	var hist []struct {
		Record exchange.Exchange `json:"record"`
	}
	if err := json.Unmarshal(s.must(t, "GET", "/api/v1/exchanges/x-p1/history", "auditor", nil, http.StatusOK).body, &hist); err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 {
		t.Fatalf("history has %d versions", len(hist))
	}
	for _, v := range hist {
		if v.Record.ActorID != "clerk2@dept-a" {
			t.Errorf("version sent by %q, want clerk2@dept-a", v.Record.ActorID)
		}
	}
	if ack := hist[0].Record.Ack; ack == nil || ack.ActorID != "bclerk@dept-b" || ack.Operator != "bclerk@dept-b" {
		t.Fatalf("newest version's answer %+v", hist[0].Record.Ack)
	}
	var vr exchange.VerifyResult
	if err := json.Unmarshal(s.must(t, "GET", "/api/v1/exchanges/verify?id=x-p1", "auditor", nil, http.StatusOK).body, &vr); err != nil {
		t.Fatal(err)
	}
	if vr.Verdict != "VALID" {
		t.Fatalf("verify: %+v", vr)
	}
}
