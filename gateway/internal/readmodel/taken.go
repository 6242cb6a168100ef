package readmodel

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// TakenIDs reads the lines of a batch file for batch batchID — typically a
// staged upload, whose incomplete last line is ignored — and returns the
// certificate ids that already name a certificate on the ledger or in another
// batch the model has indexed: at most limit of them, and how many there are.
// The gateway refuses to anchor a batch whose staged file has any (docs/batches.md).
// Lines that are not records are skipped: the batch store's check refuses them.
// It reflects the blocks the model has applied (a lagging model checks less).
func (m *Model) TakenIDs(batchID string, r io.Reader, limit int) ([]string, int, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	var out []string
	n := 0
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
		taken, err := m.idTaken(batchID, rec.ID)
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
// indexed batch other than batchID.
func (m *Model) idTaken(batchID, id string) (bool, error) {
	raw, found, err := get(m.db, key(kindCert, id))
	if err != nil {
		return false, err
	}
	if found {
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
	v, found, err := m.batchedValue(id, "")
	return found && v.BatchID != batchID, err
}
