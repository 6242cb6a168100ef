// Package envelope is the gateway's content-addressed envelope store: a
// provider deposits an exchange's SM2/SM4 envelope (internal/domain/exchange,
// envelope.go) under its SM3 digest, and the consumer fetches it by that
// digest, the envelopeHash the ledger records. The store keeps bytes only; who
// may put and get an envelope is decided by the HTTP layer with package access
// from the envelope's own header. Entries are immutable: putting the same bytes
// again is a no-op, and a digest never names two contents.
//
// With a directory the envelopes are files <dir>/<first two hex>/<digest>,
// written to a temporary file, synced and renamed, so a crash leaves either the
// whole envelope or none. Without one they are kept in memory up to a total
// size (for the devnet and tests).
package envelope

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/certledger/certledger/internal/gm"
)

// Errors returned (wrapped) by the store.
var (
	ErrNotFound = errors.New("envelope not found")
	ErrDigest   = errors.New("digest does not match the content")
	ErrFull     = errors.New("envelope store is full")
)

// DefaultMemoryLimit is the total size an in-memory store keeps.
const DefaultMemoryLimit = 256 << 20

// Store is an envelope store. Safe for concurrent use.
type Store struct {
	dir string

	mu    sync.RWMutex
	mem   map[string][]byte
	total int64
	limit int64
}

// Open returns a store in dir, created if missing; dir "" keeps envelopes in
// memory, up to memLimit bytes in all (0: DefaultMemoryLimit).
func Open(dir string, memLimit int64) (*Store, error) {
	if memLimit <= 0 {
		memLimit = DefaultMemoryLimit
	}
	s := &Store{dir: dir, mem: map[string][]byte{}, limit: memLimit}
	if dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("envelope store %s: %w", dir, err)
		}
	}
	return s, nil
}

// Dir is the store's directory ("" in memory).
func (s *Store) Dir() string { return s.dir }

func (s *Store) path(digest string) string { return filepath.Join(s.dir, digest[:2], digest) }

func checkDigest(digest string) error {
	if err := gm.CheckHash(digest); err != nil {
		return fmt.Errorf("%w: %w", ErrDigest, err)
	}
	return nil
}

// Put stores b under digest, which must be SM3(b). It reports whether the
// envelope is new (false: the same bytes were already there).
func (s *Store) Put(digest string, b []byte) (created bool, err error) {
	if err := checkDigest(digest); err != nil {
		return false, err
	}
	if gm.SM3Hex(b) != digest {
		return false, fmt.Errorf("%w: SM3 of the %d bytes is %s", ErrDigest, len(b), gm.SM3Hex(b))
	}
	if s.dir == "" {
		s.mu.Lock()
		defer s.mu.Unlock()
		if _, ok := s.mem[digest]; ok {
			return false, nil
		}
		if s.total+int64(len(b)) > s.limit {
			return false, fmt.Errorf("%w: %d bytes kept in memory (configure a directory)", ErrFull, s.total)
		}
		s.mem[digest] = append([]byte(nil), b...)
		s.total += int64(len(b))
		return true, nil
	}
	p := s.path(digest)
	if _, err := os.Stat(p); err == nil {
		return false, nil
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return false, fmt.Errorf("envelope store: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".put-*")
	if err != nil {
		return false, fmt.Errorf("envelope store: %w", err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }() // gone after the rename; cleans up on failure
	if _, err := tmp.Write(b); err != nil {
		_ = tmp.Close() // the write error is the one to report
		return false, fmt.Errorf("envelope store: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close() // the sync error is the one to report
		return false, fmt.Errorf("envelope store: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return false, fmt.Errorf("envelope store: %w", err)
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return false, fmt.Errorf("envelope store: %w", err)
	}
	return true, nil
}

// Get returns the envelope stored under digest, checking that its bytes still
// hash to it.
func (s *Store) Get(digest string) ([]byte, error) {
	if err := checkDigest(digest); err != nil {
		return nil, err
	}
	var b []byte
	if s.dir == "" {
		s.mu.RLock()
		b = s.mem[digest]
		s.mu.RUnlock()
		if b == nil {
			return nil, fmt.Errorf("%w: %s", ErrNotFound, digest)
		}
		return append([]byte(nil), b...), nil
	}
	b, err := os.ReadFile(s.path(digest))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, digest)
	}
	if err != nil {
		return nil, fmt.Errorf("envelope store: %w", err)
	}
	if gm.SM3Hex(b) != digest {
		return nil, fmt.Errorf("%w: stored file %s is corrupted", ErrDigest, s.path(digest))
	}
	return b, nil
}
