package batch_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	batchcc "github.com/certledger/certledger/chaincode/contract/batch"
	"github.com/certledger/certledger/chaincode/contract/certificate"
	"github.com/certledger/certledger/chaincode/contract/certtype"
	"github.com/certledger/certledger/chaincode/contract/registry"
	"github.com/certledger/certledger/chaincode/ledgertest"
	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/batch"
	domain "github.com/certledger/certledger/internal/domain/certificate"
	domaincerttype "github.com/certledger/certledger/internal/domain/certtype"
	"github.com/certledger/certledger/internal/domain/identifier"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/gm"
	"github.com/certledger/certledger/internal/merkle"
)

const (
	marketCode   = "11330100MB1234567E"
	policeCode   = "11330100MB0000010P"
	licenceType  = "11100000MB0143028R001" // granted to market
	estateType   = "11100000000013338W011" // granted to police only
	unlistedType = "11100000000013338W012" // a well-formed code nobody registered
	marketName   = "Department market"
)

// setupCatalogue is a ledger whose type catalogue is in force: market and
// police have credit codes; the licence type is market's, the real-estate
// type police's.
func setupCatalogue(t *testing.T) *env {
	t.Helper()
	l, m, p := ledgertest.TwoDepartments(t,
		map[string]any{"name": marketName, "code": marketCode},
		map[string]any{"name": "Police", "code": policeCode},
		registry.New(), certificate.New(), certtype.New(), batchcc.New())
	e := &env{t: t, l: l, market: m, police: p}
	e.l.MustSubmit(gov, "certtype:Register", js(domaincerttype.Registration{
		Code: licenceType, Name: "营业执照", NameEn: "Business licence", DefiningBody: "国家市场监督管理总局",
		HolderCodeType: domaincerttype.HolderUSCC, DefaultValidity: "P20Y", Issuers: []string{"market"},
	}))
	e.l.MustSubmit(gov, "certtype:Register", js(domaincerttype.Registration{
		Code: estateType, Name: "不动产权证书", NameEn: "Real estate title certificate", DefiningBody: "自然资源部",
		HolderCodeType: domaincerttype.HolderCitizenID, Issuers: []string{"police"},
	}))
	return e
}

// buildV2 is a v2 batch of market: n licences signed by s, header types
// changed by change before signing.
func (e *env) buildV2(id string, n int, s ledgertest.Signer, change func(*batch.Header)) built {
	e.t.Helper()
	return e.buildV2Edited(id, n, s, change, nil)
}

// buildV2Edited is buildV2 with record i passed through edit (when not nil)
// before the tree is built: what the chaincode never sees.
func (e *env) buildV2Edited(id string, n int, s ledgertest.Signer, change func(*batch.Header), edit func(i int, r *batch.Record)) built {
	e.t.Helper()
	b := built{recs: make([]batch.Record, n)}
	leaves := make([][]byte, n)
	for i := range b.recs {
		gid, err := identifier.New(licenceType, marketCode, fmt.Sprintf("%s%04d", strings.ToUpper(strings.ReplaceAll(id, "-", "")), i), "001")
		if err != nil {
			e.t.Fatal(err)
		}
		b.recs[i] = batch.Record{
			RecordVersion: domain.RecordV2, ID: gid.String(), DocHash: gm.SM3Hex([]byte(fmt.Sprint(id, i))), Type: licenceType,
			Name: "营业执照", Issuer: "market", IssuerName: marketName, IssuerCode: marketCode, IssueDate: "2026-11-28",
			HolderCodeType:       domaincerttype.HolderUSCC,
			HolderNameCommitment: gm.SM3Hex([]byte(fmt.Sprint("name", i))), HolderCodeCommitment: gm.SM3Hex([]byte(fmt.Sprint("code", i))),
			ValidFrom: "2026-11-28T00:00:00Z", ValidUntil: "2046-11-28T00:00:00Z", KeyID: s.KeyID,
		}
		if edit != nil {
			edit(i, &b.recs[i])
		}
		leaf, err := batch.Leaf(&b.recs[i])
		if err != nil {
			e.t.Fatal(err)
		}
		leaves[i] = leaf
	}
	b.tree = merkle.BuildFromData(n, func(i int) []byte { return leaves[i] })
	root := b.tree.Root()
	now := e.l.Now()
	b.header = batch.Header{
		ID: id, Issuer: "market", KeyID: s.KeyID, Root: fmt.Sprintf("%x", root[:]), Count: n, FileHash: gm.SM3Hex([]byte(id)),
		WindowFrom: now.Add(-time.Minute).Format(time.RFC3339), WindowUntil: now.Add(time.Hour).Format(time.RFC3339),
		RecordKind: batch.RecordKindV2, Types: []string{licenceType},
	}
	if change != nil {
		change(&b.header)
	}
	b.header.Signature = s.Sign(e.t, canon.KindBatchHeader, b.header)
	return b
}

// On a ledger with a type catalogue, a batch is anchored only when it is a v2
// batch whose every type is in the catalogue and granted to the department
// (the per-type rule of a single v2 issue); refusals write nothing.
func TestAnchorV2Refusals(t *testing.T) {
	e := setupCatalogue(t)
	cases := []struct {
		name, code, says string
		header           batch.Header
	}{
		{"type not in the catalogue", codes.Forbidden, "not in the type catalogue",
			e.buildV2("b-1", 3, e.market, func(h *batch.Header) { h.Types = []string{unlistedType} }).header},
		{"another department's type", codes.Forbidden, "may not issue",
			e.buildV2("b-1", 3, e.market, func(h *batch.Header) { h.Types = []string{estateType} }).header},
		{"one of two types another department's", codes.Forbidden, estateType,
			e.buildV2("b-1", 3, e.market, func(h *batch.Header) { h.Types = []string{estateType, licenceType} }).header},
		{"v1 batch on a catalogue ledger", codes.Forbidden, "catalogue is in force",
			e.build("b-1", "", 3, e.market, nil).header},
		{"free-form type in a v2 batch", codes.InvalidArgument, "catalogue type codes",
			e.buildV2("b-1", 3, e.market, func(h *batch.Header) { h.Types = []string{"business-licence"} }).header},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.l.Submit(market, "batch:Anchor", js(c.header))
			refused(t, r, c.code)
			if !strings.Contains(r.Message, c.says) {
				t.Fatalf("message %q does not say %q", r.Message, c.says)
			}
		})
	}
	var head batchcc.Head
	e.l.MustEvaluate(public, "batch:Head", "market").MustDecode(t, &head)
	if head.BatchID != "" {
		t.Fatalf("a refused batch moved the head: %+v", head)
	}
	// The grant revoked: market's own licence type is refused too.
	e.l.MustSubmit(gov, "certtype:Revoke", licenceType, "market")
	refused(t, e.l.Submit(market, "batch:Anchor", js(e.buildV2("b-1", 3, e.market, nil).header)), codes.Forbidden)
	e.l.MustSubmit(gov, "certtype:Grant", licenceType, "market")
	e.l.MustSubmit(market, "batch:Anchor", js(e.buildV2("b-1", 3, e.market, nil).header))
}

// A v2 batch anchored; one of its certificates suspended and revoked by id
// with its v2 leaf, and verified VALID on the ledger in between.
func TestV2BatchAnchoredAndChanged(t *testing.T) {
	e := setupCatalogue(t)
	b := e.buildV2("b-1", 7, e.market, nil)
	anchor := e.l.MustSubmit(market, "batch:Anchor", js(b.header))
	var a batch.Anchored
	anchor.MustDecode(t, &a)
	if a.RecordKind != batch.RecordKindV2 || a.Types[0] != licenceType {
		t.Fatalf("anchored %+v", a)
	}
	leaf := func(i int) *certificate.Batched {
		return &certificate.Batched{Record: b.recs[i], Proof: batch.ProofOf("b-1", b.tree, i)}
	}
	id := b.recs[3].ID
	edited := leaf(3)
	edited.Record.IssuerName = "Someone else"
	refused(t, e.l.Submit(market, "certificate:Suspend", e.status(id, "suspend", anchor.TxID, edited)), codes.BadSignature)
	asV1 := leaf(3)
	asV1.Record.RecordVersion = 0
	refused(t, e.l.Submit(market, "certificate:Suspend", e.status(id, "suspend", anchor.TxID, asV1)), codes.InvalidArgument)

	r := e.l.MustSubmit(market, "certificate:Suspend", e.status(id, "suspend", anchor.TxID, leaf(3)))
	var c domain.Certificate
	r.MustDecode(t, &c)
	if c.Status != domain.StatusSuspended || c.BatchID != "b-1" || c.Record != b.recs[3].Certificate() || c.RecordVersion != domain.RecordV2 {
		t.Fatalf("certificate %+v", c)
	}
	r = e.l.MustSubmit(market, "certificate:Reinstate", e.status(id, "reinstate", r.TxID, nil))
	var res domain.Result
	e.l.MustEvaluate(public, "certificate:Verify", js(map[string]string{"id": id})).MustDecode(t, &res)
	if res.Verdict != wire.VerdictValid || res.Steps[4].Status != wire.StepPass || !strings.Contains(res.Steps[4].Detail, "batch b-1") ||
		res.Identifier == nil || res.CertType == nil {
		t.Fatalf("verify a batched v2 certificate: %+v", res)
	}
	e.l.MustSubmit(market, "certificate:Revoke", e.status(id, "revoke", r.TxID, nil))
	e.l.MustEvaluate(public, "certificate:Verify", js(map[string]string{"id": id})).MustDecode(t, &res)
	if res.Verdict != wire.VerdictRevoked {
		t.Fatalf("revoked: %+v", res.Verdict)
	}
}

// TestV2BatchedRecordFieldsVerified: batch:Anchor sees only a v2 header, so a
// market batch may hold a record claiming police's issuerCode or a holder code
// type its type does not take. Once such a certificate is on the ledger by id
// (its first status change), certificate:Verify does not call it VALID: step 6
// fails with NOT_AUTHORIZED naming the field (certificate.AuthorizeFields, what
// a single issue of the record is refused by); an honest one is VALID.
func TestV2BatchedRecordFieldsVerified(t *testing.T) {
	e := setupCatalogue(t)
	b := e.buildV2Edited("b-1", 5, e.market, nil, func(i int, r *batch.Record) {
		switch i {
		case 1:
			gid, _ := identifier.New(licenceType, policeCode, "B10001", "001")
			r.ID, r.IssuerCode = gid.String(), policeCode
		case 2:
			r.HolderCodeType = domaincerttype.HolderCitizenID
		case 3:
			r.IssuerName = "Police"
		}
	})
	anchor := e.l.MustSubmit(market, "batch:Anchor", js(b.header))
	for i, field := range []string{"", "issuerCode", "holderCodeType", "issuerName"} {
		id := b.recs[i].ID
		leaf := &certificate.Batched{Record: b.recs[i], Proof: batch.ProofOf("b-1", b.tree, i)}
		r := e.l.MustSubmit(market, "certificate:Suspend", e.status(id, "suspend", anchor.TxID, leaf))
		e.l.MustSubmit(market, "certificate:Reinstate", e.status(id, "reinstate", r.TxID, nil))
		var res domain.Result
		e.l.MustEvaluate(public, "certificate:Verify", js(map[string]string{"id": id})).MustDecode(t, &res)
		s6 := res.Steps[5]
		if field == "" {
			if res.Verdict != wire.VerdictValid || !strings.Contains(s6.Detail, "issuerCode, issuerName and holderCodeType") {
				t.Fatalf("honest record: %s %+v", res.Verdict, s6)
			}
			continue
		}
		if res.Verdict != wire.VerdictKeyInvalid || s6.Code != domain.CodeNotAuthorized || !strings.Contains(s6.Detail, field) || res.Steps[4].Status != wire.StepPass {
			t.Fatalf("record %d (%s): %s %+v", i, field, res.Verdict, s6)
		}
	}
}
