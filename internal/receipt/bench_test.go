package receipt_test

import (
	"testing"
	"time"

	"github.com/certledger/certledger/internal/gm"
	"github.com/certledger/certledger/internal/receipt"
	"github.com/certledger/certledger/internal/receipt/receipttest"
	"github.com/certledger/certledger/internal/testkit"
	"github.com/certledger/certledger/internal/trust"
)

// BenchmarkCheckSingle: parse a v2 receipt of a single certificate and run the
// whole offline check (two endorsements: X.509 chains and ECDSA; one SM2
// signature; the document's hash given) against a bundle verified once.
// Run with -cpu 1 for the per-core figure (receipts per second = 1e9 / ns/op).
func BenchmarkCheckSingle(b *testing.B) {
	w := receipttest.New(b, time.Now())
	file := receipttest.Marshal(b, w.Receipt(b, w.Record(b, "lic-1", doc), receipttest.Tx{}))
	benchCheck(b, w, file, doc)
}

// benchCheck times parsing file and checking it in full against the world's
// bundle (verified once) and document's hash.
func benchCheck(b *testing.B, w *receipttest.World, file, document []byte) {
	bundle, err := trust.Verify(w.Bundle(b), w.Pin)
	if err != nil {
		b.Fatal(err)
	}
	h := gm.SM3Hex(document)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := testkit.CPUTime()
	for range b.N {
		r, err := receipt.Parse(file)
		if err != nil {
			b.Fatal(err)
		}
		if res := receipt.Check(receipt.Input{Receipt: r, Bundle: bundle, Pin: w.Pin, FileHash: h, Now: w.Now}); !res.Valid() {
			b.Fatal(res.Verdict)
		}
	}
	reportRate(b, cpu0)
}

// reportRate reports receipts per wall second and per CPU-second (the
// one-core figure on a machine other jobs share).
func reportRate(b *testing.B, cpu0 time.Duration) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "receipts/s")
	if cpu := testkit.CPUTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "receipts/cpu-s")
	}
}
