package devnet

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/certledger/certledger/network/devnet/internal/blockstore"
)

// errStopped is returned when the node is closing or its ledger failed.
var errStopped = errors.New("the devnet is not accepting transactions")

type pendingTx struct {
	env []byte
	tx  *blockstore.Tx
}

type txStatus struct {
	code  peer.TxValidationCode
	block uint64
}

// sequencer cuts submitted transactions into blocks (by count and timeout) and commits
// them one block at a time. Cutting the next block overlaps committing the last one.
type sequencer struct {
	store    *blockstore.Store
	log      *slog.Logger
	maxCount int
	timeout  time.Duration
	finalize func(*common.Block) error

	in      chan pendingTx
	batches chan []pendingTx
	stop    chan struct{}
	done    chan struct{}

	inMu     sync.RWMutex
	closed   bool
	failed   error
	failedCh chan struct{} // closed when a commit fails: waiters give up

	mu      sync.Mutex
	waiters map[string][]chan txStatus

	blockMu  sync.Mutex
	newBlock chan struct{}

	events eventCache
}

// eventCache holds the chaincode events of the last blocks committed, taken from
// the checked transactions, so event streams following the head of the chain
// need not read those blocks back and parse every envelope.
type eventCache struct {
	mu sync.Mutex
	m  map[uint64][]*peer.ChaincodeEvent
}

// eventCacheBlocks bounds the cache; an older block's events are parsed from the store.
const eventCacheBlocks = 64

func (c *eventCache) put(num uint64, evs []*peer.ChaincodeEvent) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[uint64][]*peer.ChaincodeEvent, eventCacheBlocks+1)
	}
	c.m[num] = evs
	if num >= eventCacheBlocks {
		delete(c.m, num-eventCacheBlocks)
	}
}

// get returns the events of block num's valid transactions, if num is recent.
func (c *eventCache) get(num uint64) ([]*peer.ChaincodeEvent, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	evs, ok := c.m[num]
	return evs, ok
}

func newOrderer(store *blockstore.Store, log *slog.Logger, maxCount int, timeout time.Duration, finalize func(*common.Block) error) *sequencer {
	o := &sequencer{
		store: store, log: log, maxCount: maxCount, timeout: timeout, finalize: finalize,
		in:       make(chan pendingTx, 4*maxCount),
		batches:  make(chan []pendingTx), // unbuffered: a block is cut when the committer takes it
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
		waiters:  map[string][]chan txStatus{},
		failedCh: make(chan struct{}),
		newBlock: make(chan struct{}),
	}
	go o.cut()
	go o.commit()
	return o
}

// submit queues a checked transaction for the next block.
func (o *sequencer) submit(ctx context.Context, p pendingTx) error {
	o.inMu.RLock()
	defer o.inMu.RUnlock()
	if o.closed || o.failed != nil {
		return errStopped
	}
	select {
	case o.in <- p:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// cut forms blocks. A block becomes ready when maxCount transactions wait or
// timeout after the first one arrived; it is handed to the committer as soon as the
// committer is free (group commit). While the committer is still writing the last
// block, a ready block keeps taking transactions up to maxCount, so under load one
// commit and its fsyncs carry many transactions, and when idle a lone transaction
// still waits only the timeout.
func (o *sequencer) cut() {
	defer close(o.batches)
	var batch []pendingTx
	ready := false
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		in, out := o.in, chan []pendingTx(nil)
		if len(batch) >= o.maxCount {
			in = nil // full: wait for the committer
		}
		if ready {
			out = o.batches
		}
		select {
		case p, ok := <-in:
			if !ok {
				if len(batch) > 0 {
					o.batches <- batch
				}
				return
			}
			batch = append(batch, p)
			if len(batch) == 1 {
				timer.Reset(o.timeout)
			}
			if len(batch) >= o.maxCount {
				ready = true
			}
		case <-timer.C:
			ready = len(batch) > 0
		case out <- batch:
			batch, ready = nil, false
			timer.Stop()
		}
	}
}

func (o *sequencer) commit() {
	defer close(o.done)
	for batch := range o.batches {
		if o.failed != nil {
			continue
		}
		envs := make([][]byte, len(batch))
		txs := make([]*blockstore.Tx, len(batch))
		for i, p := range batch {
			envs[i], txs[i] = p.env, p.tx
		}
		blk, err := o.store.CommitBlock(envs, txs, o.finalize)
		if err != nil {
			o.log.Error("commit failed; the devnet stops accepting transactions", "err", err)
			o.inMu.Lock()
			o.failed = err
			o.inMu.Unlock()
			close(o.failedCh)
			continue
		}
		o.events.put(blk.Header.Number, validEvents(blk, txs))
		o.notify(blk, txs)
	}
}

// validEvents is blockEvents for a block just committed from txs: the events of
// its valid transactions, in order.
func validEvents(blk *common.Block, txs []*blockstore.Tx) []*peer.ChaincodeEvent {
	filter := txFilter(blk)
	var out []*peer.ChaincodeEvent
	for i, t := range txs {
		if peer.TxValidationCode(filter[i]) == peer.TxValidationCode_VALID && t.Event != nil {
			out = append(out, t.Event)
		}
	}
	return out
}

func (o *sequencer) notify(blk *common.Block, txs []*blockstore.Tx) {
	filter := blk.Metadata.Metadata[common.BlockMetadataIndex_TRANSACTIONS_FILTER]
	num := blk.Header.Number
	o.mu.Lock()
	for i, t := range txs {
		ws := o.waiters[t.TxID]
		if len(ws) == 0 {
			continue
		}
		st := txStatus{code: peer.TxValidationCode(filter[i]), block: num}
		if st.code == peer.TxValidationCode_DUPLICATE_TXID {
			// The index keeps the first transaction with this id.
			if c, b, err := o.store.TxStatus(t.TxID); err == nil {
				st = txStatus{code: c, block: b}
			}
		}
		for _, w := range ws {
			w <- st
		}
		delete(o.waiters, t.TxID)
	}
	o.mu.Unlock()
	o.blockMu.Lock()
	close(o.newBlock)
	o.newBlock = make(chan struct{})
	o.blockMu.Unlock()
}

// wait returns the commit status of a transaction, waiting for its block.
func (o *sequencer) wait(ctx context.Context, txID string) (txStatus, error) {
	o.mu.Lock()
	code, blk, err := o.store.TxStatus(txID)
	if err == nil {
		o.mu.Unlock()
		return txStatus{code: code, block: blk}, nil
	}
	if !errors.Is(err, blockstore.ErrNotFound) {
		o.mu.Unlock()
		return txStatus{}, err
	}
	ch := make(chan txStatus, 1)
	o.waiters[txID] = append(o.waiters[txID], ch)
	o.mu.Unlock()
	select {
	case st := <-ch:
		return st, nil
	case <-ctx.Done():
		o.mu.Lock()
		ws := o.waiters[txID]
		for i, w := range ws {
			if w == ch {
				ws = append(ws[:i], ws[i+1:]...)
				break
			}
		}
		if len(ws) == 0 {
			delete(o.waiters, txID)
		} else {
			o.waiters[txID] = ws
		}
		o.mu.Unlock()
		return txStatus{}, ctx.Err()
	case <-o.done:
		return txStatus{}, errStopped
	case <-o.failedCh:
		return txStatus{}, errStopped
	}
}

// waitBlock blocks until block n exists (returns nil) or ctx ends.
func (o *sequencer) waitBlock(ctx context.Context, n uint64) error {
	for {
		o.blockMu.Lock()
		ch := o.newBlock
		o.blockMu.Unlock()
		if o.store.Height() > n {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-o.done:
			return errStopped
		}
	}
}

// close stops accepting transactions, commits what is queued, and waits.
func (o *sequencer) close() {
	o.inMu.Lock()
	if !o.closed {
		o.closed = true
		close(o.in)
	}
	o.inMu.Unlock()
	<-o.done
}
