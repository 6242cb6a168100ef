package gatewaytest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/certledger/certledger/gateway/gatewaytest"
)

// TestCoalescedIssueE2E: concurrent single issues through REST with
// coalescing on, against the real chaincode. With certificate:IssueGroup they
// share transactions; without it (an older chaincode) each is its own. Either
// way each caller gets its own answer: 201, the refusal of its bad record, a
// replay on retry; the read model answers verify for them.
func TestCoalescedIssueE2E(t *testing.T) {
	s := startStackWith(t, gatewaytest.Options{Coalesce: &gatewaytest.CoalesceOptions{Window: 30 * time.Millisecond},
		ReadModel: gatewaytest.ReadModelOptions{Dir: filepath.Join(t.TempDir(), "rm")}})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	hc := &http.Client{Timeout: 30 * time.Second}
	depts, err := s.Seed(ctx, hc)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := depts["dept-a"].Certificates("g-%03d", 0, 40)
	if err != nil {
		t.Fatal(err)
	}
	recs[5].Signature = recs[6].Signature // signed over another record
	_, groupErr := s.Fabric.Evaluate(ctx, "dept-a", "certificate:GroupLimit")
	grouped := groupErr == nil

	status := make([]int, len(recs))
	txs := make([]string, len(recs))
	var wg sync.WaitGroup
	for i := range recs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := s.Do(ctx, hc, "POST", "/api/v1/certificates", gatewaytest.AClerk, recs[i])
			if err != nil {
				t.Error(err)
				return
			}
			var w struct {
				TxID   string `json:"txId"`
				Record struct {
					ID string `json:"id"`
				} `json:"record"`
			}
			_ = json.Unmarshal(r.Body, &w)
			if r.Status == http.StatusCreated && w.Record.ID != recs[i].ID {
				t.Errorf("issue %s answered with record %s", recs[i].ID, w.Record.ID)
			}
			status[i], txs[i] = r.Status, w.TxID
		}()
	}
	wg.Wait()
	distinct := map[string]bool{}
	for i, st := range status {
		want := http.StatusCreated
		if i == 5 {
			want = http.StatusBadRequest
		}
		if st != want {
			t.Fatalf("issue %d: %d, want %d", i, st, want)
		}
		if st == http.StatusCreated {
			distinct[txs[i]] = true
		}
	}
	if grouped && len(distinct) > len(recs)/4 {
		t.Fatalf("%d transactions for %d coalesced issues", len(distinct), len(recs)-1)
	}
	t.Logf("IssueGroup available: %t; %d issues in %d transactions", grouped, len(recs)-1, len(distinct))
	r, err := s.Do(ctx, hc, "POST", "/api/v1/certificates", gatewaytest.AClerk, recs[3])
	if err != nil || r.Status != http.StatusOK || r.Header.Get("Idempotent-Replay") != "true" {
		t.Fatalf("retry: %v %d %s", err, r.Status, r.Body)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		v, err := s.Do(ctx, hc, "GET", "/api/v1/verify?id="+recs[7].ID, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		var a struct{ Verdict, Source string }
		_ = json.Unmarshal(v.Body, &a)
		if a.Source == gatewaytest.SourceReadModel {
			if a.Verdict != "VALID" {
				t.Fatalf("verify from the read model: %s", v.Body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the read model never answered: %s", v.Body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
