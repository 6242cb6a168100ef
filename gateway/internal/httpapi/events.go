package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/certledger/certledger/gateway/internal/errmap"
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
// the ledger stream ends (the client then reconnects with Last-Event-ID).
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
	return s.streamEvents(w, r, start, afterTx, nil, func(ev ledgerclient.Event) (any, bool) {
		payload := ev.Payload
		var compact bytes.Buffer
		if json.Compact(&compact, payload) == nil {
			payload = compact.Bytes()
		} else {
			payload, _ = json.Marshal(string(ev.Payload))
		}
		return EventMessage{BlockNumber: ev.BlockNumber, TxID: ev.TxID, Name: ev.Name, Payload: payload}, true
	})
}

// streamEvent is one server-sent event; an empty ID sends no id line.
type streamEvent struct {
	ID, Name string
	Data     any // marshalled as JSON
}

// streamEvents streams the ledger's chaincode events from start (skipping those of
// block start up to and including afterTx; see parseResume) as text/event-stream
// until the client leaves, the gateway closes or the ledger stream ends. first, when
// not nil, is sent before any chaincode event. message turns a chaincode event into
// the data of the event sent for it (id "<blockNumber>.<txId>", name the chaincode
// event's), or reports false to skip it.
func (s *Server) streamEvents(w http.ResponseWriter, r *http.Request, start int64, afterTx string, first *streamEvent, message func(ledgerclient.Event) (any, bool)) error {
	select {
	case <-s.closing:
		return errmap.New(http.StatusServiceUnavailable, errmap.Unavailable, "gateway shutting down")
	default:
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	ch, err := s.ledger.Events(ctx, s.org(r), start)
	if err != nil {
		return err
	}
	// The server's read and write timeouts would end the stream (an expired read
	// deadline cancels the request context): lift both for this connection.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if _, err := fmt.Fprint(w, "retry: 3000\n\n"); err != nil {
		return nil
	}
	send := func(ev streamEvent) bool {
		data, _ := json.Marshal(ev.Data)
		if ev.ID != "" {
			if _, err := fmt.Fprintf(w, "id: %s\n", ev.ID); err != nil {
				return false
			}
		}
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", sseField(ev.Name), data); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if first != nil {
		if !send(*first) {
			return nil
		}
	} else if err := rc.Flush(); err != nil {
		return fmt.Errorf("event stream needs a flushing writer: %w", err)
	}
	s.metrics.EventStreams.Inc()
	defer s.metrics.EventStreams.Dec()
	tick := time.NewTicker(s.opts.Heartbeat)
	defer tick.Stop()
	skipping := afterTx != ""
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.closing:
			return nil
		case <-tick.C:
			if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil || rc.Flush() != nil {
				return nil
			}
		case ev, ok := <-ch:
			if !ok {
				return nil
			}
			if skipping {
				if int64(ev.BlockNumber) == start {
					if ev.TxID == afterTx {
						skipping = false
					}
					continue
				}
				skipping = false
			}
			data, ok := message(ev)
			if !ok {
				continue
			}
			if !send(streamEvent{ID: fmt.Sprintf("%d.%s", ev.BlockNumber, ev.TxID), Name: ev.Name, Data: data}) {
				return nil
			}
		}
	}
}

// sseField keeps a value on one line.
func sseField(s string) string {
	return strings.NewReplacer("\n", " ", "\r", " ").Replace(s)
}
