package command

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/sm2"

	"github.com/certledger/certledger/gateway/gatewaytest"
	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/gm"
	"github.com/certledger/certledger/internal/receipt"
	"github.com/certledger/certledger/internal/testkit"
)

// TestReceiptV2Offline: against a devnet (real endorsements, real CAs), cert
// issue writes a v2 receipt; trust export writes the bundle; cert verify
// --offline with the bundle and the pin is VALID and names what it cannot
// know; a tampered document, a bundle signed by another key, a forged receipt
// (own key) and a missing bundle are not VALID.
func TestReceiptV2Offline(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test against an in-process devnet skipped (-short)")
	}
	st, err := gatewaytest.Start(t.TempDir(), gatewaytest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	depts, err := st.Seed(context.Background(), &http.Client{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	keyPEM, _ := gm.MarshalPrivateKeyPEM(depts["dept-a"].Key, nil)
	keyPath := filepath.Join(dir, "a.pem")
	_ = os.WriteFile(keyPath, keyPEM, 0o600)
	gov := filepath.Join(dir, "gov.pem")
	wantCode(t, run(t, "keys", "generate", "--out", gov), 0)
	pin := testkit.KeyFilePin(t, gov)
	t.Setenv("CERTLEDGER_TRUST_PIN", pin)

	doc := filepath.Join(dir, "licence.txt")
	_ = os.WriteFile(doc, []byte("Business licence No. 7, ACME Ltd.\n"), 0o644)
	gw := []string{"--gateway", st.URL, "--token", st.Tokens[gatewaytest.AClerk]}
	r := run(t, append(gw, "cert", "issue", "--key", keyPath, "--file", doc, "--type", "business-licence", "--valid-until", "2099-12-31",
		"--holder-id", "91110000ACME", "--id", "lic-7", "--out-dir", dir)...)
	wantCode(t, r, 0)
	if !strings.Contains(r.Stdout, receipt.Version) {
		t.Fatalf("issue:\n%s", r.Stdout)
	}
	rp := filepath.Join(dir, "lic-7.receipt.json")
	raw, _ := os.ReadFile(rp)
	rc, err := receipt.Parse(raw)
	if err != nil || rc.BundleFingerprint != pin || len(rc.Anchor.Endorsements) < 2 {
		t.Fatalf("v2 receipt: %v", err)
	}

	bundle := filepath.Join(dir, "bundle.json")
	wantCode(t, run(t, "--gateway", st.URL, "--token", st.Tokens[gatewaytest.GovAdmin], "trust", "export", "--key", gov, "--out", bundle), 0)

	offline := func(receiptPath, bundlePath string, extra ...string) Result {
		args := []string{"--gateway", "http://127.0.0.1:1", "cert", "verify", "--receipt", receiptPath, "--offline", "--pin", pin}
		if bundlePath != "" {
			args = append(args, "--bundle", bundlePath)
		}
		return run(t, append(args, extra...)...)
	}
	r = offline(rp, bundle, doc)
	wantCode(t, r, 0)
	for _, want := range []string{"verdict: VALID", "3     anchor", "not known offline", "DeptAMSP", "was committed valid"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("offline VALID lacks %q:\n%s", want, r.Stdout)
		}
	}
	r = offline(rp, bundle, doc, "-o", "json", "--holder-id", "91110000ACME")
	wantCode(t, r, 0)
	var rep struct {
		Verdict string   `json:"verdict"`
		Unknown []string `json:"unknown"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &rep); err != nil || rep.Verdict != "VALID" || len(rep.Unknown) != 3 {
		t.Fatalf("json: %v %+v", err, rep)
	}

	tampered := filepath.Join(dir, "tampered.txt")
	_ = os.WriteFile(tampered, []byte("Business licence No. 8, ACME Ltd.\n"), 0o644)
	r = offline(rp, bundle, tampered)
	wantCode(t, r, 1)
	if !strings.Contains(r.Stdout, "verdict: HASH_MISMATCH") {
		t.Fatal(r.Stdout)
	}

	// A bundle signed by a key other than the pinned one.
	rogue := filepath.Join(dir, "rogue.pem")
	wantCode(t, run(t, "keys", "generate", "--out", rogue), 0)
	rogueBundle := filepath.Join(dir, "rogue.json")
	wantCode(t, run(t, "--gateway", st.URL, "--token", st.Tokens[gatewaytest.GovAdmin], "trust", "export", "--key", rogue, "--out", rogueBundle), 0)
	r = offline(rp, rogueBundle, doc)
	wantCode(t, r, 1)
	if !strings.Contains(r.Stdout, "verdict: UNTRUSTED_BUNDLE") {
		t.Fatal(r.Stdout)
	}

	// A forged receipt: the record re-signed with the forger's own key.
	own, _ := gm.GenerateKey()
	ownPEM, _ := gm.MarshalPublicKeyPEM(&own.PublicKey)
	forged := *rc
	forged.Record.KeyID = gm.KeyID(&own.PublicKey)
	forged.IssuerKey.KeyID, forged.IssuerKey.PublicKey = forged.Record.KeyID, string(ownPEM)
	forged.Record.Signature = resignRecord(t, own, forged.Record)
	fb, _ := forged.Marshal()
	fp := filepath.Join(dir, "forged.json")
	_ = os.WriteFile(fp, fb, 0o600)
	r = offline(fp, bundle, doc)
	wantCode(t, r, 1)
	if strings.Contains(r.Stdout, "verdict: VALID") || !strings.Contains(r.Stdout, "UNKNOWN_KEY") {
		t.Fatal(r.Stdout)
	}

	// Without a bundle the key is nobody's word: never VALID.
	r = offline(rp, "", doc)
	wantCode(t, r, 1)
	if !strings.Contains(r.Stdout, "UNTRUSTED_KEY") {
		t.Fatal(r.Stdout)
	}
	// Online the v2 receipt verifies as any receipt.
	wantCode(t, run(t, "--gateway", st.URL, "cert", "verify", "--receipt", rp, doc), 0)
}

func resignRecord(t *testing.T, k *sm2.PrivateKey, r certificate.Record) string {
	t.Helper()
	sig, err := canon.Sign(k, canon.KindCertificate, r)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}
