package httpapi

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/certledger/certledger/gateway/internal/errmap"
	"github.com/certledger/certledger/gateway/internal/ledgerclient"
	"github.com/certledger/certledger/internal/codes"
)

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
	t, raw, err := s.streamableTicket(r, id)
	if err != nil {
		return err
	}
	anonymous := info(r).principal == nil
	var first *streamEvent
	if start < 0 {
		var snap any = json.RawMessage(raw)
		if anonymous {
			snap = progressOf(t, "snapshot")
		}
		first = &streamEvent{Name: "snapshot", Data: snap}
	}
	return s.streamEvents(w, r, start, afterTx, first, func(ev ledgerclient.Event) (any, bool) {
		touched, ticket := ticketInEvent(ev.Name, ev.Payload, id)
		if !touched {
			return nil, false
		}
		if !anonymous {
			return eventMessage(ev), true
		}
		if ticket == nil {
			ticket = t // a sweep names the ticket only; the stream's copy is the best we have
			ticket.Overdue = true
		}
		t = ticket
		return progressOf(ticket, ev.Name), true
	})
}

// streamableTicket reads ticket id for its progress stream: an anonymous caller
// must know its reporter commitment (and learns nothing from a wrong guess), a
// caller with a token must be allowed to read the ticket.
func (s *Server) streamableTicket(r *http.Request, id string) (*storedTicket, []byte, error) {
	anonymous := info(r).principal == nil
	t, raw, err := s.fetchTicket(r.Context(), s.org(r), id)
	if err != nil {
		if code, _, _ := errmap.ChaincodeCode(err); anonymous && code == codes.NotFound {
			return nil, nil, forbidden("unknown ticket or wrong commitment")
		}
		return nil, nil, err
	}
	if anonymous {
		c := r.URL.Query().Get("commitment")
		if subtle.ConstantTimeCompare([]byte(c), []byte(t.ReporterCommitment)) != 1 {
			return nil, nil, forbidden("unknown ticket or wrong commitment")
		}
		return t, raw, nil
	}
	if err := s.authorizeTicket(r, id, t.departments()); err != nil {
		return nil, nil, err
	}
	return t, raw, nil
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
