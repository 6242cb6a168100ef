package workorder

import (
	"testing"

	"github.com/certledger/certledger/internal/domain/workorder"
	"github.com/certledger/certledger/loadtest/record"
)

// BenchmarkKPIAccumulate is the chaincode-side cost alone: decoding and counting the
// index values of n tickets (what KPI does per entry a range query returns).
func BenchmarkKPIAccumulate(b *testing.B) {
	const n = 100000
	var resp, res, rat [][]byte
	for i := 0; i < n; i++ {
		r, err := record.Ticket("A", i)
		if err != nil {
			b.Fatal(err)
		}
		entries, _ := indexEntries(&r.Ticket)
		for _, e := range entries {
			switch e.key[:6] {
			case pResp:
				resp = append(resp, e.value)
			case pRes:
				res = append(res, e.value)
			case pRate:
				rat = append(rat, e.value)
			}
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		acc := workorder.NewKPIAccumulator("A", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", "2027-01-01T00:00:00Z")
		for _, v := range resp {
			f, err := decodeResponse("A", v)
			if err != nil {
				b.Fatal(err)
			}
			acc.AddResponse(f)
		}
		for _, v := range res {
			f, _ := decodeResolution("A", v)
			acc.AddResolution(f)
		}
		for _, v := range rat {
			f, _ := decodeRating("A", v)
			acc.AddRating(f)
		}
	}
	b.ReportMetric(float64(n), "tickets")
}
