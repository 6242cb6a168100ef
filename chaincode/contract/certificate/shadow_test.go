package certificate_test

import (
	"testing"

	"github.com/certledger/certledger/chaincode/ledgertest"
	"github.com/certledger/certledger/internal/codes"
	domain "github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/domain/wire"
)

// The attack of issue 14: dept-b (categories housing, property) issues a
// business-licence for a document whose dept-a certificate is revoked; verify
// by hash answered VALID (issuer dept-b), hiding the revocation.
func TestVerifyNobodyCanShadow(t *testing.T) {
	e := setup(t)
	housing := ledgertest.NewSigner(t)
	e.l.RegisterDepartmentWith(map[string]any{"id": "housing", "name": "住房和城乡建设局", "mspId": "HousingMSP",
		"categories": []string{"housing", "property"}}, housing)
	hMSP := ledgertest.Tx{MSP: "HousingMSP"}

	c := e.issue("lic-a")
	e.l.MustSubmit(market, "certificate:Revoke", js(e.status(c, "revoke", e.market)))

	// 1. The housing department may not issue a business-licence: FORBIDDEN, nothing written.
	shadow := e.record("lic-b", housing, func(r *domain.Record) { r.Issuer, r.DocHash = "housing", c.DocHash })
	refused(t, e.l.Submit(hMSP, "certificate:Issue", js(shadow)), codes.Forbidden)

	// 2. Even a type it may issue does not shadow the revocation: verify by hash
	// lists both, each with its verdict and issuer name, and the headline names
	// the disagreement.
	other := e.record("house-b", housing, func(r *domain.Record) {
		r.Issuer, r.DocHash, r.Type = "housing", c.DocHash, "property"
	})
	e.l.MustSubmit(hMSP, "certificate:Issue", js(other))
	res := verify(t, e, `{"docHash":"`+c.DocHash+`"}`)
	if res.Verdict != wire.VerdictConflicting || res.Message == "" {
		t.Fatalf("verdict %s %q, want CONFLICTING", res.Verdict, res.Message)
	}
	if res.Certificate == nil || res.Certificate.ID != "lic-a" || res.Steps[6].Code != wire.VerdictRevoked {
		t.Fatalf("headline should be the revoked certificate: %+v %+v", res.Certificate, res.Steps)
	}
	got := map[string]string{}
	for _, r := range res.Results {
		got[r.Certificate.ID] = r.Verdict + " " + r.IssuerName
	}
	want := map[string]string{"lic-a": "REVOKED Department market", "house-b": "VALID 住房和城乡建设局"}
	if len(got) != 2 || got["lic-a"] != want["lic-a"] || got["house-b"] != want["house-b"] {
		t.Fatalf("results %v, want %v", got, want)
	}
	if len(res.Matches) != 2 {
		t.Fatalf("matches %v", res.Matches)
	}

	// By id, one certificate: its own verdict, the list of one.
	res = verify(t, e, `{"id":"house-b"}`)
	if res.Verdict != wire.VerdictValid || len(res.Results) != 1 || res.IssuerName != "住房和城乡建设局" {
		t.Fatalf("by id: %s %+v", res.Verdict, res.Results)
	}
}
