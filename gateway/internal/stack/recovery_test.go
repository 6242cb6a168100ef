package stack_test

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certledger/certledger/gateway/internal/stack"
)

// Issue 12 item 5: after the ledger was down for a while (long enough for gRPC's
// default reconnect backoff to reach several seconds), department writes resume
// within 3 s of it coming back, and /readyz says unavailable while it is down.
func TestWritesResumeAfterLedgerRestart(t *testing.T) {
	s := startStack(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := &http.Client{Timeout: 30 * time.Second}
	defer c.CloseIdleConnections()
	depts, err := s.Seed(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	issue := func() (*stack.Response, error) {
		id := fmt.Sprintf("c-resume-%d", n.Add(1))
		rec, err := stack.NewCertificate(depts["dept-a"], id, []byte(id), time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		return s.Do(ctx, c, "POST", "/api/v1/certificates", stack.AClerk, rec)
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
