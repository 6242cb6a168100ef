package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/certledger/certledger/gateway/internal/config"
	"github.com/certledger/certledger/internal/domain/workorder"
)

// Hotline controls and the calendar (issue 15), next to the ticket routes of
// tickets.go: return to intake and the intake's routing of a returned ticket, the
// paused clock (suspend / resume), the policy (automatic escalation, automatic close
// of unrated tickets, transfer limit) and the official holiday schedules.
func (s *Server) registerTicketControls(r *Router) {
	for _, a := range []string{"return", "suspend", "resume", "route"} {
		r.Add(Route{Pattern: "POST /api/v1/tickets/{id}/" + a, Roles: writerRoles, Handler: s.ticketAction(a, validateTicketControl)})
	}
	r.Add(Route{Pattern: "PUT /api/v1/workorder/config/policy", Roles: adminRoles, Handler: s.setTicketPolicy})
	r.Add(Route{Pattern: "POST /api/v1/workorder/calendar/years", Roles: adminRoles, Handler: s.loadCalendarYear})
	r.Add(Route{Pattern: "GET /api/v1/workorder/calendar/years/{year}", Handler: s.getCalendarYear})
	r.Add(Route{Pattern: "GET /api/v1/audit/sweep", Roles: []string{config.RoleAdmin, config.RoleClerk, config.RoleAuditor}, Handler: s.previewSweep})
}

// previewSweep runs workorder:Sweep without submitting it (evaluate): what a sweep
// now would do — tickets to mark, escalate or close, days to roll up — and nothing is
// ordered or written. The CLI submits (POST) only when the preview has work, so a
// sweep with nothing to do leaves no transaction at all.
//
// Who reads what (package access): a preview names tickets of every department, as
// the TicketsSwept event does. Auditors and the governance department get it whole;
// any other caller only the tickets that will be with a department it may read (its
// own, or one it supervises), and in "hidden" how many more the sweep would change,
// so it still knows whether there is work.
func (s *Server) previewSweep(w http.ResponseWriter, r *http.Request) error {
	limit, err := sweepLimit(r)
	if err != nil {
		return err
	}
	audit(r, "sweep preview")
	raw, err := s.ledger.Evaluate(r.Context(), s.org(r), "workorder:Sweep", limit)
	if err != nil {
		return err
	}
	if s.seesAll(r) {
		return writeRaw(w, http.StatusOK, raw)
	}
	out, err := s.visibleSweep(r, raw)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// visibleSweep keeps of a sweep result the tickets the caller may read (by the
// department each was with before the sweep or will be with after it: a
// department is told of its own tickets escalated away) and counts the others
// in "hidden".
func (s *Server) visibleSweep(r *http.Request, raw []byte) (map[string]any, error) {
	var res map[string]json.RawMessage
	var lists struct {
		Tickets        []string          `json:"tickets"`
		Escalated      []string          `json:"escalated"`
		AutoClosed     []string          `json:"autoClosed"`
		Accountability []string          `json:"accountability"`
		Updated        []json.RawMessage `json:"updated"`
	}
	if json.Unmarshal(raw, &res) != nil || json.Unmarshal(raw, &lists) != nil {
		return nil, fmt.Errorf("decoding sweep preview from ledger (%d bytes)", len(raw))
	}
	where := make([]struct {
		TicketID   string `json:"ticketId"`
		Department string `json:"department"`
		Was        string `json:"was"`
	}, len(lists.Updated))
	depts := make([]string, 0, 2*len(lists.Updated))
	for i, u := range lists.Updated {
		if err := json.Unmarshal(u, &where[i]); err != nil {
			return nil, fmt.Errorf("decoding sweep preview entry %d: %w", i, err)
		}
		depts = append(depts, where[i].Department)
		if where[i].Was != "" {
			depts = append(depts, where[i].Was)
		}
	}
	if err := s.dir.ensure(r.Context(), depts...); err != nil {
		return nil, err
	}
	c, pol := caller(r), s.policy()
	visible := map[string]bool{} // ticket id -> the caller may read it (lookups only)
	updated := []json.RawMessage{}
	for i, u := range lists.Updated {
		was := where[i].Was != "" && pol.Department(c, where[i].Was)
		if visible[where[i].TicketID] = was || pol.Department(c, where[i].Department); visible[where[i].TicketID] {
			updated = append(updated, u)
		}
	}
	keep := func(ids []string) []string {
		out := []string{}
		for _, v := range ids {
			if t, _, _ := strings.Cut(v, "#"); visible[t] { // accountability ids are "<ticket>#<n>"
				out = append(out, v)
			}
		}
		return out
	}
	out := make(map[string]any, len(res)+1)
	for k, v := range res {
		out[k] = v
	}
	tickets := keep(lists.Tickets)
	out["tickets"], out["updated"], out["hidden"] = tickets, updated, len(lists.Tickets)-len(tickets)
	out["escalated"], out["autoClosed"], out["accountability"] = keep(lists.Escalated), keep(lists.AutoClosed), keep(lists.Accountability)
	return out, nil
}

// validateTicketControl checks a return, suspend, resume or route body against the
// endpoint and the path's ticket. The workorder domain checks the rest again in the
// chaincode.
func validateTicketControl(action, id string, in *TicketAction) error {
	var c checks
	c.samePath("ticketId", in.TicketID, id, "ticket")
	if in.Action != "" && in.Action != action {
		c.add("action", "must be %q on this endpoint", action)
	}
	c.hash("noteHash", in.NoteHash, action == "return" || action == "suspend")
	c.dept("target", in.Target, action == "route")
	if action != "route" && in.Target != "" {
		c.add("target", "%s takes no target", action)
	}
	if in.Rating != "" || in.CommentHash != "" {
		c.add("rating", "only a rating carries rating and commentHash")
	}
	signed := in.Signature != ""
	switch {
	case action == "route" && signed:
		c.add("signature", "routing a returned ticket is the intake channel's, unsigned")
	case action == "route", action == "resume" && !signed:
		if in.Department != "" || in.KeyID != "" {
			c.add("signature", "is required when department or keyId is given")
		}
	default:
		c.dept("department", in.Department, true)
		c.hash("keyId", in.KeyID, true)
		c.required("prevTxId", in.PrevTxID)
		c.signature("signature", in.Signature)
	}
	return c.err()
}

// sweptTicket reports whether a sweep's event concerns ticket id, and where the
// ticket is now when the event says so (a sweep may mark it overdue, escalate it or
// close it unrated; events from before "updated" existed name the ids only).
func sweptTicket(payload []byte, id string) (bool, *storedTicket) {
	var sw struct {
		Tickets []string `json:"tickets"`
		Updated []struct {
			TicketID string `json:"ticketId"`
			TicketStatus
		} `json:"updated"`
	}
	if json.Unmarshal(payload, &sw) != nil || !slices.Contains(sw.Tickets, id) {
		return false, nil
	}
	for _, u := range sw.Updated {
		if u.TicketID == id {
			t := &storedTicket{TicketStatus: u.TicketStatus}
			t.ID = id
			return true, t
		}
	}
	return true, nil
}

// setTicketPolicy checks the policy (workorder.Policy.Validate) and passes it to
// workorder:SetPolicy (governance only).
func (s *Server) setTicketPolicy(w http.ResponseWriter, r *http.Request) error {
	var pol workorder.Policy
	if err := decodeJSON(r, &pol); err != nil {
		return err
	}
	if err := invalid(pol.Validate(), &checks{}); err != nil {
		return err
	}
	return s.governanceWrite(w, r, http.StatusOK, "workorder/config/policy", "set the work-order policy", "workorder:SetPolicy", mustJSON(pol))
}

// loadCalendarYear checks one year's official schedule (docs/calendar.md, the
// domain's YearSchedule rules) and passes it to workorder:LoadCalendarYear, which
// makes a new calendar version (governance only).
func (s *Server) loadCalendarYear(w http.ResponseWriter, r *http.Request) error {
	var y workorder.YearSchedule
	if err := decodeJSON(r, &y); err != nil {
		return err
	}
	if _, _, err := y.Days(); err != nil {
		return invalid(err, &checks{})
	}
	return s.governanceWrite(w, r, http.StatusOK, "workorder/calendar/"+strconv.Itoa(y.Year), "load the holiday calendar", "workorder:LoadCalendarYear", mustJSON(y))
}

// getCalendarYear answers one year's schedule and the calendar version that holds
// it. The calendar is public configuration: every authenticated caller reads it.
func (s *Server) getCalendarYear(w http.ResponseWriter, r *http.Request) error {
	year := r.PathValue("year")
	if n, err := strconv.Atoi(year); err != nil || strconv.Itoa(n) != year || n < workorder.MinScheduleYear || n > workorder.MaxScheduleYear {
		var c checks
		c.add("year", "want a year from %d to %d", workorder.MinScheduleYear, workorder.MaxScheduleYear)
		return c.err()
	}
	audit(r, "workorder/calendar/"+year)
	return s.evaluateWrite(w, r, s.org(r), "workorder:GetCalendarYear", year)
}
