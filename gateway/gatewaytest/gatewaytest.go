// Package gatewaytest is the gateway's test support; production code never imports it.
//
// New serves the real gateway HTTP API (gateway/internal/httpapi,
// with a real authentication config: bearer tokens per department and role) over the
// real chaincode on an in-memory ledger (package ccledger), through httptest. CLI and
// end-to-end tests talk to it as they would to a deployed gateway; nothing of the
// chaincode or of the gateway is re-implemented.
//
//	gw := gatewaytest.New(t)                                  // "gov" registered, tokens ready
//	a := gw.Department(t, gatewaytest.Dept{ID: "dept-a"})     // registered, with an SM2 key
//	r := gw.Do(t, "GET", "/api/v1/departments/dept-a", gw.Token("dept-a", gatewaytest.Clerk), nil)
//
// Tokens: Token(dept, role) for each department and role (admin, clerk, auditor);
// GovToken is the governance department's administrator, AuditorToken an auditor who
// reads every department, "" the anonymous public. Faults (MVCC conflicts, timeouts,
// an unreachable ledger, an answer lost after the commit) are injected with FailNext,
// LoseNext and SetHook.
//
// Start runs, in one process, a devnet (network/devnet) with the real chaincode, the
// Fabric ledger client over its connection profiles and the gateway on loopback
// ports: for end-to-end tests and the load tool (see stack.go).
package gatewaytest

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"

	"github.com/certledger/certledger/gateway/gatewaytest/ccledger"
	"github.com/certledger/certledger/gateway/internal/auth"
	"github.com/certledger/certledger/gateway/internal/config"
	"github.com/certledger/certledger/gateway/internal/httpapi"
	"github.com/certledger/certledger/gateway/internal/ledgerclient/faultledger"
	"github.com/certledger/certledger/gateway/internal/metrics"
	"github.com/certledger/certledger/gateway/internal/trustsvc"
	"github.com/certledger/certledger/internal/testkit"
)

// Roles of a token.
const (
	Admin   = config.RoleAdmin
	Clerk   = config.RoleClerk
	Auditor = config.RoleAuditor
)

// GovDept is the governance department: its admins register departments and keys,
// and it is the work-order intake channel. It submits as ccledger.GovOrg (GovMSP), the
// registry's governance; it has tokens but is not a registered department.
const GovDept = "gov"

// Dept describes a department to register (see ccledger.Dept).
type Dept = ccledger.Dept

// Department is a registered department with its SM2 key (see ccledger.Department).
type Department = ccledger.Department

// Server is a running gateway over the real chaincode.
type Server struct {
	// URL is the base URL of the gateway ("http://127.0.0.1:port").
	URL string
	// Ledger is the real chaincode on the in-memory ledger (clock, state, blocks).
	Ledger *ccledger.Ledger

	t       testing.TB
	ts      *httptest.Server
	faults  *faultledger.Ledger
	metrics *metrics.Metrics
	logs    *testkit.SyncBuffer
	api     func(*httpapi.Options)

	mu      sync.Mutex
	cfg     config.Config
	trust   *trustsvc.Store
	depts   map[string]Department
	servers []*httpapi.Server
	handler atomic.Pointer[http.Handler]
}

// Option configures New.
type Option func(*settings)

type settings struct {
	ledger []ccledger.Option
	api    func(*httpapi.Options)
}

// At freezes the ledger's clock at t (Server.Ledger.Advance moves it); the default
// is the wall clock.
func At(t time.Time) Option {
	return func(s *settings) { s.ledger = append(s.ledger, ccledger.At(t)) }
}

// WithAPI changes the httpapi options before each build of the server (rate limit,
// heartbeat, body limit, ...). For tests of the gateway itself.
func WithAPI(f func(*httpapi.Options)) Option { return func(s *settings) { s.api = f } }

// WithReportKey has the gateway sign verification reports (POST
// /api/v1/verify/report) as gateway id with key.
func WithReportKey(id string, key *sm2.PrivateKey) Option {
	return func(s *settings) {
		prev := s.api
		s.api = func(o *httpapi.Options) {
			if prev != nil {
				prev(o)
			}
			o.ReportKey = &httpapi.ReportKey{ID: id, Key: key}
		}
	}
}

// New starts a gateway whose ledger has the registry initialised and the governance
// department GovDept registered. It stops when the test ends.
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	var st settings
	for _, o := range opts {
		o(&st)
	}
	l := ccledger.New(t, st.ledger...)
	s := &Server{
		Ledger: l, t: t, faults: faultledger.Wrap(l), metrics: metrics.New(), logs: &testkit.SyncBuffer{}, api: st.api,
		cfg: config.Defaults(), depts: map[string]Department{},
	}
	s.cfg.GovernanceDepartment = GovDept
	s.cfg.RateLimit = config.RateLimit{} // tests send bursts of public reads
	s.cfg.MVCCRetries = 3
	s.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		(*s.handler.Load()).ServeHTTP(w, r)
	}))
	s.URL = s.ts.URL
	t.Cleanup(s.Close)
	s.Department(t, Dept{ID: GovDept, Org: ccledger.GovOrg, MSP: ccledger.GovMSP, Unregistered: true})
	return s
}

// Trust makes the gateway serve and accept trust bundles signed by the governance
// key whose fingerprint is pin (GET and PUT /api/v1/trust; an empty store at first).
func (s *Server) Trust(t testing.TB, pin string) {
	t.Helper()
	st, err := trustsvc.Open(filepath.Join(t.TempDir(), "trust.json"), pin)
	if err != nil {
		t.Fatalf("gatewaytest: trust store: %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.trust = st
	s.rebuild(t)
}

// Close ends event streams and stops the server (also done at the end of the test).
func (s *Server) Close() {
	s.mu.Lock()
	for _, api := range s.servers {
		api.CloseStreams()
	}
	s.mu.Unlock()
	s.ts.CloseClientConnections()
	s.ts.Close()
}

// Department registers d on the ledger (unless d.Unregistered) and gives it an
// organisation and a token per role.
func (s *Server) Department(t testing.TB, d Dept) Department {
	t.Helper()
	dep := s.Ledger.Department(t, d)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.depts[dep.ID] = dep
	if !s.hasOrg(dep.Org) {
		s.cfg.Orgs = append(s.cfg.Orgs, config.Org{Name: dep.Org, Profile: "ccledger:" + dep.MSP})
	}
	for _, role := range []string{Admin, Clerk, Auditor} {
		p := config.Principal{Department: dep.ID, Org: dep.Org, Role: role}
		if role != Admin {
			// Clerks and auditors sign with identities of their own, as `make up`
			// gives them; the in-memory ledger names such an identity by its
			// operator id (Operator).
			p.Identity = &config.Identity{Cert: Operator(dep.ID, role), Key: "in-memory"}
		}
		s.cfg.Tokens = append(s.cfg.Tokens, config.Token{ID: dep.ID + "-" + role, SHA256: config.HashToken(s.Token(dep.ID, role)), Principal: p})
	}
	s.rebuild(t)
	return dep
}

func (s *Server) hasOrg(name string) bool {
	for _, o := range s.cfg.Orgs {
		if o.Name == name {
			return true
		}
	}
	return false
}

// rebuild builds the HTTP API for the current config (the authenticator is immutable,
// so a new department means a new server; open streams stay on the old one).
func (s *Server) rebuild(t testing.TB) {
	t.Helper()
	cfg := s.cfg
	cfg.Tokens = append([]config.Token(nil), s.cfg.Tokens...)
	if err := cfg.Validate(); err != nil {
		t.Fatalf("gatewaytest: config: %v", err)
	}
	o := httpapi.Options{
		Ledger:               s.faults,
		Auth:                 auth.New(&cfg),
		DefaultOrg:           ccledger.GovOrg,
		GovernanceDepartment: cfg.GovernanceDepartment,
		Metrics:              s.metrics,
		Logger:               slog.New(slog.NewJSONHandler(s.logs, nil)),
		BodyLimit:            cfg.BodyLimit,
		RateLimit:            cfg.RateLimit,
		MVCCRetries:          cfg.MVCCRetries,
		MVCCBackoff:          time.Millisecond,
		PublicURL:            s.URL,
		Trust:                s.trust,
	}
	if s.api != nil {
		s.api(&o)
	}
	api, err := httpapi.New(o)
	if err != nil {
		t.Fatalf("gatewaytest: %v", err)
	}
	s.servers = append(s.servers, api)
	h := api.Handler()
	s.handler.Store(&h)
}

// Dept returns a department registered through Department.
func (s *Server) Dept(id string) Department {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.depts[id]
	if !ok {
		s.t.Fatalf("gatewaytest: no department %s", id)
	}
	return d
}

// Token is the bearer token of role (Admin, Clerk, Auditor) of department dept:
// "tok-<dept>-<role>", valid once the department was added with Department.
func (s *Server) Token(dept, role string) string { return "tok-" + dept + "-" + role }

// Operator is the operator id the ledger records for the clerk or auditor token of
// department dept (Token(dept, role)), e.g. "clerk@dept-a". Admin tokens act as
// the organisation's shared identity, "gateway.<org>".
func Operator(dept, role string) string { return role + "@" + dept }

// GovToken is the governance department's administrator.
func (s *Server) GovToken() string { return s.Token(GovDept, Admin) }

// AuditorToken is an auditor, who reads every department's records.
func (s *Server) AuditorToken() string { return s.Token(GovDept, Auditor) }

// Logs is the gateway's log so far (JSON lines; the access log included).
func (s *Server) Logs() string { return s.logs.String() }

// FailNext makes the next len(errs) ledger calls of fn ("contract:Function") fail
// with errs, in order, before they reach the ledger.
func (s *Server) FailNext(fn string, errs ...error) { s.faults.FailNext(fn, errs...) }

// LoseNext makes the next successful submits of fn commit and then fail with errs.
func (s *Server) LoseNext(fn string, errs ...error) { s.faults.LoseNext(fn, errs...) }

// SetHook sets (nil: removes) a function that sees every ledger call (op "evaluate"
// or "submit", fn, args) before the ledger does; an error it returns fails the call.
func (s *Server) SetHook(h func(op, fn string, args []string) error) {
	if h == nil {
		s.faults.SetHook(nil)
		return
	}
	s.faults.SetHook(func(c faultledger.Call) error { return h(c.Op, c.Fn, c.Args) })
}

// CountCalls counts the ledger calls of fn with op ("evaluate", "submit"; "" = any).
func (s *Server) CountCalls(op, fn string) int { return s.faults.CountCalls(op, fn) }

// Faults is the fault injector between the HTTP API and the ledger (its Calls record
// every call with its organisation and arguments).
func (s *Server) Faults() *faultledger.Ledger { return s.faults }

// MVCCConflict, Timeout and Unavailable are ledger failures as Fabric reports them.
var (
	MVCCConflict = faultledger.MVCCConflict
	Timeout      = faultledger.Timeout
	Unavailable  = faultledger.Unavailable
)

// Do sends a request with token ("" = anonymous); body is nil, a string sent as is,
// or a value sent as JSON. hdr are extra header name/value pairs.
func (s *Server) Do(t testing.TB, method, path, token string, body any, hdr ...string) *Response {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, testkit.Body(t, body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := s.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = res.Body.Close() }()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return &Response{Status: res.StatusCode, Header: res.Header, Body: b}
}

// Must is Do that fails the test unless the answer has status want; it decodes the
// body into v (nil: ignored).
func (s *Server) Must(t testing.TB, want int, v any, method, path, token string, body any) *Response {
	t.Helper()
	r := s.Do(t, method, path, token, body)
	if r.Status != want {
		t.Fatalf("%s %s: %d, want %d: %s", method, path, r.Status, want, r.Body)
	}
	if v != nil {
		if err := r.JSON(v); err != nil {
			t.Fatalf("%s %s: body %q: %v", method, path, r.Body, err)
		}
	}
	return r
}
