package gm

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/emmansun/gmsm/sm3"
)

// ErrBadHash is returned (wrapped) for a digest that is not 64 lowercase hex characters.
var ErrBadHash = errors.New("bad SM3 hash")

// SaltSize is the size of a holder or reporter commitment salt in bytes.
const SaltSize = 16

// SM3Hex returns the SM3 digest of b as lowercase hex.
func SM3Hex(b []byte) string {
	d := sm3.Sum(b)
	return hex.EncodeToString(d[:])
}

// SM3Reader hashes everything r yields in constant memory and returns the digest
// as lowercase hex and the number of bytes read. Reading and hashing overlap: one
// goroutine fills a few fixed buffers while the caller's goroutine hashes them, so
// hashing a file runs at close to in-memory SM3 speed on a machine with two cores.
func SM3Reader(r io.Reader) (string, int64, error) {
	const bufSize, nbuf = 1 << 20, 3
	type chunk struct {
		b []byte
		n int
	}
	free := make(chan []byte, nbuf)
	for i := 0; i < nbuf; i++ {
		free <- make([]byte, bufSize)
	}
	full := make(chan chunk, nbuf)
	errc := make(chan error, 1)
	done := make(chan struct{})
	defer close(done)
	go func() {
		defer close(full)
		for {
			var b []byte
			select {
			case b = <-free:
			case <-done:
				return
			}
			n, err := io.ReadFull(r, b)
			if n > 0 {
				full <- chunk{b, n}
			}
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				return
			}
			if err != nil {
				errc <- err
				return
			}
		}
	}()
	h := sm3.New()
	var total int64
	for c := range full {
		h.Write(c.b[:c.n])
		total += int64(c.n)
		free <- c.b
	}
	select {
	case err := <-errc:
		return "", total, fmt.Errorf("hashing: %w", err)
	default:
	}
	return hex.EncodeToString(h.Sum(nil)), total, nil
}

// SM3File hashes the file at path in constant memory.
func SM3File(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer func() { _ = f.Close() }() // read-only file
	return SM3Reader(f)
}

// CheckHash reports whether s is a well-formed SM3 digest: 64 lowercase hex characters.
func CheckHash(s string) error {
	if len(s) != 64 {
		return fmt.Errorf("%w: want 64 hex characters, got %d", ErrBadHash, len(s))
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return fmt.Errorf("%w: character %d (%q) is not lowercase hex", ErrBadHash, i, c)
		}
	}
	return nil
}

// NewSalt returns SaltSize random bytes from crypto/rand.
func NewSalt() ([]byte, error) {
	s := make([]byte, SaltSize)
	if _, err := rand.Read(s); err != nil {
		return nil, err
	}
	return s, nil
}

// Commitment returns SM3hex(salt ‖ identifier): what the ledger stores instead of a
// holder's or reporter's identifier. The salt stays with the person.
func Commitment(salt []byte, identifier string) string {
	h := sm3.New()
	h.Write(salt)
	h.Write([]byte(identifier))
	return hex.EncodeToString(h.Sum(nil))
}
