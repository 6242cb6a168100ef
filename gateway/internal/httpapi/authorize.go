package httpapi

import (
	"context"
	"net/http"

	"github.com/certledger/certledger/gateway/internal/access"
)

// Authorization of reads: every handler asks the access policy (package access)
// through these helpers, after decoding and validating its input and before (or,
// for records whose parties are only known once read, right after) the ledger.

// caller is the request's principal as the access policy sees it (nil: anonymous).
func caller(r *http.Request) *access.Caller {
	p := info(r).principal
	if p == nil {
		return nil
	}
	return &access.Caller{Department: p.Department, Role: p.Role}
}

// policy is the read policy over the server's department directory.
func (s *Server) policy() access.Policy {
	return access.Policy{Governance: s.opts.GovernanceDepartment, Directory: s.dir.Directory}
}

// seesAll reports whether the caller reads every record.
func (s *Server) seesAll(r *http.Request) bool { return s.policy().SeesAll(caller(r)) }

// authorizeDept lets the caller read department dept's tickets and figures. The
// directory is consulted (and read, when dept is new to it) only when the caller's
// own role and department do not settle it.
func (s *Server) authorizeDept(r *http.Request, dept string) error {
	c, pol := caller(r), s.policy()
	if pol.Department(c, dept) {
		return nil
	}
	if err := s.dir.ensure(r.Context(), dept); err != nil {
		return err
	}
	if !pol.Department(c, dept) {
		return forbidden("department %s is neither yours (%s) nor one you supervise (only auditors and the governance department read every department)", dept, department(c))
	}
	return nil
}

// mayReadTicket reports whether the caller may read a ticket that is or was with depts.
func (s *Server) mayReadTicket(ctx context.Context, c *access.Caller, depts []string) (bool, error) {
	pol := s.policy()
	if pol.Ticket(c, depts) {
		return true, nil
	}
	if c == nil {
		return false, nil
	}
	if err := s.dir.ensure(ctx, depts...); err != nil {
		return false, err
	}
	return pol.Ticket(c, depts), nil
}

// authorizeTicket lets the caller read ticket id, held now or before by depts.
func (s *Server) authorizeTicket(r *http.Request, id string, depts []string) error {
	c := caller(r)
	ok, err := s.mayReadTicket(r.Context(), c, depts)
	if err != nil {
		return err
	}
	if !ok {
		return forbidden("ticket %s is not and was not with your department %s or one it supervises", id, department(c))
	}
	return nil
}

// authorizeParty lets the caller read a grant or exchange between provider and consumer.
func (s *Server) authorizeParty(r *http.Request, what, provider, consumer string) error {
	c := caller(r)
	if !s.policy().Party(c, provider, consumer) {
		return forbidden("%s is between %s and %s; your department %s is not a party", what, provider, consumer, department(c))
	}
	return nil
}

// authorizePartyList lets a caller list grants or exchanges filtered to its own
// department (as provider or consumer); those who see all list any.
func (s *Server) authorizePartyList(r *http.Request, provider, consumer, what string) error {
	c := caller(r)
	pol := s.policy()
	if pol.SeesAll(c) || pol.Party(c, provider, "") || pol.Party(c, "", consumer) {
		return nil
	}
	d := department(c)
	return forbidden("list %s with provider=%s or consumer=%s (only auditors and the governance department list other departments' %s)", what, d, d, what)
}

func department(c *access.Caller) string {
	if c == nil {
		return "(anonymous)"
	}
	return c.Department
}
