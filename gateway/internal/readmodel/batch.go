package readmodel

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"

	"github.com/cockroachdb/pebble/v2"

	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/domain/wire"
)

// BatchFiles is what the read model needs from the batch store: the records of
// an anchored batch, in leaf order, and one record read back by its position.
// The gateway's batch store (a directory of files named by their SM3) satisfies
// it through Dir; a store is trusted to hold only files that rebuilt their
// anchored header (it checks them before storing).
type BatchFiles interface {
	// Records iterates the lines of the stored file of SM3 fileHash. ok is
	// false when the store does not have it (yet).
	Records(fileHash string) (seq iter.Seq2[Line, error], ok bool)
	// ReadLine reads the line of length bytes at offset of file fileHash.
	ReadLine(fileHash string, offset, length uint64) ([]byte, error)
}

// Line is one record line of a batch file: its leaf index, its byte offset in
// the file and its bytes without the newline (valid during the iteration step
// only).
type Line struct {
	Index  uint64
	Offset uint64
	Bytes  []byte
}

// Dir is a batch store directory: <dir>/<fileHash>.jsonl.
type Dir string

// ErrNoFile is returned (wrapped) when a batch file is not in the store.
var ErrNoFile = errors.New("batch file not stored")

func (d Dir) path(fileHash string) (string, error) {
	if !wire.ValidHash(fileHash) {
		return "", fmt.Errorf("file hash %q is not an SM3 hex digest", fileHash)
	}
	return filepath.Join(string(d), fileHash+".jsonl"), nil
}

// Records implements BatchFiles.
func (d Dir) Records(fileHash string) (iter.Seq2[Line, error], bool) {
	p, err := d.path(fileHash)
	if err != nil {
		return nil, false
	}
	if _, err := os.Stat(p); err != nil {
		return nil, false
	}
	return func(yield func(Line, error) bool) {
		f, err := os.Open(p)
		if err != nil {
			yield(Line{}, err)
			return
		}
		defer func() { _ = f.Close() }() // read-only
		r := bufio.NewReaderSize(f, 1<<20)
		var off, i uint64
		for {
			b, err := r.ReadSlice('\n')
			if errors.Is(err, bufio.ErrBufferFull) {
				yield(Line{}, fmt.Errorf("batch file %s: line %d is too long", fileHash, i+1))
				return
			}
			if errors.Is(err, io.EOF) {
				if len(b) > 0 {
					yield(Line{}, fmt.Errorf("batch file %s: last line has no newline", fileHash))
				}
				return
			}
			if err != nil {
				yield(Line{}, err)
				return
			}
			if !yield(Line{Index: i, Offset: off, Bytes: b[:len(b)-1]}, nil) {
				return
			}
			off += uint64(len(b))
			i++
		}
	}, true
}

// ReadLine implements BatchFiles.
func (d Dir) ReadLine(fileHash string, offset, length uint64) ([]byte, error) {
	p, err := d.path(fileHash)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrNoFile, fileHash)
	}
	defer func() { _ = f.Close() }() // read-only
	b := make([]byte, length)
	if _, err := f.ReadAt(b, int64(offset)); err != nil {
		return nil, fmt.Errorf("batch file %s at %d: %w", fileHash, offset, err)
	}
	return b, nil
}

// anchored is the part of an anchored batch (chaincode batch:Anchor's record:
// the signed header, anchoredAt, txId) the read model uses.
type anchored struct {
	ID         string `json:"id"`
	Issuer     string `json:"issuer"`
	KeyID      string `json:"keyId"`
	Count      uint64 `json:"count"`
	FileHash   string `json:"fileHash"`
	RecordKind string `json:"recordKind"`
	AnchoredAt string `json:"anchoredAt"`
	TxID       string `json:"txId"`
}

// batchLine is a batch record line: a certificate record's signed fields.
type batchLine struct {
	ID               string `json:"id"`
	DocHash          string `json:"docHash"`
	Type             string `json:"type"`
	Issuer           string `json:"issuer"`
	HolderCommitment string `json:"holderCommitment"`
	ValidFrom        string `json:"validFrom"`
	ValidUntil       string `json:"validUntil"`
	KeyID            string `json:"keyId"`
	Supersedes       string `json:"supersedes"`
}

// lineKeys reads the id and document hash of a canonical batch line (keys
// sorted: docHash, holderCommitment, id, ...) without a JSON decoder; false
// means "decode it" (an escape, or a line in another shape).
func lineKeys(line []byte, r *batchLine) bool {
	const (
		p1 = `{"docHash":"`
		p2 = `","holderCommitment":"`
		p3 = `","id":"`
	)
	s := string(line)
	if len(s) < len(p1)+64+len(p2)+64+len(p3)+2 || s[:len(p1)] != p1 {
		return false
	}
	s = s[len(p1):]
	hash := s[:64]
	s = s[64:]
	if s[:len(p2)] != p2 {
		return false
	}
	s = s[len(p2)+64:]
	if len(s) < len(p3) || s[:len(p3)] != p3 {
		return false
	}
	s = s[len(p3):]
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			return false
		case '"':
			if !wire.ValidHash(hash) || !wire.ValidID(s[:i]) {
				return false
			}
			r.ID, r.DocHash = s[:i], hash
			return true
		}
	}
	return false
}

// indexChunk is how many records go into one store write while a batch file is
// indexed (the checkpoint is not moved by these writes; a crash re-indexes).
const indexChunk = 20_000

// IndexPending indexes every anchored batch whose file has arrived in the
// store since; it returns how many it indexed. The gateway calls it when its
// batch store accepts a file, and Apply after each anchoring.
func (m *Model) IndexPending() (int, error) {
	if m.opts.Batches == nil {
		return 0, nil
	}
	m.applyMu.Lock()
	defer m.applyMu.Unlock()
	lo := key(kindPending)
	it, err := m.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: prefixEnd(lo)})
	if err != nil {
		return 0, err
	}
	var ids []string
	for ok := it.First(); ok; ok = it.Next() {
		ids = append(ids, string(it.Key()[len(lo):]))
	}
	if err := it.Close(); err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		if err := m.indexBatch(id); errors.Is(err, ErrNoFile) {
			continue
		} else if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// indexBatch puts every record of batch id's file in the store under
// B\x00<id>\x00<anchoring block> (blind writes: a certificate on the ledger by
// itself keeps its c\x00 record, which lookups read first), then marks the
// batch indexed. ErrNoFile when the store lacks the file. The caller holds
// applyMu (an on-chain write of the same id must not interleave).
func (m *Model) indexBatch(id string) error {
	if m.opts.Batches == nil {
		return ErrNoFile
	}
	bk := key(kindBatch, id)
	raw, found, err := get(m.db, bk)
	if err != nil || !found {
		return err
	}
	bv, err := decodeBatch(raw)
	if err != nil || bv.Indexed {
		return err
	}
	var a anchored
	if err := json.Unmarshal(bv.JSON, &a); err != nil {
		return fmt.Errorf("%w: batch %s: %w", ErrCorrupt, id, err)
	}
	seq, ok := m.opts.Batches.Records(a.FileHash)
	if !ok {
		return fmt.Errorf("%w: batch %s (file %s)", ErrNoFile, id, a.FileHash)
	}
	var blk [8]byte
	binary.BigEndian.PutUint64(blk[:], bv.Block)
	b := m.db.NewBatch()
	var n uint64
	for line, err := range seq {
		if err != nil {
			_ = b.Close()
			return err
		}
		var r batchLine
		if !lineKeys(line.Bytes, &r) {
			if err := json.Unmarshal(line.Bytes, &r); err != nil {
				_ = b.Close()
				return fmt.Errorf("batch %s line %d: %w", id, line.Index+1, err)
			}
		}
		v := certValue{Kind: certBatched, AnchorTx: a.TxID, AnchorBlock: bv.Block, Block: bv.Block,
			BatchID: id, Leaf: line.Index, Offset: line.Offset, Length: uint64(len(line.Bytes))}
		if err := b.Set(key(kindBatched, r.ID, string(blk[:])), v.encode(), nil); err != nil {
			_ = b.Close()
			return err
		}
		if err := b.Set(key(kindHash, r.DocHash, r.ID), nil, nil); err != nil {
			_ = b.Close()
			return err
		}
		n++
		if n%indexChunk == 0 {
			if err := b.Commit(pebble.NoSync); err != nil {
				_ = b.Close()
				return err
			}
			_ = b.Close()
			b = m.db.NewBatch()
		}
	}
	if n != a.Count {
		_ = b.Close()
		return fmt.Errorf("batch %s: the file holds %d records, the header %d", id, n, a.Count)
	}
	bv.Indexed = true
	if err := b.Set(bk, bv.encode(), nil); err != nil {
		_ = b.Close()
		return err
	}
	if err := b.Delete(key(kindPending, id), nil); err != nil {
		_ = b.Close()
		return err
	}
	if err := b.Commit(pebble.Sync); err != nil {
		_ = b.Close()
		return err
	}
	// An earlier batch indexed later takes over a duplicated id: forget
	// every cached certificate.
	m.certs.invalidateAll()
	return b.Close()
}

// batchedCertificate reads a batched certificate's record from its batch file:
// the certificate as of its batch's anchoring (status valid).
func (m *Model) batchedCertificate(id string, v certValue) (certificate.Certificate, bool, error) {
	var c certificate.Certificate
	raw, found, err := get(m.db, key(kindBatch, v.BatchID))
	if err != nil || !found {
		return c, false, err
	}
	bv, err := decodeBatch(raw)
	if err != nil {
		return c, false, err
	}
	var a anchored
	if err := json.Unmarshal(bv.JSON, &a); err != nil {
		return c, false, fmt.Errorf("%w: batch %s: %w", ErrCorrupt, v.BatchID, err)
	}
	if m.opts.Batches == nil {
		return c, false, fmt.Errorf("%w: batch %s", ErrNoFile, v.BatchID)
	}
	line, err := m.opts.Batches.ReadLine(a.FileHash, v.Offset, v.Length)
	if err != nil {
		return c, false, err
	}
	var r batchLine
	if err := json.Unmarshal(line, &r); err != nil || r.ID != id {
		return c, false, fmt.Errorf("%w: batch %s leaf %d is not certificate %s", ErrCorrupt, v.BatchID, v.Leaf, id)
	}
	c = certificate.Certificate{
		Record: certificate.Record{ID: r.ID, DocHash: r.DocHash, Type: r.Type, Issuer: r.Issuer, HolderCommitment: r.HolderCommitment,
			ValidFrom: r.ValidFrom, ValidUntil: r.ValidUntil, KeyID: r.KeyID, Supersedes: r.Supersedes},
		Status: certificate.StatusValid, BatchID: v.BatchID, IssuedAt: a.AnchoredAt, UpdatedAt: a.AnchoredAt, TxID: a.TxID,
	}
	return c, true, nil
}

// Pending is an anchored batch whose file the read model has not indexed: the
// gateway's batch store lacks it (or holds a file that does not match).
type Pending struct {
	BatchID  string `json:"batchId"`
	FileHash string `json:"fileHash"`
	Block    uint64 `json:"block"`
}

// PendingBatches lists the anchored batches whose files are not indexed yet,
// for /readyz details: a gateway lacking a batch file accepts it from anyone.
func (m *Model) PendingBatches() ([]Pending, error) {
	lo := key(kindPending)
	it, err := m.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: prefixEnd(lo)})
	if err != nil {
		return nil, err
	}
	var out []Pending
	for ok := it.First(); ok; ok = it.Next() {
		id := string(it.Key()[len(lo):])
		p := Pending{BatchID: id}
		if raw, found, err := get(m.db, key(kindBatch, id)); err == nil && found {
			if bv, err := decodeBatch(raw); err == nil {
				var a anchored
				if json.Unmarshal(bv.JSON, &a) == nil {
					p.FileHash, p.Block = a.FileHash, bv.Block
				}
			}
		}
		out = append(out, p)
	}
	return out, it.Close()
}
