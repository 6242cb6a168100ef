package certtype

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/wire"
)

var at = time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)

func licence() Registration {
	return Registration{
		Code: "11100000MB0143028R001", Name: "营业执照", NameEn: "Business licence",
		DefiningBody: "国家市场监督管理总局", HolderCodeType: HolderUSCC, DefaultValidity: "P20Y",
		Issuers: []string{"dept-b", "dept-a"},
	}
}

func TestNew(t *testing.T) {
	ty, err := New(licence(), at, "tx1")
	if err != nil {
		t.Fatal(err)
	}
	if ty.DefiningBodyCode != "11100000MB0143028R" || strings.Join(ty.Issuers, ",") != "dept-a,dept-b" || ty.TxID != "tx1" {
		t.Fatalf("%+v", ty)
	}
	if err := ty.MayIssue("dept-a"); err != nil {
		t.Fatal(err)
	}
	if err := ty.MayIssue("dept-c"); codes.Code(err) != codes.Forbidden {
		t.Fatalf("dept-c may issue: %v", err)
	}
	until, ok := ty.Until(at)
	if !ok || !until.Equal(at.AddDate(20, 0, 0)) {
		t.Fatalf("until %v %v", until, ok)
	}
}

func TestRegistrationRefusals(t *testing.T) {
	cases := map[string]func(*Registration){
		"code":            func(r *Registration) { r.Code = "11100000MB0143028X001" }, // USCC check R
		"code length":     func(r *Registration) { r.Code = "11100000MB0143028R01" },
		"code sequence":   func(r *Registration) { r.Code = "11100000MB0143028R0A1" },
		"name":            func(r *Registration) { r.Name = "" },
		"nameEn":          func(r *Registration) { r.NameEn = "a\nb" },
		"definingBody":    func(r *Registration) { r.DefiningBody = strings.Repeat("局", 201) },
		"holderCodeType":  func(r *Registration) { r.HolderCodeType = "11" },
		"defaultValidity": func(r *Registration) { r.DefaultValidity = "5Y" },
		"issuers":         func(r *Registration) { r.Issuers = []string{"dept-a", "dept-a"} },
		"issuers id":      func(r *Registration) { r.Issuers = []string{"dept a"} },
	}
	for name, mut := range cases {
		r := licence()
		mut(&r)
		_, err := New(r, at, "tx")
		field := strings.Fields(name)[0] // "issuers" names issuers[i]
		var fe wire.FieldErrors
		if codes.Code(err) != codes.InvalidArgument || !errors.As(err, &fe) || !strings.HasPrefix(fe[0].Field, field) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestGrantRevoke(t *testing.T) {
	ty, _ := New(licence(), at, "tx1")
	if err := ty.Grant("dept-0", at, "tx2"); err != nil {
		t.Fatal(err)
	}
	if strings.Join(ty.Issuers, ",") != "dept-0,dept-a,dept-b" || ty.TxID != "tx2" {
		t.Fatalf("%v", ty.Issuers)
	}
	if err := ty.Grant("dept-0", at, "tx3"); codes.Code(err) != codes.Conflict {
		t.Fatal(err)
	}
	if err := ty.Revoke("dept-a", at, "tx4"); err != nil {
		t.Fatal(err)
	}
	if err := ty.MayIssue("dept-a"); codes.Code(err) != codes.Forbidden {
		t.Fatal(err)
	}
	if err := ty.Revoke("dept-a", at, "tx5"); codes.Code(err) != codes.NotFound {
		t.Fatal(err)
	}
	if err := ty.Grant("bad id", at, "tx6"); codes.Code(err) != codes.InvalidArgument {
		t.Fatal(err)
	}
}

func TestValidity(t *testing.T) {
	for s, want := range map[string]Validity{"P5Y": {5, 'Y'}, "P18M": {18, 'M'}, "P30D": {30, 'D'}} {
		if v, err := ParseValidity(s); err != nil || v != want {
			t.Errorf("%s: %v %v", s, v, err)
		}
	}
	for _, s := range []string{"", "P", "PY", "P0Y", "P101Y", "P5W", "P-1D", "p5y", "P99999999999999999999Y"} {
		if _, err := ParseValidity(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
	ty := Type{}
	if _, ok := ty.Until(at); ok {
		t.Fatal("no default validity has an end")
	}
}

func TestHolderCode(t *testing.T) {
	if err := CheckHolderCode(HolderUSCC, "91350100M000100Y43"); err != nil {
		t.Fatal(err)
	}
	if err := CheckHolderCode(HolderUSCC, "91350100M000100Y44"); err == nil {
		t.Fatal("bad USCC accepted")
	}
	if err := CheckHolderCode(HolderCitizenID, "11010519491231002X"); err != nil {
		t.Fatal(err)
	}
	if err := CheckHolderCode("414", "E12345678"); err != nil {
		t.Fatal(err)
	}
	if err := CheckHolderCode("414", " "); err == nil {
		t.Fatal("blank accepted")
	}
}
