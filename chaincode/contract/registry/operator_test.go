package registry_test

import (
	"testing"

	"github.com/certledger/certledger/chaincode/ledgertest"
)

// TestDepartmentNamesTheRegistrar: a department's versions name the governance
// officer who registered it (the creator's CN), in the result and in the state.
func TestDepartmentNamesTheRegistrar(t *testing.T) {
	l := newLedger(t)
	l.MustSubmit(gov, "registry:Init", ledgertest.GovMSP)
	officer := ledgertest.Tx{MSP: ledgertest.GovMSP, CommonName: "registrar1@gov"}
	d := dept(t, l.MustSubmit(officer, "registry:RegisterDepartment", regJSON("market", "MarketMSP", "")))
	if d.ActorID != "registrar1@gov" {
		t.Fatalf("registered by %q", d.ActorID)
	}
	if got := dept(t, l.MustEvaluate(market, "registry:GetDepartment", "market")); got.ActorID != "registrar1@gov" {
		t.Fatalf("stored department names %q", got.ActorID)
	}
}
