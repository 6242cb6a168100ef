package benchcc_test

import (
	"testing"

	"github.com/certledger/certledger/chaincode/ledgertest"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/workorder"
	"github.com/certledger/certledger/loadtest/benchcc"
)

func newLedger(t *testing.T) *ledgertest.Ledger {
	t.Helper()
	cc, err := benchcc.New()
	if err != nil {
		t.Fatal(err)
	}
	return ledgertest.New(t, cc)
}

var anyone = ledgertest.Tx{MSP: "DeptAMSP"}

func TestPutWritesOneKey(t *testing.T) {
	l := newLedger(t)
	r := l.MustSubmit(anyone, "bench:Put", "k1", "v1")
	if len(r.Writes) != 1 || r.Event != nil {
		t.Fatalf("Put: writes %+v, event %+v; want exactly one write and no event", r.Writes, r.Event)
	}
	want := "\x00bench.put\x00k1\x00"
	if r.Writes[0].Key != want || string(r.Writes[0].Value) != "v1" {
		t.Fatalf("Put wrote %q = %q, want %q = v1", r.Writes[0].Key, r.Writes[0].Value, want)
	}
	l.MustSubmit(anyone, "bench:Put", "k1", "v2")
	if got := string(l.State(want)); got != "v2" {
		t.Fatalf("state after second Put = %q, want v2", got)
	}
	if r := l.Submit(anyone, "bench:Put", "bad\x00key", "v"); r.Code() != codes.InvalidArgument {
		t.Fatalf("Put with U+0000 in the key: %d %q, want INVALID_ARGUMENT", r.Status, r.Message)
	}
}

// TestLoadTicketsThenKPI: the loaded tickets are what workorder:KPI counts, and
// the certledger contracts still answer through the bench chaincode.
func TestLoadTicketsThenKPI(t *testing.T) {
	l := newLedger(t)
	l.MustSubmit(ledgertest.Gov, "bench:LoadTickets", "A", "0", "40")
	l.MustSubmit(ledgertest.Gov, "bench:LoadTickets", "B", "0", "10")
	var k workorder.KPI
	if err := l.MustEvaluate(ledgertest.Gov, "workorder:KPI", "A", "2026-01-01", "2027-01-01").Decode(&k); err != nil {
		t.Fatal(err)
	}
	if k.Received != 40 || k.Response.Denominator == 0 || k.Satisfaction.Denominator == 0 {
		t.Fatalf("KPI of A after loading 40 tickets: %+v", k)
	}
	for _, bad := range [][]string{{"A", "5", "4"}, {"A", "-1", "3"}, {"A", "0", "10001"}, {"A", "x", "3"}} {
		if r := l.Submit(ledgertest.Gov, "bench:LoadTickets", bad...); r.OK() || len(r.Writes) != 0 {
			t.Errorf("LoadTickets %v: status %d %q, writes %d; want a refusal that writes nothing", bad, r.Status, r.Message, len(r.Writes))
		}
	}
	l.InitRegistry()
	if r := l.Evaluate(ledgertest.Gov, "registry:GetGovernance"); !r.OK() {
		t.Fatalf("registry through the bench chaincode: %d %s", r.Status, r.Message)
	}
}
