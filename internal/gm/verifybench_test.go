package gm_test

import (
	"testing"

	"github.com/certledger/certledger/internal/gm"
	"github.com/certledger/certledger/internal/testkit"
)

// BenchmarkSM2VerifyColdHot is Verify's cost per signature for one key, cold
// (gmsm's variable-base [t]P: a Verifier that never builds a table) and hot
// (the key's precomputed table), in the same run; wall and CPU time per
// signature (CPU: the whole process, user+system).
func BenchmarkSM2VerifyColdHot(b *testing.B) {
	k, _ := gm.GenerateKey()
	msg := []byte("certledger/v1/certificate\n{}")
	sig, _ := gm.Sign(k, msg)
	for _, c := range []struct {
		name string
		v    *gm.Verifier
	}{{"cold-gmsm", gm.NewVerifier(0, 1)}, {"hot-table", gm.NewVerifier(1, 1)}} {
		b.Run(c.name, func(b *testing.B) {
			if err := c.v.Verify(&k.PublicKey, msg, sig); err != nil { // builds the table
				b.Fatal(err)
			}
			cpu0 := testkit.CPUTime()
			for b.Loop() {
				if c.v.Verify(&k.PublicKey, msg, sig) != nil {
					b.Fatal("verify")
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1e3/float64(b.N), "µs/sig")
			b.ReportMetric(float64((testkit.CPUTime()-cpu0).Nanoseconds())/1e3/float64(b.N), "cpu-µs/sig")
		})
	}
}
