package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/certledger/certledger/internal/codes"
)

// Work orders (contract "workorder"): citizen appeals routed to a department,
// moved by signed department actions, rated through the intake channel, swept for
// overdue and scored for auditors (docs/workorders.md). Types are in
// ticket_types.go, reads in ticket_reads.go, the progress stream in
// ticket_stream.go; who may read what is package access.
//
// Writes: department actions carry the department's SM2 signature; the body's
// department must be the caller's (the chaincode checks it again against the
// submitter's MSP, the key and the signature). Submit, rate and the citizen's reopen
// come from the intake channel (the governance organisation unless configured
// otherwise); the chaincode refuses them from anyone else.
//
// Reads need a token, except a ticket's progress stream, which a citizen may open
// with the ticket id and its reporter commitment.
func (s *Server) registerTickets(r *Router) {
	r.Add(Route{Pattern: "POST /api/v1/tickets", Roles: writerRoles, Handler: s.submitTicket})
	r.Add(Route{Pattern: "GET /api/v1/tickets", Handler: s.listTickets})
	r.Add(Route{Pattern: "GET /api/v1/tickets/{id}", Handler: s.getTicket})
	r.Add(Route{Pattern: "GET /api/v1/tickets/{id}/trace", Handler: s.traceTicket})
	r.Add(Route{Pattern: "GET /api/v1/tickets/{id}/events", Public: true, Handler: s.ticketEvents})
	for _, a := range ticketActions {
		r.Add(Route{Pattern: "POST /api/v1/tickets/{id}/" + a, Roles: writerRoles, Handler: s.ticketAction(a, validateTicketAction)})
	}
	r.Add(Route{Pattern: "GET /api/v1/workorder/config", Handler: s.ticketConfig})
	for _, k := range []string{"calendar", "sla", "intake"} {
		r.Add(Route{Pattern: "PUT /api/v1/workorder/config/" + k, Roles: adminRoles, Handler: s.setTicketConfig(k)})
	}
	r.Add(Route{Pattern: "POST /api/v1/audit/sweep", Roles: writerRoles, Handler: s.sweepTickets})
	r.Add(Route{Pattern: "GET /api/v1/audit/overdue", Handler: s.listOverdue})
	r.Add(Route{Pattern: "GET /api/v1/audit/kpi", Handler: s.departmentPeriodRead("kpi", "workorder:KPI", false)})
	r.Add(Route{Pattern: "GET /api/v1/audit/accountability", Handler: s.departmentPeriodRead("accountability", "workorder:Accountability", true)})
}

func (s *Server) submitTicket(w http.ResponseWriter, r *http.Request) error {
	var in TicketInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := invalid(in.Validate(), &checks{}); err != nil {
		return err
	}
	p := info(r).principal
	audit(r, "ticket/"+in.ID)
	res, err := s.submit(r.Context(), p.Org, "workorder:Submit", mustJSON(in))
	// Idempotent on id: a retry of the same submission answers 200 with the stored
	// ticket (header Idempotent-Replay); a different one under the same id stays 409.
	return s.answerWrite(w, r, res, err, http.StatusCreated, p.Org, "workorder:Get", in.ID, func(raw []byte) (string, bool) {
		var st storedTicket
		if json.Unmarshal(raw, &st) != nil || mustJSON(st.TicketInput) != mustJSON(in) {
			return "", false
		}
		return st.TxID, true
	}, codes.Conflict)
}

// validateTicketAction checks an action body against the endpoint's action and the
// path's ticket. The workorder domain checks the rest again in the chaincode.
func validateTicketAction(action, id string, in *TicketAction) error {
	var c checks
	c.samePath("ticketId", in.TicketID, id, "ticket")
	if in.Action != "" && in.Action != action {
		c.add("action", "must be %q on this endpoint", action)
	}
	c.hash("noteHash", in.NoteHash, action == "transfer" || action == "escalate") // both carry their reason
	c.hash("commentHash", in.CommentHash, false)
	c.dept("target", in.Target, action == "transfer" || action == "escalate")
	signed := in.Signature != ""
	switch {
	case action == "rate":
		c.oneOf("rating", in.Rating, ticketRatings...)
		if signed {
			c.add("signature", "a rating is relayed by the intake channel, unsigned")
		}
	case action == "reopen" && !signed:
		// the intake channel's reopen: no department fields
	default:
		c.dept("department", in.Department, true)
		c.hash("keyId", in.KeyID, true)
		c.required("prevTxId", in.PrevTxID)
		c.signature("signature", in.Signature)
	}
	if !signed && (in.Department != "" || in.KeyID != "") {
		c.add("signature", "is required when department or keyId is given")
	}
	return c.err()
}

// ticketAction handles POST /api/v1/tickets/{id}/<action>: the ticket actions
// (validateTicketAction) and the controls return and suspend (the assigned
// department, signed, a reason required), resume (the assigned department
// signed, or the intake channel unsigned when the citizen answered) and route
// (the intake channel, unsigned, target required; validateTicketControl). Who
// may act is decided alike: a signed body must be the caller's own department's;
// the chaincode checks the rest (the assigned department, the intake channel's
// MSP, the key and the signature).
func (s *Server) ticketAction(action string, validate func(action, id string, in *TicketAction) error) HandlerFunc {
	fn := "workorder:" + strings.ToUpper(action[:1]) + action[1:]
	return func(w http.ResponseWriter, r *http.Request) error {
		var in TicketAction
		id, err := pathIDAndBody(r, &in)
		if err != nil {
			return err
		}
		if err := validate(action, id, &in); err != nil {
			return err
		}
		p := info(r).principal
		audit(r, "ticket/"+id)
		signed := in.Signature != ""
		if signed && in.Department != p.Department {
			return forbidden("department %s is not your department (%s)", in.Department, p.Department)
		}
		if in.Action == "" && signed {
			in.Action = action
		}
		return s.submitWrite(w, r, http.StatusOK, p.Org, fn, mustJSON(in))
	}
}

// sweepLimit reads a sweep's optional limit: from 1 to 1000 tickets.
func sweepLimit(r *http.Request) (string, error) {
	limit := r.URL.Query().Get("limit")
	if limit != "" {
		if n, err := strconv.Atoi(limit); err != nil || n < 1 || n > 1000 {
			var c checks
			c.add("limit", "want an integer from 1 to 1000")
			return "", c.err()
		}
	}
	return limit, nil
}

func (s *Server) sweepTickets(w http.ResponseWriter, r *http.Request) error {
	limit, err := sweepLimit(r)
	if err != nil {
		return err
	}
	p := info(r).principal
	audit(r, "sweep")
	res, err := s.submit(r.Context(), p.Org, "workorder:Sweep", limit)
	auditTx(r, res)
	if err != nil {
		return err
	}
	if !s.seesAll(r) {
		// The sweep acts on every department's tickets; a department's caller
		// is told only of the tickets it may read, as the preview does.
		out, err := s.visibleSweep(r, res.Payload)
		if err != nil {
			return err
		}
		if res.Payload, err = json.Marshal(out); err != nil {
			return err
		}
	}
	return writeResult(w, http.StatusOK, res)
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
		return s.governanceWrite(w, r, http.StatusOK, "workorder/config/"+kind, "set the work-order "+kind, fn, mustJSON(body))
	}
}
