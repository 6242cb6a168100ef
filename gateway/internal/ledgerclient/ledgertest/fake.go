// Package ledgertest is an in-memory ledgerclient.Ledger for handler tests: each chaincode
// function is a Go func, submits get sequential transaction ids and block numbers,
// and every successful submit may emit an event that Events replays and streams.
package ledgertest

import (
	"context"
	"fmt"
	"sync"

	"github.com/certledger/certledger/gateway/internal/ledgerclient"
)

// Func implements one chaincode function. tx is the transaction id a submit will
// get ("" for evaluate). It returns the result and, for submits, an optional event.
type Func func(org, tx string, args []string) (result []byte, event *ledgerclient.Event, err error)

// Call records one call to the fake.
type Call struct {
	Op   string // "evaluate" or "submit"
	Org  string
	Fn   string
	Args []string
}

// Fake is the in-memory ledgerclient. The zero value is not usable; call New.
type Fake struct {
	mu      sync.Mutex
	funcs   map[string]Func
	calls   []Call
	block   uint64
	txs     map[string]uint64
	events  []ledgerclient.Event
	subs    map[chan struct{}]struct{}
	failing map[string][]error // queued errors per fn, consumed one per call
}

// New returns an empty fake whose chain starts at block 1.
func New() *Fake {
	return &Fake{funcs: map[string]Func{}, block: 0, txs: map[string]uint64{}, subs: map[chan struct{}]struct{}{}, failing: map[string][]error{}}
}

// On sets the implementation of fn ("contract:Function").
func (f *Fake) On(fn string, impl Func) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.funcs[fn] = impl
}

// FailNext queues errs: the next len(errs) calls of fn fail with them, in order,
// before fn runs (a failed submit writes nothing).
func (f *Fake) FailNext(fn string, errs ...error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failing[fn] = append(f.failing[fn], errs...)
}

// Calls returns a copy of the calls so far.
func (f *Fake) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Call(nil), f.calls...)
}

// CountCalls counts the calls of fn with op ("" = any op).
func (f *Fake) CountCalls(op, fn string) int {
	n := 0
	for _, c := range f.Calls() {
		if c.Fn == fn && (op == "" || c.Op == op) {
			n++
		}
	}
	return n
}

func (f *Fake) call(op, org, fn string, args []string) (Func, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, Call{Op: op, Org: org, Fn: fn, Args: append([]string(nil), args...)})
	if q := f.failing[fn]; len(q) > 0 {
		f.failing[fn] = q[1:]
		return nil, q[0]
	}
	impl, ok := f.funcs[fn]
	if !ok {
		return nil, fmt.Errorf("chaincode response 500, INVALID_ARGUMENT: function %s not found", fn)
	}
	return impl, nil
}

// Evaluate runs fn without committing.
func (f *Fake) Evaluate(ctx context.Context, org, fn string, args ...string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	impl, err := f.call("evaluate", org, fn, args)
	if err != nil {
		return nil, err
	}
	res, _, err := impl(org, "", args)
	return res, err
}

// Submit runs fn, then "commits" it in a new block and records its event.
func (f *Fake) Submit(ctx context.Context, org, fn string, args ...string) (*ledgerclient.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	impl, err := f.call("submit", org, fn, args)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	tx := fmt.Sprintf("tx%04d", len(f.calls))
	f.mu.Unlock()
	res, ev, err := impl(org, tx, args)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.block++
	n := f.block
	f.txs[tx] = n
	if ev != nil {
		e := *ev
		e.BlockNumber, e.TxID = n, tx
		f.events = append(f.events, e)
		for s := range f.subs {
			select {
			case s <- struct{}{}:
			default:
			}
		}
	}
	f.mu.Unlock()
	return &ledgerclient.Result{Payload: res, TxID: tx, BlockNumber: n}, nil
}

// Events replays recorded events from block start (start < 0: only new ones), then
// streams new ones until ctx ends.
func (f *Fake) Events(ctx context.Context, org string, start int64) (<-chan ledgerclient.Event, error) {
	wake := make(chan struct{}, 1)
	f.mu.Lock()
	next := len(f.events)
	if start >= 0 {
		next = 0
		for next < len(f.events) && int64(f.events[next].BlockNumber) < start {
			next++
		}
	}
	f.subs[wake] = struct{}{}
	f.mu.Unlock()
	out := make(chan ledgerclient.Event)
	go func() {
		defer func() {
			f.mu.Lock()
			delete(f.subs, wake)
			f.mu.Unlock()
			close(out)
		}()
		for {
			f.mu.Lock()
			pending := append([]ledgerclient.Event(nil), f.events[next:]...)
			next = len(f.events)
			f.mu.Unlock()
			for _, e := range pending {
				select {
				case out <- e:
				case <-ctx.Done():
					return
				}
			}
			select {
			case <-wake:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

// TxBlock returns the block of a transaction committed by the fake.
func (f *Fake) TxBlock(_ context.Context, _, txID string) (uint64, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n, ok := f.txs[txID]
	return n, ok
}

var _ ledgerclient.Ledger = (*Fake)(nil)
