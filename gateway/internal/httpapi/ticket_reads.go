package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// Ticket reads: route → validate → authorize (package access, by the departments
// the ticket is or was with) → ledger.

// fetchTicket reads a ticket as org.
func (s *Server) fetchTicket(ctx context.Context, org, id string) (*storedTicket, []byte, error) {
	raw, err := s.ledger.Evaluate(ctx, org, "workorder:Get", id)
	if err != nil {
		return nil, nil, err
	}
	var t storedTicket
	if err := json.Unmarshal(raw, &t); err != nil {
		return nil, nil, fmt.Errorf("decoding ticket %s from ledger: %w", id, err)
	}
	return &t, raw, nil
}

// readableTicket reads ticket id and checks that the caller may see it.
func (s *Server) readableTicket(r *http.Request, id string) ([]byte, error) {
	t, raw, err := s.fetchTicket(r.Context(), s.org(r), id)
	if err != nil {
		return nil, err
	}
	if err := s.authorizeTicket(r, id, t.departments()); err != nil {
		return nil, err
	}
	return raw, nil
}

func (s *Server) getTicket(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	audit(r, "ticket/"+id)
	raw, err := s.readableTicket(r, id)
	if err != nil {
		return err
	}
	return writeRaw(w, http.StatusOK, raw)
}

func (s *Server) traceTicket(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	audit(r, "ticket/"+id+"/trace")
	if _, err := s.readableTicket(r, id); err != nil {
		return err
	}
	return s.evaluateWrite(w, r, s.org(r), "workorder:Trace", id)
}

// pageQuery reads pageSize and bookmark (as the chaincode takes them).
func pageQuery(r *http.Request, c *checks) (pageSize, bookmark string) {
	v := r.URL.Query()
	if ps := v.Get("pageSize"); ps != "" {
		if n, err := strconv.Atoi(ps); err != nil || n < 1 || n > 500 {
			c.add("pageSize", "want an integer from 1 to 500")
		}
		pageSize = ps
	}
	if b := v.Get("bookmark"); b != "" {
		if len(b) > 1024 {
			c.add("bookmark", "too long")
		}
		bookmark = b
	}
	return pageSize, bookmark
}

func (s *Server) listTickets(w http.ResponseWriter, r *http.Request) error {
	v := r.URL.Query()
	var c checks
	dept, state := v.Get("department"), v.Get("state")
	c.dept("department", dept, true)
	if state != "" {
		c.oneOf("state", state, ticketStates...)
	}
	ps, bm := pageQuery(r, &c)
	if err := c.err(); err != nil {
		return err
	}
	audit(r, "tickets?"+r.URL.RawQuery)
	if err := s.authorizeDept(r, dept); err != nil {
		return err
	}
	return s.evaluateWrite(w, r, s.org(r), "workorder:ListByDepartment", dept, state, ps, bm)
}

func (s *Server) listOverdue(w http.ResponseWriter, r *http.Request) error {
	var c checks
	dept := r.URL.Query().Get("department")
	c.dept("department", dept, false)
	ps, bm := pageQuery(r, &c)
	if err := c.err(); err != nil {
		return err
	}
	audit(r, "overdue?"+r.URL.RawQuery)
	if dept == "" && !s.seesAll(r) {
		return forbidden("name a department (only auditors and the governance department list every department's overdue tickets)")
	}
	if dept != "" {
		if err := s.authorizeDept(r, dept); err != nil {
			return err
		}
	}
	return s.evaluateWrite(w, r, s.org(r), "workorder:ListOverdue", dept, ps, bm)
}

// departmentPeriodRead answers chaincode function fn for one department over a
// period (from, to; then pageSize and bookmark when paged): the department and
// the period are required, and the caller must be allowed to read the
// department. name is the access log's resource.
func (s *Server) departmentPeriodRead(name, fn string, paged bool) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var c checks
		dept := r.URL.Query().Get("department")
		c.dept("department", dept, true)
		from, to := s.period(r, &c, true)
		args := []string{dept, from, to}
		if paged {
			ps, bm := pageQuery(r, &c)
			args = append(args, ps, bm)
		}
		if err := c.err(); err != nil {
			return err
		}
		audit(r, name+"?"+r.URL.RawQuery)
		if err := s.authorizeDept(r, dept); err != nil {
			return err
		}
		return s.evaluateWrite(w, r, s.org(r), fn, args...)
	}
}

func (s *Server) ticketConfig(w http.ResponseWriter, r *http.Request) error {
	audit(r, "workorder/config")
	return s.evaluateWrite(w, r, s.org(r), "workorder:GetConfig")
}
