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
// on; each caller gets its own 201 and transaction; a retry is a replay. (This
// ledger's chaincode has no certificate:IssueGroup yet: the coalescer learns it
// and falls back to one transaction per record; package coalesce tests groups.)
func TestCoalescedIssues(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Coalesce = &coalesce.Options{Window: 20 * time.Millisecond} })
	var wg sync.WaitGroup
	got := make([]resp, 8)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i] = e.do("POST", "/api/v1/certificates", aClerk, certRecord(fmt.Sprintf("co-%d", i), "dept-a"))
		}()
	}
	wg.Wait()
	txs := map[string]bool{}
	for i, r := range got {
		if r.status != http.StatusCreated {
			t.Fatalf("issue %d: %d %s\n%s", i, r.status, r.body, e.logs.String())
		}
		rec := r.json(t)["record"].(map[string]any)
		if rec["id"] != fmt.Sprintf("co-%d", i) || rec["status"] != "valid" {
			t.Fatalf("issue %d: %s", i, r.body)
		}
		txs[r.json(t)["txId"].(string)] = true
	}
	if len(txs) != len(got) {
		t.Fatalf("%d transactions for %d single issues on a ledger without IssueGroup", len(txs), len(got))
	}
	if r := e.do("POST", "/api/v1/certificates", aClerk, certRecord("co-3", "dept-a")); r.status != http.StatusOK || r.header.Get("Idempotent-Replay") != "true" {
		t.Fatalf("retry: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/v1/certificates", aClerk, certRecord("co-3", "dept-b")); r.status != http.StatusForbidden {
		t.Fatalf("another department's record: %d %s", r.status, r.body)
	}
}
