package gatewaytest_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/certledger/certledger/gateway/gatewaytest"
	"github.com/certledger/certledger/gateway/web/webtest"
	"github.com/certledger/certledger/internal/gm"
	"github.com/certledger/certledger/internal/receipt"
	"github.com/certledger/certledger/internal/trust"
)

// TestReceiptOfflineE2E: a certificate issued on the devnet, its v2 receipt
// built from the gateway's receipt evidence, a trust bundle exported from the
// same ledger; the verify page served by that gateway loads, then the whole
// stack (gateway and ledger) is stopped, and the page checks the receipt in
// Chromium: the devnet's real endorsements and CAs, WebCrypto and SM2 in the
// browser — VALID, and HASH_MISMATCH for a changed document (a second page
// load before the stop).
func TestReceiptOfflineE2E(t *testing.T) {
	b, s := startWebStack(t, gatewaytest.Options{})
	stop := func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	}
	ctx, c, depts := seeded(t, s, time.Minute)
	a := depts["dept-a"]
	dir := t.TempDir()
	content := []byte("Business licence No. 2026-0042, ACME Ltd.\n")
	rec, err := a.Certificate("lic-42", content, time.Now().Add(-time.Hour), time.Now().AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if r, err := s.Do(ctx, c, "POST", "/api/v1/certificates", gatewaytest.AClerk, rec); err != nil || r.Status != http.StatusCreated {
		t.Fatalf("issue: %v %+v", err, r)
	}
	var ev struct {
		Certificate struct {
			IssuedAt string `json:"issuedAt"`
		} `json:"certificate"`
		Channel     string          `json:"channel"`
		TxID        string          `json:"txId"`
		BlockNumber uint64          `json:"blockNumber"`
		Anchor      *receipt.Anchor `json:"anchor"`
	}
	if r, err := s.Do(ctx, c, "GET", "/api/v1/certificates/lic-42/receipt", "", nil); err != nil || r.Status != http.StatusOK || r.JSON(&ev) != nil {
		t.Fatalf("receipt evidence: %v %+v", err, r)
	}
	gov, _ := gm.GenerateKey()
	pin := trust.Fingerprint(&gov.PublicKey)
	var ci trust.ChannelInfo
	r, err := s.Do(ctx, c, "GET", "/api/v1/ledger/channel", "", nil)
	if err != nil || r.JSON(&ci) != nil {
		t.Fatal(err)
	}
	r, err = s.Do(ctx, c, "GET", "/api/v1/departments", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := trust.DecodeDepartments(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	sb, err := trust.Sign(trust.Build(trust.SourceFrom(&ci, ds, "gov", nil), time.Now()), gov)
	if err != nil {
		t.Fatal(err)
	}
	bundle, _ := sb.Marshal()
	pub, _ := gm.MarshalPublicKeyPEM(&a.Key.PublicKey)
	rc := &receipt.Receipt{Version: receipt.Version, Record: rec, IssuedAt: ev.Certificate.IssuedAt,
		IssuerKey: receipt.IssuerKey{DepartmentID: "dept-a", KeyID: rec.KeyID, PublicKey: string(pub)},
		Ledger:    receipt.Ledger{TxID: ev.TxID, BlockNumber: ev.BlockNumber, Channel: ev.Channel},
		Anchor:    ev.Anchor, BundleFingerprint: pin, Holder: json.RawMessage(`{}`)}
	rb, err := rc.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	o := webtest.Offline{Receipt: write("lic-42.receipt.json", rb), Document: write("licence.txt", content),
		Bundle: write("bundle.json", bundle), Pin: pin}

	// A changed document, checked with the stack still up (the page fetches nothing anyway).
	changed := o
	changed.Document = write("changed.txt", append([]byte("X"), content[1:]...))
	res := b.VerifyOffline(t, s.URL+"/", changed, nil)
	webtest.ExpectNoProblems(t, res)
	if res.Verdict != "HASH_MISMATCH" {
		t.Fatalf("changed document: %s %+v", res.Verdict, res.Steps)
	}

	res = b.VerifyOffline(t, s.URL+"/", o, stop)
	webtest.ExpectNoProblems(t, res)
	if res.Verdict != "VALID" || len(res.Unknown) != 3 {
		t.Fatalf("devnet receipt in the browser, stack stopped: %s %+v", res.Verdict, res.Steps)
	}
	if s3, _ := res.StepByNumber(3); s3.Code != "OK" {
		t.Fatalf("step 3: %+v", s3)
	}
	t.Logf("devnet receipt verified in the browser with the stack stopped in %.0f ms", res.OfflineMS)
}
