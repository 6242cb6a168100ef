package registry_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/certledger/certledger/chaincode/contract/registry"
	"github.com/certledger/certledger/chaincode/ledgertest"
	"github.com/certledger/certledger/internal/codes"
	domain "github.com/certledger/certledger/internal/domain/registry"
)

var (
	gov    = ledgertest.Gov
	market = ledgertest.Tx{MSP: "MarketMSP"}
	police = ledgertest.Tx{MSP: "PoliceMSP"}
)

func newLedger(t *testing.T) *ledgertest.Ledger {
	t.Helper()
	cc, err := contractapi.NewChaincode(registry.New())
	if err != nil {
		t.Fatal(err)
	}
	return ledgertest.New(t, cc)
}

func dept(t *testing.T, r ledgertest.Result) domain.Department {
	t.Helper()
	var d domain.Department
	if err := r.Decode(&d); err != nil {
		t.Fatalf("decoding %s: %v", r.Payload, err)
	}
	return d
}

func regJSON(id, msp, parent string, keys ...string) string {
	if keys == nil {
		keys = []string{}
	}
	b, _ := json.Marshal(domain.Registration{ID: id, Name: "Dept " + id, MSPID: msp, Parent: parent, Categories: []string{"licence"}, PublicKeys: keys})
	return string(b)
}

func TestInit(t *testing.T) {
	l := newLedger(t)
	ledgertest.Refused(t, l.Evaluate(gov, "registry:GetGovernance"), codes.NotFound)
	ledgertest.Refused(t, l.Submit(gov, "registry:RegisterDepartment", regJSON("market", "MarketMSP", "")), codes.NotFound)
	ledgertest.Refused(t, l.Submit(market, "registry:Init", ledgertest.GovMSP), codes.Forbidden)
	ledgertest.Refused(t, l.Submit(gov, "registry:Init", "Gov MSP"), codes.InvalidArgument)
	ledgertest.Refused(t, l.Submit(ledgertest.Tx{MSP: ledgertest.GovMSP, Time: l.Now().Add(-time.Hour)}, "registry:Init", ledgertest.GovMSP), codes.InvalidArgument)
	r := l.MustSubmit(gov, "registry:Init", ledgertest.GovMSP)
	if r.Event == nil || r.Event.Name != registry.EventInitialized || string(r.Event.Payload) != `{"mspId":"GovMSP"}` {
		t.Fatalf("event %+v", r.Event)
	}
	ledgertest.Refused(t, l.Submit(gov, "registry:Init", ledgertest.GovMSP), codes.Conflict)
	if got := string(l.MustEvaluate(market, "registry:GetGovernance").Payload); got != `{"mspId":"GovMSP"}` {
		t.Fatalf("GetGovernance = %s", got)
	}
}

func TestRegisterDepartment(t *testing.T) {
	l := newLedger(t)
	l.InitRegistry()
	s1, s2 := ledgertest.NewSigner(t), ledgertest.NewSigner(t)

	ledgertest.Refused(t, l.Submit(market, "registry:RegisterDepartment", regJSON("market", "MarketMSP", "")), codes.Forbidden)
	ledgertest.Refused(t, l.Submit(gov, "registry:RegisterDepartment", `{"id":"market"`), codes.InvalidArgument)
	ledgertest.Refused(t, l.Submit(gov, "registry:RegisterDepartment", `{"id":"market","name":"M","mspId":"MarketMSP","extra":1}`), codes.InvalidArgument)
	ledgertest.Refused(t, l.Submit(gov, "registry:RegisterDepartment", regJSON("market", "MarketMSP", "province")), codes.NotFound)
	ledgertest.Refused(t, l.Submit(ledgertest.Tx{MSP: ledgertest.GovMSP, Time: l.Now().Add(6 * time.Minute)}, "registry:RegisterDepartment", regJSON("market", "MarketMSP", "")), codes.InvalidArgument)

	l.MustSubmit(gov, "registry:RegisterDepartment", regJSON("province", "GovMSP", ""))
	r := l.MustSubmit(gov, "registry:RegisterDepartment", regJSON("market", "MarketMSP", "province", s1.PublicPEM))
	d := dept(t, r)
	if d.ID != "market" || d.Parent != "province" || d.Status != "active" || len(d.Keys) != 1 || d.Keys[0].KeyID != s1.KeyID ||
		d.CreatedAt != "2026-11-28T12:00:00Z" || d.TxID != r.TxID || d.Keys[0].ValidFrom != d.CreatedAt {
		t.Fatalf("department %+v", d)
	}
	if r.Event == nil || r.Event.Name != registry.EventDepartmentRegistered || string(r.Event.Payload) != string(r.Payload) {
		t.Fatalf("event %+v", r.Event)
	}
	ledgertest.Refused(t, l.Submit(gov, "registry:RegisterDepartment", regJSON("market", "MarketMSP", "")), codes.Conflict)
	// A key registered to one department cannot be registered to another.
	ledgertest.Refused(t, l.Submit(gov, "registry:RegisterDepartment", regJSON("police", "PoliceMSP", "", s2.PublicPEM, s1.PublicPEM)), codes.Conflict)
	l.MustSubmit(gov, "registry:RegisterDepartment", regJSON("police", "PoliceMSP", "", s2.PublicPEM))

	// Reads.
	var list []domain.Department
	if err := l.MustEvaluate(police, "registry:ListDepartments").Decode(&list); err != nil || len(list) != 3 ||
		list[0].ID != "market" || list[1].ID != "police" || list[2].ID != "province" {
		t.Fatalf("ListDepartments = %+v, %v", list, err)
	}
	if got := dept(t, l.MustEvaluate(police, "registry:GetDepartment", "market")); got.MSPID != "MarketMSP" {
		t.Fatalf("GetDepartment = %+v", got)
	}
	ledgertest.Refused(t, l.Evaluate(police, "registry:GetDepartment", "nobody"), codes.NotFound)
	ledgertest.Refused(t, l.Evaluate(police, "registry:GetDepartment", "a\x00b"), codes.InvalidArgument)
	var kr registry.KeyRecord
	if err := l.MustEvaluate(police, "registry:GetKey", s1.KeyID).Decode(&kr); err != nil || kr.DepartmentID != "market" || kr.KeyID != s1.KeyID || kr.PublicKey != s1.PublicPEM {
		t.Fatalf("GetKey = %+v, %v", kr, err)
	}
	ledgertest.Refused(t, l.Evaluate(police, "registry:GetKey", strings.Repeat("0", 64)), codes.NotFound)
	ledgertest.Refused(t, l.Evaluate(police, "registry:GetKey", "short"), codes.InvalidArgument)
}

func TestKeys(t *testing.T) {
	l := newLedger(t)
	l.InitRegistry()
	s1, s2, s3, other := ledgertest.NewSigner(t), ledgertest.NewSigner(t), ledgertest.NewSigner(t), ledgertest.NewSigner(t)
	l.RegisterDepartment("market", "MarketMSP", s1)
	l.RegisterDepartment("police", "PoliceMSP", other)

	// AddKey.
	ledgertest.Refused(t, l.Submit(market, "registry:AddKey", "market", s2.PublicPEM), codes.Forbidden)
	ledgertest.Refused(t, l.Submit(gov, "registry:AddKey", "nobody", s2.PublicPEM), codes.NotFound)
	ledgertest.Refused(t, l.Submit(gov, "registry:AddKey", "market", "not a key"), codes.InvalidArgument)
	ledgertest.Refused(t, l.Submit(gov, "registry:AddKey", "market", other.PublicPEM), codes.Conflict)
	ledgertest.Refused(t, l.Submit(gov, "registry:AddKey", "market", s1.PublicPEM), codes.Conflict)
	l.Advance(time.Minute)
	r := l.MustSubmit(gov, "registry:AddKey", "market", s2.PublicPEM)
	if r.Event.Name != registry.EventKeyAdded || len(dept(t, r).Keys) != 2 || dept(t, r).Keys[1].ValidFrom != "2026-11-28T12:01:00Z" {
		t.Fatalf("AddKey: %s", r.Payload)
	}

	// RotateKey.
	l.Advance(time.Minute)
	ledgertest.Refused(t, l.Submit(market, "registry:RotateKey", "market", s1.KeyID, s3.PublicPEM), codes.Forbidden)
	ledgertest.Refused(t, l.Submit(gov, "registry:RotateKey", "market", other.KeyID, s3.PublicPEM), codes.NotFound)
	r = l.MustSubmit(gov, "registry:RotateKey", "market", s1.KeyID, s3.PublicPEM)
	d := dept(t, r)
	old, _ := d.Key(s1.KeyID)
	nw, _ := d.Key(s3.KeyID)
	if r.Event.Name != registry.EventKeyRotated || old.RotatedAt != "2026-11-28T12:02:00Z" || nw.ValidFrom != old.RotatedAt {
		t.Fatalf("RotateKey: %s", r.Payload)
	}
	ledgertest.Refused(t, l.Submit(gov, "registry:RotateKey", "market", s1.KeyID, ledgertest.NewSigner(t).PublicPEM), codes.IllegalTransition)

	// RevokeKey.
	l.Advance(time.Minute)
	ledgertest.Refused(t, l.Submit(police, "registry:RevokeKey", "market", s2.KeyID, "retired", ""), codes.Forbidden)
	ledgertest.Refused(t, l.Submit(market, "registry:RevokeKey", "market", s2.KeyID, "retired", "2026-11-28T12:00:00Z"), codes.InvalidArgument)
	ledgertest.Refused(t, l.Submit(market, "registry:RevokeKey", "market", s2.KeyID, "retired", "noon"), codes.InvalidArgument)
	ledgertest.Refused(t, l.Submit(market, "registry:RevokeKey", "market", s2.KeyID, "", ""), codes.InvalidArgument)
	ledgertest.Refused(t, l.Submit(market, "registry:RevokeKey", "market", other.KeyID, "retired", ""), codes.NotFound)
	ledgertest.Refused(t, l.Submit(market, "registry:RevokeKey", "nobody", s2.KeyID, "retired", ""), codes.NotFound)
	r = l.MustSubmit(market, "registry:RevokeKey", "market", s2.KeyID, "retired", "")
	if k, _ := dept(t, r).Key(s2.KeyID); r.Event.Name != registry.EventKeyRevoked || k.RevokedAt != "2026-11-28T12:03:00Z" || k.RevokeReason != "retired" {
		t.Fatalf("RevokeKey: %s", r.Payload)
	}
	ledgertest.Refused(t, l.Submit(market, "registry:RevokeKey", "market", s2.KeyID, "retired", ""), codes.Conflict)
	// A compromise dates back, even for a rotated key, and governance may do it.
	r = l.MustSubmit(gov, "registry:RevokeKey", "market", s1.KeyID, domain.ReasonCompromised, "2026-11-28T11:30:00+00:00")
	if k, _ := dept(t, r).Key(s1.KeyID); k.RevokedAt != "2026-11-28T11:30:00Z" || k.RotatedAt == "" {
		t.Fatalf("compromise: %+v", k)
	}
	if n := len(l.Events()); n != 7 {
		t.Fatalf("%d events, want 7 (init, 2 registrations, add, rotate, 2 revocations)", n)
	}
}
