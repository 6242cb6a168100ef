package gatewaytest_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certledger/certledger/gateway/gatewaytest"
)

// Issue 12 item 5: after the ledger was down for a while (long enough for gRPC's
// default reconnect backoff to reach several seconds), department writes resume
// within 3 s of it coming back, and /readyz says unavailable while it is down.
func TestWritesResumeAfterLedgerRestart(t *testing.T) {
	s := startStack(t)
	ctx, c, depts := seeded(t, s, 2*time.Minute)
	var n atomic.Int64
	issue := func() (*gatewaytest.Response, error) {
		id := fmt.Sprintf("c-resume-%d", n.Add(1))
		rec, err := depts["dept-a"].Certificate(id, []byte(id), time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		return s.Do(ctx, c, "POST", "/api/v1/certificates", gatewaytest.AClerk, rec)
	}
	if r, err := issue(); err != nil || r.Status != http.StatusCreated {
		t.Fatalf("issue before the outage: %v %v", r, err)
	}

	if err := s.StopLedger(); err != nil {
		t.Fatal(err)
	}
	// Writes keep failing during the outage (each a failed connection attempt, so
	// the client's reconnect backoff grows as it would in production).
	outage := 15 * time.Second
	for end := time.Now().Add(outage); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		r, err := issue()
		if err != nil {
			t.Fatal(err)
		}
		if r.Status == http.StatusCreated {
			t.Fatalf("write acknowledged while the ledger is down: %s", r.Body)
		}
	}
	time.Sleep(1100 * time.Millisecond) // past the readiness cache
	if r, err := s.Do(ctx, c, "GET", "/readyz", "", nil); err != nil || r.Status != http.StatusServiceUnavailable {
		t.Errorf("readyz while the ledger is down: %v %v", r, err)
	}

	if err := s.RestartLedger(); err != nil {
		t.Fatal(err)
	}
	back := time.Now()
	for {
		r, err := issue()
		if err != nil {
			t.Fatal(err)
		}
		if r.Status == http.StatusCreated {
			break
		}
		if time.Since(back) > 30*time.Second {
			t.Fatalf("no write 30 s after the ledger came back: %d %s", r.Status, r.Body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	gap := time.Since(back)
	t.Logf("first acknowledged write %v after the ledger came back (outage %v)", gap.Round(time.Millisecond), outage)
	if gap > 3*time.Second {
		t.Errorf("writes resumed %v after the ledger came back, want within 3 s", gap.Round(time.Millisecond))
	}
	time.Sleep(1100 * time.Millisecond)
	if r, err := s.Do(ctx, c, "GET", "/readyz", "", nil); err != nil || r.Status != http.StatusOK {
		t.Errorf("readyz after the restart: %v %v", r, err)
	}
}

// Issue 12 item 7: a retried status change is answered with the result its first
// attempt committed, even after later changes (suspend, reinstate, then the
// suspend's retry arrives), and never applied twice.
func TestStatusChangeRetryAfterLaterChanges(t *testing.T) {
	s := startStack(t)
	ctx, c, depts := seeded(t, s, time.Minute)
	a := depts["dept-a"]
	rec, err := a.Certificate("c-retry", []byte("retry"), time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	type write struct {
		TxID   string `json:"txId"`
		Record struct {
			Status string `json:"status"`
			TxID   string `json:"txId"`
		} `json:"record"`
	}
	do := func(what, path string, body any, want int) (write, *gatewaytest.Response) {
		t.Helper()
		r, err := s.Do(ctx, c, "POST", path, gatewaytest.AClerk, body)
		if err != nil || r.Status != want {
			t.Fatalf("%s: %v %v", what, r, err)
		}
		var w write
		if err := r.JSON(&w); err != nil {
			t.Fatal(err)
		}
		return w, r
	}
	issued, _ := do("issue", "/api/v1/certificates", rec, http.StatusCreated)
	suspend, _ := a.StatusRequest("c-retry", "suspend", "inspection", issued.TxID)
	suspended, _ := do("suspend", "/api/v1/certificates/c-retry/suspend", suspend, http.StatusOK)
	reinstate, _ := a.StatusRequest("c-retry", "reinstate", "inspection passed", suspended.TxID)
	reinstated, _ := do("reinstate", "/api/v1/certificates/c-retry/reinstate", reinstate, http.StatusOK)

	again, r := do("retried suspend", "/api/v1/certificates/c-retry/suspend", suspend, http.StatusOK)
	if r.Header.Get("Idempotent-Replay") != "true" || again.TxID != suspended.TxID || again.Record.Status != "suspended" {
		t.Fatalf("retried suspend: %s (first answer tx %s)", r.Body, suspended.TxID)
	}
	again, r = do("retried reinstate", "/api/v1/certificates/c-retry/reinstate", reinstate, http.StatusOK)
	if r.Header.Get("Idempotent-Replay") != "true" || again.TxID != reinstated.TxID || again.Record.Status != "valid" {
		t.Fatalf("retried reinstate: %s", r.Body)
	}
	// The certificate is as the last change left it: valid, written by the reinstate.
	cur, err := s.Do(ctx, c, "GET", "/api/v1/certificates/c-retry", "", nil)
	if err != nil || !strings.Contains(string(cur.Body), `"txId":"`+reinstated.TxID+`"`) || !strings.Contains(string(cur.Body), `"status":"valid"`) {
		t.Fatalf("certificate after the retries: %v %v", cur, err)
	}
}
