package httpapi

import (
	"net/http"
)

func (s *Server) registerVerify(r *Router) {
	r.Add(Route{Pattern: "GET /api/v1/verify", Public: true, Handler: s.verify})
}

// verifyInput is the certificate:Verify argument.
type verifyInput struct {
	ID      string `json:"id,omitempty"`
	DocHash string `json:"docHash,omitempty"`
}

// verify runs the numbered pipeline on the ledger. A verdict other than VALID is
// still a 200: the answer is the result, not an error.
func (s *Server) verify(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	in := verifyInput{ID: q.Get("id"), DocHash: q.Get("hash")}
	var c checks
	if in.ID == "" && in.DocHash == "" {
		c.add("id, hash", "give a certificate id, a document hash (SM3 hex) or both")
	}
	c.id("id", in.ID, false)
	c.hash("hash", in.DocHash, false)
	if err := c.err(); err != nil {
		return err
	}
	switch {
	case in.ID != "":
		audit(r, "certificate/"+in.ID)
	default:
		audit(r, "hash/"+in.DocHash)
	}
	w.Header().Set("Access-Control-Allow-Origin", "*")
	return s.evaluateWrite(w, r, s.org(r), "certificate:Verify", mustJSON(in))
}
