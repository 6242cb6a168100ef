package registry_test

import (
	"testing"
	"time"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/certledger/certledger/chaincode/contract/registry"
	"github.com/certledger/certledger/chaincode/ledgertest"
	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/codes"
)

func TestLookups(t *testing.T) {
	l := newLedger(t)
	l.InitRegistry()
	s1, s2, s3 := ledgertest.NewSigner(t), ledgertest.NewSigner(t), ledgertest.NewSigner(t)
	l.RegisterDepartment("market", "MarketMSP", s1)
	l.RegisterDepartment("tax-a", "TaxMSP", s2)
	l.RegisterDepartment("tax-b", "TaxMSP")
	t0 := l.Now()
	l.Advance(time.Hour)
	l.MustSubmit(gov, "registry:RotateKey", "market", s1.KeyID, s3.PublicPEM)
	rotated := l.Now()

	ctx := func(tx ledgertest.Tx) *contractapi.TransactionContext {
		c := &contractapi.TransactionContext{}
		c.SetStub(l.NewStub(tx, "fn"))
		return c
	}
	c := ctx(market)

	if d, err := registry.DepartmentByMSP(c, "MarketMSP"); err != nil || d.ID != "market" {
		t.Fatalf("DepartmentByMSP = %+v, %v", d, err)
	}
	if _, err := registry.DepartmentByMSP(c, "TaxMSP"); codes.Code(err) != codes.Conflict {
		t.Fatalf("shared MSP: %v", err)
	}
	if _, err := registry.DepartmentByMSP(c, "NoMSP"); codes.Code(err) != codes.NotFound {
		t.Fatalf("unknown MSP: %v", err)
	}
	if ds, err := registry.DepartmentsByMSP(c, "TaxMSP"); err != nil || len(ds) != 2 || ds[0].ID != "tax-a" || ds[1].ID != "tax-b" {
		t.Fatalf("DepartmentsByMSP = %+v, %v", ds, err)
	}
	if d, err := registry.SubmitterDepartment(c); err != nil || d.ID != "market" {
		t.Fatalf("SubmitterDepartment = %+v, %v", d, err)
	}
	if _, err := registry.RequireSubmitterOf(c, "market"); err != nil {
		t.Fatal(err)
	}
	if _, err := registry.RequireSubmitterOf(c, "tax-a"); codes.Code(err) != codes.Forbidden {
		t.Fatalf("RequireSubmitterOf other: %v", err)
	}
	if err := registry.RequireGovernance(c); codes.Code(err) != codes.Forbidden {
		t.Fatalf("RequireGovernance: %v", err)
	}
	if err := registry.RequireGovernance(ctx(gov)); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name string
		dept string
		key  string
		at   time.Time
		code string
	}{
		{"old key before rotation", "market", s1.KeyID, rotated.Add(-time.Second), ""},
		{"old key at rotation", "market", s1.KeyID, rotated, codes.Forbidden},
		{"new key after rotation", "market", s3.KeyID, rotated, ""},
		{"new key before it existed", "market", s3.KeyID, t0, codes.Forbidden},
		{"key of another department", "market", s2.KeyID, rotated, codes.Forbidden},
		{"unknown department", "nobody", s2.KeyID, rotated, codes.NotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := registry.KeyAt(c, tc.dept, tc.key, tc.at)
			if codes.Code(err) != tc.code {
				t.Fatalf("KeyAt = %v, want %q", err, tc.code)
			}
		})
	}

	rec := map[string]any{"grantId": "g-1", "reason": "done", "keyId": s3.KeyID, "prevTxId": "tx"}
	sig := s3.Sign(t, canon.KindGrantRevoke, rec)
	if _, err := registry.VerifySignature(c, "market", s3.KeyID, rotated, canon.KindGrantRevoke, rec, sig); err != nil {
		t.Fatal(err)
	}
	rec["reason"] = "changed"
	if _, err := registry.VerifySignature(c, "market", s3.KeyID, rotated, canon.KindGrantRevoke, rec, sig); codes.Code(err) != codes.BadSignature {
		t.Fatalf("changed record: %v", err)
	}
	if dept, k, err := registry.LookupKey(c, s2.KeyID); err != nil || dept != "tax-a" || k.KeyID != s2.KeyID {
		t.Fatalf("LookupKey = %s %+v %v", dept, k, err)
	}
}
