package httpapi

import (
	"bytes"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/certledger/certledger/internal/domain/certificate"
)

// VerifyModel answers verification queries from a local copy of the ledger
// (the gateway's read model, gateway/internal/readmodel).
type VerifyModel interface {
	// AppendVerifyJSON runs the verification pipeline for q at now and appends
	// the answer's JSON to dst: the certificate:Verify result plus "height"
	// (the blocks it reflects) and "source". Any error — the model lagging
	// behind the ledger included — sends the query to the ledger.
	AppendVerifyJSON(dst []byte, q certificate.Query, now time.Time) ([]byte, error)
	// LedgerHeight is the ledger's last known height, which an answer from the
	// ledger reflects at least.
	LedgerHeight() uint64
}

// answerBuffers hold verify answers while they are written: a pooled buffer
// instead of a new, zeroed one per request (an answer is about 5 kB).
var answerBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 8<<10); return &b }}

// maxPooledAnswer bounds what the pool keeps (an answer naming many
// certificates may be large; such a buffer is left to the collector).
const maxPooledAnswer = 64 << 10

// answerVerify answers from the read model when it keeps up, else from the
// ledger (certificate:Verify), stating the height either way when a model is
// configured.
func (s *Server) answerVerify(w http.ResponseWriter, r *http.Request, in verifyInput) error {
	m := s.opts.VerifyModel
	if m == nil {
		return s.evaluateWrite(w, r, s.org(r), "certificate:Verify", mustJSON(in))
	}
	buf := answerBuffers.Get().(*[]byte)
	defer answerBuffers.Put(buf)
	if b, err := m.AppendVerifyJSON((*buf)[:0], certificate.Query{ID: in.ID, DocHash: in.DocHash}, time.Now()); err == nil {
		setJSONHeaders(w)
		// The length is known: no chunked framing for either side to do.
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(b)
		if cap(b) <= maxPooledAnswer {
			*buf = b
		}
		return nil
	}
	raw, err := s.ledger.Evaluate(r.Context(), s.org(r), "certificate:Verify", mustJSON(in))
	if err != nil {
		return err
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) < 2 || raw[len(raw)-1] != '}' {
		return writeRaw(w, http.StatusOK, raw)
	}
	b := make([]byte, 0, len(raw)+48)
	b = append(b, raw[:len(raw)-1]...)
	b = append(b, `,"height":`...)
	b = strconv.AppendUint(b, m.LedgerHeight(), 10)
	b = append(b, `,"source":"ledger"}`...)
	return writeRaw(w, http.StatusOK, b)
}
