package bench_test

import (
	"testing"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/certledger/certledger/chaincode/contract/bench"
	"github.com/certledger/certledger/chaincode/ledgertest"
	"github.com/certledger/certledger/internal/codes"
)

func newLedger(t *testing.T) *ledgertest.Ledger {
	t.Helper()
	cc, err := contractapi.NewChaincode(bench.New())
	if err != nil {
		t.Fatal(err)
	}
	return ledgertest.New(t, cc)
}

var anyone = ledgertest.Tx{MSP: "DeptAMSP"}

func TestPutRefusedWithoutBenchEnv(t *testing.T) {
	for _, v := range []string{"", "0", "true"} {
		t.Run("CERTLEDGER_BENCH="+v, func(t *testing.T) {
			t.Setenv(bench.EnvEnable, v)
			l := newLedger(t)
			r := l.Submit(anyone, "bench:Put", "k1", "v1")
			if r.Code() != codes.Forbidden {
				t.Fatalf("Put without %s=1: status %d %q, want FORBIDDEN", bench.EnvEnable, r.Status, r.Message)
			}
			if len(l.Keys()) != 0 || len(r.Writes) != 0 {
				t.Fatalf("a refused Put wrote %v", l.Keys())
			}
		})
	}
}

func TestPutWritesOneKey(t *testing.T) {
	t.Setenv(bench.EnvEnable, "1")
	l := newLedger(t)
	r := l.MustSubmit(anyone, "bench:Put", "k1", "v1")
	if len(r.Writes) != 1 || r.Event != nil {
		t.Fatalf("Put: writes %+v, event %+v; want exactly one write and no event", r.Writes, r.Event)
	}
	want := "\x00bench.put\x00k1\x00"
	if r.Writes[0].Key != want || string(r.Writes[0].Value) != "v1" {
		t.Fatalf("Put wrote %q = %q, want %q = v1", r.Writes[0].Key, r.Writes[0].Value, want)
	}
	if got := string(l.State(want)); got != "v1" {
		t.Fatalf("state after Put = %q, want v1", got)
	}
	// Overwriting the same key is a plain write too.
	l.MustSubmit(anyone, "bench:Put", "k1", "v2")
	if got := string(l.State(want)); got != "v2" {
		t.Fatalf("state after second Put = %q, want v2", got)
	}
	if r := l.Submit(anyone, "bench:Put", "bad\x00key", "v"); r.Code() != codes.InvalidArgument {
		t.Fatalf("Put with U+0000 in the key: %d %q, want INVALID_ARGUMENT", r.Status, r.Message)
	}
}
