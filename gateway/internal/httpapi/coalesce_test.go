package httpapi

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/certledger/certledger/gateway/internal/coalesce"
)

// TestCoalescedIssues: concurrent single issues through REST with coalescing
// on, over the real chaincode's certificate:IssueGroup: a full group (Max 8,
// a window long enough never to close it first) is one transaction, and each
// caller gets its own 201 with its own record; a retry is a replay.
func TestCoalescedIssues(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Coalesce = &coalesce.Options{Window: time.Minute, Max: 8} })
	// burst sends 8 single issues at once: one full group.
	burst := func(ids ...string) []resp {
		got := make([]resp, len(ids))
		var wg sync.WaitGroup
		for i, id := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got[i] = e.do("POST", "/api/v1/certificates", aClerk, certRecord(id, "dept-a"))
			}()
		}
		wg.Wait()
		return got
	}
	ids := make([]string, 8)
	for i := range ids {
		ids[i] = fmt.Sprintf("co-%d", i)
	}
	got := burst(ids...)
	txs := map[string]bool{}
	for i, r := range got {
		if r.status != http.StatusCreated {
			t.Fatalf("issue %d: %d %s\n%s", i, r.status, r.body, e.logs.String())
		}
		rec := r.json(t)["record"].(map[string]any)
		if rec["id"] != ids[i] || rec["status"] != "valid" {
			t.Fatalf("issue %d: %s", i, r.body)
		}
		txs[r.json(t)["txId"].(string)] = true
	}
	if len(txs) != 1 || e.fake.CountCalls("submit", "certificate:IssueGroup") != 1 || e.fake.CountCalls("submit", "certificate:Issue") != 0 {
		t.Fatalf("%d transactions for a full group of %d single issues", len(txs), len(got))
	}
	// A retry of co-3 in the next group is answered as a replay; the others are issued.
	again := burst("co-3", "co-10", "co-11", "co-12", "co-13", "co-14", "co-15", "co-16")
	if r := again[0]; r.status != http.StatusOK || r.header.Get("Idempotent-Replay") != "true" {
		t.Fatalf("retry: %d %s", r.status, r.body)
	}
	for i, r := range again[1:] {
		if r.status != http.StatusCreated {
			t.Fatalf("second group, issue %d: %d %s", i+1, r.status, r.body)
		}
	}
	if r := e.do("POST", "/api/v1/certificates", aClerk, certRecord("co-3", "dept-b")); r.status != http.StatusForbidden {
		t.Fatalf("another department's record: %d %s", r.status, r.body)
	}
}
