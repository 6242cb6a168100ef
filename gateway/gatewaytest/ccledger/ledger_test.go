package ccledger_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/gateway/gatewaytest/ccledger"
	"github.com/certledger/certledger/gateway/internal/errmap"
	"github.com/certledger/certledger/gateway/internal/ledgerclient"
)

var t0 = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// TestRefusalsCrossAsFabricText: the chaincode's coded refusals reach errmap as
// they do through the fabric-gateway client, and a refused submit writes nothing.
func TestRefusalsCrossAsFabricText(t *testing.T) {
	l := ccledger.New(t, ccledger.At(t0))
	ctx := context.Background()
	_, err := l.Evaluate(ctx, ccledger.GovOrg, "certificate:Get", "c-404")
	if p := errmap.Map(err); p.Status != http.StatusNotFound || p.Code != "NOT_FOUND" || !strings.Contains(p.Message, "c-404") {
		t.Fatalf("evaluate refusal %v -> %+v", err, p)
	}
	before, block := l.Chain().Snapshot(), l.Block()
	_, err = l.Submit(ctx, ccledger.GovOrg, "registry:RegisterDepartment", `{"id":"bad id"}`)
	if p := errmap.Map(err); p.Status != http.StatusBadRequest || p.Code != "INVALID_ARGUMENT" {
		t.Fatalf("submit refusal %v -> %+v", err, p)
	}
	if len(l.Chain().Snapshot()) != len(before) || l.Block() != block {
		t.Fatal("a refused submit wrote or made a block")
	}
	if _, err := l.Evaluate(ctx, "nobody", "registry:GetGovernance"); !errors.Is(err, ledgerclient.ErrUnknownOrg) {
		t.Fatalf("unknown org: %v", err)
	}
}

// TestBlocksEventsAndClock: each commit is a block with its event, replayed from a
// block and streamed live; the clock stamps the records.
func TestBlocksEventsAndClock(t *testing.T) {
	l := ccledger.New(t, ccledger.At(t0))
	a := l.Department(t, ccledger.Dept{ID: "dept-a", Categories: []string{"noise"}})
	if a.Org != "dept-a" || a.MSP != "DeptAMSP" || l.MSP("dept-a") != "DeptAMSP" || a.TxID == "" {
		t.Fatalf("department %+v", a)
	}
	if n, ok := l.TxBlock(context.Background(), "gov", a.TxID); !ok || n != l.Block() || n != 2 {
		t.Fatalf("registration in block %d (%v), ledger at %d", n, ok, l.Block())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ch, err := l.Events(ctx, "gov", 2)
	if err != nil {
		t.Fatal(err)
	}
	if e := <-ch; e.Name != "DepartmentRegistered" || e.BlockNumber != 2 || e.TxID != a.TxID {
		t.Fatalf("replayed %+v", e)
	}
	l.Advance(time.Hour)
	b := l.Department(t, ccledger.Dept{ID: "dept-b", Parent: "dept-a"})
	if e := <-ch; e.BlockNumber != 3 || e.TxID != b.TxID {
		t.Fatalf("live %+v", e)
	}
	var d struct {
		CreatedAt string `json:"createdAt"`
	}
	l.MustEvaluate(&d, "gov", "registry:GetDepartment", "dept-b")
	if d.CreatedAt != "2026-11-28T13:00:00Z" {
		t.Fatalf("createdAt %s, want the ledger clock", d.CreatedAt)
	}
	if n := l.Count("registry.department"); n != 2 {
		t.Fatalf("%d departments", n)
	}
	ci, err := l.ChannelInfo(context.Background(), "gov")
	if err != nil {
		t.Fatal(err)
	}
	if ci.Height != l.Block()+1 || ci.BlockTime != "2026-11-28T13:00:00Z" || len(ci.Orgs) != 3 || ci.Orgs[0].MSPID != "DeptAMSP" ||
		len(ci.Orgs[0].RootCerts) != 1 || ci.Policy.Rule != "MAJORITY" || ci.Policy.N != 2 || len(ci.Policy.MSPs) != 3 {
		t.Fatalf("channel %+v", ci)
	}
	cancel()
	for range ch { // closes when ctx ends
	}
}
