package readmodel

import (
	"context"
	"errors"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
)

// Source is where the model reads the ledger: block events from a checkpoint
// and the ledger's current height. ledgerclient.Fabric provides both over the
// fabric-gateway client (Network.BlockEvents, and the Deliver service's newest
// block).
type Source interface {
	// Blocks streams full blocks from the checkpoint's block on; the channel
	// closes when ctx ends or the stream breaks.
	Blocks(ctx context.Context, from client.Checkpoint) (<-chan *common.Block, error)
	// Height returns the ledger's height (newest block number + 1).
	Height(ctx context.Context) (uint64, error)
}

// NetworkSource is a Source over a fabric-gateway Network; height is the
// ledger's height function (nil: the head is known only from the blocks seen).
type NetworkSource struct {
	Network *client.Network
	Head    func(ctx context.Context) (uint64, error)
}

// Blocks opens Network.BlockEvents at the checkpoint. Block 0 is asked for
// explicitly: a zero checkpoint means "from the next commit" to the client.
func (s NetworkSource) Blocks(ctx context.Context, from client.Checkpoint) (<-chan *common.Block, error) {
	opt := client.WithCheckpoint(from)
	if from.BlockNumber() == 0 && from.TransactionID() == "" {
		opt = client.WithStartBlock(0)
	}
	return s.Network.BlockEvents(ctx, opt)
}

// Height calls Head.
func (s NetworkSource) Height(ctx context.Context) (uint64, error) {
	if s.Head == nil {
		return 0, errors.New("no head function")
	}
	return s.Head(ctx)
}

// Run follows the ledger until ctx ends: it applies blocks from the checkpoint
// on, reconnecting (with backoff) when the stream breaks, and reads the
// ledger's height every HeadInterval to know how far behind it is.
func (m *Model) Run(ctx context.Context, src Source) {
	if n, err := m.IndexPending(); err != nil {
		m.log.Warn("read model: indexing pending batch files", "error", err)
	} else if n > 0 {
		m.log.Info("read model: indexed pending batch files", "batches", n)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		m.watchHead(ctx, src)
	}()
	defer func() { <-done }()
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		start := m.Height()
		err := m.followOnce(ctx, src)
		if ctx.Err() != nil {
			return
		}
		if m.Height() > start {
			backoff = 100 * time.Millisecond
		}
		m.log.Warn("read model: block stream interrupted; resuming from the checkpoint", "height", m.Height(), "error", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

func (m *Model) followOnce(ctx context.Context, src Source) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	blocks, err := src.Blocks(ctx, m)
	if err != nil {
		return err
	}
	err = m.Follow(ctx, blocks)
	cancel()
	for range blocks { // let the client's reader finish
	}
	return err
}

func (m *Model) watchHead(ctx context.Context, src Source) {
	t := time.NewTicker(m.opts.HeadInterval)
	defer t.Stop()
	for {
		hctx, cancel := context.WithTimeout(ctx, m.opts.HeadInterval+5*time.Second)
		h, err := src.Height(hctx)
		cancel()
		if err == nil {
			m.head.polledHead(h, m.opts.Now())
		} else if ctx.Err() == nil {
			m.log.Debug("read model: reading the ledger height", "error", err)
		}
		m.indexArrived()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// indexArrived indexes the pending batches whose files have appeared in the
// batch store by another way than this gateway's uploads (a store shared with
// other gateways). Each file is tried once per process: one that fails (it
// does not rebuild its root) waits for a restart or an upload here.
func (m *Model) indexArrived() {
	if m.opts.Batches == nil {
		return
	}
	pending, err := m.PendingBatches()
	if err != nil || len(pending) == 0 {
		return
	}
	for _, p := range pending {
		if _, ok := m.opts.Batches.Records(p.FileHash); !ok {
			continue
		}
		if _, tried := m.tried.LoadOrStore(p.FileHash, true); tried {
			continue
		}
		if n, err := m.IndexPending(); err != nil {
			m.log.Warn("read model: indexing a batch file that arrived in the store", "batch", p.BatchID, "error", err)
		} else if n > 0 {
			m.log.Info("read model: indexed batch files that arrived in the store", "batches", n)
		}
		return
	}
}

// NoteHead records a ledger height learnt elsewhere (a poll by the caller, a
// tests' fake ledger).
func (m *Model) NoteHead(height uint64) { m.head.polledHead(height, m.opts.Now()) }

// Status is the model's position against the ledger.
type Status struct {
	// Height is the number of blocks the store reflects.
	Height uint64 `json:"height"`
	// LedgerHeight is the ledger's last known height.
	LedgerHeight uint64 `json:"ledgerHeight"`
	// Lag is how long the model has been behind the ledger (0 when caught up).
	Lag time.Duration `json:"lag"`
	// HeadKnown is false when the ledger's height has not been read recently.
	HeadKnown bool `json:"headKnown"`
	// Serving is true when Verify answers from the model.
	Serving bool `json:"serving"`
}

// Status reports the model's position; Serving is HeadKnown and Lag <= MaxLag.
func (m *Model) Status() Status {
	applied := m.Height()
	lag, head, known := m.head.lag(applied, m.opts.Now(), m.opts.MaxLag+m.opts.HeadInterval)
	return Status{Height: applied, LedgerHeight: head, Lag: lag, HeadKnown: known, Serving: known && lag <= m.opts.MaxLag}
}

// Start opens the model and runs it against src in the background until stop
// is called (or ctx ends); stop waits for the follower and closes the store.
func Start(ctx context.Context, o Options, src Source) (m *Model, stop func() error, err error) {
	m, err = Open(o)
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); m.Run(ctx, src) }()
	return m, func() error {
		cancel()
		<-done
		return m.Close()
	}, nil
}
