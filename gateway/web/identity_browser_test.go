package web_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/gateway/web"
	"github.com/certledger/certledger/gateway/web/webtest"
	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/domain/certtype"
	"github.com/certledger/certledger/internal/domain/identifier"
	"github.com/certledger/certledger/internal/domain/registry"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/gm"
)

// identityLedger answers GET /api/v1/verify with the real verification pipeline
// (certificate.Evaluate) over one signed v2 certificate, as the chaincode would.
type identityLedger struct {
	cert certificate.Certificate
	key  registry.Key
	typ  certtype.Info
	now  time.Time
}

func (l *identityLedger) verify(w http.ResponseWriter, r *http.Request) {
	q := certificate.Query{ID: r.URL.Query().Get("id"), DocHash: r.URL.Query().Get("hash")}
	in := certificate.Input{Query: q, Now: l.now}
	if pre := certificate.Evaluate(in); pre.Verdict == wire.VerdictBadFormat {
		writeJSON(w, http.StatusOK, pre)
		return
	}
	if (q.ID == "" || q.ID == l.cert.ID) && (q.DocHash == "" || q.DocHash == l.cert.DocHash || q.ID != "") {
		c, k, ti := l.cert, l.key, l.typ
		in.Certificate, in.IssuerKey, in.KeyOwner, in.CertType, in.Matches = &c, &k, c.Issuer, &ti, []string{c.ID}
	}
	writeJSON(w, http.StatusOK, certificate.Evaluate(in))
}

// TestBrowserIdentity shows a v2 certificate on the page in headless Chromium: the
// GB/T 36904 identifier with its verified check character, the certificate name,
// the issuing organisation's full name and code, the type's name, the issue date,
// the validity in the verifier's time zone (Asia/Shanghai unless ?tz= says
// otherwise), the sector fields — and neither the holder's name nor code.
func TestBrowserIdentity(t *testing.T) {
	t.Parallel()
	b := webtest.New(t)
	dir := t.TempDir()
	doc := filepath.Join(dir, "licence.pdf")
	content := []byte("%PDF-1.7 营业执照 ACME 有限公司\n")
	if err := os.WriteFile(doc, content, 0o600); err != nil {
		t.Fatal(err)
	}
	const (
		typeCode   = "11100000MB0143028R001"
		issuerCode = "11330100MB1234567E"
		holderName = "ACME 有限公司"
		holderCode = "91350100M000100Y43"
	)
	id, err := identifier.New(typeCode, issuerCode, "2026000001", "001")
	if err != nil {
		t.Fatal(err)
	}
	sk, _ := gm.GenerateKey()
	pemBytes, _ := gm.MarshalPublicKeyPEM(&sk.PublicKey)
	t0 := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	key, err := registry.NewKey(string(pemBytes), t0.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	ext, _ := certificate.NewExtensions(map[string]string{"KZ_JYCS": "示范市西湖路 1 号"})
	rec := certificate.Record{Fields: certificate.Fields{
		RecordVersion: certificate.RecordV2, ID: id.String(), DocHash: gm.SM3Hex(content), Type: typeCode,
		Name: "营业执照", Issuer: "dept-a", IssuerName: "示范市市场监督管理局", IssuerCode: issuerCode, IssueDate: "2026-11-28",
		HolderCodeType:       certtype.HolderUSCC,
		HolderNameCommitment: gm.Commitment([]byte("0123456789abcdef"), holderName),
		HolderCodeCommitment: gm.Commitment([]byte("fedcba9876543210"), holderCode),
		ValidFrom:            t0.Format(time.RFC3339), ValidUntil: t0.AddDate(20, 0, 0).Format(time.RFC3339),
		Extensions: ext, KeyID: key.KeyID,
	}}
	if rec.Signature, err = rec.Sign(sk); err != nil {
		t.Fatal(err)
	}
	c, err := certificate.New(rec, t0.Add(5*time.Second), "tx-1")
	if err != nil {
		t.Fatal(err)
	}
	l := &identityLedger{cert: c, key: key, now: t0.Add(24 * time.Hour), typ: certtype.Info{
		Code: typeCode, Name: "营业执照", NameEn: "Business licence", DefiningBody: "国家市场监督管理总局",
		DefiningBodyCode: typeCode[:18], HolderCodeType: certtype.HolderUSCC,
	}}
	mux := http.NewServeMux()
	mux.Handle("/", web.Handler())
	mux.HandleFunc("GET /api/v1/verify", l.verify)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	check := func(t *testing.T, r webtest.Result, from, zone string, byID bool) {
		t.Helper()
		webtest.ExpectNoProblems(t, r)
		webtest.ExpectVerdict(t, r, "VALID")
		want := map[string]string{
			"id":          id.String(),
			"name":        "营业执照",
			"type":        "营业执照 · Business licence (" + typeCode + ")",
			"issuerName":  "示范市市场监督管理局",
			"issuerCode":  issuerCode,
			"issueDate":   "2026-11-28",
			"validFrom":   from,
			"ext.KZ_JYCS": "示范市西湖路 1 号",
		}
		for f, v := range want {
			if r.Certificate[f] != v {
				t.Errorf("%s shown %q, want %q", f, r.Certificate[f], v)
			}
		}
		if !strings.Contains(r.PageText, "Times are shown in "+zone) {
			t.Errorf("the page does not name the zone %s", zone)
		}
		if !strings.HasPrefix(r.Certificate["identifierCheck"], id.Check+" — verified") {
			t.Errorf("check character shown %q", r.Certificate["identifierCheck"])
		}
		if !strings.Contains(r.Certificate["holderCodeType"], "unified social credit code") {
			t.Errorf("holder code type shown %q", r.Certificate["holderCodeType"])
		}
		if s1, _ := r.StepByNumber(1); s1.Status != "pass" || byID && !strings.Contains(s1.Detail, "check character "+id.Check+" verified") {
			t.Errorf("step 1 %+v", s1)
		}
		for _, secret := range []string{holderName, holderCode, rec.HolderNameCommitment, rec.HolderCodeCommitment} {
			if strings.Contains(r.PageText, secret) {
				t.Errorf("the page shows %q", secret)
			}
		}
	}

	t.Run("file: VALID with the GB/T 36903 fields, times in Asia/Shanghai", func(t *testing.T) {
		check(t, b.VerifyFile(t, srv.URL+"/", doc), "2026-11-28 08:00:00", "Asia/Shanghai", false)
	})
	link := srv.URL + "/verify?id=" + url.QueryEscape(id.String()) + "&hash=" + rec.DocHash
	t.Run("QR link: identifier and hash only", func(t *testing.T) {
		check(t, b.OpenLink(t, link), "2026-11-28 08:00:00", "Asia/Shanghai", true)
	})
	t.Run("the verifier's time zone", func(t *testing.T) {
		check(t, b.OpenLink(t, link+"&tz=Europe/Berlin"), "2026-11-28 01:00:00", "Europe/Berlin", true)
	})
	t.Run("wrong check character: BAD FORMAT at step 1, expected character named", func(t *testing.T) {
		wrong := id.String()[:len(id.String())-1] + map[bool]string{true: "1", false: "0"}[id.Check == "0"]
		r := b.VerifyInput(t, srv.URL+"/", wrong, "")
		webtest.ExpectNoProblems(t, r)
		webtest.ExpectVerdict(t, r, "BAD_FORMAT")
		s1, _ := r.StepByNumber(1)
		if s1.Status != "fail" || !strings.Contains(s1.Detail, "expected '"+id.Check+"'") {
			t.Errorf("step 1 %+v", s1)
		}
		if s3, _ := r.StepByNumber(3); s3.Status != "skipped" {
			t.Errorf("lookup ran: %+v", s3)
		}
	})
}
