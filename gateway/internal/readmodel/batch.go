package readmodel

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"

	"github.com/cockroachdb/pebble/v2"

	"github.com/certledger/certledger/internal/domain/batch"
	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/merkle"
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
	// ReadLine reads length bytes at offset of file fileHash: a line, or the
	// group of lines a batched certificate's proof is computed from.
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
	Root       string `json:"root"`
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
// itself keeps its c\x00 record, which lookups read first) with its
// document-hash index, and the batch's tree as tiles (tree.go); it checks that
// the file rebuilds the anchored root, then marks the batch indexed. ErrNoFile
// when the store lacks the file. The caller holds applyMu (an on-chain write
// of the same id must not interleave).
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
	ix := &batchIndexer{m: m, id: id, a: a, block: bv.Block, b: m.db.NewBatch(), starts: []int{0}}
	binary.BigEndian.PutUint64(ix.blk[:], bv.Block)
	defer func() { _ = ix.b.Close() }()
	for line, err := range seq {
		if err != nil {
			return err
		}
		if err := ix.add(line); err != nil {
			return err
		}
	}
	if err := ix.flush(); err != nil {
		return err
	}
	if ix.n != a.Count {
		return fmt.Errorf("batch %s: the file holds %d records, the header %d", id, ix.n, a.Count)
	}
	upper := merkle.Build(ix.l2)
	if root := upper.Root(); hex.EncodeToString(root[:]) != a.Root {
		return fmt.Errorf("batch %s: the file rebuilds root %x, the header says %s", id, root, a.Root)
	}
	if err := putTiles(ix.b, id, upper.Levels()); err != nil {
		return err
	}
	bv.Indexed = true
	if err := ix.b.Set(bk, bv.encode(), nil); err != nil {
		return err
	}
	if err := ix.b.Delete(key(kindPending, id), nil); err != nil {
		return err
	}
	if err := ix.b.Commit(pebble.Sync); err != nil {
		return err
	}
	// An earlier batch indexed later takes over a duplicated id: forget
	// every cached certificate.
	m.certs.invalidateAll()
	return nil
}

// batchIndexer indexes a batch file in chunks of indexChunk lines (a multiple
// of groupSize): each chunk's leaves are hashed on every core, its records
// written, and its part of tree level groupShift kept (n/4 hashes: 8 MB for a
// million) to build the stored levels at the end.
type batchIndexer struct {
	m     *Model
	id    string
	a     anchored
	block uint64
	blk   [8]byte
	b     *pebble.Batch
	// The chunk: leaf data (recordKind "\n" line) one after the other, where
	// each starts, and each line's offset in the file.
	data   []byte
	starts []int
	offs   []uint64
	first  uint64 // leaf index of the chunk's first line
	n      uint64 // lines seen
	l2     []merkle.Hash
}

func (ix *batchIndexer) add(line Line) error {
	if line.Index != ix.n {
		return fmt.Errorf("batch %s: line %d read as line %d", ix.id, ix.n+1, line.Index+1)
	}
	ix.data = batch.LeafData(ix.data, ix.a.RecordKind, line.Bytes)
	ix.starts = append(ix.starts, len(ix.data))
	ix.offs = append(ix.offs, line.Offset)
	ix.n++
	if len(ix.offs) == indexChunk {
		return ix.flush()
	}
	return nil
}

// flush hashes and writes the chunk and commits it (the checkpoint does not
// move: a crash re-indexes the batch).
func (ix *batchIndexer) flush() error {
	k := len(ix.offs)
	if k == 0 {
		return nil
	}
	leaves := merkle.LeafHashes(k, func(i int) []byte { return ix.data[ix.starts[i]:ix.starts[i+1]] })
	t := merkle.Build(leaves)
	if lv := t.Levels(); len(lv) > groupShift {
		ix.l2 = append(ix.l2, lv[groupShift]...)
	} else {
		ix.l2 = append(ix.l2, t.Root())
	}
	prefix := len(ix.a.RecordKind) + 1
	for i := range k {
		line := ix.data[ix.starts[i]+prefix : ix.starts[i+1]]
		var r batchLine
		if !lineKeys(line, &r) {
			if err := json.Unmarshal(line, &r); err != nil {
				return fmt.Errorf("batch %s line %d: %w", ix.id, ix.first+uint64(i)+1, err)
			}
		}
		gs := i &^ (groupSize - 1)
		ge := min(gs+groupSize, k)
		end := ix.offs[ge-1] + uint64(ix.starts[ge]-ix.starts[ge-1]-prefix) + 1
		v := certValue{Kind: certBatched, AnchorTx: ix.a.TxID, AnchorBlock: ix.block, Block: ix.block,
			BatchID: ix.id, Leaf: ix.first + uint64(i), GroupOff: ix.offs[gs], GroupLen: end - ix.offs[gs]}
		if err := ix.b.Set(key(kindBatched, r.ID, string(ix.blk[:])), v.encode(), nil); err != nil {
			return err
		}
		if err := ix.b.Set(key(kindHash, r.DocHash, r.ID), nil, nil); err != nil {
			return err
		}
	}
	if err := ix.b.Commit(pebble.NoSync); err != nil {
		return err
	}
	_ = ix.b.Close()
	ix.b = ix.m.db.NewBatch()
	ix.first += uint64(k)
	ix.data, ix.starts, ix.offs = ix.data[:0], ix.starts[:1], ix.offs[:0]
	return nil
}

// batchedRecord reads leaf v.Leaf of its batch from the batch file: its record,
// and its inclusion proof (the group's two lowest levels, the tiles above).
func (m *Model) batchedRecord(id string, v certValue) (batch.Record, []merkle.Hash, *batchInfo, error) {
	var rec batch.Record
	bi, err := m.batchInfo(v.BatchID)
	if err != nil {
		return rec, nil, nil, err
	}
	if m.opts.Batches == nil {
		return rec, nil, nil, fmt.Errorf("%w: batch %s", ErrNoFile, v.BatchID)
	}
	raw, err := m.readGroup(bi.FileHash, v.GroupOff, v.GroupLen)
	if err != nil {
		return rec, nil, nil, err
	}
	lines, err := splitGroup(raw)
	gs := v.Leaf &^ (groupSize - 1)
	if err != nil || v.Leaf-gs >= uint64(len(lines)) {
		return rec, nil, nil, fmt.Errorf("%w: batch %s: no line of leaf %d at %d", ErrCorrupt, v.BatchID, v.Leaf, v.GroupOff)
	}
	rec, err = batch.ParseLine(lines[v.Leaf-gs])
	if err != nil || rec.ID != id {
		return rec, nil, nil, fmt.Errorf("%w: batch %s leaf %d is not certificate %s", ErrCorrupt, v.BatchID, v.Leaf, id)
	}
	path := groupPath(make([]merkle.Hash, 0, 24), bi.RecordKind, lines, int(v.Leaf-gs))
	if path, err = m.upperPath(v.BatchID, uint64(bi.Count), v.Leaf, path); err != nil {
		return rec, nil, nil, err
	}
	return rec, path, bi, nil
}

// batchedEntry is a batched certificate not on the ledger by itself: its
// record as of its batch's anchoring (status valid) and its inclusion proof.
func (m *Model) batchedEntry(id string, v certValue) (entry, bool, error) {
	rec, path, bi, err := m.batchedRecord(id, v)
	if err != nil {
		return entry{}, false, err
	}
	c := certificate.Certificate{
		Record: rec.Certificate(), Status: certificate.StatusValid, BatchID: v.BatchID,
		IssuedAt: bi.AnchoredAt, UpdatedAt: bi.AnchoredAt, TxID: bi.TxID,
	}
	return entry{cert: c, inc: bi.inclusion(v.Leaf, path)}, true, nil
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
