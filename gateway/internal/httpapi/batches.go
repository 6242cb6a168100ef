package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/certledger/certledger/gateway/internal/errmap"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/batch"
	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/domain/wire"
)

// Grouped issue and Merkle batches (docs/batches.md):
//
//	POST /api/v1/certificates/groups   certificate:IssueGroup, per-record answers
//	POST /api/v1/batches               batch:Anchor of a signed header
//	GET  /api/v1/batches?department=D  the department's last anchored batch
//	GET  /api/v1/batches/{id}          the anchored header and whether its file is stored
//	GET  /api/v1/batches/{id}/upload   how much of the file is staged (to resume)
//	PUT  /api/v1/batches/{id}/file     one chunk of the file (Content-Range); the last
//	                                   one stores it if it rebuilds the anchored root
//	GET  /api/v1/batches/{id}/file     the stored file (JSON Lines)
//	POST /api/v1/batches/{id}/certificates/{cert}/{revoke|suspend|reinstate|supersede}
//	                                   a status change of a batched certificate, with its leaf
//
// Each handler goes route → decode → validate (the domain's Validate:
// certificate.Record, batch.Header, batch.Proof, batch.Record) → authorize →
// ledger. Writes (group, anchor, upload, status changes) are the issuing
// department's only (authorizeIssuer); batch headers and files are public
// records like the certificates they hold (package access).

// maxGroupHTTP bounds a group at the gateway; the chaincode's own limit
// (certificate:GroupLimit, default 500) refuses larger ones.
const maxGroupHTTP = 10000

func (s *Server) registerBatches(r *Router) {
	r.Add(Route{Pattern: "POST /api/v1/certificates/groups", Roles: writerRoles, Handler: s.issueGroup})
	r.Add(Route{Pattern: "POST /api/v1/batches", Roles: writerRoles, Handler: s.anchorBatch})
	r.Add(Route{Pattern: "GET /api/v1/batches", Public: true, Handler: s.batchHead})
	r.Add(Route{Pattern: "GET /api/v1/batches/{id}", Public: true, Handler: s.getBatch})
	r.Add(Route{Pattern: "GET /api/v1/batches/{id}/upload", Roles: writerRoles, Handler: s.batchUploadStatus})
	r.Add(Route{Pattern: "PUT /api/v1/batches/{id}/file", Roles: writerRoles, Handler: s.uploadBatchChunk})
	r.Add(Route{Pattern: "GET /api/v1/batches/{id}/file", Public: true, Handler: s.downloadBatchFile})
	for _, a := range []struct{ action, fn string }{
		{"revoke", "certificate:Revoke"}, {"suspend", "certificate:Suspend"}, {"reinstate", "certificate:Reinstate"},
	} {
		r.Add(Route{Pattern: "POST /api/v1/batches/{id}/certificates/{cert}/" + a.action, Roles: writerRoles, Handler: s.changeBatchedStatus(a.action, a.fn)})
	}
	r.Add(Route{Pattern: "POST /api/v1/batches/{id}/certificates/{cert}/supersede", Roles: writerRoles, Handler: s.supersedeBatched})
}

// authorizeIssuer lets only the issuing department write for a certificate or
// batch of issuer.
func authorizeIssuer(r *http.Request, what, issuer string) error {
	p := info(r).principal
	if issuer != p.Department {
		return forbidden("%s belongs to %s; only that department writes it (you are %s)", what, issuer, p.Department)
	}
	return nil
}

// under prefixes the fields of a domain Validate() result (wire.FieldErrors)
// with prefix, so that a nested record's errors name their place in the body.
func under(prefix string, err error) wire.FieldErrors {
	var fe wire.FieldErrors
	if err == nil {
		return nil
	}
	if !errors.As(err, &fe) {
		return wire.FieldErrors{{Field: prefix, Message: codes.Message(err)}}
	}
	out := make(wire.FieldErrors, len(fe))
	for i, f := range fe {
		out[i] = wire.FieldError{Field: prefix + "." + f.Field, Message: f.Message}
	}
	return out
}

// GroupRequest is the body of POST /api/v1/certificates/groups.
type GroupRequest struct {
	Records []certificate.Record `json:"records"`
}

// issueGroup checks every record as a single issue's body is checked (the
// domain's ValidateAt, the signature's encoding, no supersedes) and that every
// record is the caller's department's; then the chaincode checks each against
// the ledger and answers one by one (issued, replay, refused). A retried group
// is safe: records already written come back as replays.
func (s *Server) issueGroup(w http.ResponseWriter, r *http.Request) error {
	var g GroupRequest
	if err := decodeJSON(r, &g); err != nil {
		return err
	}
	var c checks
	if len(g.Records) == 0 || len(g.Records) > maxGroupHTTP {
		c.add("records", "a group holds 1 to %d records, not %d", maxGroupHTTP, len(g.Records))
	}
	var issuers []string
	now := time.Now() // the bound ahead, as validateCertificate; the chaincode checks it at its transaction time
	for i, rec := range g.Records {
		field := fmt.Sprintf("records[%d]", i)
		c.fe = append(c.fe, under(field, rec.ValidateAt(now))...)
		c.signature(field+".signature", rec.Signature)
		if rec.Supersedes != "" {
			c.add(field+".supersedes", "must be empty in a group; use POST /api/v1/certificates/%s/supersede", rec.Supersedes)
		}
		if !slices.Contains(issuers, rec.Issuer) {
			issuers = append(issuers, rec.Issuer)
		}
	}
	if err := c.err(); err != nil {
		return err
	}
	audit(r, fmt.Sprintf("certificate-group/%d", len(g.Records)))
	for _, issuer := range issuers {
		if err := authorizeIssuer(r, "a certificate of the group", issuer); err != nil {
			return err
		}
	}
	return s.submitWrite(w, r, http.StatusOK, info(r).principal.Org, "certificate:IssueGroup", mustJSON(g))
}

// anchorBatch anchors a signed batch header. A retried anchoring whose first
// attempt committed (the ledger says the id is anchored, and with this very
// header) answers the anchoring with 200 and Idempotent-Replay.
func (s *Server) anchorBatch(w http.ResponseWriter, r *http.Request) error {
	var h batch.Header
	if err := decodeJSON(r, &h); err != nil {
		return err
	}
	var c checks
	c.signature("signature", h.Signature)
	if err := invalid(h.Validate(), &c); err != nil {
		return err
	}
	audit(r, "batch/"+h.ID)
	if err := authorizeIssuer(r, "batch "+h.ID, h.Issuer); err != nil {
		return err
	}
	if err := s.checkStagedIDs(h); err != nil {
		return err
	}
	org := info(r).principal.Org
	res, err := s.submit(r.Context(), org, "batch:Anchor", mustJSON(h))
	return s.answerWrite(w, r, res, err, http.StatusCreated, org, "batch:Get", h.ID, func(raw []byte) (string, bool) {
		var a batch.Anchored
		if json.Unmarshal(raw, &a) != nil || !sameHeader(a.Header, h) {
			return "", false // another header holds the id: the original CONFLICT
		}
		return a.TxID, true
	}, codes.Conflict)
}

// BatchIDChecker is what a VerifyModel may also do: name the ids of a batch
// file that already belong to a certificate on the ledger or in another batch
// (readmodel.Model.TakenIDs).
type BatchIDChecker interface {
	TakenIDs(batchID string, r io.Reader, limit int) (taken []string, n int, err error)
}

// checkStagedIDs refuses to anchor a batch whose file, staged in this
// gateway's batch store before the anchoring, holds certificate ids that the
// read model knows already (409, nothing anchored): the chaincode never sees
// the ids. Without a model, a store or a staged file there is nothing to check.
func (s *Server) checkStagedIDs(h batch.Header) error {
	m, ok := s.opts.VerifyModel.(BatchIDChecker)
	if !ok || s.opts.BatchDir == "" {
		return nil
	}
	st, err := s.batchStore()
	if err != nil {
		return err
	}
	p, ok := st.Staged(h.Issuer, h.ID)
	if !ok {
		return nil
	}
	f, err := os.Open(p)
	if err != nil {
		return fmt.Errorf("reading the staged file of batch %s: %w", h.ID, err)
	}
	defer func() { _ = f.Close() }() // read-only
	taken, n, err := m.TakenIDs(h.ID, f, 5)
	if err != nil {
		return fmt.Errorf("checking the ids of batch %s: %w", h.ID, err)
	}
	if n > 0 {
		return errmap.New(http.StatusConflict, codes.Conflict, fmt.Sprintf(
			"batch %s: %d certificate id(s) of its staged file already name a certificate on the ledger or in another batch (%s); nothing anchored",
			h.ID, n, strings.Join(taken, ", ")))
	}
	return nil
}

// sameHeader reports whether two headers are the same signed header.
func sameHeader(a, b batch.Header) bool { return mustJSON(a) == mustJSON(b) }

// anchored reads batch id from the ledger.
func (s *Server) anchored(r *http.Request, id string) (batch.Anchored, error) {
	var a batch.Anchored
	res, err := s.ledger.Evaluate(r.Context(), s.org(r), "batch:Get", id)
	if err != nil {
		return a, err
	}
	if err := json.Unmarshal(res, &a); err != nil {
		return a, fmt.Errorf("decoding batch %s: %w", id, err)
	}
	return a, nil
}

// batchHead answers ?department=ID with its last anchored batch (batch:Head).
func (s *Server) batchHead(w http.ResponseWriter, r *http.Request) error {
	dept := r.URL.Query().Get("department")
	var c checks
	c.dept("department", dept, true)
	if err := c.err(); err != nil {
		return err
	}
	return s.evaluateWrite(w, r, s.org(r), "batch:Head", dept)
}

// getBatch answers the anchored header and whether this gateway stores its file.
func (s *Server) getBatch(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	audit(r, "batch/"+id)
	a, err := s.anchored(r, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"batch": a, "file": s.fileState(a.Header)})
}
