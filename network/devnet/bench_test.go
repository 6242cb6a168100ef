package devnet_test

import (
	"strconv"
	"sync/atomic"
	"testing"
)

// The full figures (real chaincode, concurrency levels, start-up, memory) come from
// `certledger-load devnet` (loadtest/); these benchmarks isolate the devnet with the test chaincode.

// BenchmarkEvaluate measures Evaluate through the client with the test chaincode.
func BenchmarkEvaluate(b *testing.B) {
	tn := startNet(b, testConfig(), nil)
	c := tn.contract("gov")
	if _, err := c.SubmitTransaction("put", "k", "v"); err != nil {
		b.Fatal(err)
	}
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.EvaluateTransaction("get", "k"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkSubmit measures Submit (endorse, submit, commit status) with the test chaincode.
func BenchmarkSubmit(b *testing.B) {
	tn := startNet(b, testConfig(), nil)
	c := tn.contract("gov")
	var n atomic.Int64
	b.SetParallelism(32)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			k := strconv.FormatInt(n.Add(1), 10)
			if _, err := c.SubmitTransaction("put", "k"+k, "v"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
