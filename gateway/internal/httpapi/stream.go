package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/certledger/certledger/gateway/internal/errmap"
	"github.com/certledger/certledger/gateway/internal/ledgerclient"
)

// streamEvent is one server-sent event; an empty ID sends no id line.
type streamEvent struct {
	ID, Name string
	Data     any // marshalled as JSON
}

// sseWriter writes server-sent events and flushes each one.
type sseWriter struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

// send writes ev and flushes; false when the client is gone.
func (sw sseWriter) send(ev streamEvent) bool {
	data, _ := json.Marshal(ev.Data)
	if ev.ID != "" {
		if _, err := fmt.Fprintf(sw.w, "id: %s\n", ev.ID); err != nil {
			return false
		}
	}
	if _, err := fmt.Fprintf(sw.w, "event: %s\ndata: %s\n\n", sseField(ev.Name), data); err != nil {
		return false
	}
	return sw.rc.Flush() == nil
}

func (sw sseWriter) ping() bool {
	_, err := fmt.Fprint(sw.w, ": ping\n\n")
	return err == nil && sw.rc.Flush() == nil
}

// streamSlot admits a stream: the gateway is not shutting down, the caller holds
// fewer streams than its cap, a replay starts recently enough and fewer replays
// than the cap run. release gives the slot back.
func (s *Server) streamSlot(r *http.Request, start int64) (release func(), err error) {
	select {
	case <-s.closing:
		return nil, errmap.New(http.StatusServiceUnavailable, errmap.Unavailable, "gateway shutting down")
	default:
	}
	param := "fromBlock"
	if r.Header.Get("Last-Event-ID") != "" {
		param = "Last-Event-ID"
	}
	if err := s.streams.checkStart(start, param); err != nil {
		return nil, err
	}
	key := "ip:" + info(r).clientIP
	if p := info(r).principal; p != nil {
		key = "id:" + p.ID
	}
	return s.streams.acquire(key, start >= 0)
}

// streamEvents streams the ledger's chaincode events from start (skipping those of
// block start up to and including afterTx; see parseResume) as text/event-stream
// until the client leaves, the gateway closes or the ledger stream ends. first, when
// not nil, is sent before any chaincode event. message turns a chaincode event into
// the data of the event sent for it (id "<blockNumber>.<txId>", name the chaincode
// event's), or reports false to skip it.
func (s *Server) streamEvents(w http.ResponseWriter, r *http.Request, start int64, afterTx string, first *streamEvent, message func(ledgerclient.Event) (any, bool)) error {
	release, err := s.streamSlot(r, start)
	if err != nil {
		return err
	}
	defer release()
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	ch, err := s.ledger.Events(ctx, s.org(r), start)
	if err != nil {
		return err
	}
	sw, err := openSSE(w, first)
	if err != nil || sw == nil {
		return err
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
			if !sw.ping() {
				return nil
			}
		case ev, ok := <-ch:
			if !ok {
				return nil
			}
			s.streams.seen(ev.BlockNumber)
			s.dir.Apply(ev.Name, ev.Payload)
			if skipping {
				if int64(ev.BlockNumber) == start {
					skipping = ev.TxID != afterTx
					continue
				}
				skipping = false
			}
			data, ok := message(ev)
			if ok && !sw.send(streamEvent{ID: fmt.Sprintf("%d.%s", ev.BlockNumber, ev.TxID), Name: ev.Name, Data: data}) {
				return nil
			}
		}
	}
}

// openSSE starts the event-stream response and sends first (if any). A nil
// writer and no error means the client left already.
func openSSE(w http.ResponseWriter, first *streamEvent) (*sseWriter, error) {
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
		return nil, nil
	}
	sw := &sseWriter{w: w, rc: rc}
	if first != nil {
		if !sw.send(*first) {
			return nil, nil
		}
	} else if err := rc.Flush(); err != nil {
		return nil, fmt.Errorf("event stream needs a flushing writer: %w", err)
	}
	return sw, nil
}

// sseField keeps a value on one line.
func sseField(s string) string {
	return strings.NewReplacer("\n", " ", "\r", " ").Replace(s)
}
