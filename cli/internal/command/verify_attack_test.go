package command

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"math/big"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/cli/internal/client"
	"github.com/certledger/certledger/cli/internal/receipt"
	"github.com/certledger/certledger/gateway/gatewaytest"
	"github.com/certledger/certledger/internal/gm"
	"github.com/certledger/certledger/internal/testkit"
	"github.com/certledger/certledger/internal/trust"
)

// The attacks of issue 14 on receipts, links and holders, through the CLI.
func TestVerifyReceiptAttacks(t *testing.T) {
	e := newEnv(t)
	rp, _ := e.issueOne(t, "lic.pdf", "genuine document", "91110000ACME")
	raw, _ := os.ReadFile(rp)
	edit := func(name, from, to string) string {
		t.Helper()
		if !strings.Contains(string(raw), from) {
			t.Fatalf("receipt lacks %q", from)
		}
		return e.file(name, strings.Replace(string(raw), from, to, 1))
	}
	var rc receipt.Receipt
	_ = json.Unmarshal(raw, &rc)

	// An edited issuer or validUntil: step 3 names the field, the verdict is the offline one.
	for _, tc := range []struct{ name, from, to, field string }{
		{"issuer", `"issuer": "dept-a"`, `"issuer": "dept-b"`, "record.issuer"},
		{"validUntil", `"validUntil": "` + rc.Record.ValidUntil + `"`, `"validUntil": "2199-12-31T15:59:59Z"`, "record.validUntil"},
	} {
		r := e.run("cert", "verify", "--receipt", edit(tc.name+".json", tc.from, tc.to), "-o", "json")
		wantCode(t, r, 1)
		var rep struct {
			Verdict string        `json:"verdict"`
			Steps   []client.Step `json:"steps"`
		}
		_ = json.Unmarshal([]byte(r.Stdout), &rep)
		if rep.Steps[2].Status != "fail" || !strings.Contains(rep.Steps[2].Detail, tc.field) {
			t.Errorf("%s: step 3 %+v", tc.name, rep.Steps[2])
		}
		if rep.Verdict == "VALID" {
			t.Errorf("%s: VALID", tc.name)
		}
	}

	// An edited signature: BAD_SIGNATURE online as offline (it was NOT_FOUND online).
	sig := rc.Record.Signature
	badSig := sig[:len(sig)-4] + "AAA="
	if sig[len(sig)-4:] == "AAA=" {
		badSig = sig[:len(sig)-4] + "BBB="
	}
	forged := edit("sig.json", sig, badSig)
	for _, args := range [][]string{{"--offline"}, {}} {
		r := e.run(append([]string{"cert", "verify", "--receipt", forged}, args...)...)
		wantCode(t, r, 1)
		if !strings.Contains(r.Stdout, "verdict: BAD_SIGNATURE") {
			t.Errorf("edited signature %v:\n%s", args, r.Stdout)
		}
	}

	// Edited ledger coordinates: unnoticed offline (nothing vouches for them in a v1
	// receipt), RECEIPT_MISMATCH online naming the field.
	for _, tc := range []struct{ name, from, to, field string }{
		{"txid", `"txId": "` + rc.Ledger.TxID + `"`, `"txId": "` + strings.Repeat("0", 64) + `"`, "ledger.txId"},
		{"block", `"blockNumber": ` + itoa(int(rc.Ledger.BlockNumber)), `"blockNumber": 999`, "ledger.blockNumber"},
	} {
		p := edit(tc.name+".json", tc.from, tc.to)
		r := e.run("cert", "verify", "--receipt", p)
		wantCode(t, r, 1)
		if !strings.Contains(r.Stdout, "verdict: RECEIPT_MISMATCH") || !strings.Contains(r.Stdout, tc.field) {
			t.Errorf("%s:\n%s", tc.name, r.Stdout)
		}
	}

	// Holder proof: the id is checked here with the receipt's salt.
	wantCode(t, e.run("cert", "verify", "--receipt", rp, "--holder-id", "91110000ACME"), 0)
	r := e.run("cert", "verify", "--receipt", rp, "--holder-id", "91110000ACMF")
	wantCode(t, r, 1)
	if !strings.Contains(r.Stdout, "verdict: HOLDER_MISMATCH") {
		t.Error(r.Stdout)
	}
	r = runIn(t, "91110000ACME\n", "--gateway", e.GW.URL, "cert", "verify", "--receipt", rp, "--holder-id", "-")
	wantCode(t, r, 0)
	if !strings.Contains(r.Stdout, "holder") || strings.Contains(r.Stdout, "91110000ACME") {
		t.Errorf("holder from stdin (the id must not be printed):\n%s", r.Stdout)
	}
	wantCode(t, e.run("cert", "verify", "--id", rc.Record.ID, "--holder-id", "x"), 2) // needs --receipt
}

// QR links: link + file as on the page; another host is refused unless named.
func TestVerifyLinks(t *testing.T) {
	e := newEnv(t)
	rp, _ := e.issueOne(t, "lic.pdf", "genuine document", "h")
	doc := filepath.Join(e.Dir, "lic.pdf")
	rc, _ := receipt.Load(rp)

	r := e.run("cert", "verify", "--url", rc.VerifyURL, doc)
	wantCode(t, r, 0)
	if !strings.Contains(r.Stdout, "SM3 computed locally") {
		t.Error(r.Stdout)
	}
	r = e.run("cert", "verify", "--url", rc.VerifyURL, e.file("other.pdf", "another document"))
	wantCode(t, r, 1)
	if !strings.Contains(r.Stdout, "verdict: HASH_MISMATCH") || !strings.Contains(r.Stdout, "not the document the link refers to") {
		t.Error(r.Stdout)
	}

	u, _ := url.Parse(rc.VerifyURL)
	u.Host = "verify.evil.example"
	r = e.run("cert", "verify", "--url", u.String())
	wantCode(t, r, 1)
	gw, _ := url.Parse(e.GW.URL)
	if !strings.Contains(r.Stderr, "verify.evil.example:80") || !strings.Contains(r.Stderr, gw.Host) || r.Stdout != "" {
		t.Errorf("other host not refused with both hosts named:\n%s\n%s", r.Stdout, r.Stderr)
	}
	wantCode(t, e.run("cert", "verify", "--url", u.String(), "--trust-link-host", "other.example"), 2)
	r = e.run("cert", "verify", "--url", u.String(), "--trust-link-host", "verify.evil.example")
	wantCode(t, r, 0)
	if !strings.Contains(r.Stderr, "accepted (--trust-link-host)") {
		t.Error(r.Stderr)
	}
	// The verify base is a known host too.
	r = RunForTest(t.Context(), nil, "--gateway", e.GW.URL, "--verify-base", "http://verify.evil.example", "cert", "verify", "--url", u.String())
	wantCode(t, r, 0)
}

// A signed report: written with --report, checked offline by report verify.
func TestVerifyReportCommand(t *testing.T) {
	gwKey, _ := gm.GenerateKey()
	e := newEnv(t, gatewaytest.WithReportKey("gw-1", gwKey))
	e.issueOne(t, "lic.pdf", "genuine document", "h")
	doc := filepath.Join(e.Dir, "lic.pdf")
	out := filepath.Join(e.Dir, "rep", "report.json")
	_ = os.MkdirAll(filepath.Dir(out), 0o755)
	r := e.run("cert", "verify", doc, "--report", out)
	wantCode(t, r, 0)
	page, err := os.ReadFile(filepath.Join(e.Dir, "rep", "report.html"))
	if err != nil || !strings.Contains(string(page), "data:image/png;base64,") {
		t.Fatalf("html: %v", err)
	}

	gov, _ := gm.GenerateKey()
	pin := trust.Fingerprint(&gov.PublicKey)
	bundle := func(gws ...trust.GatewayKey) string {
		b := trust.Build(trust.Source{Channel: "certledger", Chaincode: "certledger", Height: 10, BlockTime: time.Now(),
			Orgs: []trust.Org{{MSPID: "OrgAMSP", RootCerts: []string{testCA(t)}}}, Policy: trust.Policy{Rule: "MAJORITY", N: 1, MSPs: []string{"OrgAMSP"}},
			Gateways: gws}, time.Now())
		s, err := trust.Sign(b, gov)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := s.Marshal()
		return e.file("bundle-"+itoa(len(gws))+".json", string(raw))
	}
	g, _ := trust.NewGatewayKey("gw-1", &gwKey.PublicKey, time.Now().Add(-time.Hour), time.Time{})
	listed, unlisted := bundle(g), bundle()

	r = e.run("report", "verify", out, "--bundle", listed, "--pin", pin)
	wantCode(t, r, 0)
	if !strings.Contains(r.Stdout, "TRUSTED") || !strings.Contains(r.Stdout, "verdict:") {
		t.Error(r.Stdout)
	}
	for name, args := range map[string][]string{
		"no bundle":        {},
		"key not listed":   {"--bundle", unlisted, "--pin", pin},
		"edited verdict":   {"--bundle", listed, "--pin", pin, "EDIT"},
		"wrong pin":        {"--bundle", listed, "--pin", strings.Repeat("ab", 32)},
		"bundle, no --pin": {"--bundle", listed},
	} {
		path := out
		if len(args) > 0 && args[len(args)-1] == "EDIT" {
			raw, _ := os.ReadFile(out)
			path = e.file("edited.json", strings.Replace(string(raw), `"verdict": "VALID"`, `"verdict": "REVOKED"`, 1))
			args = args[:len(args)-1]
		}
		r := RunForTest(t.Context(), nil, append([]string{"report", "verify", path}, args...)...)
		if r.Code == 0 {
			t.Errorf("%s: exit 0\n%s", name, r.Stdout)
		}
	}
}

func testCA(t *testing.T) string {
	t.Helper()
	der, _, err := testkit.SelfSigned(&x509.Certificate{SerialNumber: big.NewInt(9), Subject: pkix.Name{CommonName: "ca"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(1, 0, 0),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign})
	if err != nil {
		t.Fatal(err)
	}
	return string(testkit.CertPEM(der))
}
