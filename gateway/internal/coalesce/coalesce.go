// Package coalesce groups concurrent single certificate issues into grouped
// transactions (chaincode certificate:IssueGroup): records arriving within a
// short window (a few ms), or until a group holds Max records, go to the ledger
// in one transaction, and each caller gets its own outcome — issued (with the
// group's transaction id and block), replay (the same signed record is already
// on the ledger) or refused (the code a single issue would give). Existing
// clients keep sending one certificate per request and get the gain.
//
// Groups are per organisation (the submitting identity must belong to each
// record's issuer). An id already waiting in the open group starts a new group
// (a group refuses an id twice). When the whole transaction fails (endorsement,
// ordering, an MVCC conflict after the retries, a timeout), every caller of the
// group gets that error: nothing was written, or — when the commit status was
// lost — a retry of the same record comes back as a replay, never a second
// certificate. A ledger without IssueGroup makes the coalescer fall back to
// one certificate:Issue per record, for good.
package coalesce

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"google.golang.org/grpc/status"

	"github.com/certledger/certledger/gateway/internal/ledgerclient"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/certificate"
)

// Chaincode functions.
const (
	FnIssueGroup = "certificate:IssueGroup"
	FnIssue      = "certificate:Issue"
)

// Outcomes of one record (chaincode/contract/certificate GroupResult).
const (
	OutcomeIssued  = "issued"
	OutcomeReplay  = "replay"
	OutcomeRefused = "refused"
)

// Defaults of Options.
const (
	DefaultWindow = 5 * time.Millisecond
	DefaultMax    = 200
)

// Submit submits a transaction and waits for its commit (the gateway's submit,
// with its MVCC retries).
type Submit func(ctx context.Context, org, fn string, args ...string) (*ledgerclient.Result, error)

// Options configure a Coalescer.
type Options struct {
	// Window is how long the first record of a group waits for others (0: DefaultWindow).
	Window time.Duration
	// Max is the largest group (0: DefaultMax); a full group leaves at once.
	Max int
	// Timeout bounds one group's transaction, independent of its callers
	// (0: one minute).
	Timeout time.Duration
}

// Coalescer groups single issues. Safe for concurrent use.
type Coalescer struct {
	o      Options
	submit Submit
	mu     sync.Mutex
	open   map[string]*group // by organisation
	// single is set once the ledger has answered that it has no IssueGroup.
	single atomic.Bool
	// Groups and Records count what was sent (for tests and metrics).
	Groups, Records atomic.Int64
}

// New returns a coalescer over submit.
func New(submit Submit, o Options) *Coalescer {
	if o.Window <= 0 {
		o.Window = DefaultWindow
	}
	if o.Max <= 0 {
		o.Max = DefaultMax
	}
	if o.Timeout <= 0 {
		o.Timeout = time.Minute
	}
	return &Coalescer{o: o, submit: submit, open: map[string]*group{}}
}

// Outcome is one caller's answer.
type Outcome struct {
	// Outcome is OutcomeIssued, OutcomeReplay or OutcomeRefused.
	Outcome string
	// Result is the committed transaction (issued: the group's, with Payload
	// the certificate as written, byte for byte what a single issue returns).
	Result *ledgerclient.Result
	// TxID is the transaction that wrote the record (replay: the original's,
	// as the chaincode reports it).
	TxID string
	// Err is the refusal (a *codes.Error with the chaincode's code) or the
	// failure of the whole transaction.
	Err error
}

type item struct {
	rec  certificate.Record
	done chan Outcome
}

type group struct {
	org   string
	items []*item
	ids   map[string]bool
	timer *time.Timer
}

// Issue adds rec to the open group of org and waits for its outcome (or ctx;
// the group goes on without this caller, whose record may still be issued —
// a retry then gets a replay).
func (c *Coalescer) Issue(ctx context.Context, org string, rec certificate.Record) Outcome {
	it := &item{rec: rec, done: make(chan Outcome, 1)}
	c.add(org, it)
	select {
	case out := <-it.done:
		return out
	case <-ctx.Done():
		return Outcome{Err: ctx.Err()}
	}
}

func (c *Coalescer) add(org string, it *item) {
	c.mu.Lock()
	g := c.open[org]
	if g != nil && g.ids[it.rec.ID] {
		c.closeLocked(g) // the same id twice: the second goes in the next group
		g = nil
	}
	if g == nil {
		g = &group{org: org, ids: map[string]bool{}}
		c.open[org] = g
		g.timer = time.AfterFunc(c.o.Window, func() { c.close(g) })
	}
	g.items = append(g.items, it)
	g.ids[it.rec.ID] = true
	if len(g.items) >= c.o.Max {
		c.closeLocked(g)
	}
	c.mu.Unlock()
}

func (c *Coalescer) close(g *group) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closeLocked(g)
}

// closeLocked takes g out of the open groups (once) and sends it.
func (c *Coalescer) closeLocked(g *group) {
	if c.open[g.org] != g {
		return
	}
	delete(c.open, g.org)
	g.timer.Stop()
	go c.send(g)
}

// groupAnswer is certificate:IssueGroup's result.
type groupAnswer struct {
	TxID     string `json:"txId"`
	IssuedAt string `json:"issuedAt"`
	Results  []struct {
		ID      string `json:"id"`
		Outcome string `json:"outcome"`
		Code    string `json:"code"`
		Message string `json:"message"`
		TxID    string `json:"txId"`
	} `json:"results"`
}

func (c *Coalescer) send(g *group) {
	ctx, cancel := context.WithTimeout(context.Background(), c.o.Timeout)
	defer cancel()
	if c.single.Load() {
		c.sendSingly(ctx, g.org, g.items)
		return
	}
	recs := make([]certificate.Record, len(g.items))
	for i, it := range g.items {
		recs[i] = it.rec
	}
	arg, err := json.Marshal(struct {
		Records []certificate.Record `json:"records"`
	}{recs})
	if err != nil {
		failAll(g.items, fmt.Errorf("encoding group: %w", err))
		return
	}
	c.Groups.Add(1)
	c.Records.Add(int64(len(recs)))
	res, err := c.submit(ctx, g.org, FnIssueGroup, string(arg))
	if err != nil {
		if noGroupFunction(err) {
			c.single.Store(true)
			c.sendSingly(ctx, g.org, g.items)
			return
		}
		failAll(g.items, err)
		return
	}
	var ans groupAnswer
	if err := json.Unmarshal(res.Payload, &ans); err != nil || len(ans.Results) != len(g.items) {
		failAll(g.items, fmt.Errorf("transaction %s: unexpected IssueGroup answer (%d results for %d records): %w", res.TxID, len(ans.Results), len(g.items), err))
		return
	}
	for i, it := range g.items {
		r := ans.Results[i]
		switch {
		case r.ID != it.rec.ID:
			it.done <- Outcome{Err: fmt.Errorf("transaction %s: result %d is for %s, not %s", res.TxID, i, r.ID, it.rec.ID)}
		case r.Outcome == OutcomeIssued:
			it.done <- issued(it.rec, ans.IssuedAt, res)
		case r.Outcome == OutcomeReplay:
			it.done <- Outcome{Outcome: OutcomeReplay, TxID: r.TxID, Err: codes.New(codes.Conflict, "certificate %s already exists", it.rec.ID)}
		default:
			code := r.Code
			if code == "" {
				code = codes.Internal
			}
			it.done <- Outcome{Outcome: OutcomeRefused, Err: codes.New(code, "%s", r.Message)}
		}
	}
}

// issued builds a record's answer: the certificate exactly as the chaincode
// wrote it (certificate.New at the group's time, in its transaction), so a
// caller gets the bytes a single issue would return.
func issued(rec certificate.Record, issuedAt string, res *ledgerclient.Result) Outcome {
	cert := certificate.Certificate{Record: rec, Status: certificate.StatusValid, IssuedAt: issuedAt, UpdatedAt: issuedAt, TxID: res.TxID}
	b, err := json.Marshal(cert)
	if err != nil {
		return Outcome{Err: err}
	}
	return Outcome{Outcome: OutcomeIssued, TxID: res.TxID, Result: &ledgerclient.Result{Payload: b, TxID: res.TxID, BlockNumber: res.BlockNumber}}
}

// sendSingly issues each record in its own transaction, concurrently (a
// ledger whose chaincode has no IssueGroup).
func (c *Coalescer) sendSingly(ctx context.Context, org string, items []*item) {
	var wg sync.WaitGroup
	for _, it := range items {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := c.submit(ctx, org, FnIssue, mustJSON(it.rec))
			if err != nil {
				it.done <- Outcome{Err: err}
				return
			}
			it.done <- Outcome{Outcome: OutcomeIssued, TxID: res.TxID, Result: res}
		}()
	}
	wg.Wait()
}

func failAll(items []*item, err error) {
	for _, it := range items {
		it.done <- Outcome{Err: err}
	}
}

// noGroupFunction reports the contract API's answer for an unknown function.
func noGroupFunction(err error) bool {
	var ce *codes.Error
	if errors.As(err, &ce) {
		return false
	}
	texts := []string{err.Error()}
	if st, ok := status.FromError(err); ok {
		for _, d := range st.Details() {
			if ed, ok := d.(*gateway.ErrorDetail); ok {
				texts = append(texts, ed.GetMessage())
			}
		}
	}
	for _, s := range texts {
		if strings.Contains(s, "IssueGroup") && strings.Contains(s, "not found") {
			return true
		}
	}
	return false
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // a certificate.Record always encodes
	}
	return string(b)
}
