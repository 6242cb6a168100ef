package readmodel

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/cockroachdb/pebble/v2"
)

// TakenIDs reads the lines of a batch file for batch batchID — typically a
// staged upload, whose incomplete last line is ignored — and returns the
// certificate ids that already name a certificate on the ledger or in another
// batch the model has indexed: at most limit of them, and how many there are.
// The gateway refuses to anchor a batch whose staged file has any (docs/batches.md).
// Lines that are not records are skipped: the batch store's check refuses them.
// It reflects the blocks the model has applied (a lagging model checks less).
func (m *Model) TakenIDs(batchID string, r io.Reader, limit int) (out []string, n int, err error) {
	// One snapshot and one iterator over the batched records serve every id
	// (an iterator per id costs more than the lookup).
	snap := m.db.NewSnapshot()
	defer func() { _ = snap.Close() }() // read-only
	lo := key(kindBatched)
	it, err := snap.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: prefixEnd(lo)})
	if err != nil {
		return nil, 0, err
	}
	defer func() {
		if cerr := it.Close(); err == nil {
			err = cerr
		}
	}()
	br := bufio.NewReaderSize(r, 1<<20)
	var k []byte
	for lineNo := 1; ; lineNo++ {
		b, err := br.ReadSlice('\n')
		if errors.Is(err, io.EOF) {
			return out, n, nil // no line, or an incomplete last one
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			return out, n, fmt.Errorf("batch %s: line %d is too long", batchID, lineNo)
		}
		if err != nil {
			return out, n, err
		}
		var rec batchLine
		if line := b[:len(b)-1]; !lineKeys(line, &rec) && json.Unmarshal(line, &rec) != nil {
			continue
		}
		taken, err := idTaken(snap, it, &k, batchID, rec.ID)
		if err != nil {
			return out, n, err
		}
		if taken {
			if n++; len(out) < limit {
				out = append(out, rec.ID)
			}
		}
	}
}

// idTaken reports whether id names a certificate on the ledger or in an
// indexed batch other than batchID; it is the model's batchedValue lookup
// with it, an iterator over B\x00 kept from one id to the next (k its key
// buffer).
func idTaken(snap *pebble.Snapshot, it *pebble.Iterator, k *[]byte, batchID, id string) (bool, error) {
	raw, found, err := get(snap, key(kindCert, id))
	if err != nil {
		return false, err
	}
	if !found {
		*k = append(append(append((*k)[:0], kindBatched, 0), id...), 0)
		if !it.SeekGE(*k) || !bytes.HasPrefix(it.Key(), *k) {
			return false, it.Error()
		}
		v, err := decodeCert(it.Value())
		if err != nil {
			return false, fmt.Errorf("certificate %s: %w", id, err)
		}
		return v.BatchID != batchID, nil // the earliest batch holding id
	}
	v, err := decodeCert(raw)
	if err != nil {
		return false, err
	}
	var c struct {
		BatchID string `json:"batchId"`
	}
	_ = json.Unmarshal(v.JSON, &c) // a record without a batch id is taken
	return c.BatchID != batchID || batchID == "", nil
}
