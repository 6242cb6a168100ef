package httpapi

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/certledger/certledger/chaincode/ledgertest"
	"github.com/certledger/certledger/gateway/gatewaytest/ccledger"

	"github.com/certledger/certledger/gateway/internal/auth"
	"github.com/certledger/certledger/gateway/internal/config"
	"github.com/certledger/certledger/gateway/internal/ledgerclient/faultledger"
	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/gm"
	"github.com/certledger/certledger/internal/testkit"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Tokens of the test configuration.
const (
	govAdmin = "gov-admin-token"
	aAdmin   = "a-admin-token"
	aClerk   = "a-clerk-token"
	aAuditor = "a-auditor-token"
	bClerk   = "b-clerk-token"
	hashA    = "a3f1a1c2b0d59cd8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4"
	hashB    = "b3f1a1c2b0d59cd8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4"
	commitA  = "d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0"
	sigB64   = "MAYCAQECAQE=" // DER SEQUENCE{INTEGER 1, INTEGER 1}: well formed, verifies nothing
)

// The departments' SM2 keys, the same in every env: dept-a (org "a"), dept-b (org
// "b"), gov (org "gov", the governance organisation) are registered in each env;
// keyC is registered nowhere (a new department's or a new key).
var (
	keyOf = map[string]ledgertest.Signer{"dept-a": newSigner(), "dept-b": newSigner(), "gov": newSigner()}
	keyC  = newSigner()

	keyA      = keyOf["dept-a"].KeyID
	pubKeyPEM = keyC.PublicPEM
)

func newSigner() ledgertest.Signer {
	k, err := gm.GenerateKey()
	if err != nil {
		panic(err)
	}
	p, err := gm.MarshalPublicKeyPEM(&k.PublicKey)
	if err != nil {
		panic(err)
	}
	return ledgertest.Signer{Key: k, KeyID: gm.KeyID(&k.PublicKey), PublicPEM: string(p)}
}

// sigMemo makes signing deterministic within a test run: the same record of the same
// kind gets the same signature (SM2 signatures are randomised), so a retried request
// carries exactly the record sent first.
var sigMemo sync.Map

// sign returns dept's signature over record (its signature field ignored).
func sign(dept string, kind canon.Kind, record any) string {
	payload, err := canon.Payload(kind, record)
	if err != nil {
		panic(err)
	}
	key := dept + "\x00" + string(kind) + "\x00" + string(payload)
	if v, ok := sigMemo.Load(key); ok {
		return v.(string)
	}
	sig, err := canon.Sign(keyOf[dept].Key, kind, record)
	if err != nil {
		panic(err)
	}
	v, _ := sigMemo.LoadOrStore(key, sig)
	return v.(string)
}

// env is the real HTTP API over the real chaincode (ccledger), with the fault
// injector between them.
type env struct {
	t      testing.TB
	ledger *ccledger.Ledger
	fake   *faultledger.Ledger
	srv    *Server
	logs   *testkit.SyncBuffer
	now    time.Time
	mu     sync.Mutex
}

func testConfig() *config.Config {
	c := config.Defaults()
	c.Orgs = []config.Org{{Name: "gov", Profile: "x"}, {Name: "a", Profile: "x"}, {Name: "b", Profile: "x"}}
	tok := func(tok, id, dept, org, role string) config.Token {
		return config.Token{ID: id, SHA256: config.HashToken(tok), Principal: config.Principal{Department: dept, Org: org, Role: role}}
	}
	c.Tokens = []config.Token{
		tok(govAdmin, "gov-admin", "gov", "gov", config.RoleAdmin),
		tok(aAdmin, "a-admin", "dept-a", "a", config.RoleAdmin),
		tok(aClerk, "a-clerk", "dept-a", "a", config.RoleClerk),
		tok(aAuditor, "a-auditor", "dept-a", "a", config.RoleAuditor),
		tok(bClerk, "b-clerk", "dept-b", "b", config.RoleClerk),
	}
	return &c
}

// envDepts are newEnv's departments: gov (the governance organisation), dept-a (org
// "a") and dept-b (org "b"), with the keys of keyOf.
func envDepts() []ccledger.Dept {
	return []ccledger.Dept{{ID: "gov", Org: ccledger.GovOrg, MSP: ccledger.GovMSP}, {ID: "dept-a", Org: "a"}, {ID: "dept-b", Org: "b"}}
}

// newEnv starts the chaincode at 2026-11-28T12:00Z with gov, dept-a and dept-b
// registered, and the HTTP API over it.
func newEnv(t *testing.T, mutate func(*Options)) *env {
	t.Helper()
	return newEnvDepts(t, mutate, envDepts())
}

// newEnvDepts is newEnv with depts registered instead (envDepts with categories or a
// parent added; the tokens of testConfig act for gov, dept-a and dept-b).
func newEnvDepts(t testing.TB, mutate func(*Options), depts []ccledger.Dept) *env {
	t.Helper()
	e := &env{t: t, logs: &testkit.SyncBuffer{}, now: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)}
	e.ledger = ccledger.New(t, ccledger.At(e.now))
	for _, d := range depts {
		k := keyOf[d.ID]
		d.Key = &k
		e.ledger.Department(t, d)
	}
	e.fake = faultledger.Wrap(e.ledger)
	cfg := testConfig()
	o := Options{
		Ledger:               e.fake,
		Auth:                 auth.New(cfg),
		DefaultOrg:           "gov",
		GovernanceDepartment: "gov",
		Logger:               slog.New(slog.NewJSONHandler(e.logs, nil)),
		BodyLimit:            4096,
		RateLimit:            config.RateLimit{PerSecond: 1, Burst: 1000},
		MVCCRetries:          3,
		MVCCBackoff:          time.Millisecond,
		Now:                  e.clock,
	}
	e.srv = newServer(t, o, mutate)
	return e
}

// newServer is New(o) after mutate (nil: none) changed o; an error fails the test.
func newServer(t testing.TB, o Options, mutate func(*Options)) *Server {
	t.Helper()
	if mutate != nil {
		mutate(&o)
	}
	srv, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

func (e *env) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *env) advance(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.now = e.now.Add(d)
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	return m
}

func (r resp) code() string {
	var p struct{ Code string }
	_ = json.Unmarshal(r.body, &p)
	return p.Code
}

// do sends a request; body may be a string (sent as is) or a value (JSON-encoded).
func (e *env) do(method, path, token string, body any, hdr ...string) resp {
	e.t.Helper()
	req := httptest.NewRequest(method, path, testkit.Body(e.t, body))
	req.RemoteAddr = "192.0.2.7:5555"
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(rec, req)
	return resp{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

// certRecord is a certificate record signed by issuer's key.
func certRecord(id, issuer string) CertificateRecord {
	c := CertificateRecord{Fields: CertificateFields{
		ID: id, DocHash: hashA, Type: "business-licence", Issuer: issuer, HolderCommitment: commitA,
		ValidFrom: "2026-11-28T00:00:00Z", ValidUntil: "2031-11-28T00:00:00Z", KeyID: keyOf[issuer].KeyID,
	}}
	return resign(c)
}

// resign signs c again after a change, with its issuer's key.
func resign(c CertificateRecord) CertificateRecord {
	c.Signature = sign(c.Issuer, canon.KindCertificate, c)
	return c
}

// txOf is the current txId of certificate id.
func (e *env) txOf(id string) string {
	e.t.Helper()
	var c struct {
		TxID string `json:"txId"`
	}
	e.ledger.MustEvaluate(&c, "gov", "certificate:Get", id)
	return c.TxID
}

// statusReq is dept-a's signed request to change certificate id's status, naming
// its current transaction (or tx0001 when there is no such certificate).
func (e *env) statusReq(id, action string) StatusRequest {
	e.t.Helper()
	prev := "tx0001"
	if _, err := e.ledger.Evaluate(context.Background(), "gov", "certificate:Get", id); err == nil {
		prev = e.txOf(id)
	}
	r := StatusRequest{CertificateID: id, Action: action, Reason: "court order", KeyID: keyA, PrevTxID: prev}
	r.Signature = sign("dept-a", canon.KindCertificateStatus, r)
	return r
}
