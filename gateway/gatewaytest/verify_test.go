package gatewaytest_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/gateway/gatewaytest"
	"github.com/certledger/certledger/gateway/internal/httpapi"
	"github.com/certledger/certledger/gateway/internal/ledgerclient"
	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/gm"
	"github.com/certledger/certledger/internal/profile"
	"github.com/certledger/certledger/internal/report"
	"github.com/certledger/certledger/internal/trust"
	"github.com/certledger/certledger/loadtest/record"
)

// shadowStack is a stack where dept-a issues business licences and dept-b
// (categories housing, property) does not; lic-a, dept-a's licence of doc, is
// revoked and dept-b anchored the same document as a property certificate.
type shadowStack struct {
	*gatewaytest.Stack
	c      *http.Client
	ctx    context.Context
	a, b   *record.Dept
	doc    []byte
	issued map[string]*gatewaytest.Response
	gwKey  *httpapi.ReportKey
}

func startShadowStack(t *testing.T, o gatewaytest.Options) *shadowStack {
	t.Helper()
	k, err := gm.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	o.ReportKey = &httpapi.ReportKey{ID: "gw-1", Key: k}
	st := startStackWith(t, o)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	s := &shadowStack{Stack: st, c: &http.Client{Timeout: 30 * time.Second}, ctx: ctx, issued: map[string]*gatewaytest.Response{},
		doc: []byte("Business licence No. 2026-0001, ACME Ltd.\n"), gwKey: o.ReportKey}
	t.Cleanup(s.c.CloseIdleConnections)
	s.a, _ = record.NewDept("dept-a", "DeptAMSP")
	s.b, _ = record.NewDept("dept-b", "DeptBMSP")
	s.do(t, "POST", "/api/v1/departments", gatewaytest.GovAdmin, s.a.Registration("市场监督管理局", "business-licence"), http.StatusCreated)
	s.do(t, "POST", "/api/v1/departments", gatewaytest.GovAdmin, s.b.Registration("住房和城乡建设局", "housing", "property"), http.StatusCreated)

	s.issued["lic-a"] = s.do(t, "POST", "/api/v1/certificates", gatewaytest.AClerk, s.record(t, s.a, "lic-a", "business-licence"), http.StatusCreated)
	var c struct {
		Record struct {
			TxID string `json:"txId"`
		} `json:"record"`
	}
	_ = s.issued["lic-a"].JSON(&c)
	sr, _ := s.a.StatusRequest("lic-a", "revoke", "licence withdrawn", c.Record.TxID)
	s.do(t, "POST", "/api/v1/certificates/lic-a/revoke", gatewaytest.AClerk, sr, http.StatusOK)
	return s
}

func (s *shadowStack) record(t *testing.T, d *record.Dept, id, typ string) certificate.Record {
	t.Helper()
	r, err := d.Certificate(id, s.doc, time.Now().Add(-time.Hour), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	r.Type = typ
	if r.Signature, err = canon.Sign(d.Key, canon.KindCertificate, r); err != nil {
		t.Fatal(err)
	}
	return r
}

func (s *shadowStack) do(t *testing.T, method, path, token string, body any, status int) *gatewaytest.Response {
	t.Helper()
	r, err := s.Do(s.ctx, s.c, method, path, token, body)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != status {
		t.Fatalf("%s %s: %d %s, want %d", method, path, r.Status, r.Body, status)
	}
	return r
}

// TestVerifyNobodyCanShadow: the attack of issue 14 through the REST API. dept-b
// may not issue a business-licence; what it may issue for the same document
// does not hide dept-a's revocation: verify by hash is CONFLICTING and lists both.
func TestVerifyNobodyCanShadow(t *testing.T) {
	s := startShadowStack(t, gatewaytest.Options{})
	r := s.do(t, "POST", "/api/v1/certificates", gatewaytest.BClerk, s.record(t, s.b, "lic-b", "business-licence"), http.StatusForbidden)
	if r.Code() != "FORBIDDEN" || !strings.Contains(string(r.Body), "housing, property") {
		t.Fatalf("type outside the categories: %s", r.Body)
	}
	s.do(t, "GET", "/api/v1/certificates/lic-b", "", nil, http.StatusNotFound) // nothing written

	s.do(t, "POST", "/api/v1/certificates", gatewaytest.BClerk, s.record(t, s.b, "prop-b", "property"), http.StatusCreated)
	var res certificate.Result
	if err := s.do(t, "GET", "/api/v1/verify?hash="+gm.SM3Hex(s.doc), "", nil, http.StatusOK).JSON(&res); err != nil {
		t.Fatal(err)
	}
	if res.Verdict != wire.VerdictConflicting || !strings.Contains(res.Message, "lic-a of dept-a (市场监督管理局)") ||
		!strings.Contains(res.Message, "REVOKED (licence withdrawn)") || len(res.Results) != 2 {
		t.Fatalf("verify by hash: %s %q %d results", res.Verdict, res.Message, len(res.Results))
	}
	for _, m := range res.Results {
		if m.IssuerName == "" || m.Certificate == nil {
			t.Fatalf("match without issuer name: %+v", m)
		}
	}
}

// TestAnchorAndReport: a certificate's anchor (creation txId and block) and a
// signed verification report checked against a trust bundle listing the key.
func TestAnchorAndReport(t *testing.T) {
	s := startShadowStack(t, gatewaytest.Options{})
	var issued struct {
		TxID        string `json:"txId"`
		BlockNumber uint64 `json:"blockNumber"`
	}
	_ = s.issued["lic-a"].JSON(&issued)
	var a httpapi.Anchor
	_ = s.do(t, "GET", "/api/v1/certificates/lic-a/anchor", "", nil, http.StatusOK).JSON(&a)
	if a.TxID != issued.TxID || a.BlockNumber != issued.BlockNumber || !a.BlockKnown {
		t.Fatalf("anchor %+v, issued %+v", a, issued)
	}
	s.do(t, "GET", "/api/v1/certificates/nope/anchor", "", nil, http.StatusNotFound)

	// A client that did not commit it finds the block through qscc GetBlockByTxID
	// (the devnet answers it as a Fabric peer does).
	p, err := profile.Load(s.Profiles["dept-b"])
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := ledgerclient.Connect([]ledgerclient.Org{{Name: "dept-b", Profile: p}}, ledgerclient.Timeouts{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = fresh.Close() }()
	if n, ok := fresh.TxBlock(s.ctx, "dept-b", issued.TxID); !ok || n != issued.BlockNumber {
		t.Fatalf("qscc: block %d %v, want %d", n, ok, issued.BlockNumber)
	}
	if _, ok := fresh.TxBlock(s.ctx, "dept-b", "no-such-tx"); ok {
		t.Fatal("qscc found a transaction that does not exist")
	}

	r := s.do(t, "POST", "/api/v1/verify/report", "", map[string]string{"id": "lic-a"}, http.StatusOK)
	rep, err := report.Parse(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.Verify(); err != nil {
		t.Fatal(err)
	}
	h, _ := rep.Hash()
	if rep.Report.Verdict != "REVOKED" || rep.Report.Height == 0 || rep.Report.Query.ID != "lic-a" || r.Header.Get("X-Report-Hash") != h {
		t.Fatalf("report %+v", rep.Report)
	}
	g, _ := trust.NewGatewayKey("gw-1", &s.gwKey.Key.PublicKey, time.Now().Add(-time.Hour), time.Time{})
	if _, err := rep.Trusted(&trust.Bundle{Gateways: []trust.GatewayKey{g}}); err != nil {
		t.Fatal(err)
	}
	var key report.Gateway
	_ = s.do(t, "GET", "/api/v1/verify/report-key", "", nil, http.StatusOK).JSON(&key)
	if key.KeyID != g.KeyID || key.ID != "gw-1" {
		t.Fatalf("report key %+v", key)
	}
	page := s.do(t, "POST", "/api/v1/verify/report?format=html&tz=Europe/Paris", "", map[string]string{"hash": gm.SM3Hex(s.doc)}, http.StatusOK)
	if !bytes.Contains(page.Body, []byte("data:image/png;base64,")) || !strings.HasPrefix(page.Header.Get("Content-Type"), "text/html") ||
		!bytes.Contains(page.Body, []byte("Europe/Paris")) {
		t.Fatalf("html report: %s", page.Body[:200])
	}
	for _, bad := range []struct {
		path string
		body any
	}{
		{"/api/v1/verify/report", map[string]string{}},
		{"/api/v1/verify/report", map[string]string{"hash": "ABC"}},
		{"/api/v1/verify/report?format=pdf", map[string]string{"id": "lic-a"}},
		{"/api/v1/verify/report?tz=Mars/Base", map[string]string{"id": "lic-a"}},
		{"/api/v1/verify/report", map[string]string{"id": "lic-a", "holderId": "x"}},
	} {
		if r := s.do(t, "POST", bad.path, "", bad.body, http.StatusBadRequest); r.Code() != "INVALID_ARGUMENT" {
			t.Errorf("%s %v: %s", bad.path, bad.body, r.Body)
		}
	}
}
