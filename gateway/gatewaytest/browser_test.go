package gatewaytest_test

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/certledger/certledger/gateway/gatewaytest"
	"github.com/certledger/certledger/gateway/web/webtest"
)

// TestBrowserE2E drives the verify page in headless Chromium against the gateway
// and the devnet: a genuine file is VALID, a one-byte change matches nothing, a
// revoked certificate's file is REVOKED, the QR link verifies by itself. Skipped
// (with the reason) without Chromium unless CERTLEDGER_REQUIRE_BROWSER=1.
func TestBrowserE2E(t *testing.T) {
	b, s := startWebStack(t, gatewaytest.Options{})
	ctx, c, depts := seeded(t, s, time.Minute)
	a := depts["dept-a"]
	dir := t.TempDir()
	now := time.Now().UTC()
	issue := func(id, name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		rec, err := a.Certificate(id, []byte(content), now.Add(-time.Hour), now.AddDate(1, 0, 0))
		if err != nil {
			t.Fatal(err)
		}
		r, err := s.Do(ctx, c, "POST", "/api/v1/certificates", gatewaytest.AClerk, rec)
		if err != nil || r.Status != http.StatusCreated {
			t.Fatalf("issue %s: %v %+v", id, err, r)
		}
		return path
	}
	genuine := issue("c-genuine", "licence.txt", "Business licence No. 2026-0001, ACME Ltd.\n")
	revoked := issue("c-revoked", "permit.txt", "Food permit No. 77, withdrawn.\n")
	var cert struct {
		TxID string `json:"txId"`
	}
	r, err := s.Do(ctx, c, "GET", "/api/v1/certificates/c-revoked", "", nil)
	if err != nil || r.JSON(&cert) != nil {
		t.Fatal(err)
	}
	sr, _ := a.StatusRequest("c-revoked", "revoke", "withdrawn", cert.TxID)
	if r, err := s.Do(ctx, c, "POST", "/api/v1/certificates/c-revoked/revoke", gatewaytest.AClerk, sr); err != nil || r.Status != 200 {
		t.Fatalf("revoke: %v %+v", err, r)
	}
	webtest.RunSuite(t, b, s.URL, webtest.Fixtures{GenuineFile: genuine, GenuineID: "c-genuine", RevokedFile: revoked})
}
