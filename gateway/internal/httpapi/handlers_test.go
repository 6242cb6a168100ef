package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/gateway/internal/ledgerclient/faultledger"
	"github.com/certledger/certledger/internal/canon"
)

// seeded returns an env where dept-a issued certificate c-1.
func seeded(t *testing.T) *env {
	e := newEnv(t, nil)
	if r := e.do("POST", "/api/v1/certificates", aClerk, certRecord("c-1", "dept-a")); r.status != http.StatusCreated {
		t.Fatalf("seed issue: %d %s", r.status, r.body)
	}
	return e
}

func TestHandlers(t *testing.T) {
	withField := func(extra string) string {
		b, _ := json.Marshal(certRecord("c-2", "dept-a"))
		return strings.TrimSuffix(string(b), "}") + "," + extra + "}"
	}
	// mutated changes a record and signs it again (unless the change is the signature).
	mutated := func(f func(*CertificateRecord)) CertificateRecord {
		c := certRecord("c-2", "dept-a")
		sig := c.Signature
		f(&c)
		if c.Signature == sig {
			c = resign(c)
		}
		return c
	}
	// status is dept-a's signed status request, made in the test's env.
	status := func(id, action string) func(*env) any {
		return func(e *env) any { return e.statusReq(id, action) }
	}
	cases := []struct {
		name, method, path, token string
		body                      any
		status                    int
		code                      string
		msg                       string // substring of message
	}{
		// certificates: issue
		{"issue", "POST", "/api/v1/certificates", aClerk, certRecord("c-2", "dept-a"), 201, "", ""},
		{"issue by admin", "POST", "/api/v1/certificates", aAdmin, certRecord("c-2", "dept-a"), 201, "", ""},
		{"issue no token", "POST", "/api/v1/certificates", "", certRecord("c-2", "dept-a"), 401, "UNAUTHENTICATED", "token"},
		{"issue unknown token", "POST", "/api/v1/certificates", "forged", certRecord("c-2", "dept-a"), 401, "UNAUTHENTICATED", "unknown bearer token"},
		{"issue wrong department", "POST", "/api/v1/certificates", bClerk, certRecord("c-2", "dept-a"), 403, "FORBIDDEN", "not your department"},
		{"issue auditor role", "POST", "/api/v1/certificates", aAuditor, certRecord("c-2", "dept-a"), 403, "FORBIDDEN", "role auditor"},
		{"issue malformed json", "POST", "/api/v1/certificates", aClerk, `{"id":"c-2",`, 400, "INVALID_ARGUMENT", "malformed JSON"},
		{"issue syntax error", "POST", "/api/v1/certificates", aClerk, `{"id" "c-2"}`, 400, "INVALID_ARGUMENT", "malformed JSON at byte"},
		{"issue unknown field", "POST", "/api/v1/certificates", aClerk, withField(`"holderName":"Zhang San"`), 400, "INVALID_ARGUMENT", `unknown field "holderName"`},
		{"issue wrong type", "POST", "/api/v1/certificates", aClerk, `{"id":7}`, 400, "INVALID_ARGUMENT", `field "id"`},
		{"issue array body", "POST", "/api/v1/certificates", aClerk, `[1,2]`, 400, "INVALID_ARGUMENT", "JSON object"},
		{"issue two objects", "POST", "/api/v1/certificates", aClerk, withField(`"type":"x"`)[:0] + `{"id":"c-2"} {"id":"c-3"}`, 400, "INVALID_ARGUMENT", "single JSON object"},
		{"issue empty body", "POST", "/api/v1/certificates", aClerk, "", 400, "INVALID_ARGUMENT", "empty"},
		{"issue bad hash", "POST", "/api/v1/certificates", aClerk, mutated(func(c *CertificateRecord) { c.DocHash = strings.ToUpper(hashA) }), 400, "INVALID_ARGUMENT", "docHash"},
		{"issue short key id", "POST", "/api/v1/certificates", aClerk, mutated(func(c *CertificateRecord) { c.KeyID = "abc" }), 400, "INVALID_ARGUMENT", "keyId"},
		{"issue bad base64", "POST", "/api/v1/certificates", aClerk, mutated(func(c *CertificateRecord) { c.Signature = "MEUC!!" }), 400, "INVALID_ARGUMENT", "signature: not valid base64"},
		{"issue not DER", "POST", "/api/v1/certificates", aClerk, mutated(func(c *CertificateRecord) { c.Signature = "aGVsbG8gd29ybGQ=" }), 400, "INVALID_ARGUMENT", "DER"},
		{"issue bad time", "POST", "/api/v1/certificates", aClerk, mutated(func(c *CertificateRecord) { c.ValidUntil = "2031-11-28" }), 400, "INVALID_ARGUMENT", "validUntil"},
		{"issue missing fields", "POST", "/api/v1/certificates", aClerk, `{"id":"c-2"}`, 400, "INVALID_ARGUMENT", "docHash"},
		{"issue bad id", "POST", "/api/v1/certificates", aClerk, mutated(func(c *CertificateRecord) { c.ID = "../etc" }), 400, "INVALID_ARGUMENT", "id"},
		{"issue with supersedes", "POST", "/api/v1/certificates", aClerk, mutated(func(c *CertificateRecord) { c.Supersedes = "c-1" }), 400, "INVALID_ARGUMENT", "supersede"},
		{"issue too large", "POST", "/api/v1/certificates", aClerk, withField(`"x":"` + strings.Repeat("a", 5000) + `"`), 413, "TOO_LARGE", "4096"},
		{"issue conflicting id", "POST", "/api/v1/certificates", aClerk, mutated(func(c *CertificateRecord) { c.ID = "c-1"; c.DocHash = hashB }), 409, "CONFLICT", "certificate c-1 already exists"},
		// certificates: reads
		{"get", "GET", "/api/v1/certificates/c-1", "", nil, 200, "", ""},
		{"get missing", "GET", "/api/v1/certificates/c-404", "", nil, 404, "NOT_FOUND", "certificate c-404"},
		{"get bad id", "GET", "/api/v1/certificates/%20x", "", nil, 400, "INVALID_ARGUMENT", "id"},
		{"find by hash", "GET", "/api/v1/certificates?hash=" + hashA, "", nil, 200, "", ""},
		{"find no hash", "GET", "/api/v1/certificates", "", nil, 400, "INVALID_ARGUMENT", "hash: is required"},
		{"find bad hash", "GET", "/api/v1/certificates?hash=xyz", "", nil, 400, "INVALID_ARGUMENT", "hash: want 64"},
		{"history", "GET", "/api/v1/certificates/c-1/history", aAuditor, nil, 200, "", ""},
		{"history anonymous", "GET", "/api/v1/certificates/c-1/history", "", nil, 401, "UNAUTHENTICATED", ""},
		// certificates: status changes
		{"revoke", "POST", "/api/v1/certificates/c-1/revoke", aClerk, status("c-1", "revoke"), 200, "", ""},
		{"suspend", "POST", "/api/v1/certificates/c-1/suspend", aClerk, status("c-1", "suspend"), 200, "", ""},
		{"revoke other department", "POST", "/api/v1/certificates/c-1/revoke", bClerk, status("c-1", "revoke"), 403, "FORBIDDEN", "issued by dept-a"},
		{"revoke id mismatch", "POST", "/api/v1/certificates/c-1/revoke", aClerk, status("c-9", "revoke"), 400, "INVALID_ARGUMENT", "certificateId"},
		{"revoke action mismatch", "POST", "/api/v1/certificates/c-1/revoke", aClerk, status("c-1", "suspend"), 400, "INVALID_ARGUMENT", "action"},
		{"revoke missing", "POST", "/api/v1/certificates/c-404/revoke", aClerk, status("c-404", "revoke"), 404, "NOT_FOUND", ""},
		{"revoke no token", "POST", "/api/v1/certificates/c-1/revoke", "", status("c-1", "revoke"), 401, "UNAUTHENTICATED", ""},
		{"supersede", "POST", "/api/v1/certificates/c-1/supersede", aClerk, mutated(func(c *CertificateRecord) { c.Supersedes = "c-1" }), 201, "", ""},
		{"supersede mismatch", "POST", "/api/v1/certificates/c-1/supersede", aClerk, mutated(func(c *CertificateRecord) { c.Supersedes = "c-7" }), 400, "INVALID_ARGUMENT", "supersedes"},
		{"supersede other department", "POST", "/api/v1/certificates/c-1/supersede", bClerk, mutated(func(c *CertificateRecord) { c.Supersedes = "c-1"; c.Issuer = "dept-b" }), 403, "FORBIDDEN", "issued by dept-a"},
		// verify
		{"verify id", "GET", "/api/v1/verify?id=c-1", "", nil, 200, "", ""},
		{"verify hash", "GET", "/api/v1/verify?hash=" + hashA, "", nil, 200, "", ""},
		{"verify nothing", "GET", "/api/v1/verify?hash=" + hashB, "", nil, 200, "", ""},
		{"verify no params", "GET", "/api/v1/verify", "", nil, 400, "INVALID_ARGUMENT", "give a certificate id"},
		{"verify bad hash", "GET", "/api/v1/verify?hash=" + hashA[:63], "", nil, 400, "INVALID_ARGUMENT", "hash: want 64"},
		// departments
		{"register department", "POST", "/api/v1/departments", govAdmin, DepartmentInput{ID: "dept-c", Name: "Dept C", MSPID: "OrgCMSP", PublicKeys: []string{pubKeyPEM}}, 201, "", ""},
		{"register by non-governance admin", "POST", "/api/v1/departments", aAdmin, DepartmentInput{ID: "dept-c", Name: "Dept C", MSPID: "OrgCMSP", PublicKeys: []string{pubKeyPEM}}, 403, "FORBIDDEN", "governance"},
		{"register by clerk", "POST", "/api/v1/departments", aClerk, DepartmentInput{ID: "dept-c", Name: "Dept C", MSPID: "OrgCMSP", PublicKeys: []string{pubKeyPEM}}, 403, "FORBIDDEN", "role clerk"},
		{"register bad key", "POST", "/api/v1/departments", govAdmin, DepartmentInput{ID: "dept-c", Name: "Dept C", MSPID: "OrgCMSP", PublicKeys: []string{"not pem"}}, 400, "INVALID_ARGUMENT", "publicKeys[0]"},
		{"register no keys", "POST", "/api/v1/departments", govAdmin, DepartmentInput{ID: "dept-c", Name: "Dept C", MSPID: "OrgCMSP"}, 400, "INVALID_ARGUMENT", "publicKeys"},
		{"list departments", "GET", "/api/v1/departments", "", nil, 200, "", ""},
		{"get department missing", "GET", "/api/v1/departments/dept-z", "", nil, 404, "NOT_FOUND", "dept-z"},
		{"get key", "GET", "/api/v1/keys/" + keyA, "", nil, 200, "", ""},
		{"get key bad", "GET", "/api/v1/keys/abc", "", nil, 400, "INVALID_ARGUMENT", "keyId"},
		{"add key", "POST", "/api/v1/departments/dept-a/keys", govAdmin, KeyInput{PublicKey: pubKeyPEM}, 201, "", ""},
		{"add key by department", "POST", "/api/v1/departments/dept-a/keys", aAdmin, KeyInput{PublicKey: pubKeyPEM}, 403, "FORBIDDEN", "governance"},
		{"rotate key", "POST", "/api/v1/departments/dept-a/keys/" + keyA + "/rotate", govAdmin, KeyInput{PublicKey: pubKeyPEM}, 200, "", ""},
		{"revoke own key", "POST", "/api/v1/departments/dept-a/keys/" + keyA + "/revoke", aAdmin, RevokeKeyInput{Reason: "compromised", EffectiveAt: "2026-11-01T00:00:00Z"}, 200, "", ""},
		{"revoke other's key", "POST", "/api/v1/departments/dept-a/keys/" + keyA + "/revoke", "b-admin-none", RevokeKeyInput{Reason: "x"}, 401, "UNAUTHENTICATED", ""},
		{"revoke key bad time", "POST", "/api/v1/departments/dept-a/keys/" + keyA + "/revoke", aAdmin, RevokeKeyInput{Reason: "x", EffectiveAt: "yesterday"}, 400, "INVALID_ARGUMENT", "effectiveAt"},
		{"revoke key no reason", "POST", "/api/v1/departments/dept-a/keys/" + keyA + "/revoke", aAdmin, RevokeKeyInput{}, 400, "INVALID_ARGUMENT", "reason"},
		// misc
		{"unknown api route", "GET", "/api/v1/nope", "", nil, 404, "NOT_FOUND", "no such endpoint"},
		{"healthz", "GET", "/healthz", "", nil, 200, "", ""},
		{"readyz", "GET", "/readyz", "", nil, 200, "", ""},
		{"openapi", "GET", "/api/v1/openapi.json", "", nil, 200, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := seeded(t)
			body := c.body
			if f, ok := body.(func(*env) any); ok {
				body = f(e)
			}
			r := e.do(c.method, c.path, c.token, body)
			if r.status != c.status {
				t.Fatalf("status %d, want %d; body %s", r.status, c.status, r.body)
			}
			if c.code != "" {
				m := r.json(t)
				if m["code"] != c.code || !strings.Contains(fmt.Sprint(m["message"]), c.msg) {
					t.Fatalf("body %s, want code %s message containing %q", r.body, c.code, c.msg)
				}
			}
			if r.header.Get("X-Request-Id") == "" {
				t.Error("no X-Request-Id")
			}
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q", ct)
			}
			if c.status == 401 && r.header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
}

func TestWriteResultShape(t *testing.T) {
	e := newEnv(t, nil)
	r := e.do("POST", "/api/v1/certificates", aClerk, certRecord("c-9", "dept-a"))
	if r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	m := r.json(t)
	rec, _ := m["record"].(map[string]any)
	if m["txId"] == "" || m["blockNumber"].(float64) < 1 || rec["id"] != "c-9" || rec["status"] != "valid" {
		t.Fatalf("write result %s", r.body)
	}
	// The submission carries the record exactly, signed fields and signature.
	var last faultledger.Call
	for _, c := range e.fake.Calls() {
		if c.Op == "submit" {
			last = c
		}
	}
	var sent CertificateRecord
	if err := json.Unmarshal([]byte(last.Args[0]), &sent); err != nil || sent != certRecord("c-9", "dept-a") || last.Org != "a" {
		t.Fatalf("submitted %+v as %s", last, last.Org)
	}
}

func TestIdempotentIssue(t *testing.T) {
	e := newEnv(t, nil)
	first := e.do("POST", "/api/v1/certificates", aClerk, certRecord("c-1", "dept-a"))
	if first.status != 201 {
		t.Fatalf("first: %d %s", first.status, first.body)
	}
	again := e.do("POST", "/api/v1/certificates", aClerk, certRecord("c-1", "dept-a"))
	if again.status != 200 || again.header.Get("Idempotent-Replay") != "true" {
		t.Fatalf("retry: %d %s", again.status, again.body)
	}
	f, a := first.json(t), again.json(t)
	if f["txId"] != a["txId"] || f["blockNumber"] != a["blockNumber"] {
		t.Fatalf("retry returned %v/%v, first %v/%v", a["txId"], a["blockNumber"], f["txId"], f["blockNumber"])
	}
	if n := e.fake.CountCalls("submit", "certificate:Issue"); n != 2 {
		t.Fatalf("%d Issue submits", n)
	}
	// Same id, other signature (SM2 signatures are randomised: signing again gives
	// another one): a different certificate, so 409.
	other := certRecord("c-1", "dept-a")
	var err error
	if other.Signature, err = canon.Sign(keyOf["dept-a"].Key, canon.KindCertificate, other); err != nil {
		t.Fatal(err)
	}
	if r := e.do("POST", "/api/v1/certificates", aClerk, other); r.status != 409 || r.code() != "CONFLICT" {
		t.Fatalf("different record: %d %s", r.status, r.body)
	}
}

func mvccErr() error { return faultledger.MVCCConflict() }

func TestMVCCRetry(t *testing.T) {
	t.Run("recovers", func(t *testing.T) {
		e := newEnv(t, nil)
		e.fake.FailNext("certificate:Issue", mvccErr(), mvccErr())
		r := e.do("POST", "/api/v1/certificates", aClerk, certRecord("c-1", "dept-a"))
		if r.status != 201 {
			t.Fatalf("%d %s", r.status, r.body)
		}
		if n := e.fake.CountCalls("submit", "certificate:Issue"); n != 3 {
			t.Fatalf("%d submits, want 3", n)
		}
	})
	t.Run("gives up with 503", func(t *testing.T) {
		e := newEnv(t, nil)
		e.fake.FailNext("certificate:Issue", mvccErr(), mvccErr(), mvccErr(), mvccErr(), mvccErr())
		r := e.do("POST", "/api/v1/certificates", aClerk, certRecord("c-1", "dept-a"))
		if r.status != 503 || r.code() != "UNAVAILABLE" || r.header.Get("Retry-After") == "" {
			t.Fatalf("%d %v %s", r.status, r.header, r.body)
		}
		if n := e.fake.CountCalls("submit", "certificate:Issue"); n != 4 {
			t.Fatalf("%d submits, want 1 + 3 retries", n)
		}
		if !strings.Contains(e.logs.String(), "MVCC_READ_CONFLICT") {
			t.Error("details of the 503 not in the log")
		}
	})
	t.Run("no retry of other errors", func(t *testing.T) {
		e := newEnv(t, nil)
		e.fake.FailNext("certificate:Issue", faultledger.Unavailable())
		r := e.do("POST", "/api/v1/certificates", aClerk, certRecord("c-1", "dept-a"))
		if r.status != 503 || e.fake.CountCalls("submit", "certificate:Issue") != 1 {
			t.Fatalf("%d %s", r.status, r.body)
		}
	})
}

func TestLedgerFailures(t *testing.T) {
	cases := []struct {
		name   string
		err    error
		status int
		code   string
	}{
		{"deadline", faultledger.Timeout(), 504, "TIMEOUT"},
		{"unavailable", faultledger.Unavailable(), 503, "UNAVAILABLE"},
		{"internal detail hidden", fmt.Errorf("open /var/secret/key.pem: permission denied"), 500, "INTERNAL"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, nil)
			e.fake.FailNext("certificate:Get", c.err)
			r := e.do("GET", "/api/v1/certificates/c-1", "", nil)
			if r.status != c.status || r.code() != c.code {
				t.Fatalf("%d %s", r.status, r.body)
			}
			if strings.Contains(string(r.body), "secret") {
				t.Fatal("internal details leaked to the client")
			}
		})
	}
}

func TestReadyz(t *testing.T) {
	e := newEnv(t, nil)
	e.fake.FailNext("registry:GetGovernance", faultledger.Unavailable(), fmt.Errorf("chaincode response 500, NOT_FOUND: registry not initialised"))
	if r := e.do("GET", "/readyz", "", nil); r.status != 503 || r.header.Get("Retry-After") == "" {
		t.Fatalf("unreachable ledger: %d %s", r.status, r.body)
	}
	e.advance(ReadyTTL)
	if r := e.do("GET", "/readyz", "", nil); r.status != 200 {
		t.Fatalf("reachable, uninitialised ledger: %d %s", r.status, r.body)
	}
}

// Issue 12 item 6: probes share one ledger call per ReadyTTL, and anonymous
// probes are rate-limited like the other public routes.
func TestReadyzCachedAndLimited(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.RateLimit.PerSecond, o.RateLimit.Burst = 1, 20 })
	for i := range 20 {
		if r := e.do("GET", "/readyz", "", nil); r.status != 200 {
			t.Fatalf("probe %d: %d %s", i, r.status, r.body)
		}
	}
	if n := e.fake.CountCalls("evaluate", "registry:GetGovernance"); n != 1 {
		t.Errorf("%d ledger calls for 20 probes within a second, want 1", n)
	}
	if r := e.do("GET", "/readyz", "", nil); r.status != 429 || r.code() != "RATE_LIMITED" {
		t.Errorf("probe past the burst: %d %s", r.status, r.body)
	}
	e.advance(2 * ReadyTTL)
	if r := e.do("GET", "/readyz", "", nil); r.status != 200 {
		t.Fatalf("after refill: %d", r.status)
	}
	if n := e.fake.CountCalls("evaluate", "registry:GetGovernance"); n != 2 {
		t.Errorf("%d ledger calls after the cache expired, want 2", n)
	}
}

// Readiness is what Options.Ready says (every organisation), not one org's call.
func TestReadyzUsesReadyCheck(t *testing.T) {
	down := errors.New("organisation dept-b: connection refused")
	e := newEnv(t, func(o *Options) { o.Ready = func(context.Context) error { return down } })
	if r := e.do("GET", "/readyz", "", nil); r.status != 503 || strings.Contains(string(r.body), "dept-b") {
		t.Fatalf("one organisation down: %d %s (public answer must not name it)", r.status, r.body)
	}
	rec := httptest.NewRecorder()
	e.srv.OperationsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != 503 || !strings.Contains(rec.Body.String(), "dept-b") {
		t.Fatalf("operations readyz: %d %s", rec.Code, rec.Body)
	}
}

func TestRateLimit(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.RateLimit.PerSecond, o.RateLimit.Burst = 1, 2 })
	for i := range 2 {
		if r := e.do("GET", "/api/v1/verify?id=c-1", "", nil); r.status != 200 {
			t.Fatalf("request %d: %d", i, r.status)
		}
	}
	r := e.do("GET", "/api/v1/verify?id=c-1", "", nil)
	if r.status != 429 || r.code() != "RATE_LIMITED" || r.header.Get("Retry-After") == "" {
		t.Fatalf("third: %d %v %s", r.status, r.header, r.body)
	}
	// Authenticated callers and health checks are not limited.
	if r := e.do("GET", "/api/v1/verify?id=c-1", aAuditor, nil); r.status != 200 {
		t.Fatalf("authenticated: %d", r.status)
	}
	if r := e.do("GET", "/healthz", "", nil); r.status != 200 {
		t.Fatalf("healthz: %d", r.status)
	}
	// A token refills after a second.
	e.advance(1100 * time.Millisecond)
	if r := e.do("GET", "/api/v1/verify?id=c-1", "", nil); r.status != 200 {
		t.Fatalf("after refill: %d", r.status)
	}
}

func TestAccessLog(t *testing.T) {
	e := newEnv(t, nil)
	w := e.do("POST", "/api/v1/certificates", aClerk, certRecord("c-1", "dept-a"), "X-Request-Id", "req-42")
	e.do("GET", "/api/v1/verify?hash="+hashA, "", nil)
	logs := e.logs.String()
	for _, want := range []string{`"request_id":"req-42"`, `"who":"a-clerk"`, `"department":"dept-a"`, `"record":"certificate/c-1"`, `"tx_id":"` + w.json(t)["txId"].(string), `"who":"anonymous"`, `"client_ip":"192.0.2.7"`, `"record":"hash/` + hashA} {
		if !strings.Contains(logs, want) {
			t.Errorf("access log lacks %s:\n%s", want, logs)
		}
	}
	for _, secret := range []string{aClerk, certRecord("c-1", "dept-a").Signature, commitA} {
		if strings.Contains(logs, secret) {
			t.Errorf("access log contains %q", secret)
		}
	}
}

// Issue 12 item 2: /metrics is served on the operations listener only.
func TestMetricsEndpoint(t *testing.T) {
	e := seeded(t)
	e.do("GET", "/api/v1/certificates/c-1", "", nil)
	e.do("GET", "/api/v1/certificates/c-404", "", nil)
	if r := e.do("GET", "/metrics", "", nil); r.status != 404 {
		t.Errorf("public /metrics: %d, want 404", r.status)
	}
	if r := e.do("GET", "/metrics", aAuditor, nil); r.status != 404 {
		t.Errorf("public /metrics with a token: %d, want 404", r.status)
	}
	rec := httptest.NewRecorder()
	e.srv.OperationsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`certledger_gateway_http_requests_total{method="GET",route="GET /api/v1/certificates/{id}",status="200"} 1`,
		`certledger_gateway_http_requests_total{method="GET",route="GET /api/v1/certificates/{id}",status="404"} 1`,
		`certledger_gateway_ledger_call_duration_seconds_count{fn="certificate:Issue",op="submit"} 1`,
		`certledger_gateway_ledger_call_errors_total{code="NOT_FOUND",fn="certificate:Get",op="evaluate"} 1`,
		`certledger_gateway_http_request_duration_seconds_bucket`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestPanicIs500(t *testing.T) {
	e := newEnv(t, nil)
	e.fake.SetHook(func(c faultledger.Call) error {
		if c.Fn == "certificate:Get" {
			panic("boom")
		}
		return nil
	})
	r := e.do("GET", "/api/v1/certificates/c-1", "", nil)
	if r.status != 500 || r.code() != "INTERNAL" {
		t.Fatalf("%d %s", r.status, r.body)
	}
}
