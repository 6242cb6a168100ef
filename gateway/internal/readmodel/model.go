// Package readmodel is the gateway's read model: a derived, on-disk copy of what
// verification needs — certificates by id and by document hash (single, grouped
// and batched), their statuses, departments with their keys and validity
// windows, batch headers, each certificate's ledger coordinates and the
// endorsements of the transactions that wrote them — kept by following the
// ledger's blocks from a checkpoint through the fabric-gateway client.
//
// It reads the write sets of valid transactions (the block's TRANSACTIONS_FILTER)
// in the chaincode's namespace, not the chaincode events: a write set is the
// ledger's state change itself, complete whatever the event says (a grouped
// issue sends one event for many certificates; a status change's event carries
// the certificate, a key rotation's the department). Each block is applied in
// one atomic write together with the checkpoint (the next block number), so a
// crash at any point resumes exactly where the store stopped, without loss or
// duplicates; deleting the store rebuilds it from block 0 (and the batch files).
//
// Verify answers with the same pure pipeline the chaincode runs
// (certificate.Evaluate) and states the block height it reflects. When the
// model is more than MaxLag behind the ledger's head (or does not know the
// head), Verify says so and the caller asks the ledger.
package readmodel

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/emmansun/gmsm/sm3"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/proto"

	"github.com/certledger/certledger/internal/domain/registry"
)

// Chaincode object types the read model follows (composite keys written by
// chaincode/contract/{certificate,registry,batch}).
const (
	objCertificate = "certificate"         // [id] -> certificate.Certificate
	objByHash      = "certificate.hash"    // [docHash, id] -> index
	objDepartment  = "registry.department" // [id] -> registry.Department
	objBatch       = "batch"               // [id] -> anchored batch header
	objCertType    = "certtype.type"       // [type code] -> certtype.Type (the catalogue)
)

// Defaults of Options.
const (
	DefaultMaxLag       = 5 * time.Second
	DefaultHeadInterval = time.Second
	// DefaultCacheSize is the store's cache (see Options.CacheSize).
	DefaultCacheSize = 192 << 20
	// MinCacheSize is the smallest cache Open takes: pebble charges its
	// memtables to it (two of memTableSize), and 32 MiB are left for blocks.
	MinCacheSize = 2*memTableSize + 32<<20
)

// memTableSize is the size of one memtable. One holds a burst of blocks (or a
// slice of a batch file) before a flush; L0 compactions stay few during a
// rebuild.
const memTableSize = 64 << 20

// Options configure a Model. Dir and Namespace are required.
type Options struct {
	// Dir holds the pebble store (created when missing).
	Dir string
	// Namespace is the chaincode name whose write sets are read.
	Namespace string
	// MaxLag is how far behind the ledger's head the model may be and still
	// answer (0: DefaultMaxLag).
	MaxLag time.Duration
	// HeadInterval is how often Run reads the ledger's height (0:
	// DefaultHeadInterval); a head older than MaxLag + HeadInterval is unknown.
	HeadInterval time.Duration
	// CacheSize is the pebble cache in bytes (0: DefaultCacheSize). Pebble
	// charges its memtables to it (the active one and one kept for reuse, 64
	// MiB each); in the rest, the blocks verify reads (a batched certificate's
	// locator, its tree tiles, the index and filter blocks of every file) stay
	// decoded in memory instead of being read, checksummed and decompressed
	// again on every request.
	CacheSize int64
	// Batches, when set, gives the records of anchored batches (the batch store).
	Batches BatchFiles
	Logger  *slog.Logger // nil: slog.Default()
	Now     func() time.Time
}

// Model is the read model. Its methods are safe for concurrent use; blocks are
// applied by one goroutine (Follow, or Apply in tests).
type Model struct {
	opts Options
	db   *pebble.DB
	po   *pebble.Options // db's options (batch files' tables are written with them)
	log  *slog.Logger

	// next is the next block to apply: the height the store reflects.
	next atomic.Uint64
	// depts is the department directory (small; rebuilt when a block writes one).
	depts atomic.Pointer[directory]
	head  headTracker
	certs *certCache
	// batches caches what verify and receipts use of each anchored batch
	// (immutable once anchored).
	batches sync.Map // batch id -> *batchInfo
	// files keeps the batch files verify reads open.
	files openFiles
	// tried holds the batch files indexArrived has tried (file hash -> true).
	tried sync.Map
	// preparing holds the batches whose files are being prepared (batch id ->
	// true, PrepareBatch): indexBatch leaves them to the preparation.
	preparing sync.Map

	applyMu sync.Mutex // one applier at a time
}

// directory is an immutable snapshot of the departments and who owns each key.
type directory struct {
	depts    map[string]registry.Department
	keyOwner map[string]string
}

// Open opens (or creates) the store in o.Dir and loads its checkpoint.
func Open(o Options) (*Model, error) {
	if o.Dir == "" || o.Namespace == "" {
		return nil, errors.New("readmodel: Dir and Namespace are required")
	}
	if o.MaxLag <= 0 {
		o.MaxLag = DefaultMaxLag
	}
	if o.HeadInterval <= 0 {
		o.HeadInterval = DefaultHeadInterval
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.CacheSize <= 0 {
		o.CacheSize = DefaultCacheSize
	}
	if o.CacheSize < MinCacheSize {
		return nil, fmt.Errorf("readmodel: cache size %d is below the %d its memtables need (MinCacheSize)", o.CacheSize, int64(MinCacheSize))
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("readmodel: %w", err)
	}
	m := &Model{opts: o, log: o.Logger, certs: newCertCache()}
	cache := pebble.NewCache(o.CacheSize)
	defer cache.Unref() // the store holds its own reference
	po := &pebble.Options{
		Comparer:                    comparer,
		Cache:                       cache,
		MemTableSize:                memTableSize,
		MemTableStopWritesThreshold: 4,
		L0CompactionThreshold:       4,
		L0StopWritesThreshold:       24,
		Logger:                      pebbleLogger{errorf: func(f string, a ...any) { m.log.Error("read model store: " + fmt.Sprintf(f, a...)) }},
	}
	// Bloom filters: most point reads ask for keys that are absent from most
	// files (an id on chain or in a batch, a department key).
	for i := range po.Levels {
		po.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
	}
	db, err := openStore(o.Dir, po, m.log.Warn)
	if err != nil {
		return nil, fmt.Errorf("readmodel: opening store %s: %w", o.Dir, err)
	}
	if err := removeIngestLeftovers(o.Dir); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("readmodel: %w", err)
	}
	m.db, m.po = db, po
	if err := m.checkSchema(); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("readmodel: %w", err)
	}
	v, found, err := get(db, key(kindMeta, checkpointName))
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("readmodel: reading checkpoint: %w", err)
	}
	if found {
		if len(v) != 8 {
			_ = db.Close()
			return nil, fmt.Errorf("%w: checkpoint of %d bytes", ErrCorrupt, len(v))
		}
		m.next.Store(binary.BigEndian.Uint64(v))
	}
	if err := m.loadDirectory(); err != nil {
		_ = db.Close()
		return nil, err
	}
	return m, nil
}

// checkSchema empties a store written in another layout — it is derived data,
// rebuilt from block 0 and the batch store — and records the current layout.
func (m *Model) checkSchema() error {
	v, found, err := get(m.db, key(kindMeta, schemaName))
	if err != nil {
		return err
	}
	if found && len(v) == 1 && v[0] == schemaVersion {
		return nil
	}
	it, err := m.db.NewIter(nil)
	if err != nil {
		return err
	}
	used := it.First()
	if err := it.Close(); err != nil {
		return err
	}
	if used {
		m.log.Warn("read model store written in another layout: emptied, rebuilding from block 0", "dir", m.opts.Dir, "layout", schemaVersion)
		if err := m.db.DeleteRange([]byte{0}, []byte{0xff}, pebble.Sync); err != nil {
			return err
		}
	}
	return m.db.Set(key(kindMeta, schemaName), []byte{schemaVersion}, pebble.Sync)
}

// Close flushes and closes the store.
func (m *Model) Close() error {
	m.applyMu.Lock()
	defer m.applyMu.Unlock()
	ferr := m.db.Flush()
	return errors.Join(ferr, m.files.close(), m.db.Close())
}

// Height is the number of blocks the store reflects (the next block to apply).
func (m *Model) Height() uint64 { return m.next.Load() }

// BlockNumber and TransactionID make the model a client.Checkpoint: the block
// in which the next event is expected, and no transaction (blocks are applied
// whole).
func (m *Model) BlockNumber() uint64 { return m.next.Load() }

// TransactionID is always "": blocks are applied whole, atomically.
func (m *Model) TransactionID() string { return "" }

func (m *Model) loadDirectory() error {
	d := &directory{depts: map[string]registry.Department{}, keyOwner: map[string]string{}}
	lo := key(kindDept)
	it, err := m.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: prefixEnd(lo)})
	if err != nil {
		return err
	}
	for ok := it.First(); ok; ok = it.Next() {
		var dep registry.Department
		if err := json.Unmarshal(it.Value(), &dep); err != nil {
			_ = it.Close()
			return fmt.Errorf("%w: department %q: %w", ErrCorrupt, it.Key()[2:], err)
		}
		d.put(dep)
	}
	if err := it.Close(); err != nil {
		return err
	}
	m.depts.Store(d)
	return nil
}

func (d *directory) put(dep registry.Department) {
	if old, ok := d.depts[dep.ID]; ok {
		for _, k := range old.Keys {
			if d.keyOwner[k.KeyID] == dep.ID {
				delete(d.keyOwner, k.KeyID)
			}
		}
	}
	d.depts[dep.ID] = dep
	for _, k := range dep.Keys {
		d.keyOwner[k.KeyID] = dep.ID
	}
}

func (d *directory) clone() *directory {
	c := &directory{depts: make(map[string]registry.Department, len(d.depts)), keyOwner: make(map[string]string, len(d.keyOwner))}
	for k, v := range d.depts {
		c.depts[k] = v
	}
	for k, v := range d.keyOwner {
		c.keyOwner[k] = v
	}
	return c
}

// lookupKey is registry.LookupKey over the directory: the owner and the key.
func (d *directory) lookupKey(keyID string) (string, registry.Key, bool) {
	owner, ok := d.keyOwner[keyID]
	if !ok {
		return "", registry.Key{}, false
	}
	k, ok := d.depts[owner].Key(keyID)
	return owner, k, ok
}

// ErrGap is returned by Apply for a block that is not the next one.
var ErrGap = errors.New("block out of order")

// Apply applies block blk, which must be the next one (Height); an older block
// is ignored (a replay after a reconnect). Everything the block changes and the
// new checkpoint are written in one atomic batch.
func (m *Model) Apply(blk *common.Block) error {
	m.applyMu.Lock()
	defer m.applyMu.Unlock()
	num := blk.GetHeader().GetNumber()
	next := m.next.Load()
	switch {
	case num < next:
		return nil
	case num > next:
		return fmt.Errorf("%w: got block %d, expected %d", ErrGap, num, next)
	}
	txs, err := decodeBlock(blk, m.opts.Namespace)
	if err != nil {
		return err
	}
	b := m.db.NewIndexedBatch()
	defer func() { _ = b.Close() }()
	var dir *directory
	var newBatches, certIDs []string
	for i := range txs {
		changed, anchored, err := m.applyTx(b, num, &txs[i], &dir, &certIDs)
		if err != nil {
			return fmt.Errorf("block %d tx %s: %w", num, txs[i].ID, err)
		}
		newBatches = append(newBatches, anchored...)
		if changed {
			if err := m.putTxEvidence(b, num, &txs[i], len(anchored) > 0); err != nil {
				return err
			}
		}
	}
	var cp [8]byte
	binary.BigEndian.PutUint64(cp[:], num+1)
	if err := b.Set(key(kindMeta, checkpointName), cp[:], nil); err != nil {
		return err
	}
	if err := b.Commit(pebble.NoSync); err != nil {
		return fmt.Errorf("committing block %d: %w", num, err)
	}
	if dir != nil {
		m.depts.Store(dir)
	}
	if len(certIDs) > 0 {
		m.certs.invalidate(certIDs)
	}
	for _, id := range newBatches {
		switch err := m.indexBatch(id); {
		case errors.Is(err, ErrNoFile):
			m.log.Info("read model: batch anchored, its file not in the batch store yet", "batch", id)
		case err != nil:
			m.log.Warn("read model: batch file not indexed", "batch", id, "error", err)
		}
	}
	// The height moves once the block's batches whose files are stored are
	// indexed: an answer stating it never misses one of their certificates.
	m.next.Store(num + 1)
	return nil
}

// applyTx applies one transaction's writes; changed reports whether it wrote
// anything the model keeps, anchored lists the batches it anchored.
func (m *Model) applyTx(b *pebble.Batch, block uint64, tx *Tx, dir **directory, certIDs *[]string) (changed bool, anchored []string, err error) {
	for _, w := range tx.Writes {
		objType, attrs, ok := splitKey(w.Key)
		if !ok {
			continue
		}
		switch {
		case objType == objCertificate && len(attrs) == 1:
			if err := m.putCertificate(b, block, tx.ID, attrs[0], w); err != nil {
				return false, nil, err
			}
			*certIDs = append(*certIDs, attrs[0])
		case objType == objByHash && len(attrs) == 2:
			k := key(kindHash, attrs[0], attrs[1])
			if w.IsDelete {
				err = b.Delete(k, nil)
			} else {
				err = b.Set(k, nil, nil)
			}
			if err != nil {
				return false, nil, err
			}
		case objType == objDepartment && len(attrs) == 1:
			if *dir == nil {
				*dir = m.depts.Load().clone()
			}
			if err := putDepartment(b, *dir, attrs[0], w); err != nil {
				return false, nil, err
			}
		case objType == objCertType && len(attrs) == 1:
			k := key(kindCertType, attrs[0])
			if w.IsDelete {
				err = b.Delete(k, nil)
			} else {
				err = b.Set(k, w.Value, nil)
			}
			if err != nil {
				return false, nil, err
			}
		case objType == objBatch && len(attrs) == 1 && !w.IsDelete:
			v := batchValue{JSON: w.Value, Block: block}
			if err := b.Set(key(kindBatch, attrs[0]), v.encode(), nil); err != nil {
				return false, nil, err
			}
			if err := b.Set(key(kindPending, attrs[0]), nil, nil); err != nil {
				return false, nil, err
			}
			anchored = append(anchored, attrs[0])
		default:
			continue
		}
		changed = true
	}
	return changed, anchored, nil
}

// putCertificate stores an on-chain write of certificate id, keeping the
// coordinates of the transaction that first put it on the ledger.
func (m *Model) putCertificate(b *pebble.Batch, block uint64, txID, id string, w Write) error {
	k := key(kindCert, id)
	if w.IsDelete {
		return b.Delete(k, nil)
	}
	v := certValue{Kind: certOnChain, AnchorTx: txID, AnchorBlock: block, Block: block, JSON: w.Value}
	old, found, err := get(b, k)
	if err != nil {
		return err
	}
	if found {
		ov, err := decodeCert(old)
		if err != nil {
			return err
		}
		v.AnchorTx, v.AnchorBlock = ov.AnchorTx, ov.AnchorBlock
	} else {
		// A batched certificate written on chain by its first status change was
		// anchored by its batch's transaction.
		var c struct {
			BatchID string `json:"batchId"`
		}
		if json.Unmarshal(w.Value, &c) == nil && c.BatchID != "" {
			if bv, ok, err := get(b, key(kindBatch, c.BatchID)); err == nil && ok {
				if h, err := decodeBatch(bv); err == nil {
					var a struct {
						TxID string `json:"txId"`
					}
					if json.Unmarshal(h.JSON, &a) == nil {
						v.AnchorTx, v.AnchorBlock = a.TxID, h.Block
					}
				}
			}
		}
	}
	return b.Set(k, v.encode(), nil)
}

func putDepartment(b *pebble.Batch, dir *directory, id string, w Write) error {
	k := key(kindDept, id)
	if w.IsDelete {
		if old, ok := dir.depts[id]; ok {
			for _, kk := range old.Keys {
				delete(dir.keyOwner, kk.KeyID)
			}
			delete(dir.depts, id)
		}
		return b.Delete(k, nil)
	}
	var dep registry.Department
	if err := json.Unmarshal(w.Value, &dep); err != nil {
		return fmt.Errorf("department %s: %w", id, err)
	}
	dir.put(dep)
	return b.Set(k, w.Value, nil)
}

// putTxEvidence keeps the transaction's proposal response and endorsements;
// endorser identities are stored once under their SM3. A batch anchoring
// (proposal) also keeps its header and proposal payload: the receipts of the
// batch's certificates are built from the store.
func (m *Model) putTxEvidence(b *pebble.Batch, block uint64, tx *Tx, proposal bool) error {
	v := txValue{Block: block, Index: uint64(tx.Index), ProposalResponse: tx.ProposalResponse}
	if proposal && tx.header != nil {
		hdr, err := proto.MarshalOptions{Deterministic: true}.Marshal(tx.header)
		if err != nil {
			return fmt.Errorf("tx %s header: %w", tx.ID, err)
		}
		v.Header, v.ProposalPayload = hdr, tx.ProposalPayload
	}
	for _, e := range tx.Endorsements {
		h := sm3.Sum(e.Endorser)
		ek := key(kindEndorser, string(h[:]))
		if _, found, err := get(b, ek); err != nil {
			return err
		} else if !found {
			if err := b.Set(ek, e.Endorser, nil); err != nil {
				return err
			}
		}
		v.Endorsers = append(v.Endorsers, h[:])
		v.Signatures = append(v.Signatures, e.Signature)
	}
	return b.Set(key(kindTx, tx.ID), v.encode(), nil)
}

// Follow applies blocks from blocks until the channel closes or ctx ends; it
// returns the first error (the caller reconnects from the checkpoint).
func (m *Model) Follow(ctx context.Context, blocks <-chan *common.Block) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case blk, ok := <-blocks:
			if !ok {
				return errStreamEnded
			}
			if err := m.Apply(blk); err != nil {
				return err
			}
		}
	}
}

var errStreamEnded = errors.New("block stream ended")

// Digest is the SM3 of every key and value of the store in key order: two
// models that applied the same blocks (and indexed the same batch files) have
// the same digest, however they got there (one rebuild, or many restarts).
func (m *Model) Digest() ([32]byte, error) {
	var out [32]byte
	m.applyMu.Lock()
	defer m.applyMu.Unlock()
	it, err := m.db.NewIter(nil)
	if err != nil {
		return out, err
	}
	h := sm3.New()
	var n [binary.MaxVarintLen64]byte
	for ok := it.First(); ok; ok = it.Next() {
		for _, p := range [][]byte{it.Key(), it.Value()} {
			h.Write(n[:binary.PutUvarint(n[:], uint64(len(p)))])
			h.Write(p)
		}
	}
	if err := it.Close(); err != nil {
		return out, err
	}
	h.Sum(out[:0])
	return out, nil
}
