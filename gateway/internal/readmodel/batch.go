package readmodel

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"time"

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
		for l, err := range lines(f, fileHash) {
			if !yield(l, err) {
				return
			}
		}
	}, true
}

// lines iterates the lines of batch file fileHash read from r.
func lines(r io.Reader, fileHash string) iter.Seq2[Line, error] {
	return func(yield func(Line, error) bool) {
		br := bufio.NewReaderSize(r, 1<<20)
		var off, i uint64
		for {
			b, err := br.ReadSlice('\n')
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
	}
}

// ReadLine implements BatchFiles.
func (d Dir) ReadLine(fileHash string, offset, length uint64) ([]byte, error) {
	f, err := d.OpenBatchFile(fileHash)
	if err != nil {
		return nil, err
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
	s := line // not converted whole: only the id and the hash become strings
	if len(s) < len(p1)+64+len(p2)+64+len(p3)+2 || string(s[:len(p1)]) != p1 {
		return false
	}
	s = s[len(p1):]
	hash := s[:64]
	s = s[64:]
	if string(s[:len(p2)]) != p2 {
		return false
	}
	s = s[len(p2)+64:]
	if len(s) < len(p3) || string(s[:len(p3)]) != p3 {
		return false
	}
	s = s[len(p3):]
	end := bytes.IndexByte(s, '"')
	if end < 0 || bytes.IndexByte(s[:end], '\\') >= 0 {
		return false
	}
	id, h := string(s[:end]), string(hash)
	if !wire.ValidHash(h) || !wire.ValidID(id) {
		return false
	}
	r.ID, r.DocHash = id, h
	return true
}

// indexChunk is how many records are hashed together while a batch file is
// indexed (their keys go to the ingester; nothing is written before the whole
// file rebuilt its root).
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
// the file rebuilds the anchored root before anything goes in (the records by
// bulk ingestion, ingest.go), then marks the batch indexed. ErrNoFile
// when the store lacks the file. The caller holds applyMu (an on-chain write
// of the same id must not interleave).
func (m *Model) indexBatch(id string) error {
	if m.opts.Batches == nil {
		return ErrNoFile
	}
	if _, busy := m.preparing.Load(id); busy {
		return fmt.Errorf("%w: batch %s: its file is being prepared as the batch store checks it", ErrNoFile, id)
	}
	bv, a, ok, err := m.pendingBatch(id)
	if err != nil || !ok {
		return err
	}
	seq, ok := m.opts.Batches.Records(a.FileHash)
	if !ok {
		return fmt.Errorf("%w: batch %s (file %s)", ErrNoFile, id, a.FileHash)
	}
	p, err := m.prepare(id, bv, a, seq)
	if err != nil {
		return err
	}
	return p.commit()
}

// pendingBatch reads anchored batch id; ok is false when the model does not
// know it or has indexed it.
func (m *Model) pendingBatch(id string) (batchValue, anchored, bool, error) {
	var a anchored
	raw, found, err := get(m.db, key(kindBatch, id))
	if err != nil || !found {
		return batchValue{}, a, false, err
	}
	bv, err := decodeBatch(raw)
	if err != nil || bv.Indexed {
		return bv, a, false, err
	}
	if err := json.Unmarshal(bv.JSON, &a); err != nil {
		return bv, a, false, fmt.Errorf("%w: batch %s: %w", ErrCorrupt, id, err)
	}
	return bv, a, true, nil
}

// Prepared is a batch file whose records are sorted into tables ready to go
// into the store, once the file has been checked (Commit) — or dropped
// (Discard). The file rebuilt the anchored root and leaf count.
type Prepared struct {
	m     *Model
	id    string
	block uint64
	g     *ingester
	upper *merkle.Tree
	n     uint64
	t0    time.Time
	// prepared: made by PrepareBatch (the model's preparing entry is its).
	prepared bool
}

// PrepareBatch reads the records of anchored batch id from r — the file being
// checked by the batch store, read alongside the check — and prepares them
// (Prepared). ErrNoFile when the model does not know the batch as anchored
// and not indexed (the file is then indexed once stored, IndexPending).
// Until Commit or Discard, the model leaves the batch to the preparation (its
// file arriving in the store is not indexed a second time).
func (m *Model) PrepareBatch(id string, r io.Reader) (*Prepared, error) {
	if _, busy := m.preparing.LoadOrStore(id, true); busy {
		return nil, fmt.Errorf("%w: batch %s is being prepared already", ErrNoFile, id)
	}
	bv, a, ok, err := m.pendingBatch(id)
	if err == nil && !ok {
		err = fmt.Errorf("%w: batch %s is not pending in the read model", ErrNoFile, id)
	}
	var p *Prepared
	if err == nil {
		p, err = m.prepare(id, bv, a, lines(r, a.FileHash))
	}
	if err != nil {
		m.preparing.Delete(id)
		return nil, err
	}
	p.prepared = true
	return p, nil
}

// Commit puts a prepared batch into the store (once the batch store has
// accepted its file), unless the model indexed it meanwhile.
func (p *Prepared) Commit() error {
	p.m.applyMu.Lock()
	defer p.m.applyMu.Unlock()
	defer p.release()
	return p.commit()
}

// Discard drops a prepared batch whose file the batch store refused.
func (p *Prepared) Discard() {
	p.g.close()
	p.release()
}

func (p *Prepared) release() {
	if p.prepared {
		p.m.preparing.Delete(p.id)
	}
}

// prepare hashes the lines of batch id's file, checks them against the
// anchored count and root, and sorts their keys into tables; nothing is
// written to the store.
func (m *Model) prepare(id string, bv batchValue, a anchored, seq iter.Seq2[Line, error]) (*Prepared, error) {
	t0 := time.Now()
	g, err := newIngester(m.opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("batch %s: %w", id, err)
	}
	ix := &batchIndexer{m: m, id: id, a: a, block: bv.Block, g: g, starts: []int{0}}
	binary.BigEndian.PutUint64(ix.blk[:], bv.Block)
	p, err := func() (*Prepared, error) {
		for line, err := range seq {
			if err != nil {
				return nil, err
			}
			if err := ix.add(line); err != nil {
				return nil, err
			}
		}
		if err := ix.flush(); err != nil {
			return nil, err
		}
		if ix.n != a.Count {
			return nil, fmt.Errorf("batch %s: the file holds %d records, the header %d", id, ix.n, a.Count)
		}
		upper := merkle.Build(ix.l2)
		if root := upper.Root(); hex.EncodeToString(root[:]) != a.Root {
			return nil, fmt.Errorf("batch %s: the file rebuilds root %x, the header says %s", id, root, a.Root)
		}
		if err := g.prepare(m.db, m.po); err != nil {
			return nil, fmt.Errorf("batch %s: sorting its records: %w", id, err)
		}
		return &Prepared{m: m, id: id, block: bv.Block, g: g, upper: upper, n: ix.n, t0: t0}, nil
	}()
	if err != nil {
		g.close()
	}
	return p, err
}

// commit ingests the prepared tables, then writes the tiles and marks the
// batch indexed; the caller holds applyMu.
func (p *Prepared) commit() error {
	defer p.g.close()
	m, id := p.m, p.id
	bv, _, ok, err := m.pendingBatch(id)
	if err != nil || !ok || bv.Block != p.block {
		return err // indexed meanwhile (or gone): nothing to do
	}
	if err := p.g.ingest(m.db); err != nil {
		return fmt.Errorf("batch %s: ingesting its records: %w", id, err)
	}
	b := m.db.NewBatch()
	defer func() { _ = b.Close() }()
	if err := putTiles(b, id, p.upper.Levels()); err != nil {
		return err
	}
	bv.Indexed = true
	if err := b.Set(key(kindBatch, id), bv.encode(), nil); err != nil {
		return err
	}
	if err := b.Delete(key(kindPending, id), nil); err != nil {
		return err
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return err
	}
	// An earlier batch indexed later takes over a duplicated id: forget
	// every cached certificate.
	m.certs.invalidateAll()
	m.log.Info("read model: batch indexed", "batch", id, "records", p.n, "seconds", time.Since(p.t0).Seconds())
	return nil
}

// batchIndexer indexes a batch file in chunks of indexChunk lines (a multiple
// of groupSize): each chunk's leaves are hashed on every core, its keys handed
// to the ingester, and its part of tree level groupShift kept (n/4 hashes: 8 MB for a
// million) to build the stored levels at the end.
type batchIndexer struct {
	m     *Model
	id    string
	a     anchored
	block uint64
	blk   [8]byte
	g     *ingester
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

// flush hashes the chunk and hands its keys to the ingester (ingest.go).
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
		if err := ix.g.set(key(kindBatched, r.ID, string(ix.blk[:])), v.encode()); err != nil {
			return err
		}
		if err := ix.g.set(key(kindHash, r.DocHash, r.ID), nil); err != nil {
			return err
		}
	}
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
