package workorder_test

import (
	"fmt"
	"strconv"
	"testing"

	cwo "github.com/certledger/certledger/chaincode/contract/workorder"
	"github.com/certledger/certledger/chaincode/ledgertest"
	"github.com/certledger/certledger/internal/domain/workorder"
	"github.com/certledger/certledger/loadtest/benchcc"
)

// BenchmarkKPI measures workorder:KPI over one year for a department holding n tickets
// (plus n/4 tickets of another department that the KPI must not read), evaluated through
// contractapi on the in-memory fake; the tickets are loaded by the bench chaincode
// (loadtest/benchcc). Run:
//
//	go test -run '^$' -bench KPI -benchtime 3x ./chaincode/contract/workorder/
//
// The fake scans its whole map on every range query (O(all keys)); a real state
// database seeks. So the figures are an upper bound for the chaincode's own work.
func BenchmarkKPI(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		b.Run(fmt.Sprintf("tickets=%d", n), func(b *testing.B) {
			cc, err := benchcc.New()
			if err != nil {
				b.Fatal(err)
			}
			l := ledgertest.New(b, cc)
			l.CheckDeterminism = false
			const batch = 5000
			for _, d := range []struct {
				id string
				n  int
			}{{"A", n}, {"B", n / 4}} {
				for from := 0; from < d.n; from += batch {
					l.MustSubmit(ledgertest.Gov, "bench:LoadTickets", d.id, strconv.Itoa(from), strconv.Itoa(min(from+batch, d.n)))
				}
			}
			measure := func(b *testing.B) {
				var k workorder.KPI
				for i := 0; i < b.N; i++ {
					r := l.MustEvaluate(ledgertest.Gov, "workorder:KPI", "A", "2026-01-01", "2027-01-01")
					if err := r.Decode(&k); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				if k.Received != n {
					b.Fatalf("received %d, want %d", k.Received, n)
				}
				b.ReportMetric(float64(k.Received), "tickets")
				b.Logf("n=%d response %d/%d resolution %d/%d satisfaction %d/%d accountability %d",
					n, k.Response.Numerator, k.Response.Denominator, k.Resolution.Numerator, k.Resolution.Denominator,
					k.Satisfaction.Numerator, k.Satisfaction.Denominator, k.Accountability)
			}
			b.Run("scan", measure)
			// Register the departments and sweep until every settled day is rolled up.
			l.InitRegistry()
			l.RegisterDepartment("A", "AMSP")
			l.RegisterDepartment("B", "BMSP")
			for {
				var sr cwo.SweepResult
				if err := l.MustSubmit(ledgertest.Tx{MSP: "AMSP"}, "workorder:Sweep", "").Decode(&sr); err != nil {
					b.Fatal(err)
				}
				if sr.RolledUp == 0 {
					break
				}
			}
			b.Run("rollups", measure)
		})
	}
}
