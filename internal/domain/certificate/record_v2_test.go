package certificate_test

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/domain/certtype"
	"github.com/certledger/certledger/internal/domain/registry"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/gm"
	"github.com/certledger/certledger/internal/testkit"
)

const (
	realID      = "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U"
	realType    = "11100000000013338W011"
	housingCode = "11430000006122244L"
	housingName = "市住房和城乡建设局"
	housingDept = "housing"
	otherUSCC   = "11330100MB1234567E"
)

// signedV2Record is v2Record signed by a fresh key registered an hour before t0.
func signedV2Record(t *testing.T) (certificate.Record, registry.Key) {
	t.Helper()
	sk, key := newKey(t)
	r := v2Record()
	r.KeyID = key.KeyID
	var err error
	if r.Signature, err = r.Sign(sk); err != nil {
		t.Fatal(err)
	}
	return r, key
}

func v2Record() certificate.Record {
	ext, _ := certificate.NewExtensions(map[string]string{"KZ_ZL": "岳麓区麓山路1号", "KZ_MJ": "89.5"})
	return certificate.Record{Fields: certificate.Fields{
		RecordVersion: certificate.RecordV2, ID: realID,
		DocHash: gm.SM3Hex([]byte("deed")), Type: realType, Name: "不动产权证书",
		Issuer: housingDept, IssuerName: housingName, IssuerCode: housingCode, IssueDate: "2023-06-01",
		HolderCodeType:       certtype.HolderCitizenID,
		HolderNameCommitment: certificate.Commit([]byte("salt-for-the-name"), "张三"),
		HolderCodeCommitment: certificate.Commit([]byte("salt-for-the-code"), "11010519491231002X"),
		ValidFrom:            "2023-06-01T00:00:00Z", Extensions: ext,
		KeyID: gm.SM3Hex([]byte("key")),
	}, Signature: "MEUCIQ=="}
}

func TestV2Validate(t *testing.T) {
	if err := v2Record().Validate(); err != nil {
		t.Fatal(err)
	}
	cases := map[string]func(*certificate.Record){
		"free-form id":          func(r *certificate.Record) { r.ID = "c-2026-0001" },
		"wrong check character": func(r *certificate.Record) { r.ID = realID[:len(realID)-1] + "V" },
		"type not the id's":     func(r *certificate.Record) { r.Type = "11100000MB0143028R001" },
		"issuerCode not id's":   func(r *certificate.Record) { r.IssuerCode = otherUSCC },
		"no name":               func(r *certificate.Record) { r.Name = "" },
		"no issuerName":         func(r *certificate.Record) { r.IssuerName = "" },
		"issueDate a time":      func(r *certificate.Record) { r.IssueDate = "2023-06-01T00:00:00Z" },
		"v1 holderCommitment":   func(r *certificate.Record) { r.HolderCommitment = r.HolderNameCommitment },
		"holderCodeType":        func(r *certificate.Record) { r.HolderCodeType = "1A1" },
		"name commitment":       func(r *certificate.Record) { r.HolderNameCommitment = "张三" },
		"same salts":            func(r *certificate.Record) { r.HolderCodeCommitment = r.HolderNameCommitment },
		"validUntil before":     func(r *certificate.Record) { r.ValidUntil = "2020-01-01T00:00:00Z" },
		"bad keyId":             func(r *certificate.Record) { r.KeyID = "k" },
		"recordVersion 3":       func(r *certificate.Record) { r.RecordVersion = 3 },
		"v2 fields, version 0":  func(r *certificate.Record) { r.RecordVersion = 0; r.HolderCommitment = r.HolderCodeCommitment },
		"extension name": func(r *certificate.Record) {
			r.Extensions, _ = certificate.NewExtensions(map[string]string{"zl": "x"})
		},
	}
	for name, mut := range cases {
		r := v2Record()
		mut(&r)
		if err := r.Validate(); codes.Code(err) != codes.InvalidArgument {
			t.Errorf("%s: %v", name, err)
		}
	}
	// A wrong check character names the expected one.
	r := v2Record()
	r.ID = realID[:len(realID)-1] + "V"
	if err := r.Validate(); !strings.Contains(err.Error(), "expected 'U'") {
		t.Fatal(err)
	}
}

// A v2 record's Validate lists every bad field at once, each named, as
// wire.FieldErrors (the v1 rule, on the v2 fields too).
func TestV2ValidateListsEveryField(t *testing.T) {
	r := v2Record()
	r.ID = realID[:len(realID)-1] + "V"
	r.Name, r.IssueDate, r.HolderCodeType, r.KeyID = "", "2023/06/01", "1", "k"
	r.HolderCodeCommitment = r.HolderNameCommitment
	r.Extensions, _ = certificate.NewExtensions(map[string]string{"KZ_A": "a\nb", "zl": "x"})
	err := r.Validate()
	fe, got := testkit.FieldErrors(t, err)
	want := "id,name,issueDate,holderCodeType,holderCodeCommitment,extensions.KZ_A,extensions,keyId"
	if got != want {
		t.Fatalf("fields %s, want %s (%v)", got, want, err)
	}
	if !strings.Contains(fe[0].Message, "expected 'U'") {
		t.Fatalf("id: %s", fe[0].Message)
	}
}

func TestExtensions(t *testing.T) {
	e, err := certificate.NewExtensions(map[string]string{"KZ_B": "2", "KZ_A": "1"})
	if err != nil || e.Len() != 2 || strings.Join(e.Keys(), ",") != "KZ_A,KZ_B" {
		t.Fatal(e, err)
	}
	b, _ := json.Marshal(e)
	if string(b) != `{"KZ_A":"1","KZ_B":"2"}` {
		t.Fatalf("%s", b)
	}
	var zero certificate.Extensions
	if b, _ := json.Marshal(zero); string(b) != "{}" {
		t.Fatalf("%s", b)
	}
	var back certificate.Extensions
	if err := json.Unmarshal([]byte(`{ "KZ_B":"2", "KZ_A":"1" }`), &back); err != nil || back != e {
		t.Fatalf("%v %v", back, err)
	}
	for _, bad := range []string{`{"KZ_A":"1","KZ_A":"2"}`, `{"KZ_A":1}`, `["KZ_A"]`, `"x"`} {
		if err := json.Unmarshal([]byte(bad), &back); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	many := map[string]string{}
	for i := 0; i <= certificate.MaxExtensions; i++ {
		many["KZ_F"+strings.Repeat("X", i%40)+string(rune('A'+i%26))+string(rune('A'+i/26))] = "v"
	}
	if _, err := certificate.NewExtensions(many); err == nil {
		t.Fatal("too many extensions accepted")
	}
	if _, err := certificate.NewExtensions(map[string]string{"KZ_A": strings.Repeat("长", 257)}); err == nil {
		t.Fatal("long value accepted")
	}
	big := map[string]string{}
	for i := 0; i < 30; i++ {
		big["KZ_"+string(rune('A'+i%26))+string(rune('A'+i/26))] = strings.Repeat("x", 200)
	}
	if _, err := certificate.NewExtensions(big); err == nil {
		t.Fatal("more than 4096 bytes accepted")
	}
}

// The v2 vectors of internal/canon/testdata decode into a Record whose Payload is
// the vector's payload: the struct view and the generic canonicalization agree.
func TestV2CanonVectors(t *testing.T) {
	b, err := os.ReadFile("../../canon/testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vs []struct {
		Name    string          `json:"name"`
		Kind    string          `json:"kind"`
		Record  json.RawMessage `json:"record"`
		Payload string          `json:"payload"`
	}
	if err := json.Unmarshal(b, &vs); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, v := range vs {
		if v.Kind != string(canon.KindCertificateV2) && v.Kind != string(canon.KindCertificate) {
			continue
		}
		var r certificate.Record
		if err := json.Unmarshal(v.Record, &r); err != nil {
			t.Fatalf("%s: %v", v.Name, err)
		}
		if kind, _ := r.Signed(); string(kind) != v.Kind {
			t.Fatalf("%s: kind %s", v.Name, kind)
		}
		p, err := r.Payload()
		if err != nil || string(p) != v.Payload {
			t.Fatalf("%s:\n got %q (%v)\nwant %q", v.Name, p, err, v.Payload)
		}
		n++
	}
	if n < 4 {
		t.Fatalf("only %d certificate vectors", n)
	}
}

func TestV2SignVerifyEvaluate(t *testing.T) {
	r, key := signedV2Record(t)
	if err := r.VerifySignature(key, r.Signature); err != nil {
		t.Fatal(err)
	}
	// The signature covers every v2 field: a changed name, extension or code
	// commitment no longer verifies; a v1 reading of the same record does not either.
	for name, mut := range map[string]func(*certificate.Record){
		"name":       func(r *certificate.Record) { r.Name = "房屋所有权证" },
		"issuerName": func(r *certificate.Record) { r.IssuerName = "别的局" },
		"issueDate":  func(r *certificate.Record) { r.IssueDate = "2023-06-02" },
		"extension": func(r *certificate.Record) {
			r.Extensions, _ = certificate.NewExtensions(map[string]string{"KZ_MJ": "189.5"})
		},
		"holderCode": func(r *certificate.Record) { r.HolderCodeCommitment = gm.SM3Hex([]byte("x")) },
		"v1 reading": func(r *certificate.Record) { r.RecordVersion = 0 },
	} {
		m := r
		mut(&m)
		if err := m.VerifySignature(key, r.Signature); codes.Code(err) != codes.BadSignature && codes.Code(err) != codes.InvalidArgument {
			t.Errorf("%s changed: %v", name, err)
		}
	}
	c, err := certificate.New(r, t0, "tx1")
	if err != nil {
		t.Fatal(err)
	}
	info := certtype.Info{Code: realType, Name: "不动产权证书", NameEn: "Real estate title certificate"}
	res := certificate.Evaluate(certificate.Input{
		Query: certificate.Query{ID: realID}, Certificate: &c, Matches: []string{realID},
		IssuerKey: &key, KeyOwner: housingDept, Now: t0.Add(time.Hour), CertType: &info,
	})
	if res.Verdict != wire.VerdictValid {
		t.Fatalf("%+v", res)
	}
	if res.Identifier == nil || res.Identifier.Check != "U" || res.CertType == nil || res.CertType.Name != "不动产权证书" {
		t.Fatalf("identifier %+v type %+v", res.Identifier, res.CertType)
	}
	if !strings.Contains(res.Steps[0].Detail, "check character U verified") {
		t.Fatalf("step 1: %+v", res.Steps[0])
	}
	// A query whose check character is wrong fails at step 1, before the lookup,
	// and says which character was expected.
	res = certificate.Evaluate(certificate.Input{Query: certificate.Query{ID: realID[:len(realID)-1] + "7"}, Now: t0})
	if res.Verdict != wire.VerdictBadFormat || res.Steps[0].Status != wire.StepFail ||
		!strings.Contains(res.Steps[0].Detail, "expected 'U'") || res.Steps[2].Status != wire.StepSkipped {
		t.Fatalf("%+v", res)
	}
}

func TestAuthorize(t *testing.T) {
	ty, err := certtype.New(certtype.Registration{
		Code: realType, Name: "不动产权证书", NameEn: "Real estate title certificate", DefiningBody: "自然资源部",
		HolderCodeType: certtype.HolderCitizenID, Issuers: []string{housingDept},
	}, t0, "tx0")
	if err != nil {
		t.Fatal(err)
	}
	dept := registry.Department{ID: housingDept, Name: housingName, Code: housingCode}
	r := v2Record()
	if err := certificate.Authorize(r, &ty, dept); err != nil {
		t.Fatal(err)
	}
	other := ty
	other.Issuers = []string{"market"}
	for name, tc := range map[string]struct {
		t    *certtype.Type
		d    registry.Department
		r    func(*certificate.Record)
		code string
	}{
		"type not in catalogue": {nil, dept, nil, codes.Forbidden},
		"department may not":    {&other, dept, nil, codes.Forbidden},
		"department no code":    {&ty, registry.Department{ID: housingDept, Name: housingName}, nil, codes.Forbidden},
		"department other code": {&ty, registry.Department{ID: housingDept, Name: housingName, Code: otherUSCC}, nil, codes.Forbidden},
		"issuerName":            {&ty, dept, func(r *certificate.Record) { r.IssuerName = "住建局" }, codes.InvalidArgument},
		"holderCodeType":        {&ty, dept, func(r *certificate.Record) { r.HolderCodeType = "001" }, codes.InvalidArgument},
	} {
		rr := r
		if tc.r != nil {
			tc.r(&rr)
		}
		if err := certificate.Authorize(rr, tc.t, tc.d); codes.Code(err) != tc.code {
			t.Errorf("%s: %v, want %s", name, err, tc.code)
		}
	}
}

func TestCheckIDIdentifier(t *testing.T) {
	if err := certificate.CheckID("id", realID); err != nil {
		t.Fatal(err)
	}
	// wire's id rule: an id that starts like an identifier must be one; the field
	// error names the expected check character.
	err := certificate.CheckID("id", realID[:len(realID)-1]+"0")
	var fe wire.FieldErrors
	if !errors.As(err, &fe) || fe[0].Field != "id" || !strings.Contains(fe[0].Message, "expected 'U'") || codes.Code(err) != codes.InvalidArgument {
		t.Fatal(err)
	}
	if wire.ValidID(realID[:len(realID)-1]+"0") || !wire.ValidID(realID) {
		t.Fatal("wire.ValidID does not apply the identifier rule")
	}
	if err := certificate.CheckID("id", "c-2026-0001"); err != nil {
		t.Fatal(err) // free-form ids keep working
	}
}

// TestEvaluateBatchedV2Fields: the chaincode anchors a v2 batch seeing only its
// header, so step 6 checks each batched v2 record's issuerCode, issuerName and
// holderCodeType against the registry and the catalogue (AuthorizeFields), as a
// single issue of the record would be checked; the same input gives the same
// verdict wherever Evaluate runs.
func TestEvaluateBatchedV2Fields(t *testing.T) {
	r, key := signedV2Record(t)
	info := certtype.Info{Code: realType, Name: "不动产权证书", HolderCodeType: certtype.HolderCitizenID}
	input := func(batched bool, change func(*certificate.Record)) certificate.Input {
		rec := r
		if change != nil {
			change(&rec)
		}
		c := certificate.Certificate{Record: rec, Status: certificate.StatusValid, IssuedAt: wire.FormatTime(t0), TxID: "tx1"}
		if batched {
			c.BatchID, c.Signature = "b-1", "" // the header's signature vouches for it
		}
		k, ty := key, info
		return certificate.Input{
			Query: certificate.Query{ID: rec.ID}, Certificate: &c, Matches: []string{rec.ID},
			IssuerKey: &k, KeyOwner: housingDept, IssuerName: housingName, IssuerCode: housingCode,
			CertType: &ty, BatchCheck: func(*registry.Key) error { return nil }, Now: t0.Add(time.Hour),
		}
	}
	for _, tc := range []struct {
		name    string
		batched bool
		record  func(*certificate.Record)
		in      func(*certificate.Input)
		field   string // "" = VALID; else step 6 fails with NOT_AUTHORIZED naming it
		detail  string // in step 6's detail when VALID
	}{
		{name: "batched, fields agree", batched: true, detail: "issuerCode, issuerName and holderCodeType are the department's and the type's"},
		{name: "batched, another organisation's issuerCode", batched: true, record: func(r *certificate.Record) { r.IssuerCode = otherUSCC }, field: "issuerCode"},
		{name: "batched, the registry gives another code", batched: true, in: func(in *certificate.Input) { in.IssuerCode = otherUSCC }, field: "issuerCode"},
		{name: "batched, another issuerName", batched: true, record: func(r *certificate.Record) { r.IssuerName = "住建局" }, field: "issuerName"},
		{name: "batched, holderCodeType the type does not take", batched: true, record: func(r *certificate.Record) { r.HolderCodeType = certtype.HolderUSCC }, field: "holderCodeType"},
		{name: "batched, department without a code", batched: true, in: func(in *certificate.Input) { in.IssuerCode = "" }, field: "issuerCode"},
		{name: "batched, department name unknown", batched: true, in: func(in *certificate.Input) { in.IssuerName = "" }, field: "issuerName"},
		{name: "batched, type not in the catalogue", batched: true, in: func(in *certificate.Input) { in.CertType = nil }, field: "holderCodeType"},
		{name: "batched offline, no catalogue at hand", batched: true, in: func(in *certificate.Input) { in.CertType, in.Offline = nil, true },
			detail: "holderCodeType not checked"},
		{name: "batched offline, another organisation's issuerCode", batched: true, record: func(r *certificate.Record) { r.IssuerCode = otherUSCC },
			in: func(in *certificate.Input) { in.CertType, in.Offline = nil, true }, field: "issuerCode"},
		{name: "batched offline, another issuerName", batched: true, record: func(r *certificate.Record) { r.IssuerName = "住建局" },
			in: func(in *certificate.Input) { in.CertType, in.Offline = nil, true }, field: "issuerName"},
		// A single issue was checked by the chaincode before it was written (and a
		// department's code may change since): verification does not ask again.
		{name: "issued alone, the registry gives another code", in: func(in *certificate.Input) { in.IssuerCode = otherUSCC }, detail: "was valid at issue time"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := input(tc.batched, tc.record)
			if tc.in != nil {
				tc.in(&in)
			}
			res := certificate.Evaluate(in)
			s := res.Steps[5]
			if tc.field == "" {
				if res.Verdict != wire.VerdictValid || s.Status != wire.StepPass || !strings.Contains(s.Detail, tc.detail) {
					t.Fatalf("verdict %s, step 6 %+v", res.Verdict, s)
				}
				return
			}
			if res.Verdict != wire.VerdictKeyInvalid || s.Status != wire.StepFail || s.Code != certificate.CodeNotAuthorized ||
				!strings.Contains(s.Detail, tc.field) || !strings.Contains(s.Detail, "batch b-1") {
				t.Fatalf("verdict %s, step 6 %+v", res.Verdict, s)
			}
			if res.Steps[4].Status != wire.StepPass { // the header's signature still verifies
				t.Fatalf("step 5 %+v", res.Steps[4])
			}
		})
	}
}
