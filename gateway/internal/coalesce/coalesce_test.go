package coalesce

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certledger/certledger/gateway/internal/ledgerclient"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/certificate"
)

// fakeLedger answers certificate:IssueGroup as chaincode/contract/certificate
// does (issued / replay / refused per record, an id twice refused) and
// certificate:Issue, over a map of issued records.
type fakeLedger struct {
	mu       sync.Mutex
	certs    map[string]certificate.Record
	tx       int
	groups   [][]string
	noGroup  bool  // the chaincode has no IssueGroup
	failNext error // the next transaction fails as a whole
}

func newFake() *fakeLedger { return &fakeLedger{certs: map[string]certificate.Record{}} }

func (f *fakeLedger) submit(_ context.Context, _ string, fn string, args ...string) (*ledgerclient.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.failNext; err != nil {
		f.failNext = nil
		return nil, err
	}
	f.tx++
	txID := fmt.Sprintf("tx-%d", f.tx)
	switch {
	case fn == FnIssueGroup && f.noGroup:
		return nil, errors.New("rpc error: code = Unknown desc = chaincode response 500, Function IssueGroup not found in contract certificate")
	case fn == FnIssueGroup:
		var g struct{ Records []certificate.Record }
		if err := json.Unmarshal([]byte(args[0]), &g); err != nil {
			return nil, err
		}
		type result struct {
			ID      string `json:"id"`
			Outcome string `json:"outcome"`
			Code    string `json:"code,omitempty"`
			Message string `json:"message,omitempty"`
			TxID    string `json:"txId,omitempty"`
		}
		ans := struct {
			TxID     string   `json:"txId"`
			IssuedAt string   `json:"issuedAt"`
			Results  []result `json:"results"`
		}{TxID: txID, IssuedAt: "2026-12-03T10:00:00Z"}
		var ids []string
		seen := map[string]bool{}
		for _, r := range g.Records {
			ids = append(ids, r.ID)
			switch old, ok := f.certs[r.ID]; {
			case seen[r.ID]:
				ans.Results = append(ans.Results, result{ID: r.ID, Outcome: OutcomeRefused, Code: codes.Conflict, Message: "appears twice"})
			case strings.HasPrefix(r.ID, "bad"):
				ans.Results = append(ans.Results, result{ID: r.ID, Outcome: OutcomeRefused, Code: codes.BadSignature, Message: "signature does not verify"})
			case ok && old == r:
				ans.Results = append(ans.Results, result{ID: r.ID, Outcome: OutcomeReplay, TxID: "tx-original"})
			case ok:
				ans.Results = append(ans.Results, result{ID: r.ID, Outcome: OutcomeRefused, Code: codes.Conflict, Message: "certificate " + r.ID + " already exists"})
			default:
				f.certs[r.ID] = r
				seen[r.ID] = true
				ans.Results = append(ans.Results, result{ID: r.ID, Outcome: OutcomeIssued, TxID: txID})
			}
		}
		f.groups = append(f.groups, ids)
		b, _ := json.Marshal(ans)
		return &ledgerclient.Result{Payload: b, TxID: txID, BlockNumber: uint64(f.tx)}, nil
	case fn == FnIssue:
		var r certificate.Record
		if err := json.Unmarshal([]byte(args[0]), &r); err != nil {
			return nil, err
		}
		if _, ok := f.certs[r.ID]; ok {
			return nil, codes.New(codes.Conflict, "certificate %s already exists", r.ID)
		}
		f.certs[r.ID] = r
		f.groups = append(f.groups, []string{r.ID})
		return &ledgerclient.Result{Payload: []byte(`{"id":"` + r.ID + `"}`), TxID: txID, BlockNumber: uint64(f.tx)}, nil
	}
	return nil, fmt.Errorf("unexpected %s", fn)
}

func rec(id string) certificate.Record {
	return certificate.Record{Fields: certificate.Fields{ID: id, DocHash: strings.Repeat("ab", 32), Type: "licence", Issuer: "dept-a", KeyID: strings.Repeat("cd", 32)}, Signature: "sig-" + id}
}

// issueAll issues ids concurrently and returns the outcomes by id.
func issueAll(c *Coalescer, ids ...string) map[string]Outcome {
	var mu sync.Mutex
	out := map[string]Outcome{}
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o := c.Issue(context.Background(), "dept-a", rec(id))
			mu.Lock()
			out[id] = o
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out
}

func TestGroupsAnswerEachCaller(t *testing.T) {
	f := newFake()
	f.certs["old-1"] = rec("old-1")
	f.certs["taken-1"] = certificate.Record{Fields: certificate.Fields{ID: "taken-1"}, Signature: "someone else's"}
	c := New(f.submit, Options{Window: 50 * time.Millisecond, Max: 1000})
	ids := []string{"old-1", "taken-1", "bad-1"}
	for i := range 40 {
		ids = append(ids, fmt.Sprintf("c-%02d", i))
	}
	out := issueAll(c, ids...)
	if len(f.groups) >= len(ids)/2 {
		t.Fatalf("%d records went in %d transactions", len(ids), len(f.groups))
	}
	for _, id := range ids {
		o := out[id]
		switch id {
		case "old-1":
			if o.Outcome != OutcomeReplay || o.TxID != "tx-original" || codes.Code(o.Err) != codes.Conflict {
				t.Fatalf("replay: %+v", o)
			}
		case "taken-1":
			if o.Outcome != OutcomeRefused || codes.Code(o.Err) != codes.Conflict {
				t.Fatalf("taken: %+v", o)
			}
		case "bad-1":
			if o.Outcome != OutcomeRefused || codes.Code(o.Err) != codes.BadSignature {
				t.Fatalf("bad: %+v", o)
			}
		default:
			if o.Outcome != OutcomeIssued || o.Err != nil || o.Result == nil || o.TxID != o.Result.TxID || o.Result.BlockNumber == 0 {
				t.Fatalf("%s: %+v", id, o)
			}
			// The record is the certificate as the chaincode writes it.
			var got certificate.Certificate
			if err := json.Unmarshal(o.Result.Payload, &got); err != nil || got.Record != rec(id) || got.Status != certificate.StatusValid ||
				got.TxID != o.TxID || got.IssuedAt != "2026-12-03T10:00:00Z" {
				t.Fatalf("%s: payload %s, %v", id, o.Result.Payload, err)
			}
		}
	}
}

func TestFullGroupLeavesAtOnceAndSameIDStartsANewGroup(t *testing.T) {
	f := newFake()
	c := New(f.submit, Options{Window: time.Hour, Max: 3})
	out := issueAll(c, "a", "b", "c")
	if len(f.groups) != 1 || len(out) != 3 {
		t.Fatalf("groups %v", f.groups)
	}
	// The same id twice: two groups; the second caller learns it is a replay.
	c = New(f.submit, Options{Window: 30 * time.Millisecond, Max: 10})
	done := make(chan Outcome, 2)
	go func() { done <- c.Issue(context.Background(), "dept-a", rec("d")) }()
	time.Sleep(5 * time.Millisecond)
	go func() { done <- c.Issue(context.Background(), "dept-a", rec("d")) }()
	o1, o2 := <-done, <-done
	outcomes := []string{o1.Outcome, o2.Outcome}
	if !reflect.DeepEqual(outcomes, []string{OutcomeIssued, OutcomeReplay}) && !reflect.DeepEqual(outcomes, []string{OutcomeReplay, OutcomeIssued}) {
		t.Fatalf("same id twice: %+v %+v (groups %v)", o1, o2, f.groups)
	}
}

func TestFailedTransactionFailsEveryCaller(t *testing.T) {
	f := newFake()
	f.failNext = errors.New("endorsement failed")
	c := New(f.submit, Options{Window: 20 * time.Millisecond})
	for id, o := range issueAll(c, "x", "y", "z") {
		if o.Err == nil || !strings.Contains(o.Err.Error(), "endorsement failed") || o.Outcome != "" {
			t.Fatalf("%s: %+v", id, o)
		}
	}
	if len(f.certs) != 0 {
		t.Fatal("a failed group wrote")
	}
	// The retry issues each once.
	for id, o := range issueAll(c, "x", "y", "z") {
		if o.Outcome != OutcomeIssued {
			t.Fatalf("retry %s: %+v", id, o)
		}
	}
}

func TestCallerGoneGroupGoesOn(t *testing.T) {
	f := newFake()
	c := New(f.submit, Options{Window: 30 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if o := c.Issue(ctx, "dept-a", rec("gone")); !errors.Is(o.Err, context.Canceled) {
		t.Fatalf("cancelled caller: %+v", o)
	}
	time.Sleep(100 * time.Millisecond)
	f.mu.Lock()
	_, written := f.certs["gone"]
	f.mu.Unlock()
	if !written {
		t.Fatal("the group was not sent")
	}
	// The retry of the caller that went away is a replay, not a second certificate.
	if o := c.Issue(context.Background(), "dept-a", rec("gone")); o.Outcome != OutcomeReplay {
		t.Fatalf("retry: %+v", o)
	}
}

func TestNoIssueGroupFallsBackToSingleIssues(t *testing.T) {
	f := newFake()
	f.noGroup = true
	c := New(f.submit, Options{Window: 10 * time.Millisecond})
	for id, o := range issueAll(c, "s1", "s2", "s3") {
		if o.Outcome != OutcomeIssued || o.Result == nil {
			t.Fatalf("%s: %+v", id, o)
		}
	}
	if !c.single.Load() || len(f.certs) != 3 {
		t.Fatalf("fallback: single %t, %d written", c.single.Load(), len(f.certs))
	}
}
