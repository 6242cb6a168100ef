package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/certledger/certledger/gateway/internal/batchstore"
	"github.com/certledger/certledger/gateway/internal/errmap"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/batch"
	"github.com/certledger/certledger/internal/domain/certtype"
)

// Batch file uploads. A department's clerk or administrator streams the file in
// chunks into its department's staging area of the store (batchstore: staging
// is per department, so no other department can touch it), asks how far it got
// and resumes. Once a batch is anchored only its issuing department may upload
// for it; the file is stored when it is complete and rebuilds the anchored
// header. Before anchoring the bytes stay staged (finish with "Content-Range:
// bytes */TOTAL" once anchored).

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

// BatchFileState says where a batch's file is.
type BatchFileState struct {
	Stored bool  `json:"stored"` // in this gateway's store, under fileHash
	Staged int64 `json:"staged"` // bytes of the issuer's unfinished upload
}

func (s *Server) fileState(h batch.Header) BatchFileState {
	st, err := s.batchStore()
	if err != nil {
		return BatchFileState{}
	}
	off, _ := st.Offset(h.Issuer, h.ID)
	return BatchFileState{Stored: st.Has(h.FileHash), Staged: off}
}

// uploadTarget validates the batch id of the path and, when the batch is
// anchored, lets only its issuing department upload (anchored is nil before
// the anchoring).
func (s *Server) uploadTarget(r *http.Request) (id string, anchored *batch.Anchored, err error) {
	if id, err = pathID(r, "id"); err != nil {
		return "", nil, err
	}
	audit(r, "batch-file/"+id)
	a, err := s.anchored(r, id)
	switch {
	case err == nil:
		if err := authorizeIssuer(r, "batch "+id, a.Issuer); err != nil {
			return "", nil, err
		}
		return id, &a, nil
	case codes.Code(err) == codes.NotFound:
		return id, nil, nil
	default:
		return "", nil, err
	}
}

// batchUploadStatus answers how many bytes of the caller's department's upload
// of the batch are staged.
func (s *Server) batchUploadStatus(w http.ResponseWriter, r *http.Request) error {
	id, _, err := s.uploadTarget(r)
	if err != nil {
		return err
	}
	st, err := s.batchStore()
	if err != nil {
		return err
	}
	off, err := st.Offset(info(r).principal.Department, id)
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
		var c checks
		c.add("Content-Range", "must be \"bytes START-END/TOTAL\" (END inclusive) or \"bytes */TOTAL\", got %q", v)
		return 0, 0, 0, c.err()
	}
	return start, end, total, nil
}

// uploadBatchChunk appends one chunk (Content-Range: bytes START-END/TOTAL) to
// the caller's department's staged upload. START must be the staged size (409
// with Upload-Offset otherwise). When the file is complete it is checked
// against the anchored header and stored (201), or refused (400, staging
// dropped); before that 202. "bytes */TOTAL" finishes an upload whose bytes are
// all staged (after a late anchoring).
func (s *Server) uploadBatchChunk(w http.ResponseWriter, r *http.Request) error {
	id, a, err := s.uploadTarget(r)
	if err != nil {
		return err
	}
	st, err := s.batchStore()
	if err != nil {
		return err
	}
	dept := info(r).principal.Department
	cr := r.Header.Get("Content-Range")
	var size, end, total int64
	if n, _ := fmt.Sscanf(cr, "bytes */%d", &total); n == 1 && total > 0 {
		size, err = st.Offset(dept, id)
		end = size - 1
	} else {
		var start int64
		if start, end, total, err = parseContentRange(cr); err != nil {
			return err
		}
		size, err = st.Append(dept, id, start, total, io.LimitReader(r.Body, end-start+1))
	}
	w.Header().Set("Upload-Offset", strconv.FormatInt(size, 10))
	if err := uploadError(err); err != nil {
		return err
	}
	if size < end+1 {
		return badRequest("the chunk ended at byte %d, Content-Range says %d (resume from Upload-Offset)", size, end+1)
	}
	if size < total {
		return writeJSON(w, http.StatusAccepted, map[string]any{"id": id, "offset": size, "total": total})
	}
	if a == nil {
		return errmap.New(http.StatusNotFound, codes.NotFound, fmt.Sprintf("batch %s is not anchored: the file stays staged; anchor its header, then PUT with \"Content-Range: bytes */%d\"", id, total))
	}
	auth, err := s.batchAuthority(r, a.Header)
	if err != nil {
		return err
	}
	prepared := s.prepareBatch(st, a.Header)
	t0 := time.Now()
	sum, err := st.Finalize(a.Header, auth)
	if err == nil {
		s.log.Info("batch file stored", "batch", id, "fileHash", sum.FileHash, "records", sum.Count, "checkSeconds", time.Since(t0).Seconds())
	}
	prepared(err == nil)
	if err != nil {
		if errors.Is(err, batch.ErrBadFile) {
			return badRequest("batch %s: %s", id, codes.Message(err))
		}
		return err
	}
	if s.opts.BatchStored != nil {
		s.opts.BatchStored(sum.FileHash)
	}
	return writeJSON(w, http.StatusCreated, map[string]any{"id": id, "stored": true, "fileHash": sum.FileHash, "root": sum.Root, "count": sum.Count})
}

// prepareBatch starts preparing the read model's indexing of batch h's staged
// file (Options.PrepareBatch) alongside the store's check of it, reading its
// own handle of the file; the returned function waits for it, then commits it
// if the store accepted the file (stored) and discards it otherwise.
func (s *Server) prepareBatch(st *batchstore.Store, h batch.Header) func(stored bool) {
	nothing := func(bool) {}
	if s.opts.PrepareBatch == nil {
		return nothing
	}
	path, ok := st.Staged(h.Issuer, h.ID)
	if !ok {
		return nothing
	}
	f, err := os.Open(path)
	if err != nil {
		return nothing
	}
	type result struct {
		commit  func() error
		discard func()
		err     error
	}
	done := make(chan result, 1)
	go func() {
		defer func() { _ = f.Close() }() // read-only
		var r result
		r.commit, r.discard, r.err = s.opts.PrepareBatch(h.ID, f)
		done <- r
	}()
	return func(stored bool) {
		r := <-done
		switch {
		case r.err != nil:
			s.log.Info("batch file not prepared for the read model while checked", "batch", h.ID, "reason", r.err.Error())
		case !stored:
			r.discard()
		default:
			if err := r.commit(); err != nil {
				s.log.Error("indexing a stored batch file", "batch", h.ID, "error", err)
			}
		}
	}
}

// batchAuthority reads what the records of a v2 batch are checked against
// when its file is stored (batchstore.Authority): the issuing department from
// the registry and each type of the header from the catalogue (a type the
// catalogue does not hold is left out, and a record of it refused). nil for a
// v1 batch.
func (s *Server) batchAuthority(r *http.Request, h batch.Header) (*batchstore.Authority, error) {
	if h.RecordKind != batch.RecordKindV2 {
		return nil, nil
	}
	org := s.org(r)
	raw, err := s.ledger.Evaluate(r.Context(), org, "registry:GetDepartment", h.Issuer)
	if err != nil {
		return nil, err
	}
	auth := &batchstore.Authority{Types: make(map[string]certtype.Type, len(h.Types))}
	if err := json.Unmarshal(raw, &auth.Department); err != nil {
		return nil, fmt.Errorf("decoding department %s: %w", h.Issuer, err)
	}
	for _, code := range h.Types {
		raw, err := s.ledger.Evaluate(r.Context(), org, "certtype:Get", code)
		if err != nil {
			if c, _, _ := errmap.ChaincodeCode(err); c == codes.NotFound {
				continue
			}
			return nil, err
		}
		var t certtype.Type
		if err := json.Unmarshal(raw, &t); err != nil {
			return nil, fmt.Errorf("decoding certificate type %s: %w", code, err)
		}
		auth.Types[code] = t
	}
	return auth, nil
}

// uploadError maps a batch store error to the answer.
func uploadError(err error) error {
	var mbe *http.MaxBytesError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &mbe):
		return decodeError(err)
	case errors.Is(err, batchstore.ErrOffset):
		return errmap.New(http.StatusConflict, codes.Conflict, err.Error()+" (resume from Upload-Offset)")
	case errors.Is(err, batchstore.ErrTooLarge):
		return badRequest("%v", err)
	}
	return err
}

// downloadBatchFile serves a stored batch file (public, like the certificates
// it holds).
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
