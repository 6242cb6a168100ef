package exchange_test

import (
	"fmt"
	"testing"

	"github.com/certledger/certledger/chaincode/ledgertest"
	domain "github.com/certledger/certledger/internal/domain/exchange"
)

// BenchmarkSendAck records and acknowledges one exchange per iteration on the
// in-memory ledger: two transactions (Send, Ack), two client-side SM2
// signatures and two chaincode-side SM2 verifications per exchange. With
// determinism-check=true every transaction is simulated twice (the fake's
// default, like two endorsers). Reports exchanges/s.
//
//	go test -run '^$' -bench SendAck -benchtime 2s ./chaincode/contract/exchange/
func BenchmarkSendAck(b *testing.B) {
	for _, twice := range []bool{true, false} {
		b.Run(fmt.Sprintf("determinism-check=%v", twice), func(b *testing.B) {
			w := newWorld(b)
			w.l.CheckDeterminism = twice
			w.createGrant("g-1")
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				id := fmt.Sprintf("x-%d", i)
				if r := w.l.Submit(w.tax.tx(), "exchange:Send", ledgertest.JSON(w.sendReq(id, "g-1", nil))); !r.OK() {
					b.Fatal(r.Message)
				}
				if r := w.l.Submit(w.social.tx(), "exchange:Ack", ledgertest.JSON(w.answer(id, w.social, domain.DecisionAck, nil))); !r.OK() {
					b.Fatal(r.Message)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "exchanges/s")
		})
	}
}
