package httpapi

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/certledger/certledger/gateway/internal/auth"
	"github.com/certledger/certledger/gateway/internal/config"
	"github.com/certledger/certledger/gateway/internal/errmap"
	"github.com/certledger/certledger/gateway/internal/ledgerclient"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/workorder"
)

// Work orders (contract "workorder"): citizen appeals routed to a department,
// moved by signed department actions, rated through the intake channel, swept for
// overdue and scored for auditors (docs/workorders.md).
//
// Writes: department actions carry the department's SM2 signature; the body's
// department must be the caller's (the chaincode checks it again against the
// submitter's MSP, the key and the signature). Submit, rate and the citizen's reopen
// come from the intake channel (the governance organisation unless configured
// otherwise); the chaincode refuses them from anyone else.
//
// Reads need a token, except a ticket's progress stream, which a citizen may open
// with the ticket id and its reporter commitment. An auditor and the governance
// department read everything; another department reads the tickets it holds or held,
// and those of the departments it supervises (registry parent).
func (s *Server) registerTickets(r *Router) {
	writers := []string{config.RoleAdmin, config.RoleClerk}
	r.Add(Route{Pattern: "POST /api/v1/tickets", Roles: writers, Handler: s.submitTicket})
	r.Add(Route{Pattern: "GET /api/v1/tickets", Handler: s.listTickets})
	r.Add(Route{Pattern: "GET /api/v1/tickets/{id}", Handler: s.getTicket})
	r.Add(Route{Pattern: "GET /api/v1/tickets/{id}/trace", Handler: s.traceTicket})
	r.Add(Route{Pattern: "GET /api/v1/tickets/{id}/events", Public: true, Handler: s.ticketEvents})
	for _, a := range ticketActions {
		r.Add(Route{Pattern: "POST /api/v1/tickets/{id}/" + a, Roles: writers, Handler: s.ticketAction(a)})
	}
	r.Add(Route{Pattern: "GET /api/v1/workorder/config", Handler: s.ticketConfig})
	for _, k := range []string{"calendar", "sla", "intake"} {
		r.Add(Route{Pattern: "PUT /api/v1/workorder/config/" + k, Roles: []string{config.RoleAdmin}, Handler: s.setTicketConfig(k)})
	}
	r.Add(Route{Pattern: "POST /api/v1/audit/sweep", Roles: writers, Handler: s.sweepTickets})
	r.Add(Route{Pattern: "GET /api/v1/audit/overdue", Handler: s.listOverdue})
	r.Add(Route{Pattern: "GET /api/v1/audit/kpi", Handler: s.ticketKPI})
	r.Add(Route{Pattern: "GET /api/v1/audit/accountability", Handler: s.listAccountability})
}

// ticketActions are the POST /api/v1/tickets/{id}/<action> endpoints.
var ticketActions = []string{"accept", "start", "transfer", "resolve", "escalate", "close", "rate", "reopen"}

// TicketInput is the body of POST /api/v1/tickets (workorder:Submit).
type TicketInput = workorder.SubmitInput

// TicketAction is the body of POST /api/v1/tickets/{id}/<action>: a department's
// signed action (signature over ticketId, action, department, noteHash, target,
// prevTxId, keyId), or the intake channel's unsigned rate / reopen.
type TicketAction = workorder.ActionInput

// storedTicket is the part of a ledger ticket the gateway reads.
type storedTicket struct {
	TicketInput
	State      string `json:"state"`
	Department string `json:"department"`
	RespondBy  string `json:"respondBy"`
	ResolveBy  string `json:"resolveBy"`
	Overdue    bool   `json:"overdue"`
	UpdatedAt  string `json:"updatedAt"`
	TxID       string `json:"txId"`
	Episodes   []struct {
		Department string `json:"department"`
	} `json:"episodes"`
}

func (s *Server) submitTicket(w http.ResponseWriter, r *http.Request) error {
	var in TicketInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	var f fieldErrors
	f.id("id", in.ID, true)
	f.id("category", in.Category, true)
	f.hash("contentHash", in.ContentHash, true)
	f.hash("reporterCommitment", in.ReporterCommitment, true)
	f.oneOf("channel", in.Channel, "web", "app", "hotline")
	if err := f.err(); err != nil {
		return err
	}
	p := info(r).principal
	audit(r, "ticket/"+in.ID)
	res, err := s.submit(r.Context(), p.Org, "workorder:Submit", mustJSON(in))
	if err == nil {
		auditTx(r, res)
		return writeResult(w, http.StatusCreated, res)
	}
	// Idempotent on id: a retry of the same submission answers 200 with the stored
	// ticket (header Idempotent-Replay); a different one under the same id stays 409.
	return s.replayWrite(w, r, err, p.Org, "workorder:Get", in.ID, func(raw []byte) (string, bool) {
		var st storedTicket
		if json.Unmarshal(raw, &st) != nil || st.TicketInput != in {
			return "", false
		}
		return st.TxID, true
	}, codes.Conflict)
}

func (s *Server) ticketAction(action string) HandlerFunc {
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
		f.hash("noteHash", in.NoteHash, action == "transfer" || action == "escalate") // both carry their reason
		f.hash("commentHash", in.CommentHash, false)
		f.id("target", in.Target, action == "transfer" || action == "escalate")
		signed := in.Signature != ""
		switch {
		case action == "rate":
			f.oneOf("rating", in.Rating, "very_satisfied", "satisfied", "neutral", "unsatisfied")
			if signed {
				f.add("signature", "a rating is relayed by the intake channel, unsigned")
			}
		case action == "reopen" && !signed:
			// the intake channel's reopen: no department fields
		default:
			f.id("department", in.Department, true)
			f.hash("keyId", in.KeyID, true)
			f.required("prevTxId", in.PrevTxID)
			f.base64("signature", in.Signature)
		}
		if !signed && (in.Department != "" || in.KeyID != "") {
			f.add("signature", "is required when department or keyId is given")
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

// fetchTicket reads a ticket with the caller's organisation.
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

// seesAll: auditors and the governance department (the default intake channel).
func (s *Server) seesAll(p *auth.Principal) bool {
	return p.Role == config.RoleAuditor || (s.opts.GovernanceDepartment != "" && p.Department == s.opts.GovernanceDepartment)
}

// mayReadDept reports whether p may read department dept's tickets and figures: its
// own, or one it supervises.
func (s *Server) mayReadDept(ctx context.Context, p *auth.Principal, dept string) (bool, error) {
	if s.seesAll(p) || p.Department == dept {
		return true, nil
	}
	raw, err := s.ledger.Evaluate(ctx, p.Org, "registry:GetDepartment", dept)
	if err != nil {
		if code, _, _ := errmap.ChaincodeCode(err); code == codes.NotFound {
			return false, nil
		}
		return false, err
	}
	var d struct {
		Parent string `json:"parent"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		return false, fmt.Errorf("decoding department %s from ledger: %w", dept, err)
	}
	return d.Parent != "" && d.Parent == p.Department, nil
}

// mayReadTicket: a department that holds or held the ticket, or supervises one that did.
func (s *Server) mayReadTicket(ctx context.Context, p *auth.Principal, t *storedTicket) (bool, error) {
	if s.seesAll(p) {
		return true, nil
	}
	var depts []string
	for _, e := range t.Episodes {
		if !slices.Contains(depts, e.Department) {
			depts = append(depts, e.Department)
		}
	}
	for _, d := range depts {
		ok, err := s.mayReadDept(ctx, p, d)
		if ok || err != nil {
			return ok, err
		}
	}
	return false, nil
}

func (s *Server) readableTicket(r *http.Request, id string) ([]byte, error) {
	p := info(r).principal
	t, raw, err := s.fetchTicket(r.Context(), p.Org, id)
	if err != nil {
		return nil, err
	}
	ok, err := s.mayReadTicket(r.Context(), p, t)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, forbidden("ticket %s is not and was not with your department %s or one it supervises", id, p.Department)
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
	return s.evaluateWrite(w, r, info(r).principal.Org, "workorder:Trace", id)
}

// pageQuery reads pageSize and bookmark into args (as the chaincode takes them).
func pageQuery(r *http.Request, f *fieldErrors) (pageSize, bookmark string) {
	v := r.URL.Query()
	if ps := v.Get("pageSize"); ps != "" {
		if n, err := strconv.Atoi(ps); err != nil || n < 1 || n > 500 {
			f.add("pageSize", "want an integer from 1 to 500")
		}
		pageSize = ps
	}
	if b := v.Get("bookmark"); b != "" {
		if len(b) > 1024 {
			f.add("bookmark", "too long")
		}
		bookmark = b
	}
	return pageSize, bookmark
}

func (s *Server) deptAllowed(r *http.Request, dept string) error {
	p := info(r).principal
	ok, err := s.mayReadDept(r.Context(), p, dept)
	if err != nil {
		return err
	}
	if !ok {
		return forbidden("department %s is neither yours (%s) nor one you supervise (only auditors read every department)", dept, p.Department)
	}
	return nil
}

func (s *Server) listTickets(w http.ResponseWriter, r *http.Request) error {
	v := r.URL.Query()
	var f fieldErrors
	dept, state := v.Get("department"), v.Get("state")
	f.id("department", dept, true)
	if state != "" {
		f.oneOf("state", state, "submitted", "assigned", "accepted", "in_progress", "resolved", "rated", "closed")
	}
	ps, bm := pageQuery(r, &f)
	if err := f.err(); err != nil {
		return err
	}
	audit(r, "tickets?"+r.URL.RawQuery)
	if err := s.deptAllowed(r, dept); err != nil {
		return err
	}
	return s.evaluateWrite(w, r, info(r).principal.Org, "workorder:ListByDepartment", dept, state, ps, bm)
}

func (s *Server) listOverdue(w http.ResponseWriter, r *http.Request) error {
	var f fieldErrors
	dept := r.URL.Query().Get("department")
	f.id("department", dept, false)
	ps, bm := pageQuery(r, &f)
	if err := f.err(); err != nil {
		return err
	}
	audit(r, "overdue?"+r.URL.RawQuery)
	p := info(r).principal
	if dept == "" && !s.seesAll(p) {
		return forbidden("name a department (only auditors list every department's overdue tickets)")
	}
	if dept != "" {
		if err := s.deptAllowed(r, dept); err != nil {
			return err
		}
	}
	return s.evaluateWrite(w, r, p.Org, "workorder:ListOverdue", dept, ps, bm)
}

func (s *Server) ticketKPI(w http.ResponseWriter, r *http.Request) error {
	var f fieldErrors
	dept := r.URL.Query().Get("department")
	f.id("department", dept, true)
	from, to := s.period(r, &f, true)
	if err := f.err(); err != nil {
		return err
	}
	audit(r, "kpi?"+r.URL.RawQuery)
	if err := s.deptAllowed(r, dept); err != nil {
		return err
	}
	return s.evaluateWrite(w, r, info(r).principal.Org, "workorder:KPI", dept, from, to)
}

func (s *Server) listAccountability(w http.ResponseWriter, r *http.Request) error {
	var f fieldErrors
	dept := r.URL.Query().Get("department")
	f.id("department", dept, true)
	from, to := s.period(r, &f, true)
	ps, bm := pageQuery(r, &f)
	if err := f.err(); err != nil {
		return err
	}
	audit(r, "accountability?"+r.URL.RawQuery)
	if err := s.deptAllowed(r, dept); err != nil {
		return err
	}
	return s.evaluateWrite(w, r, info(r).principal.Org, "workorder:Accountability", dept, from, to, ps, bm)
}

func (s *Server) sweepTickets(w http.ResponseWriter, r *http.Request) error {
	limit := r.URL.Query().Get("limit")
	if limit != "" {
		if n, err := strconv.Atoi(limit); err != nil || n < 1 || n > 1000 {
			return badRequest("limit: want an integer from 1 to 1000")
		}
	}
	p := info(r).principal
	audit(r, "sweep")
	return s.submitWrite(w, r, http.StatusOK, p.Org, "workorder:Sweep", limit)
}

func (s *Server) ticketConfig(w http.ResponseWriter, r *http.Request) error {
	audit(r, "workorder/config")
	return s.evaluateWrite(w, r, info(r).principal.Org, "workorder:GetConfig")
}

// setTicketConfig passes the calendar, SLA or intake list to the chaincode, which
// validates it; the body must be one JSON object.
func (s *Server) setTicketConfig(kind string) HandlerFunc {
	fn := map[string]string{"calendar": "workorder:SetCalendar", "sla": "workorder:SetSLA", "intake": "workorder:SetIntake"}[kind]
	return func(w http.ResponseWriter, r *http.Request) error {
		var body map[string]json.RawMessage
		if err := decodeJSON(r, &body); err != nil {
			return err
		}
		p := info(r).principal
		audit(r, "workorder/config/"+kind)
		if err := s.governanceOnly(p, "set the work-order "+kind); err != nil {
			return err
		}
		return s.submitWrite(w, r, http.StatusOK, p.Org, fn, mustJSON(body))
	}
}

// TicketProgress is what an anonymous (citizen) progress stream carries per event:
// no actor identities, only where the ticket is.
type TicketProgress struct {
	TicketID   string `json:"ticketId"`
	Event      string `json:"event"`
	State      string `json:"state"`
	Department string `json:"department"`
	RespondBy  string `json:"respondBy"`
	ResolveBy  string `json:"resolveBy"`
	Overdue    bool   `json:"overdue"`
	UpdatedAt  string `json:"updatedAt"`
}

func progressOf(t *storedTicket, event string) TicketProgress {
	return TicketProgress{TicketID: t.ID, Event: event, State: t.State, Department: t.Department,
		RespondBy: t.RespondBy, ResolveBy: t.ResolveBy, Overdue: t.Overdue, UpdatedAt: t.UpdatedAt}
}

// ticketEvents streams a ticket's progress as text/event-stream: first a "snapshot"
// event with the ticket as it is now, then every chaincode event that touches it
// (its actions, and sweeps that marked it overdue). Resuming with Last-Event-ID or
// ?fromBlock=N works as on /api/v1/events (no snapshot then). A caller without a
// token must give ?commitment= the ticket's reporter commitment (the citizen holds
// the salt and identifier it is made from) and receives TicketProgress payloads.
func (s *Server) ticketEvents(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	start, afterTx, err := parseResume(r)
	if err != nil {
		return err
	}
	audit(r, "ticket/"+id+"/events")
	p := info(r).principal
	t, raw, err := s.fetchTicket(r.Context(), s.org(r), id)
	if err != nil {
		if p == nil {
			if code, _, _ := errmap.ChaincodeCode(err); code == codes.NotFound {
				return forbidden("unknown ticket or wrong commitment")
			}
		}
		return err
	}
	if p == nil {
		c := r.URL.Query().Get("commitment")
		if subtle.ConstantTimeCompare([]byte(c), []byte(t.ReporterCommitment)) != 1 {
			return forbidden("unknown ticket or wrong commitment")
		}
	} else if ok, err := s.mayReadTicket(r.Context(), p, t); err != nil {
		return err
	} else if !ok {
		return forbidden("ticket %s is not and was not with your department %s or one it supervises", id, p.Department)
	}
	var first *streamEvent
	if start < 0 {
		var snap any = json.RawMessage(raw)
		if p == nil {
			snap = progressOf(t, "snapshot")
		}
		first = &streamEvent{Name: "snapshot", Data: snap}
	}
	return s.streamEvents(w, r, start, afterTx, first, func(ev ledgerclient.Event) (any, bool) {
		touched, ticket := ticketInEvent(ev.Name, ev.Payload, id)
		if !touched {
			return nil, false
		}
		if p == nil {
			if ticket == nil {
				ticket = t // a sweep names the ticket only; the stream's copy is the best we have
				ticket.Overdue = true
			}
			t = ticket
			return progressOf(ticket, ev.Name), true
		}
		var compact bytes.Buffer
		if json.Compact(&compact, ev.Payload) != nil {
			return nil, false
		}
		return EventMessage{BlockNumber: ev.BlockNumber, TxID: ev.TxID, Name: ev.Name, Payload: compact.Bytes()}, true
	})
}

// ticketInEvent reports whether a chaincode event concerns ticket id, and returns the
// ticket when the event carries it (ticket actions do; a sweep lists ids only).
func ticketInEvent(name string, payload []byte, id string) (bool, *storedTicket) {
	if !strings.HasPrefix(name, "Ticket") {
		return false, nil
	}
	if name == "TicketsSwept" {
		return sweptTicket(payload, id)
	}
	var out struct {
		Ticket storedTicket `json:"ticket"`
	}
	if json.Unmarshal(payload, &out) != nil || out.Ticket.ID != id {
		return false, nil
	}
	return true, &out.Ticket
}
