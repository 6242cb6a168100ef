package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/certledger/certledger/gateway/internal/errmap"
	"github.com/certledger/certledger/internal/codes"
)

func (s *Server) registerHealth(r *Router) {
	r.Add(Route{Pattern: "GET /healthz", Public: true, Unlimited: true, Handler: s.healthz})
	r.Add(Route{Pattern: "GET /readyz", Public: true, Unlimited: true, Handler: s.readyz})
	r.Add(Route{Pattern: "GET /metrics", Public: true, Unlimited: true, Raw: s.metrics.Handler()})
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

// readyz asks the ledger a cheap question (registry:GetGovernance). Any answer
// from the chaincode, an error code included (the registry may not be initialised
// yet), means the ledger is reachable.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	_, err := s.ledger.Evaluate(ctx, s.opts.DefaultOrg, "registry:GetGovernance")
	if err != nil {
		if _, _, coded := errmap.ChaincodeCode(err); !coded {
			info(r).err = err
			return writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "code": errmap.Unavailable, "message": "ledger unreachable"})
		}
	}
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
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
