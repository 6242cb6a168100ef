// Package httpapi is the gateway's REST/JSON API under /api/v1: routing,
// authentication and roles, rate limiting, strict JSON input, error mapping through
// errmap, metrics, request ids and the access/audit log. Every handler goes
// route → decode → validate (validate.go: the domain's Validate and the gateway's
// own checks) → authorize (authorize.go: the read policy of package access over
// the department directory of directory.go) → ledger. Resources live in their own
// files (departments.go, certificates.go, verify.go, events.go, tickets.go and
// ticket_*.go, exchanges.go and exchange_*.go), each with a register method listed
// in routes.go; event streaming is stream.go with its limits in streams.go, and
// wrong methods are answered by methods.go.
package httpapi

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"

	"github.com/certledger/certledger/gateway/internal/auth"
	"github.com/certledger/certledger/gateway/internal/coalesce"
	"github.com/certledger/certledger/gateway/internal/config"
	"github.com/certledger/certledger/gateway/internal/envelope"
	"github.com/certledger/certledger/gateway/internal/errmap"
	"github.com/certledger/certledger/gateway/internal/ledgerclient"
	"github.com/certledger/certledger/gateway/internal/metrics"
	"github.com/certledger/certledger/gateway/internal/trustsvc"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/exchange"
	"github.com/certledger/certledger/internal/domain/period"
)

// Options configure a Server. Ledger, Auth and DefaultOrg are required.
type Options struct {
	Ledger ledgerclient.Ledger
	Auth   *auth.Authenticator
	// DefaultOrg is the organisation whose identity evaluates anonymous (public) reads.
	DefaultOrg string
	// GovernanceDepartment, if set, is the only department whose admins may
	// register departments and add or rotate keys.
	GovernanceDepartment string
	Metrics              *metrics.Metrics // nil: a new one
	Logger               *slog.Logger     // nil: slog.Default()
	BodyLimit            int64            // 0: 1 MiB
	RateLimit            config.RateLimit // PerSecond 0: no limit
	MVCCRetries          int
	// MVCCBackoff is the base wait between MVCC retries (0: 25ms); attempt n waits
	// n*MVCCBackoff plus up to MVCCBackoff of jitter.
	MVCCBackoff time.Duration
	// PublicURL is the external base URL (OpenAPI servers entry).
	PublicURL string
	// Heartbeat is the interval of SSE keep-alive comments (0: 15s).
	Heartbeat time.Duration
	// Web, if set, serves the verify page at / and /verify (package gateway/web).
	Web http.Handler
	// Trust, if set, serves and accepts the governance-signed trust bundle (trust.go).
	Trust *trustsvc.Store
	// Coalesce, if set, groups concurrent single issues into grouped
	// transactions (package coalesce, coalesce.go).
	Coalesce *coalesce.Options
	// VerifyModel, if set, answers GET /api/v1/verify from the gateway's read
	// model while it keeps up with the ledger (verify_model.go).
	VerifyModel VerifyModel
	// ReportKey, if set, signs verification reports (report.go).
	ReportKey *ReportKey
	// Now is the clock of the rate limiter and the readiness cache (nil: time.Now).
	Now func() time.Time
	// TimeZone is the deployment's time zone: period dates are whole days in it
	// (nil: period.DefaultZone, Asia/Shanghai).
	TimeZone *time.Location
	// Ready, if set, is the readiness check of /readyz (ledgerclient.Fabric.Ready:
	// every organisation); nil evaluates registry:GetGovernance as DefaultOrg.
	Ready func(ctx context.Context) error
	// MaxStreamsPerCaller caps the event streams one token, client certificate or
	// (anonymous) client address holds open at once (0: DefaultMaxStreamsPerCaller).
	MaxStreamsPerCaller int
	// MaxReplays caps the streams that replay from a past block at once, over all
	// callers (0: DefaultMaxReplays).
	MaxReplays int
	// MaxReplayBlocks is how far behind the newest block a replay may start
	// (0: DefaultMaxReplayBlocks).
	MaxReplayBlocks int
	// Envelopes is the exchange envelope store (nil: an in-memory one).
	Envelopes *envelope.Store
	// EnvelopeLimit is the largest envelope a PUT accepts (0: exchange.MaxEnvelopeSize).
	EnvelopeLimit int64
	// BatchDir is the batch file store (a directory, possibly shared by several
	// gateways); "" disables batch file uploads (see batches.go).
	BatchDir string
	// BatchStored, if set, is told the SM3 of each batch file the store accepts,
	// within the request that completed it (the read model then indexes the
	// batches waiting for that file).
	BatchStored func(fileHash string)
	// PrepareBatch, if set, reads a complete staged batch file (r) while the
	// store checks it, and prepares its indexing (the read model's
	// readmodel.Model.PrepareBatch): commit puts it in once the store has
	// accepted the file, discard drops it otherwise. An error means "not
	// prepared" (BatchStored's indexing then does the work).
	PrepareBatch func(batchID string, r io.Reader) (commit func() error, discard func(), err error)
}

// Server is the HTTP API. Create with New; serve Handler().
type Server struct {
	opts    Options
	ledger  ledgerclient.Ledger
	metrics *metrics.Metrics
	log     *slog.Logger
	limiter *limiter
	routes  []Route
	openapi []byte
	// dir is the department directory of the read policy (package access).
	dir     *directory
	streams *streamLimits
	handler http.Handler
	// coalescer groups single issues (nil: one transaction each).
	coalescer *coalesce.Coalescer
	// closing is closed by CloseStreams: long-lived event streams end so that a
	// graceful shutdown doesn't wait for them.
	closing   chan struct{}
	closeOnce sync.Once
	// heights keeps the channel description signed reports state (report.go).
	heights   heightCache
	readiness readiness
}

// New builds the server and its routes, and assembles the OpenAPI document.
func New(o Options) (*Server, error) {
	if o.Ledger == nil || o.Auth == nil || o.DefaultOrg == "" {
		return nil, errors.New("httpapi: Ledger, Auth and DefaultOrg are required")
	}
	if o.Metrics == nil {
		o.Metrics = metrics.New()
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.BodyLimit <= 0 {
		o.BodyLimit = 1 << 20
	}
	if o.MVCCBackoff <= 0 {
		o.MVCCBackoff = 25 * time.Millisecond
	}
	if o.Heartbeat <= 0 {
		o.Heartbeat = 15 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.TimeZone == nil {
		o.TimeZone = period.MustZone(period.DefaultZone)
	}
	if o.Envelopes == nil {
		st, err := envelope.Open("", 0)
		if err != nil {
			return nil, err
		}
		o.Envelopes = st
	}
	if o.EnvelopeLimit <= 0 || o.EnvelopeLimit > exchange.MaxEnvelopeSize {
		o.EnvelopeLimit = exchange.MaxEnvelopeSize
	}
	s := &Server{
		opts:    o,
		ledger:  o.Metrics.Ledger(o.Ledger),
		metrics: o.Metrics,
		log:     o.Logger,
		limiter: newLimiter(o.RateLimit.PerSecond, o.RateLimit.Burst, o.Now),
		closing: make(chan struct{}),
		streams: newStreamLimits(o.MaxStreamsPerCaller, o.MaxReplays, o.MaxReplayBlocks),
	}
	if o.Coalesce != nil {
		s.coalescer = coalesce.New(s.submit, *o.Coalesce)
	}
	s.dir = newDirectory(s.ledger, o.DefaultOrg, o.Now)
	mux := http.NewServeMux()
	rt := &Router{s: s, mux: mux}
	for _, register := range s.registrars() {
		register(rt)
	}
	doc, err := assembleOpenAPI(o.PublicURL)
	if err != nil {
		return nil, err
	}
	s.openapi = doc
	s.handler = s.bodyLimit(s.methodFallback(mux))
	return s, nil
}

// bodyLimit caps request bodies: BodyLimit for every route, EnvelopeLimit for
// envelope uploads (an envelope is the one large body the API takes).
func (s *Server) bodyLimit(next http.Handler) http.Handler {
	small := http.MaxBytesHandler(next, s.opts.BodyLimit)
	large := http.MaxBytesHandler(next, s.opts.EnvelopeLimit)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, envelopePathPrefix) {
			large.ServeHTTP(w, r)
			return
		}
		small.ServeHTTP(w, r)
	})
}

// Handler is the root HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// CloseStreams ends every open event stream (and refuses new ones); call it when
// shutting down, before or with http.Server.Shutdown.
func (s *Server) CloseStreams() { s.closeOnce.Do(func() { close(s.closing) }) }

// Routes lists the registered routes.
func (s *Server) Routes() []Route { return append([]Route(nil), s.routes...) }

// HandlerFunc is a JSON endpoint: it writes its success response itself and
// returns an error for anything else, which errmap.Map turns into the answer.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Route is one endpoint.
type Route struct {
	// Pattern is a ServeMux pattern with a method: "GET /api/v1/departments/{id}".
	Pattern string
	// Public routes accept anonymous callers (rate-limited per client address);
	// other routes need a token or client certificate.
	Public bool
	// Roles allowed on a non-public route; empty means any authenticated caller.
	Roles []string
	// Unlimited exempts a public route from the rate limit (health, page assets).
	Unlimited bool
	// Undocumented routes are left out of the OpenAPI document (the web page).
	Undocumented bool
	// Handler serves JSON; Raw serves anything else (metrics, the web page).
	Handler HandlerFunc
	Raw     http.Handler
}

// The role sets of routes that write: department administrators and clerks, and
// administrators alone.
var (
	writerRoles = []string{config.RoleAdmin, config.RoleClerk}
	adminRoles  = []string{config.RoleAdmin}
)

// Router is what register methods add routes to.
type Router struct {
	s   *Server
	mux *http.ServeMux
}

// Add registers a route with the whole pipeline: request id, panic recovery,
// metrics, authentication, roles or rate limit, error mapping and the access log.
func (rt *Router) Add(r Route) {
	s := rt.s
	s.routes = append(s.routes, r)
	rt.mux.Handle(r.Pattern, s.wrap(r))
}

type ctxKey struct{}

// reqInfo is what the access log reports about a request; handlers fill in the
// record and transaction they touched.
type reqInfo struct {
	id        string
	clientIP  string
	principal *auth.Principal
	record    string
	txID      string
	block     uint64
	err       error
}

func info(r *http.Request) *reqInfo {
	if ri, ok := r.Context().Value(ctxKey{}).(*reqInfo); ok {
		return ri
	}
	return &reqInfo{}
}

// audit notes which record (and, for writes, which transaction) a request touched.
func audit(r *http.Request, record string) { info(r).record = record }

func auditTx(r *http.Request, res *ledgerclient.Result) {
	if res != nil {
		ri := info(r)
		ri.txID, ri.block = res.TxID, res.BlockNumber
	}
}

func (s *Server) wrap(route Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ri := &reqInfo{id: requestID(r), clientIP: clientIP(r, s.opts.RateLimit.TrustProxy)}
		r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, ri))
		w.Header().Set("X-Request-Id", ri.id)
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if e, ok := p.(error); ok && errors.Is(e, http.ErrAbortHandler) {
					panic(p)
				}
				ri.err = fmt.Errorf("panic: %v", p)
				if !sw.wrote {
					s.writeProblem(sw, r, ri.err)
				}
			}
			d := time.Since(start)
			s.metrics.ObserveRequest(route.Pattern, r.Method, sw.statusCode(), d)
			s.accessLog(r, route, ri, sw.statusCode(), d)
		}()
		if err := s.admit(r, route, ri); err != nil {
			ri.err = err
			if ri.principal != nil && ri.record == "" {
				// A caller refused by role (an auditor trying a write, say):
				// the access log still names the record it aimed at.
				ri.record = requestRecord(route.Pattern, r)
			}
			s.writeProblem(sw, r, err)
			return
		}
		if p := ri.principal; p != nil && p.Identity != "" {
			// Every ledger call of this request signs as the caller's own identity.
			r = r.WithContext(ledgerclient.WithIdentity(r.Context(), p.Identity))
		}
		if route.Raw != nil {
			route.Raw.ServeHTTP(sw, r)
			return
		}
		if err := route.Handler(sw, r); err != nil {
			ri.err = err
			if !sw.wrote {
				s.writeProblem(sw, r, err)
			}
		}
	})
}

// admit authenticates the caller and applies roles or the rate limit.
func (s *Server) admit(r *http.Request, route Route, ri *reqInfo) error {
	p, err := s.opts.Auth.Authenticate(r)
	if err != nil {
		return &errmap.Error{Status: http.StatusUnauthorized, Code: errmap.Unauthenticated, Msg: err.Error()}
	}
	ri.principal = p
	if p == nil {
		if !route.Public {
			return errmap.New(http.StatusUnauthorized, errmap.Unauthenticated, "this endpoint needs a bearer token or client certificate")
		}
		if !route.Unlimited {
			if ok, wait := s.limiter.allow(ri.clientIP); !ok {
				s.metrics.RateLimited.Inc()
				return &errmap.Error{Status: http.StatusTooManyRequests, Code: errmap.RateLimited, Msg: "too many requests from this address", RetryAfter: wait}
			}
		}
		return nil
	}
	if !route.Public && !p.HasRole(route.Roles...) {
		return errmap.New(http.StatusForbidden, codes.Forbidden, fmt.Sprintf("role %s may not call %s", p.Role, route.Pattern))
	}
	return nil
}

func (s *Server) accessLog(r *http.Request, route Route, ri *reqInfo, status int, d time.Duration) {
	attrs := []slog.Attr{
		slog.String("request_id", ri.id),
		slog.String("route", route.Pattern),
		slog.Int("status", status),
		slog.Float64("duration_ms", float64(d.Microseconds())/1000),
		slog.String("client_ip", ri.clientIP),
	}
	if p := ri.principal; p != nil {
		attrs = append(attrs, slog.String("who", p.ID), slog.String("department", p.Department), slog.String("role", p.Role))
	} else {
		attrs = append(attrs, slog.String("who", "anonymous"))
	}
	if ri.record != "" {
		attrs = append(attrs, slog.String("record", ri.record))
	}
	if ri.txID != "" {
		attrs = append(attrs, slog.String("tx_id", ri.txID), slog.Uint64("block", ri.block))
	}
	level := slog.LevelInfo
	if ri.err != nil {
		p := errmap.Map(ri.err)
		attrs = append(attrs, slog.String("code", p.Code))
		if status >= 500 {
			level = slog.LevelError
			attrs = append(attrs, slog.String("error", ri.err.Error()))
			var ce *client.CommitError
			if errors.As(ri.err, &ce) {
				attrs = append(attrs, slog.String("validation_code", ce.Code.String()), slog.String("failed_tx_id", ce.TransactionID))
			}
		}
	}
	s.log.LogAttrs(r.Context(), level, "access", attrs...)
}

// submit is Ledger.Submit with bounded retries of MVCC / phantom read conflicts
// (each retry is a new transaction, endorsed against the new state).
func (s *Server) submit(ctx context.Context, org, fn string, args ...string) (*ledgerclient.Result, error) {
	for attempt := 0; ; attempt++ {
		res, err := s.ledger.Submit(ctx, org, fn, args...)
		if res != nil {
			s.streams.seen(res.BlockNumber)
		}
		if err == nil || !errmap.IsRetryable(err) || attempt >= s.opts.MVCCRetries {
			return res, err
		}
		s.metrics.MVCCRetries.Inc()
		wait := time.Duration(attempt+1)*s.opts.MVCCBackoff + rand.N(s.opts.MVCCBackoff)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// org returns the organisation that acts for the request: the caller's, else the default.
func (s *Server) org(r *http.Request) string {
	if p := info(r).principal; p != nil {
		return p.Org
	}
	return s.opts.DefaultOrg
}

func requestID(r *http.Request) string {
	if id := r.Header.Get("X-Request-Id"); id != "" && len(id) <= 64 && safeID(id) {
		return id
	}
	var b [8]byte
	_, _ = crand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func safeID(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '-' && c != '_' && c != '.' {
			return false
		}
	}
	return true
}

// statusWriter remembers the status for metrics and logs; Unwrap lets
// http.ResponseController reach Flush and SetWriteDeadline.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.status, w.wrote = http.StatusOK, true
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) statusCode() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}
