package httpapi

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/certledger/certledger/gateway/internal/errmap"
)

// probeMethods are the methods tried to tell a wrong method (405) from an unknown
// path (404).
var probeMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// catchAll are the routes that only answer 404 for unknown /api/ paths; they do
// not make a method "allowed".
var catchAll = map[string]bool{"GET /api/": true, "POST /api/": true}

// methodFallback answers a known path called with another method (which the mux
// would answer with a plain-text 405, or the /api/ catch-all with a 404) through
// the error pipeline instead: a JSON
// {code: METHOD_NOT_ALLOWED, message} with an Allow header, a request id, an
// access-log line and a metric, like every other answer. Everything else goes to mux.
func (s *Server) methodFallback(mux *http.ServeMux) http.Handler {
	wrong := s.wrap(Route{Pattern: "(method not allowed)", Public: true, Handler: methodNotAllowed(mux)})
	missing := s.wrap(Route{Pattern: "(not found)", Public: true, Handler: notFound})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, pattern := mux.Handler(r)
		switch {
		case pattern != "" && !catchAll[pattern]:
			mux.ServeHTTP(w, r)
		case len(allowedMethods(mux, r)) > 0:
			wrong.ServeHTTP(w, r)
		case pattern != "":
			mux.ServeHTTP(w, r) // the /api/ catch-all's JSON 404
		default:
			missing.ServeHTTP(w, r)
		}
	})
}

// allowedMethods lists the methods some route serves on r's path.
func allowedMethods(mux *http.ServeMux, r *http.Request) []string {
	var out []string
	probe := *r
	for _, m := range probeMethods {
		probe.Method = m
		if _, pattern := mux.Handler(&probe); pattern != "" && !catchAll[pattern] {
			out = append(out, m)
		}
	}
	return out
}

func methodNotAllowed(mux *http.ServeMux) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		allowed := strings.Join(allowedMethods(mux, r), ", ")
		w.Header().Set("Allow", allowed)
		return errmap.New(http.StatusMethodNotAllowed, errmap.MethodNotAllowed, fmt.Sprintf("%s is not served on %s; use %s", r.Method, r.URL.Path, allowed))
	}
}
