package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/certledger/certledger/gateway/internal/access"
	"github.com/certledger/certledger/gateway/internal/ledgerclient"
)

func (s *Server) registerEvents(r *Router) {
	r.Add(Route{Pattern: "GET /api/v1/events", Handler: s.events})
}

// EventMessage is the data of one server-sent event; the SSE id is
// "<blockNumber>.<txId>" and the SSE event name is the chaincode event name.
type EventMessage struct {
	BlockNumber uint64          `json:"blockNumber"`
	TxID        string          `json:"txId"`
	Name        string          `json:"name"`
	Payload     json.RawMessage `json:"payload"`
}

// eventMessage is the EventMessage of a chaincode event: its payload as compact
// JSON, or as a JSON string when it is not JSON.
func eventMessage(ev ledgerclient.Event) EventMessage {
	payload := ev.Payload
	var compact bytes.Buffer
	if json.Compact(&compact, payload) == nil {
		payload = compact.Bytes()
	} else {
		payload, _ = json.Marshal(string(ev.Payload))
	}
	return EventMessage{BlockNumber: ev.BlockNumber, TxID: ev.TxID, Name: ev.Name, Payload: payload}
}

// parseResume reads where a stream starts: Last-Event-ID ("<block>.<txId>", sent
// by a reconnecting EventSource) wins over ?fromBlock=N; neither means "from the
// next commit" (start -1). afterTx is the last event the client already has.
func parseResume(r *http.Request) (start int64, afterTx string, err error) {
	if lei := strings.TrimSpace(r.Header.Get("Last-Event-ID")); lei != "" {
		b, tx, _ := strings.Cut(lei, ".")
		n, perr := strconv.ParseUint(b, 10, 63)
		if perr != nil {
			return 0, "", badRequest("Last-Event-ID: want <blockNumber>.<txId>")
		}
		return int64(n), tx, nil
	}
	if fb := r.URL.Query().Get("fromBlock"); fb != "" {
		n, perr := strconv.ParseUint(fb, 10, 63)
		if perr != nil {
			return 0, "", badRequest("fromBlock: want a block number (0 or more)")
		}
		return int64(n), "", nil
	}
	return -1, "", nil
}

// events streams chaincode events as text/event-stream until the client leaves or
// the ledger stream ends (the client then reconnects with Last-Event-ID). Each
// event goes through the read policy (package access) for the caller: a
// department receives only what it may read on the single-record endpoints.
func (s *Server) events(w http.ResponseWriter, r *http.Request) error {
	// A misspelt parameter (?from=0) would otherwise stream from the next commit
	// without a word; refuse it instead.
	for k := range r.URL.Query() {
		if k != "fromBlock" {
			return badRequest("unknown query parameter %q: the only one is fromBlock", k)
		}
	}
	start, afterTx, err := parseResume(r)
	if err != nil {
		return err
	}
	audit(r, "events")
	c := caller(r)
	return s.streamEvents(w, r, start, afterTx, nil, func(ev ledgerclient.Event) (any, bool) {
		if !s.mayReadEvent(r, c, ev) {
			return nil, false
		}
		return eventMessage(ev), true
	})
}

// mayReadEvent applies the read policy to one chaincode event. When the policy
// refuses a ticket event, the departments it names are looked up in the directory
// (a supervisor reads its departments' tickets) and the policy asked again; a
// failed lookup only means no supervision is known.
func (s *Server) mayReadEvent(r *http.Request, c *access.Caller, ev ledgerclient.Event) bool {
	pol := s.policy()
	if pol.Event(c, ev.Name, ev.Payload) {
		return true
	}
	if c == nil || access.KindOf(ev.Name) != access.KindTicket {
		return false
	}
	depts, ok := access.TicketEventDepartments(ev.Payload)
	if !ok || s.dir.Has(depts...) {
		return false
	}
	_ = s.dir.ensure(r.Context(), depts...)
	return pol.Event(c, ev.Name, ev.Payload)
}
