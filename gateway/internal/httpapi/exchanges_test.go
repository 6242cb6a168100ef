package httpapi

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/certledger/certledger/internal/canon"
)

// exBadSigB64 is a well-formed DER signature that verifies nothing.
const exBadSigB64 = "MAYCAQECAQI=" // SEQUENCE{INTEGER 1, INTEGER 2}

// exchangeEnv is newEnv: the real exchange contract behind the real API, dept-a
// (org "a") and dept-b (org "b") registered with their keys.
func exchangeEnv(t *testing.T) *env { return newEnv(t, nil) }

// exGrantRec is dept-a's signed grant to dept-b.
func exGrantRec(id string) GrantRecord {
	return exSignGrant(GrantRecord{ID: id, Provider: "dept-a", Consumer: "dept-b", Item: "tax-record", Fields: []string{"income", "name"},
		Purpose: "subsidy eligibility", LegalBasis: "Reg. 12/2025", ValidFrom: "2026-11-28T00:00:00Z",
		ValidUntil: "2026-12-28T00:00:00Z", KeyID: keyA})
}

func exSignGrant(g GrantRecord) GrantRecord {
	g.Signature = sign("dept-a", canon.KindGrant, g)
	return g
}

// exExchRec is dept-a's signed exchange under grant g-1.
func exExchRec(id string) ExchangeRecord {
	return exSignExch(ExchangeRecord{ID: id, GrantID: "g-1", Provider: "dept-a", Consumer: "dept-b", Fields: []string{"income"},
		PayloadHash: hashA, KeyID: keyA})
}

func exSignExch(x ExchangeRecord) ExchangeRecord {
	x.Signature = sign("dept-a", canon.KindExchange, x)
	return x
}

// exAnswerRec is dept-b's signed answer (decision "ack" or "reject") to exchange id.
func exAnswerRec(id, decision string) ExchangeAnswer {
	a := ExchangeAnswer{ExchangeID: id, Consumer: "dept-b", PayloadHash: hashA, Decision: decision, KeyID: keyOf["dept-b"].KeyID}
	if decision == "reject" {
		a.Reason = "incomplete"
	}
	a.Signature = sign("dept-b", canon.KindExchangeAck, a)
	return a
}

// exRevocation is dept-a's signed revocation of grant id, whose last write is prevTx.
func exRevocation(id, reason, prevTx string) GrantRevocation {
	r := GrantRevocation{GrantID: id, Reason: reason, KeyID: keyA, PrevTxID: prevTx}
	r.Signature = sign("dept-a", canon.KindGrantRevoke, r)
	return r
}

func TestExchangeEndpoints(t *testing.T) {
	e := exchangeEnv(t)
	seed := []struct {
		path, token string
		body        any
	}{
		{"/api/v1/catalog", aClerk, CatalogItemInput{Provider: "dept-a", ID: "tax-record", Name: "Tax record", Fields: []string{"income", "name", "taxId"}}},
		{"/api/v1/grants", aClerk, exGrantRec("g-1")},
		{"/api/v1/exchanges", aClerk, exExchRec("x-1")},
	}
	for _, s := range seed {
		if r := e.do("POST", s.path, s.token, s.body); r.status != http.StatusCreated {
			t.Fatalf("seed %s: %d %s", s.path, r.status, r.body)
		}
	}
	var grantTx string
	{
		r := e.do("GET", "/api/v1/grants/g-1", aClerk, nil)
		grantTx, _ = r.json(t)["txId"].(string)
	}
	// mut and mutG change a record and sign it again, unless the change is the signature.
	mut := func(f func(*ExchangeRecord)) ExchangeRecord {
		x := exExchRec("x-2")
		f(&x)
		if x.Signature == exExchRec("x-2").Signature {
			x = exSignExch(x)
		}
		return x
	}
	mutG := func(f func(*GrantRecord)) GrantRecord {
		g := exGrantRec("g-2")
		f(&g)
		if g.Signature == exGrantRec("g-2").Signature {
			g = exSignGrant(g)
		}
		return g
	}
	cases := []struct {
		name, method, path, token string
		body                      any
		status                    int
		code                      string
		msg                       string
	}{
		// catalogue
		{"catalog for another department", "POST", "/api/v1/catalog", bClerk, CatalogItemInput{Provider: "dept-a", ID: "x", Fields: []string{"a"}}, 403, "FORBIDDEN", "not your department"},
		{"catalog by auditor", "POST", "/api/v1/catalog", aAuditor, CatalogItemInput{Provider: "dept-a", ID: "x", Fields: []string{"a"}}, 403, "FORBIDDEN", "role"},
		{"catalog unsorted fields", "POST", "/api/v1/catalog", aClerk, CatalogItemInput{Provider: "dept-a", ID: "x", Fields: []string{"b", "a"}}, 400, "INVALID_ARGUMENT", "sorted"},
		{"catalog twice", "POST", "/api/v1/catalog", aClerk, CatalogItemInput{Provider: "dept-a", ID: "tax-record", Fields: []string{"a"}}, 409, "CONFLICT", ""},
		{"catalog list", "GET", "/api/v1/catalog?provider=dept-a", bClerk, nil, 200, "", ""},
		{"catalog list anonymous", "GET", "/api/v1/catalog", "", nil, 401, "UNAUTHENTICATED", ""},
		{"catalog item", "GET", "/api/v1/catalog/dept-a/tax-record", bClerk, nil, 200, "", ""},
		{"catalog item missing", "GET", "/api/v1/catalog/dept-a/none", bClerk, nil, 404, "NOT_FOUND", ""},
		// grants
		{"grant replay", "POST", "/api/v1/grants", aClerk, exGrantRec("g-1"), 200, "", ""},
		{"grant id taken by another record", "POST", "/api/v1/grants", aClerk, mutG(func(g *GrantRecord) { g.ID = "g-1"; g.Purpose = "other" }), 409, "CONFLICT", ""},
		{"grant for another provider", "POST", "/api/v1/grants", bClerk, exGrantRec("g-2"), 403, "FORBIDDEN", "not your department"},
		{"grant field outside item", "POST", "/api/v1/grants", aClerk, mutG(func(g *GrantRecord) { g.Fields = []string{"income", "medical"} }), 400, "INVALID_ARGUMENT", "not fields of item"},
		{"grant bad signature", "POST", "/api/v1/grants", aClerk, mutG(func(g *GrantRecord) { g.Signature = exBadSigB64 }), 400, "BAD_SIGNATURE", ""},
		{"grant missing purpose", "POST", "/api/v1/grants", aClerk, mutG(func(g *GrantRecord) { g.Purpose = "" }), 400, "INVALID_ARGUMENT", "purpose"},
		{"grant bad time", "POST", "/api/v1/grants", aClerk, mutG(func(g *GrantRecord) { g.ValidUntil = "soon" }), 400, "INVALID_ARGUMENT", "validUntil"},
		{"grant read by consumer", "GET", "/api/v1/grants/g-1", bClerk, nil, 200, "", ""},
		{"grant read by auditor", "GET", "/api/v1/grants/g-1", aAuditor, nil, 200, "", ""},
		{"grant read by the governance department (sees all)", "GET", "/api/v1/grants/g-1", govAdmin, nil, 200, "", ""},
		{"grant history", "GET", "/api/v1/grants/g-1/history", bClerk, nil, 200, "", ""},
		{"grants of own department", "GET", "/api/v1/grants?consumer=dept-b", bClerk, nil, 200, "", ""},
		{"grants of everyone by a clerk", "GET", "/api/v1/grants", bClerk, nil, 403, "FORBIDDEN", "provider=dept-b"},
		{"grants of everyone by an auditor", "GET", "/api/v1/grants?status=active", aAuditor, nil, 200, "", ""},
		{"grants bad status", "GET", "/api/v1/grants?provider=dept-a&status=lost", aClerk, nil, 400, "INVALID_ARGUMENT", "status"},
		{"grants bad page size", "GET", "/api/v1/grants?provider=dept-a&pageSize=0", aClerk, nil, 400, "INVALID_ARGUMENT", "pageSize"},
		{"revoke by the consumer", "POST", "/api/v1/grants/g-1/revoke", bClerk, exRevocation("g-1", "x", grantTx), 403, "FORBIDDEN", "not dept-b"},
		{"revoke path mismatch", "POST", "/api/v1/grants/g-1/revoke", aClerk, exRevocation("g-9", "x", grantTx), 400, "INVALID_ARGUMENT", "grantId"},
		// exchanges
		{"send replay", "POST", "/api/v1/exchanges", aClerk, exExchRec("x-1"), 200, "", ""},
		{"send field outside grant", "POST", "/api/v1/exchanges", aClerk, mut(func(x *ExchangeRecord) { x.Fields = []string{"income", "taxId"} }), 403, "FORBIDDEN", "outside the grant"},
		{"send to the wrong consumer", "POST", "/api/v1/exchanges", aClerk, mut(func(x *ExchangeRecord) { x.Consumer = "gov" }), 403, "FORBIDDEN", "consumer"},
		{"send for another provider", "POST", "/api/v1/exchanges", bClerk, exExchRec("x-2"), 403, "FORBIDDEN", "not your department"},
		{"send bad signature", "POST", "/api/v1/exchanges", aClerk, mut(func(x *ExchangeRecord) { x.Signature = exBadSigB64 }), 400, "BAD_SIGNATURE", ""},
		{"send bad hash", "POST", "/api/v1/exchanges", aClerk, mut(func(x *ExchangeRecord) { x.PayloadHash = "abc" }), 400, "INVALID_ARGUMENT", "payloadHash"},
		{"send unknown field", "POST", "/api/v1/exchanges", aClerk, `{"id":"x-2","payload":"secret"}`, 400, "INVALID_ARGUMENT", "unknown field"},
		{"exchange read by provider", "GET", "/api/v1/exchanges/x-1", aClerk, nil, 200, "", ""},
		{"exchange read by the governance department (sees all)", "GET", "/api/v1/exchanges/x-1", govAdmin, nil, 200, "", ""},
		{"exchange missing", "GET", "/api/v1/exchanges/x-9", aClerk, nil, 404, "NOT_FOUND", ""},
		{"verify before ack", "GET", "/api/v1/exchanges/verify?id=x-1", bClerk, nil, 200, "", ""},
		{"verify by the governance department (sees all)", "GET", "/api/v1/exchanges/verify?hash=" + hashA, govAdmin, nil, 200, "", ""},
		{"verify without input", "GET", "/api/v1/exchanges/verify", bClerk, nil, 400, "INVALID_ARGUMENT", "id, hash"},
		{"ack by the provider", "POST", "/api/v1/exchanges/x-1/ack", aClerk, exAnswerRec("x-1", "ack"), 403, "FORBIDDEN", "not your department"},
		{"ack with reject decision", "POST", "/api/v1/exchanges/x-1/ack", bClerk, exAnswerRec("x-1", "reject"), 400, "INVALID_ARGUMENT", "decision"},
		{"ack path mismatch", "POST", "/api/v1/exchanges/x-9/ack", bClerk, exAnswerRec("x-1", "ack"), 400, "INVALID_ARGUMENT", "exchangeId"},
		{"ack", "POST", "/api/v1/exchanges/x-1/ack", bClerk, exAnswerRec("x-1", "ack"), 200, "", ""},
		{"ack retried", "POST", "/api/v1/exchanges/x-1/ack", bClerk, exAnswerRec("x-1", "ack"), 200, "", ""},
		{"verify after ack", "GET", "/api/v1/exchanges/verify?id=x-1&hash=" + hashA, bClerk, nil, 200, "", `"verdict":"VALID"`},
		{"reject after ack", "POST", "/api/v1/exchanges/x-1/reject", bClerk, exAnswerRec("x-1", "reject"), 409, "CONFLICT", "already"},
		{"exchanges of own department", "GET", "/api/v1/exchanges?consumer=dept-b&status=acknowledged", bClerk, nil, 200, "", ""},
		{"exchanges of a grant of own department", "GET", "/api/v1/exchanges?grantId=g-1", bClerk, nil, 200, "", ""},
		{"exchanges of a grant, governance department", "GET", "/api/v1/exchanges?grantId=g-1", govAdmin, nil, 200, "", ""},
		{"exchanges of everyone by a clerk", "GET", "/api/v1/exchanges", aClerk, nil, 403, "FORBIDDEN", ""},
		{"exchanges by period, auditor", "GET", "/api/v1/exchanges?from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z", aAuditor, nil, 200, "", ""},
		{"exchanges bad time", "GET", "/api/v1/exchanges?provider=dept-a&from=yesterday", aClerk, nil, 400, "INVALID_ARGUMENT", "from"},
		{"exchange history", "GET", "/api/v1/exchanges/x-1/history", bClerk, nil, 200, "", ""},
		{"revoke", "POST", "/api/v1/grants/g-1/revoke", aClerk, exRevocation("g-1", "done", grantTx), 200, "", ""},
		{"send under a revoked grant", "POST", "/api/v1/exchanges", aClerk, exExchRec("x-3"), 403, "FORBIDDEN", "grant revoked"},
	}
	for _, c := range cases {
		r := e.do(c.method, c.path, c.token, c.body)
		if r.status != c.status || r.code() != c.code {
			t.Errorf("%s: %d %s, want %d %s: %s", c.name, r.status, r.code(), c.status, c.code, r.body)
			continue
		}
		if c.msg != "" && !strings.Contains(string(r.body), c.msg) {
			t.Errorf("%s: body %s lacks %q", c.name, r.body, c.msg)
		}
	}

	// Replays carry the header.
	if r := e.do("POST", "/api/v1/exchanges", aClerk, exExchRec("x-1")); r.header.Get("Idempotent-Replay") != "true" {
		t.Errorf("send replay: no Idempotent-Replay header")
	}
	// Nothing was written by the refused sends.
	var all struct {
		Records []ExchangeRecord `json:"records"`
	}
	if err := json.Unmarshal(e.do("GET", "/api/v1/exchanges", aAuditor, nil).body, &all); err != nil || len(all.Records) != 1 {
		t.Errorf("exchanges stored: %+v (%v), want x-1 only", all.Records, err)
	}
	// The access log shows the refused attempts with the record they aimed at: both
	// parties, so an audit of the provider finds a send made in its name by another
	// department (x-2 was sent by dept-b as provider dept-a).
	logs := e.logs.String()
	for _, want := range []string{`"record":"exchange/x-2 grant/g-1 consumer/dept-b provider/dept-a"`, `"record":"exchange/x-3 grant/g-1 consumer/dept-b provider/dept-a"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("access log lacks %s", want)
		}
	}
	if !strings.Contains(logs, `"code":"FORBIDDEN"`) {
		t.Errorf("access log lacks refused codes")
	}
}

// TestExchangeOpenAPI checks the exchange fragment against the exchange routes
// (the whole-document tests cover it once routes.go lists registerExchanges).
func TestExchangeOpenAPI(t *testing.T) {
	e := exchangeEnv(t)
	raw, err := openapiFS.ReadFile("openapi/exchange.json")
	if err != nil {
		t.Skipf("openapi/exchange.json not present: %v", err)
	}
	var patterns []string
	for _, r := range e.srv.Routes() {
		if strings.Contains(r.Pattern, "/catalog") || strings.Contains(r.Pattern, "/grants") || strings.Contains(r.Pattern, "/exchanges") {
			patterns = append(patterns, r.Pattern)
		}
	}
	checkFragment(t, "openapi/exchange.json", parseDoc(t, raw), patterns)
	if _, err := assembleOpenAPI(""); err != nil {
		t.Fatal(err)
	}
}
