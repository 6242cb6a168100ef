// Package faultledger wraps a ledgerclient.Ledger to inject the failures a real
// network produces and the real chaincode never does: MVCC conflicts at commit,
// timeouts, an unreachable peer, an answer lost after the write committed. It also
// records every call. Tests run it around the real chaincode
// (gateway/gatewaytest/ccledger); with no ledger inside, every call that is not
// failed on purpose fails with errmap.ErrUnavailable.
//
//	f := faultledger.Wrap(ccledger.New(t))
//	f.FailNext("certificate:Issue", faultledger.MVCCConflict(), faultledger.MVCCConflict())
package faultledger

import (
	"context"
	"fmt"
	"sync"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	grpccodes "google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/certledger/certledger/gateway/internal/errmap"
	"github.com/certledger/certledger/gateway/internal/ledgerclient"
)

// MVCCConflict is the commit failure of a transaction that lost a read-write race.
func MVCCConflict() error {
	return &client.CommitError{TransactionID: "mvcc-conflict", Code: peer.TxValidationCode_MVCC_READ_CONFLICT}
}

// Timeout is a gRPC deadline, as the fabric-gateway client reports one.
func Timeout() error { return status.Error(grpccodes.DeadlineExceeded, "context deadline exceeded") }

// Unavailable is an unreachable peer.
func Unavailable() error { return status.Error(grpccodes.Unavailable, "connection refused") }

// Call records one call.
type Call struct {
	Op   string // "evaluate", "submit" or "channel"
	Org  string
	Fn   string
	Args []string
}

// Hook decides about one call before it reaches the ledger: a non-nil error fails it.
type Hook func(c Call) error

// Ledger injects faults around Inner. The zero value is not usable; call Wrap.
type Ledger struct {
	inner ledgerclient.Ledger

	mu     sync.Mutex
	calls  []Call
	before map[string][]error // per fn, consumed one per call, before the ledger
	after  map[string][]error // per fn, consumed one per call, after a successful submit
	hook   Hook
}

var _ ledgerclient.Ledger = (*Ledger)(nil)

// Wrap returns a Ledger around inner (nil: nothing answers).
func Wrap(inner ledgerclient.Ledger) *Ledger {
	return &Ledger{inner: inner, before: map[string][]error{}, after: map[string][]error{}}
}

// FailNext queues errs: the next len(errs) calls of fn fail with them, in order,
// before they reach the ledger (a failed submit writes nothing).
func (f *Ledger) FailNext(fn string, errs ...error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.before[fn] = append(f.before[fn], errs...)
}

// LoseNext queues errs for the next successful submits of fn: each commits, then its
// answer is replaced by the error (a timeout waiting for the commit status, a broken
// connection).
func (f *Ledger) LoseNext(fn string, errs ...error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.after[fn] = append(f.after[fn], errs...)
}

// SetHook sets (nil: removes) a hook that sees every call before the ledger does.
func (f *Ledger) SetHook(h Hook) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hook = h
}

// Calls returns a copy of the calls so far.
func (f *Ledger) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Call(nil), f.calls...)
}

// CountCalls counts the calls of fn with op ("" = any op).
func (f *Ledger) CountCalls(op, fn string) int {
	n := 0
	for _, c := range f.Calls() {
		if c.Fn == fn && (op == "" || c.Op == op) {
			n++
		}
	}
	return n
}

// enter records a call and returns the error it must fail with, if any.
func (f *Ledger) enter(ctx context.Context, c Call) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f.mu.Lock()
	f.calls = append(f.calls, c)
	hook := f.hook
	var err error
	if q := f.before[c.Fn]; len(q) > 0 {
		f.before[c.Fn], err = q[1:], q[0]
	}
	f.mu.Unlock()
	if err == nil && hook != nil {
		err = hook(c)
	}
	if err == nil && f.inner == nil {
		err = fmt.Errorf("%s: %w", c.Fn, errmap.ErrUnavailable)
	}
	return err
}

// Evaluate evaluates on the inner ledger unless a fault is due.
func (f *Ledger) Evaluate(ctx context.Context, org, fn string, args ...string) ([]byte, error) {
	if err := f.enter(ctx, Call{Op: "evaluate", Org: org, Fn: fn, Args: append([]string(nil), args...)}); err != nil {
		return nil, err
	}
	return f.inner.Evaluate(ctx, org, fn, args...)
}

// Submit submits on the inner ledger unless a fault is due.
func (f *Ledger) Submit(ctx context.Context, org, fn string, args ...string) (*ledgerclient.Result, error) {
	if err := f.enter(ctx, Call{Op: "submit", Org: org, Fn: fn, Args: append([]string(nil), args...)}); err != nil {
		return nil, err
	}
	res, err := f.inner.Submit(ctx, org, fn, args...)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if q := f.after[fn]; len(q) > 0 {
		f.after[fn] = q[1:]
		return nil, q[0]
	}
	return res, nil
}

// Events streams the inner ledger's events.
func (f *Ledger) Events(ctx context.Context, org string, start int64) (<-chan ledgerclient.Event, error) {
	if f.inner == nil {
		return nil, errmap.ErrUnavailable
	}
	return f.inner.Events(ctx, org, start)
}

// TxBlock asks the inner ledger.
func (f *Ledger) TxBlock(ctx context.Context, org, txID string) (uint64, bool) {
	if f.inner == nil {
		return 0, false
	}
	return f.inner.TxBlock(ctx, org, txID)
}

var _ ledgerclient.ChannelInfoReader = (*Ledger)(nil)

// ChannelInfo asks the inner ledger when it can describe its channel.
func (f *Ledger) ChannelInfo(ctx context.Context, org string) (*ledgerclient.ChannelInfo, error) {
	if err := f.enter(ctx, Call{Op: "channel", Org: org, Fn: "ChannelInfo"}); err != nil {
		return nil, err
	}
	r, ok := f.inner.(ledgerclient.ChannelInfoReader)
	if !ok {
		return nil, fmt.Errorf("ChannelInfo: %w", errmap.ErrUnavailable)
	}
	return r.ChannelInfo(ctx, org)
}

var _ ledgerclient.OperatorReader = (*Ledger)(nil)

// Operator asks the inner ledger when it knows whom its calls sign as; else it
// answers no operator.
func (f *Ledger) Operator(ctx context.Context, org string) (string, string, error) {
	r, ok := f.inner.(ledgerclient.OperatorReader)
	if !ok {
		return "", "", nil
	}
	return r.Operator(ctx, org)
}
