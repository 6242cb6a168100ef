package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/certledger/certledger/gateway/internal/errmap"
	"github.com/certledger/certledger/gateway/internal/ledgerclient"
	"github.com/certledger/certledger/internal/domain/wire"
)

// writeJSON writes v with status.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding response: %w", err)
	}
	setJSONHeaders(w)
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
	return nil
}

// writePublicJSON answers v with 200 to any origin (the public, CORS-readable
// answers the offline verify page fetches).
func writePublicJSON(w http.ResponseWriter, v any) error {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	return writeJSON(w, http.StatusOK, v)
}

func setJSONHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
}

// writeRaw writes a chaincode result (JSON) as the response body.
func writeRaw(w http.ResponseWriter, status int, raw []byte) error {
	if !json.Valid(raw) {
		return fmt.Errorf("ledger returned invalid JSON (%d bytes)", len(raw))
	}
	return writeJSON(w, status, json.RawMessage(raw))
}

// WriteResult is the body of every successful write.
type WriteResult struct {
	TxID        string          `json:"txId"`
	BlockNumber uint64          `json:"blockNumber"`
	Record      json.RawMessage `json:"record"`
}

// writeResult writes {"txId","blockNumber","record"}; the record is the chaincode's
// JSON, checked once and copied as is (it is on the hot path of every write).
func writeResult(w http.ResponseWriter, status int, res *ledgerclient.Result) error {
	if !json.Valid(res.Payload) {
		return fmt.Errorf("ledger returned invalid JSON (%d bytes) for tx %s", len(res.Payload), res.TxID)
	}
	tx, _ := json.Marshal(res.TxID)
	b := make([]byte, 0, len(res.Payload)+len(tx)+48)
	b = append(b, `{"txId":`...)
	b = append(b, tx...)
	b = append(b, `,"blockNumber":`...)
	b = strconv.AppendUint(b, res.BlockNumber, 10)
	b = append(b, `,"record":`...)
	b = append(b, bytes.TrimSpace(res.Payload)...)
	b = append(b, "}\n"...)
	setJSONHeaders(w)
	w.WriteHeader(status)
	_, _ = w.Write(b)
	return nil
}

// evaluateWrite runs the query fn as org and writes its JSON result with 200.
func (s *Server) evaluateWrite(w http.ResponseWriter, r *http.Request, org, fn string, args ...string) error {
	res, err := s.ledger.Evaluate(r.Context(), org, fn, args...)
	if err != nil {
		return err
	}
	return writeRaw(w, http.StatusOK, res)
}

// submitWrite submits fn as org and writes the result with status; the transaction
// is noted in the access log whether or not it committed.
func (s *Server) submitWrite(w http.ResponseWriter, r *http.Request, status int, org, fn string, args ...string) error {
	res, err := s.submit(r.Context(), org, fn, args...)
	auditTx(r, res)
	if err != nil {
		return err
	}
	return writeResult(w, status, res)
}

// answerWrite answers an idempotent write: its result with status when the
// ledger took it, else replayWrite's answer to the refusal err.
func (s *Server) answerWrite(w http.ResponseWriter, r *http.Request, res *ledgerclient.Result, err error, status int, org, getFn, id string, same func(raw []byte) (txID string, ok bool), replayable ...string) error {
	if err == nil {
		auditTx(r, res)
		return writeResult(w, status, res)
	}
	return s.replayWrite(w, r, err, org, getFn, id, same, replayable...)
}

// replayWrite makes a write idempotent: when the ledger refused it (err) with one of
// the chaincode codes given and the stored record is the one sent (same signed
// fields and signature), the stored record is returned with 200 and
// Idempotent-Replay; otherwise the original error. getFn(id) reads the stored
// record; same reports its last transaction id and whether it matches.
func (s *Server) replayWrite(w http.ResponseWriter, r *http.Request, err error, org, getFn, id string, same func(raw []byte) (txID string, ok bool), replayable ...string) error {
	if code, _, _ := errmap.ChaincodeCode(err); !slices.Contains(replayable, code) {
		return err
	}
	raw, gerr := s.ledger.Evaluate(r.Context(), org, getFn, id)
	if gerr != nil {
		return err
	}
	txID, ok := same(raw)
	if !ok {
		return err
	}
	block, _ := s.ledger.TxBlock(r.Context(), org, txID)
	res := &ledgerclient.Result{Payload: raw, TxID: txID, BlockNumber: block}
	auditTx(r, res)
	w.Header().Set("Idempotent-Replay", "true")
	return writeResult(w, http.StatusOK, res)
}

func (s *Server) writeProblem(w http.ResponseWriter, r *http.Request, err error) {
	p := errmap.Map(err)
	if p.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((p.RetryAfter+time.Second-1)/time.Second)))
	}
	if p.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="certledger"`)
	}
	_ = writeJSON(w, p.Status, p)
}

// decodeJSON reads exactly one JSON object into v with the shared strict
// decoder (wire.Decode: keys spelled exactly as the field names, no duplicate
// keys, no unknown fields, no trailing data; the body limit is the server's
// MaxBytesHandler), with a message saying what was wrong.
func decodeJSON(r *http.Request, v any) error {
	if err := wire.Decode(r.Body, 0, v); err != nil {
		return decodeError(err)
	}
	return nil
}

func decodeError(err error) error {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
		mbe *http.MaxBytesError
	)
	switch {
	case errors.As(err, &mbe):
		return errmap.New(http.StatusRequestEntityTooLarge, errmap.TooLarge, fmt.Sprintf("request body exceeds %d bytes", mbe.Limit))
	case errors.Is(err, io.EOF), errors.Is(err, wire.ErrEmpty):
		return badRequest("request body is empty; want a JSON object")
	case errors.Is(err, wire.ErrTrailingData):
		return badRequest("body must hold a single JSON object (data after the object)")
	case errors.Is(err, wire.ErrNotObject):
		return badRequest("body must be a JSON object")
	case errors.Is(err, wire.ErrUnknownField), errors.Is(err, wire.ErrDuplicateKey):
		return badRequest("%s", err.Error())
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("malformed JSON: unexpected end of body")
	case errors.As(err, &syn):
		return badRequest("malformed JSON at byte %d: %s", syn.Offset, syn.Error())
	case errors.As(err, &typ):
		if typ.Field == "" {
			return badRequest("body must be a JSON object, not %s", typ.Value)
		}
		return badRequest("field %q: want %s, got %s", typ.Field, typ.Type.String(), typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return badRequest("unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return badRequest("malformed JSON: %s", err.Error())
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only plain structs of strings reach here
	}
	return string(b)
}

func itoa(i int) string { return strconv.Itoa(i) }
