package httpapi

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/certledger/certledger/gateway/internal/config"
)

// Hotline controls and the calendar (issue 15), next to the ticket routes of
// tickets.go: return to intake and the intake's routing of a returned ticket, the
// paused clock (suspend / resume), the policy (automatic escalation, automatic close
// of unrated tickets, transfer limit) and the official holiday schedules.
func (s *Server) registerTicketControls(r *Router) {
	writers := []string{config.RoleAdmin, config.RoleClerk}
	for _, a := range []string{"return", "suspend", "resume", "route"} {
		r.Add(Route{Pattern: "POST /api/v1/tickets/{id}/" + a, Roles: writers, Handler: s.ticketControl(a)})
	}
	r.Add(Route{Pattern: "PUT /api/v1/workorder/config/policy", Roles: []string{config.RoleAdmin}, Handler: s.setTicketPolicy})
	r.Add(Route{Pattern: "POST /api/v1/workorder/calendar/years", Roles: []string{config.RoleAdmin}, Handler: s.loadCalendarYear})
	r.Add(Route{Pattern: "GET /api/v1/workorder/calendar/years/{year}", Handler: s.getCalendarYear})
	r.Add(Route{Pattern: "GET /api/v1/audit/sweep", Roles: []string{config.RoleAdmin, config.RoleClerk, config.RoleAuditor}, Handler: s.previewSweep})
}

// previewSweep runs workorder:Sweep without submitting it (evaluate): what a sweep
// now would do — tickets to mark, escalate or close, days to roll up — and nothing is
// ordered or written. The CLI submits (POST) only when the preview has work, so a
// sweep with nothing to do leaves no transaction at all.
func (s *Server) previewSweep(w http.ResponseWriter, r *http.Request) error {
	limit := r.URL.Query().Get("limit")
	if limit != "" {
		if n, err := strconv.Atoi(limit); err != nil || n < 1 || n > 1000 {
			return badRequest("limit: want an integer from 1 to 1000")
		}
	}
	audit(r, "sweep preview")
	return s.evaluateWrite(w, r, info(r).principal.Org, "workorder:Sweep", limit)
}

// ticketControl handles return and suspend (the assigned department, signed, a reason
// required), resume (the assigned department signed, or the intake channel unsigned
// when the citizen answered) and route (the intake channel, unsigned, target required).
func (s *Server) ticketControl(action string) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var in TicketAction
		id, err := pathIDAndBody(r, &in)
		if err != nil {
			return err
		}
		var f fieldErrors
		if in.TicketID != id {
			f.add("ticketId", "must equal the ticket in the path (%s)", id)
		}
		if in.Action != "" && in.Action != action {
			f.add("action", "must be %q on this endpoint", action)
		}
		f.hash("noteHash", in.NoteHash, action == "return" || action == "suspend")
		f.id("target", in.Target, action == "route")
		if action != "route" && in.Target != "" {
			f.add("target", "%s takes no target", action)
		}
		if in.Rating != "" || in.CommentHash != "" {
			f.add("rating", "only a rating carries rating and commentHash")
		}
		signed := in.Signature != ""
		switch {
		case action == "route" && signed:
			f.add("signature", "routing a returned ticket is the intake channel's, unsigned")
		case action == "route", action == "resume" && !signed:
			if in.Department != "" || in.KeyID != "" {
				f.add("signature", "is required when department or keyId is given")
			}
		default:
			f.id("department", in.Department, true)
			f.hash("keyId", in.KeyID, true)
			f.required("prevTxId", in.PrevTxID)
			f.base64("signature", in.Signature)
		}
		if err := f.err(); err != nil {
			return err
		}
		p := info(r).principal
		audit(r, "ticket/"+id)
		if signed && in.Department != p.Department {
			return forbidden("department %s is not your department (%s)", in.Department, p.Department)
		}
		if in.Action == "" && signed {
			in.Action = action
		}
		fn := "workorder:" + strings.ToUpper(action[:1]) + action[1:]
		return s.submitWrite(w, r, http.StatusOK, p.Org, fn, mustJSON(in))
	}
}

// sweptTicket reports whether a sweep's event concerns ticket id, and where the
// ticket is now when the event says so (a sweep may mark it overdue, escalate it or
// close it unrated; events from before "updated" existed name the ids only).
func sweptTicket(payload []byte, id string) (bool, *storedTicket) {
	var sw struct {
		Tickets []string `json:"tickets"`
		Updated []struct {
			TicketID   string `json:"ticketId"`
			State      string `json:"state"`
			Department string `json:"department"`
			Overdue    bool   `json:"overdue"`
			RespondBy  string `json:"respondBy"`
			ResolveBy  string `json:"resolveBy"`
			UpdatedAt  string `json:"updatedAt"`
		} `json:"updated"`
	}
	if json.Unmarshal(payload, &sw) != nil || !slices.Contains(sw.Tickets, id) {
		return false, nil
	}
	for _, u := range sw.Updated {
		if u.TicketID == id {
			t := &storedTicket{State: u.State, Department: u.Department, Overdue: u.Overdue,
				RespondBy: u.RespondBy, ResolveBy: u.ResolveBy, UpdatedAt: u.UpdatedAt}
			t.ID = id
			return true, t
		}
	}
	return true, nil
}

// setTicketPolicy passes the policy to workorder:SetPolicy, which validates it.
func (s *Server) setTicketPolicy(w http.ResponseWriter, r *http.Request) error {
	var body map[string]json.RawMessage
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	p := info(r).principal
	audit(r, "workorder/config/policy")
	if err := s.governanceOnly(p, "set the work-order policy"); err != nil {
		return err
	}
	return s.submitWrite(w, r, http.StatusOK, p.Org, "workorder:SetPolicy", mustJSON(body))
}

// loadCalendarYear passes one year's official schedule (docs/calendar.md) to
// workorder:LoadCalendarYear, which validates it and makes a new calendar version.
func (s *Server) loadCalendarYear(w http.ResponseWriter, r *http.Request) error {
	var body map[string]json.RawMessage
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	p := info(r).principal
	audit(r, "workorder/calendar/"+strings.Trim(string(body["year"]), `"`))
	if err := s.governanceOnly(p, "load the holiday calendar"); err != nil {
		return err
	}
	return s.submitWrite(w, r, http.StatusOK, p.Org, "workorder:LoadCalendarYear", mustJSON(body))
}

func (s *Server) getCalendarYear(w http.ResponseWriter, r *http.Request) error {
	year := r.PathValue("year")
	if n, err := strconv.Atoi(year); err != nil || strconv.Itoa(n) != year || n < 2000 || n > 2100 {
		return badRequest("year: want a year from 2000 to 2100")
	}
	audit(r, "workorder/calendar/"+year)
	return s.evaluateWrite(w, r, info(r).principal.Org, "workorder:GetCalendarYear", year)
}
