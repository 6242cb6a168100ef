package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/certledger/certledger/gateway/internal/batchstore"
	"github.com/certledger/certledger/gateway/internal/config"
	"github.com/certledger/certledger/gateway/internal/errmap"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/batch"
	"github.com/certledger/certledger/internal/domain/certificate"
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

// maxGroupHTTP bounds a group at the gateway; the chaincode's own limit
// (certificate:GroupLimit, default 500) refuses larger ones.
const maxGroupHTTP = 10000

func (s *Server) registerBatches(r *Router) {
	writers := []string{config.RoleAdmin, config.RoleClerk}
	r.Add(Route{Pattern: "POST /api/v1/certificates/groups", Roles: writers, Handler: s.issueGroup})
	r.Add(Route{Pattern: "POST /api/v1/batches", Roles: writers, Handler: s.anchorBatch})
	r.Add(Route{Pattern: "GET /api/v1/batches", Public: true, Handler: s.batchHead})
	r.Add(Route{Pattern: "GET /api/v1/batches/{id}", Public: true, Handler: s.getBatch})
	r.Add(Route{Pattern: "GET /api/v1/batches/{id}/upload", Handler: s.batchUploadStatus})
	r.Add(Route{Pattern: "PUT /api/v1/batches/{id}/file", Handler: s.uploadBatchChunk})
	r.Add(Route{Pattern: "GET /api/v1/batches/{id}/file", Public: true, Handler: s.downloadBatchFile})
	for _, a := range []struct{ action, fn string }{
		{"revoke", "certificate:Revoke"}, {"suspend", "certificate:Suspend"}, {"reinstate", "certificate:Reinstate"},
	} {
		r.Add(Route{Pattern: "POST /api/v1/batches/{id}/certificates/{cert}/" + a.action, Roles: writers, Handler: s.changeBatchedStatus(a.action, a.fn)})
	}
	r.Add(Route{Pattern: "POST /api/v1/batches/{id}/certificates/{cert}/supersede", Roles: writers, Handler: s.supersedeBatched})
}

// BatchedLeaf is a batched certificate's record and inclusion proof, which a
// status change carries until the certificate is on the ledger by itself.
type BatchedLeaf struct {
	Record batch.Record `json:"record"`
	Proof  batch.Proof  `json:"proof"`
}

// BatchedStatusRequest is the body of a status change of a batched certificate:
// the signed request (prevTxId = the batch's anchoring txId the first time)
// plus its leaf.
type BatchedStatusRequest struct {
	certificate.StatusRequest
	Batched BatchedLeaf `json:"batched"`
}

// BatchedSupersede is the body of a supersede of a batched certificate: the
// new signed record plus the old one's leaf.
type BatchedSupersede struct {
	certificate.Record
	Batched BatchedLeaf `json:"batched"`
}

// batchedPath reads and checks the batch id and certificate id of the path
// against the leaf.
func batchedPath(r *http.Request, leaf BatchedLeaf) (string, error) {
	bid, err := pathID(r, "id")
	if err != nil {
		return "", err
	}
	cid, err := pathID(r, "cert")
	if err != nil {
		return "", err
	}
	var f fieldErrors
	if leaf.Proof.BatchID != bid {
		f.add("batched.proof.batchId", "must equal the batch in the path (%s)", bid)
	}
	if leaf.Record.ID != cid {
		f.add("batched.record.id", "must equal the certificate in the path (%s)", cid)
	}
	if err := leaf.Proof.Validate(); err != nil {
		f.add("batched.proof", "%s", strings.TrimPrefix(err.Error(), codes.InvalidArgument+": "))
	}
	return cid, f.err()
}

// changeBatchedStatus revokes, suspends or reinstates a certificate of a batch
// (docs/batches.md): the chaincode checks the leaf against the anchored root
// and writes the certificate by id on its first status change.
func (s *Server) changeBatchedStatus(action, fn string) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var in BatchedStatusRequest
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		id, err := batchedPath(r, in.Batched)
		if err != nil {
			return err
		}
		var f fieldErrors
		if in.CertificateID != id {
			f.add("certificateId", "must equal the certificate in the path (%s)", id)
		}
		if in.Action != action {
			f.add("action", "must be %q on this endpoint", action)
		}
		f.required("reason", in.Reason)
		f.hash("keyId", in.KeyID, true)
		f.required("prevTxId", in.PrevTxID)
		f.base64("signature", in.Signature)
		if err := f.err(); err != nil {
			return err
		}
		p := info(r).principal
		audit(r, "certificate/"+id)
		if in.Batched.Record.Issuer != p.Department {
			return forbidden("certificate %s was issued by %s, not %s", id, in.Batched.Record.Issuer, p.Department)
		}
		return s.submitWrite(w, r, http.StatusOK, p.Org, fn, mustJSON(in))
	}
}

func (s *Server) supersedeBatched(w http.ResponseWriter, r *http.Request) error {
	var in BatchedSupersede
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	oldID, err := batchedPath(r, in.Batched)
	if err != nil {
		return err
	}
	if err := validateCertificate(&in.Record); err != nil {
		return err
	}
	if in.Supersedes != oldID {
		return badRequest("supersedes: must equal the certificate in the path (%s)", oldID)
	}
	p := info(r).principal
	audit(r, "certificate/"+in.ID)
	if in.Issuer != p.Department || in.Batched.Record.Issuer != p.Department {
		return forbidden("certificate %s was issued by %s; %s cannot supersede it", oldID, in.Batched.Record.Issuer, p.Department)
	}
	return s.submitWrite(w, r, http.StatusCreated, p.Org, "certificate:Supersede", mustJSON(in))
}

// batchStores holds one store per directory for the process.
var batchStores sync.Map // dir -> *batchstore.Store

// batchStore returns the store of Options.BatchDir (503 when none is configured).
func (s *Server) batchStore() (*batchstore.Store, error) {
	dir := s.opts.BatchDir
	if dir == "" {
		return nil, errmap.New(http.StatusServiceUnavailable, errmap.Unavailable, "this gateway has no batch store (set batchDir)")
	}
	if st, ok := batchStores.Load(dir); ok {
		return st.(*batchstore.Store), nil
	}
	st, err := batchstore.Open(dir)
	if err != nil {
		return nil, err
	}
	actual, _ := batchStores.LoadOrStore(dir, st)
	return actual.(*batchstore.Store), nil
}

// GroupRequest is the body of POST /api/v1/certificates/groups.
type GroupRequest struct {
	Records []certificate.Record `json:"records"`
}

func (s *Server) issueGroup(w http.ResponseWriter, r *http.Request) error {
	var g GroupRequest
	if err := decodeJSON(r, &g); err != nil {
		return err
	}
	if len(g.Records) == 0 || len(g.Records) > maxGroupHTTP {
		return badRequest("records: a group holds 1 to %d records, not %d", maxGroupHTTP, len(g.Records))
	}
	p := info(r).principal
	audit(r, fmt.Sprintf("certificate-group/%d", len(g.Records)))
	// Each record is checked by the chaincode exactly as a single issue and
	// answered one by one; a record of another department is refused there.
	return s.submitWrite(w, r, http.StatusOK, p.Org, "certificate:IssueGroup", mustJSON(g))
}

func (s *Server) anchorBatch(w http.ResponseWriter, r *http.Request) error {
	var h batch.Header
	if err := decodeJSON(r, &h); err != nil {
		return err
	}
	if err := h.Validate(); err != nil {
		return badRequest("%s", strings.TrimPrefix(err.Error(), codes.InvalidArgument+": "))
	}
	p := info(r).principal
	audit(r, "batch/"+h.ID)
	if h.Issuer != p.Department {
		return forbidden("issuer %s is not your department (%s)", h.Issuer, p.Department)
	}
	return s.submitWrite(w, r, http.StatusCreated, p.Org, "batch:Anchor", mustJSON(h))
}

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

// BatchFileState says where a batch's file is.
type BatchFileState struct {
	Stored bool   `json:"stored"` // in this gateway's store, under fileHash
	Staged int64  `json:"staged"` // bytes of an unfinished upload
	Path   string `json:"path,omitempty"`
}

func (s *Server) fileState(id, fileHash string) BatchFileState {
	st, err := s.batchStore()
	if err != nil {
		return BatchFileState{}
	}
	off, _ := st.Offset(id)
	return BatchFileState{Stored: st.Has(fileHash), Staged: off}
}

// batchHead answers ?department=ID with its last anchored batch (batch:Head).
func (s *Server) batchHead(w http.ResponseWriter, r *http.Request) error {
	dept := r.URL.Query().Get("department")
	if dept == "" {
		return badRequest("department: give ?department=ID")
	}
	return s.evaluateWrite(w, r, s.org(r), "batch:Head", dept)
}

func (s *Server) getBatch(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	a, err := s.anchored(r, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"batch": a, "file": s.fileState(id, a.FileHash)})
}

func (s *Server) batchUploadStatus(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	st, err := s.batchStore()
	if err != nil {
		return err
	}
	off, err := st.Offset(id)
	if err != nil {
		return badRequest("%v", err)
	}
	w.Header().Set("Upload-Offset", strconv.FormatInt(off, 10))
	return writeJSON(w, http.StatusOK, map[string]any{"id": id, "offset": off})
}

// parseContentRange reads "bytes START-END/TOTAL" (END inclusive).
func parseContentRange(v string) (start, end, total int64, err error) {
	_, err = fmt.Sscanf(v, "bytes %d-%d/%d", &start, &end, &total)
	if err != nil || start < 0 || end < start || total <= end {
		return 0, 0, 0, badRequest("Content-Range must be \"bytes START-END/TOTAL\" (END inclusive), got %q", v)
	}
	return start, end, total, nil
}

// uploadBatchChunk appends one chunk (Content-Range: bytes START-END/TOTAL) to
// the staged upload. START must be the staged size (409 with Upload-Offset
// otherwise). When the file is complete it is checked against the anchored
// header and stored (201), or refused (400, staging dropped); before that 202.
func (s *Server) uploadBatchChunk(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	st, err := s.batchStore()
	if err != nil {
		return err
	}
	audit(r, "batch-file/"+id)
	cr := r.Header.Get("Content-Range")
	var size, end, total int64
	if n, _ := fmt.Sscanf(cr, "bytes */%d", &total); n == 1 && total > 0 {
		// No data: finish an upload whose bytes are all staged (after anchoring).
		size, err = st.Offset(id)
		end = size - 1
	} else {
		var start int64
		if start, end, total, err = parseContentRange(cr); err != nil {
			return err
		}
		size, err = st.Append(id, start, total, io.LimitReader(r.Body, end-start+1))
	}
	w.Header().Set("Upload-Offset", strconv.FormatInt(size, 10))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return decodeError(err)
	case errors.Is(err, batchstore.ErrOffset):
		return errmap.New(http.StatusConflict, codes.Conflict, err.Error()+" (resume from Upload-Offset)")
	case errors.Is(err, batchstore.ErrTooLarge):
		return badRequest("%v", err)
	case err != nil:
		return err
	}
	if size < end+1 {
		return badRequest("the chunk ended at byte %d, Content-Range says %d (resume from Upload-Offset)", size, end+1)
	}
	if size < total {
		return writeJSON(w, http.StatusAccepted, map[string]any{"id": id, "offset": size, "total": total})
	}
	a, err := s.anchored(r, id)
	if err != nil {
		return err // the file stays staged: anchor the header, then PUT "Content-Range: bytes */TOTAL"
	}
	sum, err := st.Finalize(a.Header)
	if err != nil {
		if errors.Is(err, batch.ErrBadFile) {
			return badRequest("batch %s: %v", id, err)
		}
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]any{"id": id, "stored": true, "fileHash": sum.FileHash, "root": sum.Root, "count": sum.Count})
}

func (s *Server) downloadBatchFile(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	st, err := s.batchStore()
	if err != nil {
		return err
	}
	a, err := s.anchored(r, id)
	if err != nil {
		return err
	}
	f, err := os.Open(st.Path(a.FileHash))
	if err != nil {
		return errmap.New(http.StatusNotFound, codes.NotFound, "batch "+id+": this gateway does not hold its file")
	}
	defer func() { _ = f.Close() }() // read-only
	w.Header().Set("Content-Type", "application/jsonl")
	w.Header().Set("ETag", `"`+a.FileHash+`"`)
	http.ServeContent(w, r, id+".jsonl", statTime(f), f)
	return nil
}

func statTime(f *os.File) time.Time {
	if fi, err := f.Stat(); err == nil {
		return fi.ModTime()
	}
	return time.Time{}
}
