package httpapi

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/certledger/certledger/gateway/internal/auth"
	"github.com/certledger/certledger/gateway/internal/config"
	"github.com/certledger/certledger/gateway/internal/ledgerclient/ledgertest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Tokens of the test configuration.
const (
	govAdmin  = "gov-admin-token"
	aAdmin    = "a-admin-token"
	aClerk    = "a-clerk-token"
	aAuditor  = "a-auditor-token"
	bClerk    = "b-clerk-token"
	hashA     = "a3f1a1c2b0d59cd8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4"
	hashB     = "b3f1a1c2b0d59cd8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4"
	keyA      = "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00"
	commitA   = "d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0"
	sigB64    = "MAYCAQECAQE=" // DER SEQUENCE{INTEGER 1, INTEGER 1}
	pubKeyPEM = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoEcz1UBgi0DQgAE\n-----END PUBLIC KEY-----\n"
)

type env struct {
	t    *testing.T
	fake *ledgertest.Fake
	cc   *fakeChaincode
	srv  *Server
	logs *syncBuffer
	now  time.Time
	mu   sync.Mutex
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
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

func newEnv(t *testing.T, mutate func(*Options)) *env {
	t.Helper()
	e := &env{t: t, fake: ledgertest.New(), logs: &syncBuffer{}, now: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)}
	e.cc = installFakeChaincode(e.fake)
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
	if mutate != nil {
		mutate(&o)
	}
	srv, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	return e
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
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req := httptest.NewRequest(method, path, rd)
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

func certRecord(id, issuer string) CertificateRecord {
	return CertificateRecord{
		ID: id, DocHash: hashA, Type: "business-licence", Issuer: issuer, HolderCommitment: commitA,
		ValidFrom: "2026-11-28T00:00:00Z", ValidUntil: "2031-11-28T00:00:00Z", KeyID: keyA, Signature: sigB64,
	}
}

func statusReq(id, action string) StatusRequest {
	return StatusRequest{CertificateID: id, Action: action, Reason: "court order", KeyID: keyA, PrevTxID: "tx0001", Signature: sigB64}
}
