package faultledger_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/certledger/certledger/gateway/gatewaytest/ccledger"
	"github.com/certledger/certledger/gateway/internal/errmap"
	"github.com/certledger/certledger/gateway/internal/ledgerclient/faultledger"
)

func TestFaults(t *testing.T) {
	l := ccledger.New(t)
	f := faultledger.Wrap(l)
	ctx := context.Background()
	d := `{"id":"dept-a","name":"A","mspId":"DeptAMSP","parent":"","categories":[],"publicKeys":[]}`

	// Queued faults come first, in order, and write nothing.
	f.FailNext("registry:RegisterDepartment", faultledger.MVCCConflict(), faultledger.Timeout())
	for _, want := range []int{http.StatusServiceUnavailable, http.StatusGatewayTimeout} {
		_, err := f.Submit(ctx, "gov", "registry:RegisterDepartment", d)
		if p := errmap.Map(err); p.Status != want || !errmap.IsRetryable(err) && want == http.StatusServiceUnavailable {
			t.Fatalf("fault %v -> %+v, want %d", err, p, want)
		}
	}
	if l.Count("registry.department") != 0 {
		t.Fatal("a failed call wrote")
	}
	// A lost answer: the write commits, the caller sees the error.
	f.LoseNext("registry:RegisterDepartment", faultledger.Unavailable())
	if _, err := f.Submit(ctx, "gov", "registry:RegisterDepartment", d); errmap.Map(err).Status != http.StatusServiceUnavailable {
		t.Fatalf("lost answer: %v", err)
	}
	if l.Count("registry.department") != 1 {
		t.Fatal("the lost write did not commit")
	}
	// A hook sees every call.
	boom := errors.New("boom")
	f.SetHook(func(c faultledger.Call) error {
		if c.Op == "evaluate" && c.Args[0] == "dept-a" {
			return boom
		}
		return nil
	})
	if _, err := f.Evaluate(ctx, "gov", "registry:GetDepartment", "dept-a"); !errors.Is(err, boom) {
		t.Fatalf("hook: %v", err)
	}
	f.SetHook(nil)
	if _, err := f.Evaluate(ctx, "gov", "registry:GetDepartment", "dept-a"); err != nil {
		t.Fatal(err)
	}
	if n := f.CountCalls("submit", "registry:RegisterDepartment"); n != 3 {
		t.Fatalf("%d submits recorded", n)
	}
	if n := f.CountCalls("", "registry:GetDepartment"); n != 2 {
		t.Fatalf("%d reads recorded", n)
	}
}

func TestNothingInside(t *testing.T) {
	f := faultledger.Wrap(nil)
	if _, err := f.Evaluate(context.Background(), "gov", "registry:GetGovernance"); !errors.Is(err, errmap.ErrUnavailable) {
		t.Fatalf("evaluate: %v", err)
	}
	if _, err := f.Events(context.Background(), "gov", 0); !errors.Is(err, errmap.ErrUnavailable) {
		t.Fatalf("events: %v", err)
	}
}
