// Package batchstore is the gateway's store of batch files: a directory that
// several gateways may share (a shared volume). A batch file is stored under
// its SM3, <dir>/<fileHash>.jsonl, and only after it rebuilds its anchored
// header exactly (root, leaf count, file hash, types, every record valid for the
// issuer and key, ids distinct, and for a v2 batch every record's issuerCode,
// issuerName and holderCodeType those the registry and the type catalogue give
// its issuer and type, as a single v2 issue must have: the chaincode anchored
// the header without seeing the records). Uploads are streamed in chunks into
// <dir>/staging/<department>/<batch id>.part and resumable: a client asks the
// offset and sends the rest. Staging is per department: only the issuing
// department's staged bytes can become a batch's file, and another
// department's upload under the same batch id never touches them. Memory stays flat whatever the file size (the check streams
// the file; only the duplicate-id set grows, 16 bytes per record).
package batchstore

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/batch"
	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/domain/certtype"
	"github.com/certledger/certledger/internal/domain/registry"
	"github.com/certledger/certledger/internal/domain/wire"
)

// Errors returned (wrapped) by the store.
var (
	ErrOffset   = errors.New("upload offset mismatch")
	ErrTooLarge = errors.New("upload larger than announced")
	ErrNotFound = errors.New("batch file not stored")
)

// MaxFileSize bounds one batch file.
const MaxFileSize = int64(batch.MaxRecords) * batch.MaxLine

// Store is a batch file directory.
type Store struct {
	dir string
	mu  sync.Mutex
	// busy holds the batch ids whose staged file is being written or checked.
	busy map[string]bool
}

// Open opens (creating) the store at dir.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(filepath.Join(dir, "staging"), 0o755); err != nil {
		return nil, fmt.Errorf("batch store: %w", err)
	}
	return &Store{dir: dir, busy: map[string]bool{}}, nil
}

// Dir is the store's directory.
func (s *Store) Dir() string { return s.dir }

// Path is where the file of hash fileHash is stored.
func (s *Store) Path(fileHash string) string { return filepath.Join(s.dir, fileHash+".jsonl") }

func (s *Store) staged(dept, id string) string {
	return filepath.Join(s.dir, "staging", dept, id+".part")
}

// Staged returns the path of the bytes department dept has staged for batch
// id, if any (an upload not finished, or waiting for the anchoring).
func (s *Store) Staged(dept, id string) (string, bool) {
	if checkIDs(dept, id) != nil {
		return "", false
	}
	p := s.staged(dept, id)
	_, err := os.Stat(p)
	return p, err == nil
}

// checkIDs refuses a department or batch id that is not one (they name files).
func checkIDs(dept, id string) error {
	if !wire.ValidDeptID(dept) {
		return fmt.Errorf("department %q is not a department id", dept)
	}
	if !wire.ValidID(id) {
		return fmt.Errorf("batch id %q is not a record id", id)
	}
	return nil
}

// Has reports whether the file of hash fileHash is stored.
func (s *Store) Has(fileHash string) bool {
	if !wire.ValidHash(fileHash) {
		return false
	}
	_, err := os.Stat(s.Path(fileHash))
	return err == nil
}

// Offset returns how many bytes of department dept's upload of batch id are staged.
func (s *Store) Offset(dept, id string) (int64, error) {
	if err := checkIDs(dept, id); err != nil {
		return 0, err
	}
	fi, err := os.Stat(s.staged(dept, id))
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

func (s *Store) lock(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.busy[id] {
		return fmt.Errorf("%w: another upload of batch %s is in progress", ErrOffset, id)
	}
	s.busy[id] = true
	return nil
}

func (s *Store) unlock(id string) {
	s.mu.Lock()
	delete(s.busy, id)
	s.mu.Unlock()
}

// Append writes body at offset start of department dept's staged upload of
// batch id, whose whole size is total. start must be the staged size (ErrOffset
// otherwise: the caller asks Offset and resumes from there). It returns the new
// staged size.
func (s *Store) Append(dept, id string, start, total int64, body io.Reader) (int64, error) {
	if err := checkIDs(dept, id); err != nil {
		return 0, err
	}
	if total <= 0 || total > MaxFileSize || start < 0 || start > total {
		return 0, fmt.Errorf("%w: bytes %d of %d", ErrTooLarge, start, total)
	}
	if err := s.lock(dept + "/" + id); err != nil {
		return 0, err
	}
	defer s.unlock(dept + "/" + id)
	path := s.staged(dept, id)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return 0, fmt.Errorf("batch store: %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return 0, err
	}
	defer func() { _ = f.Close() }() // closed explicitly on success below
	if !lockFile(f) {
		return 0, fmt.Errorf("%w: another gateway is receiving batch %s", ErrOffset, id)
	}
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	if fi.Size() != start {
		return fi.Size(), fmt.Errorf("%w: %d bytes are staged, the chunk starts at %d", ErrOffset, fi.Size(), start)
	}
	if _, err := f.Seek(start, io.SeekStart); err != nil {
		return start, err
	}
	n, err := io.Copy(f, io.LimitReader(body, total-start+1))
	size := start + n
	if size > total {
		_ = f.Truncate(start) // drop the bad chunk; the client resends
		return start, fmt.Errorf("%w: the chunk runs past the announced %d bytes", ErrTooLarge, total)
	}
	if err != nil {
		// An interrupted chunk keeps what arrived: the client resumes at Offset.
		return size, fmt.Errorf("receiving batch %s: %w", id, err)
	}
	return size, f.Close()
}

// Authority is the ledger's view of a v2 batch's issuer and types, read when
// its file is complete: the issuing department as the registry holds it and
// the catalogue entry of each type of the header (a type missing from Types is
// not in the catalogue). Every record of the file must agree with it as a
// single v2 issue of the record must (certificate.AuthorizeFields).
type Authority struct {
	Department registry.Department
	Types      map[string]certtype.Type
}

// check is Scan's per-record check of a v2 file against a: the error names the
// line, the record and the field.
func (a *Authority) check(i int, rec *batch.Record) error {
	if rec.RecordVersion != certificate.RecordV2 {
		return nil // a file of another kind than its header's: Summary.Matches says so
	}
	t, ok := a.Types[rec.Type]
	if !ok {
		return fmt.Errorf("%w: line %d (%s): type: certificate type %s is not in the type catalogue", batch.ErrBadFile, i+1, rec.ID, rec.Type)
	}
	if err := certificate.AuthorizeFields(rec.Certificate(), t, a.Department); err != nil {
		return fmt.Errorf("%w: line %d (%s): %s (a single issue of this record is refused)", batch.ErrBadFile, i+1, rec.ID, codes.Message(err))
	}
	return nil
}

// Finalize checks the issuer's complete staged upload of batch h.ID against
// its anchored header h and stores it under its SM3. A v2 batch's records are
// checked against auth too (nil for a v1 batch). A file that does not rebuild
// h, or holds a record auth refuses, is deleted and the error (wrapping
// batch.ErrBadFile) names what differs.
func (s *Store) Finalize(h batch.Header, auth *Authority) (batch.Summary, error) {
	if err := checkIDs(h.Issuer, h.ID); err != nil {
		return batch.Summary{}, err
	}
	var each func(int, *batch.Record) error
	switch {
	case h.RecordKind != batch.RecordKindV2:
	case auth == nil || auth.Department.ID != h.Issuer:
		return batch.Summary{}, fmt.Errorf("batch store: batch %s holds v2 records: its issuer %s's registry entry and catalogue types are needed to check them", h.ID, h.Issuer)
	default:
		each = auth.check
	}
	if err := s.lock(h.Issuer + "/" + h.ID); err != nil {
		return batch.Summary{}, err
	}
	defer s.unlock(h.Issuer + "/" + h.ID)
	path := s.staged(h.Issuer, h.ID)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return batch.Summary{}, fmt.Errorf("%w: batch %s has no staged upload", ErrNotFound, h.ID)
	}
	defer func() { _ = f.Close() }() // the lock goes with it
	if !lockFile(f) {
		return batch.Summary{}, fmt.Errorf("%w: another gateway is receiving batch %s", ErrOffset, h.ID)
	}
	sum, err := batch.Scan(f, h.Issuer, h.KeyID, each)
	if err == nil {
		err = sum.Matches(h)
	}
	if err != nil {
		_ = os.Remove(path) // a bad file is dropped; the uploader starts over
		return sum, err
	}
	if err := f.Sync(); err != nil {
		return sum, err
	}
	if err := os.Rename(path, s.Path(h.FileHash)); err != nil {
		return sum, err
	}
	return sum, nil
}
