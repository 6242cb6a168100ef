package httpapi

import (
	"net/http"
)

func (s *Server) registerVerify(r *Router) {
	r.Add(Route{Pattern: "GET /api/v1/verify", Public: true, Handler: s.verify})
	r.Add(Route{Pattern: "POST /api/v1/verify/report", Public: true, Handler: s.verifyReport})
	r.Add(Route{Pattern: "GET /api/v1/verify/report-key", Public: true, Handler: s.reportKey})
	r.Add(Route{Pattern: "GET /api/v1/certificates/{id}/anchor", Public: true, Handler: s.certificateAnchor})
	r.Add(Route{Pattern: "GET /api/v1/certificates/{id}/receipt", Public: true, Handler: s.certificateReceipt})
	r.Add(Route{Pattern: "GET /api/v1/batches/{id}/receipt", Public: true, Handler: s.batchReceipt})
}

// verifyInput is the certificate:Verify argument.
type verifyInput struct {
	ID      string `json:"id,omitempty"`
	DocHash string `json:"docHash,omitempty"`
}

// check validates a query: at least one of id and hash, each well-formed.
func (in verifyInput) check() error {
	var c checks
	if in.ID == "" && in.DocHash == "" {
		c.add("id, hash", "give a certificate id, a document hash (SM3 hex) or both")
	}
	c.id("id", in.ID, false)
	c.hash("hash", in.DocHash, false)
	return c.err()
}

func (in verifyInput) audit(r *http.Request) {
	switch {
	case in.ID != "":
		audit(r, "certificate/"+in.ID)
	default:
		audit(r, "hash/"+in.DocHash)
	}
}

// verify runs the numbered pipeline on the ledger. A verdict other than VALID is
// still a 200: the answer is the result, not an error. By hash, the answer
// lists every certificate anchoring the document (results) and its verdict
// names any disagreement between them (CONFLICTING).
func (s *Server) verify(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	in := verifyInput{ID: q.Get("id"), DocHash: q.Get("hash")}
	if err := in.check(); err != nil {
		return err
	}
	in.audit(r)
	w.Header().Set("Access-Control-Allow-Origin", "*")
	return s.answerVerify(w, r, in) // verify_model.go: the read model, else the ledger
}
