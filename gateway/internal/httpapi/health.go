package httpapi

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/certledger/certledger/gateway/internal/errmap"
	"github.com/certledger/certledger/internal/codes"
)

func (s *Server) registerHealth(r *Router) {
	r.Add(Route{Pattern: "GET /healthz", Public: true, Unlimited: true, Handler: s.healthz})
	// /readyz asks the ledger: rate-limited like other public routes, and its
	// answer is shared for ReadyTTL. /metrics is on the operations listener only.
	r.Add(Route{Pattern: "GET /readyz", Public: true, Handler: s.readyz})
	r.Add(Route{Pattern: "GET /api/v1/openapi.json", Public: true, Unlimited: true, Handler: s.openAPI})
	// Anything else under /api/ is a JSON 404 rather than the mux's text one (per
	// method: a method-less "/api/" would conflict with the web page's "GET /").
	for _, m := range []string{"GET", "POST"} {
		r.Add(Route{Pattern: m + " /api/", Public: true, Undocumented: true, Handler: notFound})
	}
}

func notFound(_ http.ResponseWriter, r *http.Request) error {
	return errmap.New(http.StatusNotFound, codes.NotFound, "no such endpoint: "+r.Method+" "+r.URL.Path)
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) error {
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// ReadyTTL is how long a readiness answer is reused: however many probes
// arrive, the ledger is asked at most once per organisation per ReadyTTL.
const ReadyTTL = time.Second

// readiness caches the last readiness check and shares a check in progress.
type readiness struct {
	mu       sync.Mutex
	at       time.Time // when err was learnt; zero: never
	err      error
	inflight chan struct{}
}

// ready returns the readiness of the ledger, from the cache when it is fresh.
func (s *Server) ready(ctx context.Context) error {
	rd := &s.readiness
	rd.mu.Lock()
	if !rd.at.IsZero() && s.opts.Now().Sub(rd.at) < ReadyTTL {
		err := rd.err
		rd.mu.Unlock()
		return err
	}
	if ch := rd.inflight; ch != nil {
		rd.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
		rd.mu.Lock()
		defer rd.mu.Unlock()
		return rd.err
	}
	ch := make(chan struct{})
	rd.inflight = ch
	rd.mu.Unlock()
	// The check belongs to every waiting probe, not to this request.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	err := s.checkReady(cctx)
	cancel()
	rd.mu.Lock()
	rd.err, rd.at, rd.inflight = err, s.opts.Now(), nil
	rd.mu.Unlock()
	close(ch)
	return err
}

// checkReady asks Options.Ready (every organisation) or, without it, the default
// organisation a cheap question (registry:GetGovernance). Any answer from the
// chaincode, an error code included (the registry may not be initialised yet),
// means the ledger is reachable.
func (s *Server) checkReady(ctx context.Context) error {
	if s.opts.Ready != nil {
		return s.opts.Ready(ctx)
	}
	_, err := s.ledger.Evaluate(ctx, s.opts.DefaultOrg, "registry:GetGovernance")
	if err != nil {
		if _, _, coded := errmap.ChaincodeCode(err); coded {
			return nil
		}
	}
	return err
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	if err := s.ready(r.Context()); err != nil {
		info(r).err = err
		w.Header().Set("Retry-After", "1")
		return writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "code": errmap.Unavailable, "message": "ledger unreachable"})
	}
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// OperationsHandler serves the operations listener (as a Fabric peer's
// operations service does): /metrics, /healthz and /readyz, for operators and
// their monitoring only. Keep it on a private address.
func (s *Server) OperationsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", s.metrics.Handler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_ = writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := s.ready(r.Context()); err != nil {
			// Operators see which organisation is not ready.
			_ = writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "code": errmap.Unavailable, "message": err.Error()})
			return
		}
		_ = writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	return mux
}

func (s *Server) openAPI(w http.ResponseWriter, _ *http.Request) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	_, err := w.Write(s.openapi)
	return err
}

// registerWeb mounts the verify page (package gateway/web) when the server has one.
func (s *Server) registerWeb(r *Router) {
	if s.opts.Web == nil {
		return
	}
	r.Add(Route{Pattern: "GET /", Public: true, Unlimited: true, Undocumented: true, Raw: s.opts.Web})
	r.Add(Route{Pattern: "GET /verify", Public: true, Unlimited: true, Undocumented: true, Raw: s.opts.Web})
}
