package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certledger/certledger/gateway/internal/ledgerclient"
	"github.com/certledger/certledger/gateway/internal/ledgerclient/ledgertest"
	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/codes"
	domain "github.com/certledger/certledger/internal/domain/exchange"
)

// exBadSigB64 is a well-formed DER signature that the fake exchange chaincode
// treats as not verifying.
const exBadSigB64 = "MAYCAQECAQI=" // SEQUENCE{INTEGER 1, INTEGER 2}

// fakeExchange runs the real exchange rules (chaincode/domain/exchange) behind
// the gateway fake: signatures are accepted unless they are exBadSigB64, the
// submitting org "a" is dept-a, "b" is dept-b, "gov" is gov.
type fakeExchange struct {
	mu      sync.Mutex
	now     time.Time
	items   map[string]domain.CatalogItem
	grants  map[string]domain.Grant
	exchs   map[string]domain.Exchange
	history map[string][]map[string]any
}

var exOrgDept = map[string]string{"a": "dept-a", "b": "dept-b", "gov": "gov"}

func exCCErr(err error) error {
	for _, m := range []struct {
		s    error
		code string
	}{{domain.ErrBadSignature, codes.BadSignature}, {domain.ErrKeyInvalid, codes.Forbidden}, {domain.ErrForbidden, codes.Forbidden},
		{domain.ErrConflict, codes.Conflict}, {domain.ErrInvalid, codes.InvalidArgument}} {
		if errors.Is(err, m.s) {
			return fmt.Errorf("chaincode response 500, %s: %v", m.code, err) //nolint:errorlint // mimics Fabric: only the text crosses, never the error value
		}
	}
	return fmt.Errorf("chaincode response 500, %v", err) //nolint:errorlint // mimics Fabric: only the text crosses, never the error value
}

func exCCCode(code, format string, a ...any) error {
	return fmt.Errorf("chaincode response 500, %s: %s", code, fmt.Sprintf(format, a...))
}

var exAcceptAll = domain.VerifierFunc(func(_ canon.Kind, _, _ string, _ time.Time, _ any, sig string) error {
	if sig == exBadSigB64 {
		return fmt.Errorf("%w: does not verify", domain.ErrBadSignature)
	}
	return nil
})

func installFakeExchange(f *ledgertest.Fake, now time.Time) *fakeExchange {
	x := &fakeExchange{now: now, items: map[string]domain.CatalogItem{}, grants: map[string]domain.Grant{},
		exchs: map[string]domain.Exchange{}, history: map[string][]map[string]any{}}
	out := func(v any, event string) ([]byte, *ledgerclient.Event, error) {
		b, _ := json.Marshal(v)
		if event == "" {
			return b, nil, nil
		}
		return b, &ledgerclient.Event{Name: event, Payload: b}, nil
	}
	locked := func(fn func(org, tx string, args []string) ([]byte, *ledgerclient.Event, error)) ledgertest.Func {
		return func(org, tx string, args []string) ([]byte, *ledgerclient.Event, error) {
			x.mu.Lock()
			defer x.mu.Unlock()
			return fn(org, tx, args)
		}
	}
	requireDept := func(org, dept string) error {
		if exOrgDept[org] != dept {
			return exCCCode(codes.Forbidden, "submitter MSP of %s is not the MSP of department %s", org, dept)
		}
		return nil
	}
	f.On("exchange:AddCatalogItem", locked(func(org, tx string, args []string) ([]byte, *ledgerclient.Event, error) {
		var in domain.CatalogInput
		_ = json.Unmarshal([]byte(args[0]), &in)
		item, err := domain.NewCatalogItem(in, x.now, tx)
		if err != nil {
			return nil, nil, exCCErr(err)
		}
		if err := requireDept(org, item.Provider); err != nil {
			return nil, nil, err
		}
		if _, ok := x.items[item.Provider+"/"+item.ID]; ok {
			return nil, nil, exCCCode(codes.Conflict, "item %s exists", item.ID)
		}
		x.items[item.Provider+"/"+item.ID] = item
		return out(item, "CatalogItemAdded")
	}))
	f.On("exchange:ListCatalog", locked(func(_, _ string, args []string) ([]byte, *ledgerclient.Event, error) {
		list := []domain.CatalogItem{}
		for _, it := range x.items {
			if args[0] == "" || it.Provider == args[0] {
				list = append(list, it)
			}
		}
		sort.Slice(list, func(i, j int) bool { return list[i].Provider+list[i].ID < list[j].Provider+list[j].ID })
		return out(list, "")
	}))
	f.On("exchange:GetCatalogItem", locked(func(_, _ string, args []string) ([]byte, *ledgerclient.Event, error) {
		it, ok := x.items[args[0]+"/"+args[1]]
		if !ok {
			return nil, nil, exCCCode(codes.NotFound, "item %s", args[1])
		}
		return out(it, "")
	}))
	f.On("exchange:CreateGrant", locked(func(org, tx string, args []string) ([]byte, *ledgerclient.Event, error) {
		var req domain.GrantRequest
		_ = json.Unmarshal([]byte(args[0]), &req)
		if err := requireDept(org, req.Provider); err != nil {
			return nil, nil, err
		}
		item, ok := x.items[req.Provider+"/"+req.Item]
		if !ok {
			return nil, nil, exCCCode(codes.NotFound, "item %s", req.Item)
		}
		if _, ok := x.grants[req.ID]; ok {
			return nil, nil, exCCCode(codes.Conflict, "grant %s already exists", req.ID)
		}
		g, err := domain.NewGrant(req, item, x.now, tx, exAcceptAll)
		if err != nil {
			return nil, nil, exCCErr(err)
		}
		x.grants[g.ID] = g
		x.history["grant/"+g.ID] = append(x.history["grant/"+g.ID], map[string]any{"txId": tx, "record": g})
		return out(g, "GrantCreated")
	}))
	f.On("exchange:RevokeGrant", locked(func(org, tx string, args []string) ([]byte, *ledgerclient.Event, error) {
		var r domain.Revocation
		_ = json.Unmarshal([]byte(args[0]), &r)
		g, ok := x.grants[r.GrantID]
		if !ok {
			return nil, nil, exCCCode(codes.NotFound, "grant %s", r.GrantID)
		}
		if err := requireDept(org, g.Provider); err != nil {
			return nil, nil, err
		}
		g, err := g.Revoke(r, x.now, tx, exAcceptAll)
		if err != nil {
			return nil, nil, exCCErr(err)
		}
		x.grants[g.ID] = g
		return out(g, "GrantRevoked")
	}))
	view := func(g domain.Grant) map[string]any {
		b, _ := json.Marshal(g)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		m["effectiveStatus"] = g.EffectiveStatus(x.now)
		return m
	}
	f.On("exchange:GetGrant", locked(func(_, _ string, args []string) ([]byte, *ledgerclient.Event, error) {
		g, ok := x.grants[args[0]]
		if !ok {
			return nil, nil, exCCCode(codes.NotFound, "grant %s", args[0])
		}
		return out(view(g), "")
	}))
	f.On("exchange:ListGrants", locked(func(_, _ string, args []string) ([]byte, *ledgerclient.Event, error) {
		var q struct{ Provider, Consumer, Item, Status string }
		_ = json.Unmarshal([]byte(args[0]), &q)
		recs := []map[string]any{}
		ids := make([]string, 0, len(x.grants))
		for id := range x.grants {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			g := x.grants[id]
			if (q.Provider == "" || g.Provider == q.Provider) && (q.Consumer == "" || g.Consumer == q.Consumer) {
				recs = append(recs, view(g))
			}
		}
		return out(map[string]any{"records": recs, "count": len(recs), "bookmark": ""}, "")
	}))
	f.On("exchange:Send", locked(func(org, tx string, args []string) ([]byte, *ledgerclient.Event, error) {
		var req domain.SendRequest
		_ = json.Unmarshal([]byte(args[0]), &req)
		g, ok := x.grants[req.GrantID]
		if !ok {
			return nil, nil, exCCCode(codes.NotFound, "grant %s", req.GrantID)
		}
		if err := requireDept(org, g.Provider); err != nil {
			return nil, nil, err
		}
		if _, ok := x.exchs[req.ID]; ok {
			return nil, nil, exCCCode(codes.Conflict, "exchange %s already recorded", req.ID)
		}
		e, err := domain.NewExchange(req, g, x.now, tx, exAcceptAll)
		if err != nil {
			return nil, nil, exCCErr(err)
		}
		x.exchs[e.ID] = e
		x.history["exchange/"+e.ID] = append(x.history["exchange/"+e.ID], map[string]any{"txId": tx, "record": e})
		return out(e, "ExchangeSent")
	}))
	answer := func(decision, event string) ledgertest.Func {
		return locked(func(org, tx string, args []string) ([]byte, *ledgerclient.Event, error) {
			var a domain.Ack
			_ = json.Unmarshal([]byte(args[0]), &a)
			if a.Decision != decision {
				return nil, nil, exCCCode(codes.InvalidArgument, "decision %q", a.Decision)
			}
			e, ok := x.exchs[a.ExchangeID]
			if !ok {
				return nil, nil, exCCCode(codes.NotFound, "exchange %s", a.ExchangeID)
			}
			if err := requireDept(org, e.Consumer); err != nil {
				return nil, nil, err
			}
			e, err := e.Answer(a, x.now, tx, exAcceptAll)
			if err != nil {
				return nil, nil, exCCErr(err)
			}
			x.exchs[e.ID] = e
			x.history["exchange/"+e.ID] = append(x.history["exchange/"+e.ID], map[string]any{"txId": tx, "record": e})
			return out(e, event)
		})
	}
	f.On("exchange:Ack", answer("ack", "ExchangeAcknowledged"))
	f.On("exchange:Reject", answer("reject", "ExchangeRejected"))
	f.On("exchange:GetExchange", locked(func(_, _ string, args []string) ([]byte, *ledgerclient.Event, error) {
		e, ok := x.exchs[args[0]]
		if !ok {
			return nil, nil, exCCCode(codes.NotFound, "exchange %s", args[0])
		}
		return out(e, "")
	}))
	f.On("exchange:ListExchanges", locked(func(_, _ string, args []string) ([]byte, *ledgerclient.Event, error) {
		var q struct{ GrantID, Provider, Consumer, Status string }
		_ = json.Unmarshal([]byte(args[0]), &q)
		recs := []domain.Exchange{}
		for _, e := range x.exchs {
			if (q.GrantID == "" || e.GrantID == q.GrantID) && (q.Provider == "" || e.Provider == q.Provider) &&
				(q.Consumer == "" || e.Consumer == q.Consumer) && (q.Status == "" || e.Status == q.Status) {
				recs = append(recs, e)
			}
		}
		sort.Slice(recs, func(i, j int) bool { return recs[i].ID < recs[j].ID })
		return out(map[string]any{"records": recs, "count": len(recs), "bookmark": ""}, "")
	}))
	f.On("exchange:Verify", locked(func(_, _ string, args []string) ([]byte, *ledgerclient.Event, error) {
		var q domain.Query
		_ = json.Unmarshal([]byte(args[0]), &q)
		for _, e := range x.exchs {
			if (q.ID == "" || e.ID == q.ID) && (q.PayloadHash == "" || e.PayloadHash == q.PayloadHash || q.ID != "") {
				g := x.grants[e.GrantID]
				return out(domain.Verify(q, &e, &g, x.now, exAcceptAll), "")
			}
		}
		return out(domain.Verify(q, nil, nil, x.now, exAcceptAll), "")
	}))
	f.On("exchange:History", locked(func(_, _ string, args []string) ([]byte, *ledgerclient.Event, error) {
		h, ok := x.history[args[0]+"/"+args[1]]
		if !ok {
			return nil, nil, exCCCode(codes.NotFound, "%s %s", args[0], args[1])
		}
		return out(h, "")
	}))
	return x
}

// exchangeEnv is newEnv with the exchange routes (registered here too when
// routes.go does not list them yet) and the fake exchange chaincode.
func exchangeEnv(t *testing.T) (*env, *fakeExchange) {
	e := newEnv(t, nil)
	if !slices.ContainsFunc(e.srv.Routes(), func(r Route) bool { return r.Pattern == "POST /api/v1/exchanges" }) {
		mux := http.NewServeMux()
		rt := &Router{s: e.srv, mux: mux}
		for _, register := range e.srv.registrars() {
			register(rt)
		}
		e.srv.registerExchanges(rt)
		e.srv.handler = http.MaxBytesHandler(mux, e.srv.opts.BodyLimit)
	}
	return e, installFakeExchange(e.fake, e.now)
}

func exGrantRec(id string) GrantRecord {
	return GrantRecord{ID: id, Provider: "dept-a", Consumer: "dept-b", Item: "tax-record", Fields: []string{"income", "name"},
		Purpose: "subsidy eligibility", LegalBasis: "Reg. 12/2025", ValidFrom: "2026-11-28T00:00:00Z",
		ValidUntil: "2026-12-28T00:00:00Z", KeyID: keyA, Signature: sigB64}
}

func exExchRec(id string) ExchangeRecord {
	return ExchangeRecord{ID: id, GrantID: "g-1", Provider: "dept-a", Consumer: "dept-b", Fields: []string{"income"},
		PayloadHash: hashA, KeyID: keyA, Signature: sigB64}
}

func exAnswerRec(id, decision string) ExchangeAnswer {
	a := ExchangeAnswer{ExchangeID: id, Consumer: "dept-b", PayloadHash: hashA, Decision: decision, KeyID: keyA, Signature: sigB64}
	if decision == "reject" {
		a.Reason = "incomplete"
	}
	return a
}

func TestExchangeEndpoints(t *testing.T) {
	e, fx := exchangeEnv(t)
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
	mut := func(f func(*ExchangeRecord)) ExchangeRecord { x := exExchRec("x-2"); f(&x); return x }
	mutG := func(f func(*GrantRecord)) GrantRecord { g := exGrantRec("g-2"); f(&g); return g }
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
		{"revoke by the consumer", "POST", "/api/v1/grants/g-1/revoke", bClerk, GrantRevocation{GrantID: "g-1", Reason: "x", KeyID: keyA, PrevTxID: grantTx, Signature: sigB64}, 403, "FORBIDDEN", "not dept-b"},
		{"revoke path mismatch", "POST", "/api/v1/grants/g-1/revoke", aClerk, GrantRevocation{GrantID: "g-9", Reason: "x", KeyID: keyA, PrevTxID: grantTx, Signature: sigB64}, 400, "INVALID_ARGUMENT", "grantId"},
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
		{"revoke", "POST", "/api/v1/grants/g-1/revoke", aClerk, GrantRevocation{GrantID: "g-1", Reason: "done", KeyID: keyA, PrevTxID: grantTx, Signature: sigB64}, 200, "", ""},
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
	fx.mu.Lock()
	n := len(fx.exchs)
	fx.mu.Unlock()
	if n != 1 {
		t.Errorf("%d exchanges stored, want 1", n)
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
	e, _ := exchangeEnv(t)
	raw, err := openapiFS.ReadFile("openapi/exchange.json")
	if err != nil {
		t.Skipf("openapi/exchange.json not present: %v", err)
	}
	var frag struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(raw, &frag); err != nil {
		t.Fatal(err)
	}
	inDoc := map[string]bool{}
	for p, ops := range frag.Paths {
		for m := range ops {
			inDoc[strings.ToUpper(m)+" "+p] = true
		}
	}
	for _, r := range e.srv.Routes() {
		if strings.Contains(r.Pattern, "/catalog") || strings.Contains(r.Pattern, "/grants") || strings.Contains(r.Pattern, "/exchanges") {
			if !inDoc[r.Pattern] {
				t.Errorf("route %s is not in openapi/exchange.json", r.Pattern)
			}
			delete(inDoc, r.Pattern)
		}
	}
	for d := range inDoc {
		t.Errorf("openapi/exchange.json documents %s, which no route serves", d)
	}
	if _, err := assembleOpenAPI(""); err != nil {
		t.Fatal(err)
	}
}
