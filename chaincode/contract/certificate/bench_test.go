package certificate_test

import (
	"fmt"
	"testing"

	"github.com/certledger/certledger/chaincode/ledgertest"
)

// BenchmarkIssue measures one Issue transaction (decode, registry reads, SM2
// verify, two writes, event) through the in-memory ledger, one simulation each.
func BenchmarkIssue(b *testing.B) {
	e := setup(b)
	e.l.CheckDeterminism = false
	inputs := make([]string, b.N)
	for i := range inputs {
		inputs[i] = ledgertest.JSON(e.record(fmt.Sprintf("c-%d", i), e.market, nil))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if r := e.l.Submit(market, "certificate:Issue", inputs[i]); !r.OK() {
			b.Fatal(r.Message)
		}
	}
}

// BenchmarkVerify measures one Verify evaluation by id.
func BenchmarkVerify(b *testing.B) {
	e := setup(b)
	e.l.CheckDeterminism = false
	e.issue("c-1")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if r := e.l.Evaluate(public, "certificate:Verify", `{"id":"c-1"}`); !r.OK() {
			b.Fatal(r.Message)
		}
	}
}
