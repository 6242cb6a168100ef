package driver_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/certledger/certledger/loadtest/internal/driver"
)

func TestRunCountsEveryOperationOnce(t *testing.T) {
	seen := make([]int, 100)
	errOdd := errors.New("odd")
	cpu := 0
	meter := func() map[string]time.Duration {
		cpu++
		return map[string]time.Duration{"self": time.Duration(cpu) * time.Second}
	}
	r := driver.Run(context.Background(), driver.Options{Name: "x", Workers: 7, N: 100, CPU: meter}, func(_ context.Context, i int) error {
		seen[i]++
		if i%2 == 1 {
			return errOdd
		}
		return nil
	})
	for i, n := range seen {
		if n != 1 {
			t.Fatalf("operation %d ran %d times", i, n)
		}
	}
	if r.OK != 50 || r.Failed != 50 || len(r.Latency) != 50 || !errors.Is(r.FirstErr, errOdd) || r.CPU["self"] != time.Second {
		t.Fatalf("%+v", r)
	}
	sum := r.Add(r)
	if sum.OK != 100 || sum.Failed != 100 || sum.Elapsed != 2*r.Elapsed || sum.CPU["self"] != 2*time.Second || sum.CPUPerOp("self") != r.CPUPerOp("self") {
		t.Fatalf("Add: %+v", sum)
	}
}

func TestRunForADuration(t *testing.T) {
	r := driver.Run(context.Background(), driver.Options{Workers: 2, For: 30 * time.Millisecond}, func(context.Context, int) error {
		time.Sleep(time.Millisecond)
		return nil
	})
	if r.OK == 0 || r.Failed != 0 || r.PerSecond() <= 0 {
		t.Fatalf("%+v", r)
	}
}

func TestPercentile(t *testing.T) {
	lat := []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	if p := driver.Percentile(lat, 50); p != 6 {
		t.Fatalf("p50 = %d", p)
	}
	if p := driver.Percentile(lat, 99); p != 10 {
		t.Fatalf("p99 = %d", p)
	}
	if p := driver.Percentile(nil, 50); p != 0 {
		t.Fatalf("p50 of nothing = %d", p)
	}
}
