package e2e

import (
	"testing"

	"github.com/certledger/certledger/gateway/web/webtest"
)

// TestVerifyPage drives the verify page of the real gateway in headless Chromium
// (gateway/web/webtest): a genuine file issued with the CLI is VALID, a one-byte
// change matches nothing, a revoked certificate's file is REVOKED, the QR link works.
// Skipped with the reason when Chromium is missing (failed if CERTLEDGER_REQUIRE_BROWSER=1).
func TestVerifyPage(t *testing.T) {
	e := need(t)
	b := webtest.New(t)
	t.Parallel()
	dir := t.TempDir()
	genuine := uniqueDoc(t, dir, "genuine-licence.txt")
	g := e.issue(t, dir, tokA, e.keys["dept-a"], genuine)
	revoked := uniqueDoc(t, dir, "revoked-licence.txt")
	r := e.issue(t, dir, tokA, e.keys["dept-a"], revoked)
	e.ok(t, dir, tokA, "cert", "revoke", r.Record.ID, "--reason", "fraud", "--key", e.keys["dept-a"])
	e.wantVerdict(t, dir, "REVOKED", revoked)

	webtest.RunSuite(t, b, e.url, webtest.Fixtures{GenuineFile: genuine, GenuineID: g.Record.ID, RevokedFile: revoked})
}
