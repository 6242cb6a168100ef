package certificate_test

import (
	"strings"
	"testing"

	"github.com/certledger/certledger/chaincode/contract/certificate"
	"github.com/certledger/certledger/chaincode/contract/certtype"
	"github.com/certledger/certledger/chaincode/contract/registry"
	"github.com/certledger/certledger/chaincode/ledgertest"
	"github.com/certledger/certledger/internal/codes"
	domain "github.com/certledger/certledger/internal/domain/certificate"
	domaincerttype "github.com/certledger/certledger/internal/domain/certtype"
	"github.com/certledger/certledger/internal/domain/identifier"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/gm"
)

const (
	marketCode  = "11330100MB1234567E"
	policeCode  = "11330100MB0000010P"
	licenceType = "11100000MB0143028R001" // defined by the market regulator (SAMR)
	estateType  = "11100000000013338W011" // real-estate title certificate
	marketName  = "Department market"
)

// setupCatalogue is setup plus the certtype contract: market and police have
// credit codes; v1 certificate c-old was issued before the catalogue; the
// licence type is granted to market only; the real-estate type to nobody.
func setupCatalogue(t *testing.T) (*env, domain.Certificate) {
	t.Helper()
	l, m, p := ledgertest.TwoDepartments(t, map[string]any{"name": marketName, "code": marketCode}, nil,
		registry.New(), certificate.New(), certtype.New())
	e := &env{t: t, l: l, market: m, police: p}
	old := cert(t, e.l.MustSubmit(market, "certificate:Issue", ledgertest.JSON(e.record("c-old", e.market, nil))))
	e.l.MustSubmit(gov, "registry:SetCode", "police", policeCode)
	e.l.MustSubmit(gov, "certtype:Register", ledgertest.JSON(domaincerttype.Registration{
		Code: licenceType, Name: "营业执照", NameEn: "Business licence", DefiningBody: "国家市场监督管理总局",
		HolderCodeType: domaincerttype.HolderUSCC, DefaultValidity: "P20Y", Issuers: []string{"market"},
	}))
	e.l.MustSubmit(gov, "certtype:Register", ledgertest.JSON(domaincerttype.Registration{
		Code: estateType, Name: "不动产权证书", NameEn: "Real estate title certificate", DefiningBody: "自然资源部",
		HolderCodeType: domaincerttype.HolderCitizenID,
	}))
	return e, old
}

// v2 returns a v2 licence of market with serial, signed by s after change.
func (e *env) v2(serial string, s ledgertest.Signer, change func(*domain.Record)) domain.Record {
	e.t.Helper()
	id, err := identifier.New(licenceType, marketCode, serial, "001")
	if err != nil {
		e.t.Fatal(err)
	}
	r := domain.Record{Fields: domain.Fields{
		RecordVersion: domain.RecordV2, ID: id.String(), DocHash: gm.SM3Hex([]byte("licence " + serial)),
		Type: licenceType, Name: "营业执照", Issuer: "market", IssuerName: marketName, IssuerCode: marketCode,
		IssueDate: "2026-11-28", HolderCodeType: domaincerttype.HolderUSCC,
		HolderNameCommitment: gm.Commitment([]byte("0123456789abcdef"), "ACME 有限公司"),
		HolderCodeCommitment: gm.Commitment([]byte("fedcba9876543210"), "91350100M000100Y43"),
		ValidFrom:            "2026-11-28T00:00:00Z", ValidUntil: "2046-11-28T00:00:00Z", KeyID: s.KeyID,
	}}
	if change != nil {
		change(&r)
	}
	if r.Signature, err = r.Sign(s.Key); err != nil {
		e.t.Fatal(err)
	}
	return r
}

func TestIssueV2(t *testing.T) {
	e, old := setupCatalogue(t)
	rec := e.v2("2026000001", e.market, nil)
	c := cert(t, e.l.MustSubmit(market, "certificate:Issue", ledgertest.JSON(rec)))
	if c.Record != rec || c.Status != domain.StatusValid {
		t.Fatalf("%+v", c)
	}
	var res domain.Result
	e.l.MustEvaluate(public, "certificate:Verify", ledgertest.JSON(domain.Query{ID: rec.ID})).MustDecode(t, &res)
	if res.Verdict != wire.VerdictValid || res.CertType == nil || res.CertType.Name != "营业执照" ||
		res.Identifier == nil || res.Identifier.IssuerCode != marketCode || !strings.Contains(res.Steps[0].Detail, "check character") {
		t.Fatalf("%+v", res)
	}
	// The v1 certificate issued before the catalogue still verifies.
	res = domain.Result{}
	e.l.MustEvaluate(public, "certificate:Verify", ledgertest.JSON(domain.Query{ID: old.ID})).MustDecode(t, &res)
	if res.Verdict != wire.VerdictValid || res.CertType != nil || res.Identifier != nil {
		t.Fatalf("v1: %+v", res)
	}
}

func TestIssueV2Refusals(t *testing.T) {
	e, _ := setupCatalogue(t)
	for _, tc := range []struct {
		name string
		tx   ledgertest.Tx
		rec  func() domain.Record
		code string
		says string
	}{
		{"v1 once the catalogue is in force", market, func() domain.Record { return e.record("c-new", e.market, nil) }, codes.Forbidden, "catalogue is in force"},
		{"type not in the catalogue", market, func() domain.Record {
			return e.v2("1", e.market, func(r *domain.Record) {
				id, _ := identifier.New("11100000MB0143028R002", marketCode, "1", "001")
				r.ID, r.Type = id.String(), id.TypeCode
			})
		}, codes.Forbidden, "not in the type catalogue"},
		{"type the department may not issue", market, func() domain.Record {
			return e.v2("2", e.market, func(r *domain.Record) {
				id, _ := identifier.New(estateType, marketCode, "2", "001")
				r.ID, r.Type, r.HolderCodeType = id.String(), id.TypeCode, domaincerttype.HolderCitizenID
			})
		}, codes.Forbidden, "may not issue"},
		{"another department's code", market, func() domain.Record {
			return e.v2("3", e.market, func(r *domain.Record) {
				id, _ := identifier.New(licenceType, policeCode, "3", "001")
				r.ID, r.IssuerCode = id.String(), id.IssuerCode
			})
		}, codes.Forbidden, "not the code of department market"},
		{"issuer name not the registry's", market, func() domain.Record {
			return e.v2("4", e.market, func(r *domain.Record) { r.IssuerName = "Market" })
		}, codes.InvalidArgument, "registered name"},
		{"holder code type not the catalogue's", market, func() domain.Record {
			return e.v2("5", e.market, func(r *domain.Record) { r.HolderCodeType = domaincerttype.HolderCitizenID })
		}, codes.InvalidArgument, "holder code type 001"},
		{"wrong check character", market, func() domain.Record {
			return e.v2("6", e.market, func(r *domain.Record) {
				r.ID = r.ID[:len(r.ID)-1] + map[bool]string{true: "1", false: "0"}[strings.HasSuffix(r.ID, "0")]
			})
		}, codes.InvalidArgument, "expected '"},
		{"bad signature", market, func() domain.Record {
			r := e.v2("7", e.market, nil)
			r.Name = "营业执照（副本）"
			return r
		}, codes.BadSignature, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.l.Submit(tc.tx, "certificate:Issue", ledgertest.JSON(tc.rec()))
			ledgertest.Refused(t, r, tc.code)
			if !strings.Contains(r.Message, tc.says) {
				t.Fatalf("%s does not say %q", r.Message, tc.says)
			}
		})
	}
	// police may not issue licences; after a grant it may, after a revoke no more.
	polRec := func(serial string) domain.Record {
		id, _ := identifier.New(licenceType, policeCode, serial, "001")
		r := domain.Record{Fields: domain.Fields{
			RecordVersion: domain.RecordV2, ID: id.String(), DocHash: gm.SM3Hex([]byte("p" + serial)), Type: licenceType,
			Name: "营业执照", Issuer: "police", IssuerName: "Department police", IssuerCode: policeCode, IssueDate: "2026-11-28",
			HolderCodeType: "001", HolderNameCommitment: gm.SM3Hex([]byte("n")), HolderCodeCommitment: gm.SM3Hex([]byte("c")),
			ValidFrom: "2026-11-28T00:00:00Z", KeyID: e.police.KeyID,
		}}
		r.Signature, _ = r.Sign(e.police.Key)
		return r
	}
	ledgertest.Refused(t, e.l.Submit(police, "certificate:Issue", ledgertest.JSON(polRec("1"))), codes.Forbidden)
	ledgertest.Refused(t, e.l.Submit(market, "certtype:Grant", licenceType, "police"), codes.Forbidden) // governance only
	e.l.MustSubmit(gov, "certtype:Grant", licenceType, "police")
	e.l.MustSubmit(police, "certificate:Issue", ledgertest.JSON(polRec("1")))
	e.l.MustSubmit(gov, "certtype:Revoke", licenceType, "police")
	ledgertest.Refused(t, e.l.Submit(police, "certificate:Issue", ledgertest.JSON(polRec("2"))), codes.Forbidden)
}

func TestCatalogueContract(t *testing.T) {
	e, _ := setupCatalogue(t)
	var list []domaincerttype.Type
	e.l.MustEvaluate(public, "certtype:List").MustDecode(t, &list)
	if len(list) != 2 || list[0].Code != estateType || list[1].Code != licenceType || list[1].DefiningBodyCode != "11100000MB0143028R" {
		t.Fatalf("%+v", list)
	}
	reg := domaincerttype.Registration{Code: "11100000MB0143028R003", Name: "食品经营许可证", NameEn: "Food business licence",
		DefiningBody: "国家市场监督管理总局", HolderCodeType: "001", Issuers: []string{"market"}}
	ledgertest.Refused(t, e.l.Submit(market, "certtype:Register", ledgertest.JSON(reg)), codes.Forbidden)
	dup := reg
	dup.Code = licenceType
	ledgertest.Refused(t, e.l.Submit(gov, "certtype:Register", ledgertest.JSON(dup)), codes.Conflict)
	unknown := reg
	unknown.Issuers = []string{"nobody"}
	ledgertest.Refused(t, e.l.Submit(gov, "certtype:Register", ledgertest.JSON(unknown)), codes.NotFound)
	bad := reg
	bad.Code = "11100000MB0143028X003"
	r := e.l.Submit(gov, "certtype:Register", ledgertest.JSON(bad))
	ledgertest.Refused(t, r, codes.InvalidArgument)
	if !strings.Contains(r.Message, "expected 'R'") {
		t.Fatal(r.Message)
	}
	ledgertest.Refused(t, e.l.Evaluate(public, "certtype:Get", "11100000MB0143028R009"), codes.NotFound)
	ledgertest.Refused(t, e.l.Submit(gov, "certtype:Grant", licenceType, "market"), codes.Conflict)
	ledgertest.Refused(t, e.l.Submit(gov, "certtype:Grant", licenceType, "nobody"), codes.NotFound)
	ledgertest.Refused(t, e.l.Submit(gov, "certtype:Revoke", estateType, "market"), codes.NotFound)
	// Credit codes: unique, checked, governance only.
	ledgertest.Refused(t, e.l.Submit(gov, "registry:SetCode", "police", marketCode), codes.Conflict)
	ledgertest.Refused(t, e.l.Submit(gov, "registry:SetCode", "police", "11330100MB0000010Q"), codes.InvalidArgument)
	ledgertest.Refused(t, e.l.Submit(police, "registry:SetCode", "police", "91350100M000100Y43"), codes.Forbidden)
	e.l.MustSubmit(gov, "registry:SetCode", "police", "91350100M000100Y43")
	e.l.MustSubmit(gov, "registry:SetCode", "market", policeCode) // police gave it up
}
