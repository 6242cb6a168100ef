// Package blockstore is the devnet's durable ledger: world state, per-key history and
// the transaction and block indexes in one bbolt file, the blocks in an append-only
// file beside it (blockfile.go). A block is appended and fsynced, then the state
// updates of its valid transactions, their history entries, the index entries and
// the block's location are written in one bbolt transaction and fsynced before
// CommitBlock returns, so after a crash the ledger holds either the whole block or
// none of it.
package blockstore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/queryresult"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Bucket names.
var (
	bBlocks     = []byte("blocks") // blocks of stores from before the blocks file
	bBlockIndex = []byte("blockindex")
	bState      = []byte("state")
	bHistory    = []byte("history")
	bTxIndex    = []byte("txindex")
	bMeta       = []byte("meta")

	kHeight   = []byte("height")
	kLastHash = []byte("lasthash")
)

// Buckets lists the bucket names.
var Buckets = []string{"blocks", "blockindex", "state", "history", "txindex", "meta"}

// DerivedBuckets are the buckets a replay of the blocks must reproduce byte for
// byte. The block buckets are left out: where a block is stored depends on the
// store's history (see blockfile.go); FirstBlockDifference compares the blocks.
var DerivedBuckets = []string{"state", "history", "txindex", "meta"}

// ErrNotFound is returned for a missing block or transaction.
var ErrNotFound = errors.New("not found")

// Options tune Open.
type Options struct {
	ReadOnly bool
	NoSync   bool // for replays into a scratch file only
}

// Store is an open ledger file.
type Store struct {
	db     *bolt.DB
	blocks *blockFile

	mu       sync.RWMutex
	height   uint64
	lastHash []byte
}

// Open opens (creating if needed) the ledger file.
func Open(path string, o Options) (*Store, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:  2 * time.Second,
		ReadOnly: o.ReadOnly,
		NoSync:   o.NoSync,
		// The free list is written at each commit (bbolt's default): it stays small
		// for this append-mostly ledger, and open does not have to walk the whole
		// file to rebuild it, so start-up does not grow with the ledger.
		FreelistType:    bolt.FreelistMapType,
		InitialMmapSize: 1 << 30,
	})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("opening ledger %s: it is in use by another process (is certledger-devnet running? stop it first): %w", path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("opening ledger %s: %w", path, err)
	}
	s := &Store{db: db}
	if !o.ReadOnly {
		err = db.Update(func(tx *bolt.Tx) error {
			for _, b := range Buckets {
				if _, err := tx.CreateBucketIfNotExists([]byte(b)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			_ = db.Close() // already returning the init error
			return nil, err
		}
	}
	err = db.View(func(tx *bolt.Tx) error {
		m := tx.Bucket(bMeta)
		if m == nil {
			return nil
		}
		if v := m.Get(kHeight); v != nil {
			s.height = binary.BigEndian.Uint64(v)
		}
		s.lastHash = append([]byte(nil), m.Get(kLastHash)...)
		return nil
	})
	if err == nil {
		s.blocks, err = openBlockFile(db, blockFilePath(path), o)
	}
	if err != nil {
		_ = db.Close() // already returning the init error
		return nil, err
	}
	return s, nil
}

// Close closes the files.
func (s *Store) Close() error { return errors.Join(s.blocks.close(), s.db.Close()) }

// Height is the number of blocks.
func (s *Store) Height() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.height
}

// LastHash is the header hash of the last block.
func (s *Store) LastHash() []byte {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.lastHash
}

// BlockBytes returns the marshalled block n.
func (s *Store) BlockBytes(n uint64) ([]byte, error) {
	var out []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		out, err = s.blocks.read(tx, n)
		return err
	})
	return out, err
}

// Block returns block n.
func (s *Store) Block(n uint64) (*common.Block, error) {
	b, err := s.BlockBytes(n)
	if err != nil {
		return nil, err
	}
	blk := &common.Block{}
	if err := proto.Unmarshal(b, blk); err != nil {
		return nil, fmt.Errorf("block %d: %w", n, err)
	}
	return blk, nil
}

// TxStatus returns the validation code and block of a transaction id.
func (s *Store) TxStatus(txID string) (code peer.TxValidationCode, block uint64, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bTxIndex).Get([]byte(txID))
		if v == nil {
			return ErrNotFound
		}
		block = binary.BigEndian.Uint64(v[0:8])
		code = peer.TxValidationCode(binary.BigEndian.Uint16(v[16:18]))
		return nil
	})
	return code, block, err
}

// TxLocation returns the block and position of a transaction id.
func (s *Store) TxLocation(txID string) (block, txNum uint64, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bTxIndex).Get([]byte(txID))
		if v == nil {
			return ErrNotFound
		}
		block = binary.BigEndian.Uint64(v[0:8])
		txNum = binary.BigEndian.Uint64(v[8:16])
		return nil
	})
	return block, txNum, err
}

// AppendGenesis stores block 0. It fails if the ledger is not empty.
func (s *Store) AppendGenesis(b *common.Block) error {
	if b.GetHeader().GetNumber() != 0 {
		return errors.New("genesis block must be number 0")
	}
	raw, err := proto.Marshal(b)
	if err != nil {
		return err
	}
	hash := HeaderHash(b.Header)
	err = s.db.Update(func(tx *bolt.Tx) error {
		if s.blocks.has(tx, 0) {
			return errors.New("ledger already has a genesis block")
		}
		if err := s.blocks.append(tx, 0, raw); err != nil {
			return err
		}
		return putMeta(tx, 1, hash)
	})
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.height, s.lastHash = 1, hash
	s.mu.Unlock()
	return nil
}

func putMeta(tx *bolt.Tx, height uint64, hash []byte) error {
	m := tx.Bucket(bMeta)
	if err := m.Put(kHeight, u64(height)); err != nil {
		return err
	}
	return m.Put(kLastHash, hash)
}

// NsRWSet is one namespace's read/write set.
type NsRWSet struct {
	Namespace string
	RW        *kvrwset.KVRWSet
}

// Tx is a transaction to commit: its envelope's parsed parts and the code of the
// checks that do not depend on state (signatures, format, endorsement policy).
// Code VALID means "still to be checked against state".
type Tx struct {
	TxID      string
	Code      peer.TxValidationCode
	Timestamp *timestamppb.Timestamp
	RWSets    []NsRWSet
	// Event is the chaincode event the envelope carries (nil if none). The store
	// does not use it: the node serves it to event streams without parsing the
	// committed block again.
	Event *peer.ChaincodeEvent
}

// CommitBlock cuts block number Height() from the envelopes, gives every transaction
// its final code (DUPLICATE_TXID, MVCC_READ_CONFLICT, PHANTOM_READ_CONFLICT or the
// given code), applies the writes of the valid ones, calls finalize (to sign the
// metadata) and stores everything in one fsynced bbolt transaction.
func (s *Store) CommitBlock(envelopes [][]byte, txs []*Tx, finalize func(*common.Block) error) (*common.Block, error) {
	if len(envelopes) != len(txs) {
		return nil, errors.New("envelopes and transactions differ in number")
	}
	s.mu.RLock()
	number, prev := s.height, s.lastHash
	s.mu.RUnlock()
	blk := NewBlock(number, prev, envelopes)
	filter := make([]byte, len(txs))
	err := s.db.Update(func(btx *bolt.Tx) error {
		state, hist, idx := btx.Bucket(bState), btx.Bucket(bHistory), btx.Bucket(bTxIndex)
		seen := make(map[string]bool, len(txs))
		for i, t := range txs {
			code := t.Code
			if code == peer.TxValidationCode_VALID && t.TxID != "" && (seen[t.TxID] || idx.Get([]byte(t.TxID)) != nil) {
				code = peer.TxValidationCode_DUPLICATE_TXID
			}
			if code == peer.TxValidationCode_VALID {
				code = validateReads(state, t.RWSets)
			}
			if code == peer.TxValidationCode_VALID {
				if err := applyWrites(state, hist, number, uint64(i), t); err != nil {
					return err
				}
			}
			filter[i] = byte(code)
			if t.TxID != "" && !seen[t.TxID] && idx.Get([]byte(t.TxID)) == nil {
				v := make([]byte, 18)
				binary.BigEndian.PutUint64(v[0:8], number)
				binary.BigEndian.PutUint64(v[8:16], uint64(i))
				binary.BigEndian.PutUint16(v[16:18], uint16(code))
				if err := idx.Put([]byte(t.TxID), v); err != nil {
					return err
				}
			}
			if t.TxID != "" {
				seen[t.TxID] = true
			}
		}
		blk.Metadata.Metadata[common.BlockMetadataIndex_TRANSACTIONS_FILTER] = filter
		if finalize != nil {
			if err := finalize(blk); err != nil {
				return err
			}
		}
		raw, err := proto.Marshal(blk)
		if err != nil {
			return err
		}
		if err := s.blocks.append(btx, number, raw); err != nil {
			return err
		}
		return putMeta(btx, number+1, HeaderHash(blk.Header))
	})
	if err != nil {
		return nil, fmt.Errorf("committing block %d: %w", number, err)
	}
	s.mu.Lock()
	s.height, s.lastHash = number+1, HeaderHash(blk.Header)
	s.mu.Unlock()
	return blk, nil
}

func validateReads(state *bolt.Bucket, sets []NsRWSet) peer.TxValidationCode {
	for _, ns := range sets {
		for _, r := range ns.RW.GetReads() {
			cur := state.Get(stateKey(ns.Namespace, r.GetKey()))
			if !sameVersion(cur, r.GetVersion()) {
				return peer.TxValidationCode_MVCC_READ_CONFLICT
			}
		}
		for _, rq := range ns.RW.GetRangeQueriesInfo() {
			if !rangeUnchanged(state, ns.Namespace, rq) {
				return peer.TxValidationCode_PHANTOM_READ_CONFLICT
			}
		}
	}
	return peer.TxValidationCode_VALID
}

func sameVersion(enc []byte, v *kvrwset.Version) bool {
	if enc == nil {
		return v == nil
	}
	if v == nil {
		return false
	}
	b, t := decodeVersion(enc)
	return b == v.GetBlockNum() && t == v.GetTxNum()
}

func rangeUnchanged(state *bolt.Bucket, ns string, rq *kvrwset.RangeQueryInfo) bool {
	reads := rq.GetRawReads().GetKvReads()
	if rq.GetReadsMerkleHashes() != nil {
		return false // the devnet never writes merkle summaries
	}
	it := newRangeIter(state.Cursor(), ns, rq.GetStartKey(), rq.GetEndKey())
	for _, want := range reads {
		key, enc, ok := it.next()
		if !ok || key != want.GetKey() || !sameVersion(enc, want.GetVersion()) {
			return false
		}
	}
	if rq.GetItrExhausted() {
		if _, _, ok := it.next(); ok {
			return false
		}
	}
	return true
}

func applyWrites(state, hist *bolt.Bucket, block, txNum uint64, t *Tx) error {
	for _, ns := range t.RWSets {
		for _, w := range ns.RW.GetWrites() {
			sk := stateKey(ns.Namespace, w.GetKey())
			if w.GetIsDelete() {
				if err := state.Delete(sk); err != nil {
					return err
				}
			} else {
				var md []byte
				if old := state.Get(sk); old != nil {
					md, _ = decodeMeta(old)
				}
				if err := state.Put(sk, encodeValue(block, txNum, md, w.GetValue())); err != nil {
					return err
				}
			}
			km, err := proto.Marshal(&queryresult.KeyModification{
				TxId: t.TxID, Value: w.GetValue(), Timestamp: t.Timestamp, IsDelete: w.GetIsDelete(),
			})
			if err != nil {
				return err
			}
			if err := hist.Put(historyKey(ns.Namespace, w.GetKey(), block, txNum), km); err != nil {
				return err
			}
		}
		for _, mw := range ns.RW.GetMetadataWrites() {
			sk := stateKey(ns.Namespace, mw.GetKey())
			old := state.Get(sk)
			if old == nil {
				continue
			}
			_, val := decodeMeta(old)
			var md []byte
			if len(mw.GetEntries()) > 0 {
				var err error
				md, err = proto.Marshal(&kvrwset.KVMetadataWrite{Entries: mw.GetEntries()})
				if err != nil {
					return err
				}
			}
			if err := state.Put(sk, encodeValue(block, txNum, md, append([]byte(nil), val...))); err != nil {
				return err
			}
		}
	}
	return nil
}

// Snapshot is a consistent read view of committed state, for one simulation.
type Snapshot struct {
	tx    *bolt.Tx
	state *bolt.Bucket
	hist  *bolt.Bucket
}

// Snapshot opens a read view. Close it when done.
func (s *Store) Snapshot() (*Snapshot, error) {
	tx, err := s.db.Begin(false)
	if err != nil {
		return nil, err
	}
	return &Snapshot{tx: tx, state: tx.Bucket(bState), hist: tx.Bucket(bHistory)}, nil
}

// Close ends the read view.
func (sn *Snapshot) Close() { _ = sn.tx.Rollback() }

// VersionedValue is a committed value.
type VersionedValue struct {
	Value    []byte
	Metadata []*kvrwset.KVMetadataEntry
	Version  *kvrwset.Version
}

// Get returns the committed value of a key, or nil.
func (sn *Snapshot) Get(ns, key string) (*VersionedValue, error) {
	enc := sn.state.Get(stateKey(ns, key))
	if enc == nil {
		return nil, nil
	}
	return decodeVV(enc)
}

func decodeVV(enc []byte) (*VersionedValue, error) {
	b, t := decodeVersion(enc)
	md, val := decodeMeta(enc)
	vv := &VersionedValue{Value: append([]byte(nil), val...), Version: &kvrwset.Version{BlockNum: b, TxNum: t}}
	if len(md) > 0 {
		var m kvrwset.KVMetadataWrite
		if err := proto.Unmarshal(md, &m); err != nil {
			return nil, err
		}
		vv.Metadata = m.Entries
	}
	return vv, nil
}

// Range iterates committed keys in [start, end) of a namespace (end "" = no bound).
func (sn *Snapshot) Range(ns, start, end string) *Iter {
	return &Iter{r: newRangeIter(sn.state.Cursor(), ns, start, end)}
}

// Iter is a range iterator over a snapshot.
type Iter struct{ r *rangeIter }

// Next returns the next key and value; ok is false at the end.
func (it *Iter) Next() (key string, vv *VersionedValue, ok bool, err error) {
	k, enc, ok := it.r.next()
	if !ok {
		return "", nil, false, nil
	}
	vv, err = decodeVV(enc)
	return k, vv, err == nil, err
}

// History returns a key's marshalled queryresult.KeyModification entries, newest first.
func (sn *Snapshot) History(ns, key string) [][]byte {
	prefix := historyPrefix(ns, key)
	var out [][]byte
	c := sn.hist.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(k) == len(prefix)+16; k, v = c.Next() {
		out = append(out, append([]byte(nil), v...))
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

type rangeIter struct {
	c       *bolt.Cursor
	prefix  []byte
	end     []byte // full key bound, nil = end of namespace
	started bool
	start   []byte
}

func newRangeIter(c *bolt.Cursor, ns, start, end string) *rangeIter {
	it := &rangeIter{c: c, prefix: []byte(ns + "\x00"), start: stateKey(ns, start)}
	if end != "" {
		it.end = stateKey(ns, end)
	}
	return it
}

func (it *rangeIter) next() (string, []byte, bool) {
	var k, v []byte
	if !it.started {
		it.started = true
		k, v = it.c.Seek(it.start)
	} else {
		k, v = it.c.Next()
	}
	if k == nil || !bytes.HasPrefix(k, it.prefix) || (it.end != nil && bytes.Compare(k, it.end) >= 0) {
		return "", nil, false
	}
	return string(k[len(it.prefix):]), v, true
}

func stateKey(ns, key string) []byte {
	b := make([]byte, 0, len(ns)+1+len(key))
	b = append(b, ns...)
	b = append(b, 0)
	return append(b, key...)
}

func historyPrefix(ns, key string) []byte {
	b := binary.AppendUvarint(nil, uint64(len(ns)))
	b = append(b, ns...)
	b = binary.AppendUvarint(b, uint64(len(key)))
	return append(b, key...)
}

func historyKey(ns, key string, block, txNum uint64) []byte {
	b := historyPrefix(ns, key)
	b = binary.BigEndian.AppendUint64(b, block)
	return binary.BigEndian.AppendUint64(b, txNum)
}

// encodeValue: block(8) tx(8) uvarint(len md) md value.
func encodeValue(block, txNum uint64, md, value []byte) []byte {
	b := make([]byte, 16, 16+binary.MaxVarintLen64+len(md)+len(value))
	binary.BigEndian.PutUint64(b[0:8], block)
	binary.BigEndian.PutUint64(b[8:16], txNum)
	b = binary.AppendUvarint(b, uint64(len(md)))
	b = append(b, md...)
	return append(b, value...)
}

func decodeVersion(enc []byte) (uint64, uint64) {
	return binary.BigEndian.Uint64(enc[0:8]), binary.BigEndian.Uint64(enc[8:16])
}

func decodeMeta(enc []byte) (md, value []byte) {
	n, w := binary.Uvarint(enc[16:])
	off := 16 + w
	return enc[off : off+int(n)], enc[off+int(n):]
}

func u64(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

// FirstDifference compares one bucket of two stores key by key and describes the
// first difference, or returns "" when they are equal.
func FirstDifference(a, b *Store, bucket string) (string, error) {
	var diff string
	err := a.db.View(func(ta *bolt.Tx) error {
		return b.db.View(func(tb *bolt.Tx) error {
			ba, bb := ta.Bucket([]byte(bucket)), tb.Bucket([]byte(bucket))
			if ba == nil || bb == nil {
				diff = "bucket " + bucket + " missing"
				return nil
			}
			ca, cb := ba.Cursor(), bb.Cursor()
			ka, va := ca.First()
			kb, vb := cb.First()
			for ka != nil || kb != nil {
				switch {
				case ka == nil:
					diff = fmt.Sprintf("%s: key %q only in the replay", bucket, kb)
				case kb == nil:
					diff = fmt.Sprintf("%s: key %q only in the ledger", bucket, ka)
				case !bytes.Equal(ka, kb):
					diff = fmt.Sprintf("%s: ledger has key %q where the replay has %q", bucket, ka, kb)
				case !bytes.Equal(va, vb):
					diff = fmt.Sprintf("%s: key %q differs", bucket, ka)
				}
				if diff != "" {
					return nil
				}
				ka, va = ca.Next()
				kb, vb = cb.Next()
			}
			return nil
		})
	})
	return diff, err
}

// FirstBlockDifference compares the blocks of two stores and describes the first
// difference, or returns "" when they are equal.
func FirstBlockDifference(a, b *Store) (string, error) {
	for n := uint64(0); n < max(a.Height(), b.Height()); n++ {
		ba, errA := a.BlockBytes(n)
		bb, errB := b.BlockBytes(n)
		switch {
		case errors.Is(errA, ErrNotFound) && errB == nil:
			return fmt.Sprintf("blocks: block %d only in the replay", n), nil
		case errors.Is(errB, ErrNotFound) && errA == nil:
			return fmt.Sprintf("blocks: block %d only in the ledger", n), nil
		case errA != nil || errB != nil:
			return "", errors.Join(errA, errB)
		case !bytes.Equal(ba, bb):
			return fmt.Sprintf("blocks: block %d differs", n), nil
		}
	}
	return "", nil
}

// Count returns the number of keys in a bucket.
func (s *Store) Count(bucket string) (int, error) {
	n := 0
	err := s.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket([]byte(bucket)).Stats().KeyN
		return nil
	})
	return n, err
}
