package httpapi

import (
	"net/http"

	"github.com/certledger/certledger/gateway/internal/ledgerclient"
)

// registerWhoami: who the caller is to the gateway and to the ledger.
func (s *Server) registerWhoami(r *Router) {
	r.Add(Route{Pattern: "GET /api/v1/whoami", Handler: s.whoami})
}

// Whoami is the caller as the gateway maps it: its credential label, department,
// organisation and role, and the Fabric identity its ledger calls sign as (MSP
// ID and operator id, the certificate's common name the chaincode records). The
// CLI signs the operator id into the actions it sends (docs/people.md).
type Whoami struct {
	ID         string `json:"id"`
	Department string `json:"department"`
	Org        string `json:"org"`
	Role       string `json:"role"`
	MSPID      string `json:"mspId,omitempty"`
	Operator   string `json:"operator,omitempty"`
	// OwnIdentity is false when the caller has no identity of its own and acts
	// as the organisation profile's (the ledger then cannot tell callers apart).
	OwnIdentity bool `json:"ownIdentity"`
}

func (s *Server) whoami(w http.ResponseWriter, r *http.Request) error {
	p := info(r).principal
	out := Whoami{ID: p.ID, Department: p.Department, Org: p.Org, Role: p.Role, OwnIdentity: p.Identity != ""}
	if or, ok := s.opts.Ledger.(ledgerclient.OperatorReader); ok {
		msp, op, err := or.Operator(r.Context(), p.Org)
		if err != nil {
			return err
		}
		out.MSPID, out.Operator = msp, op
	}
	return writeJSON(w, http.StatusOK, out)
}
