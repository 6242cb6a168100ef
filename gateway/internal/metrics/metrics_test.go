package metrics

import (
	"context"
	"errors"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/certledger/certledger/gateway/internal/ledgerclient/faultledger"
)

func TestLedgerInstrumentation(t *testing.T) {
	m := New()
	f := faultledger.Wrap(nil) // no ledger: every call fails, the first with a chaincode code
	f.FailNext("certificate:Get", errors.New("chaincode response 500, NOT_FOUND: certificate c-1"))
	l := m.Ledger(f)
	_, _ = l.Evaluate(context.Background(), "gov", "certificate:Get", "c-1")
	_, _ = l.Evaluate(context.Background(), "gov", "certificate:Get", "c-1")
	if n := testutil.ToFloat64(m.LedgerErrors.WithLabelValues("evaluate", "certificate:Get", "NOT_FOUND")); n != 1 {
		t.Fatalf("errors %v", n)
	}
	if n := testutil.CollectAndCount(m.LedgerDuration); n != 1 {
		t.Fatalf("duration series %d", n)
	}
	m.ObserveRequest("GET /x", "GET", 200, 0)
	if n := testutil.ToFloat64(m.Requests.WithLabelValues("GET /x", "GET", "200")); n != 1 {
		t.Fatalf("requests %v", n)
	}
}
