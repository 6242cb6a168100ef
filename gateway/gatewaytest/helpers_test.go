package gatewaytest_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/certledger/certledger/gateway/gatewaytest"
	"github.com/certledger/certledger/gateway/internal/httpapi"
	"github.com/certledger/certledger/gateway/web"
	"github.com/certledger/certledger/gateway/web/webtest"
	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/loadtest/record"
)

func signWith(d *record.Dept, rec httpapi.CertificateRecord) (string, error) {
	rec.Signature = ""
	return canon.Sign(d.Key, canon.KindCertificate, rec)
}

// seeded seeds s's two departments and returns them with a context that ends
// after within and an HTTP client; both are released when the test ends.
func seeded(t *testing.T, s *gatewaytest.Stack, within time.Duration) (context.Context, *http.Client, map[string]*record.Dept) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	t.Cleanup(cancel)
	c := &http.Client{Timeout: 30 * time.Second}
	t.Cleanup(c.CloseIdleConnections)
	depts, err := s.Seed(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	return ctx, c, depts
}

// startWebStack opens the browser (skipping without Chromium unless
// CERTLEDGER_REQUIRE_BROWSER=1), then starts the stack with o serving the web
// pages.
func startWebStack(t *testing.T, o gatewaytest.Options) (*webtest.Browser, *gatewaytest.Stack) {
	t.Helper()
	skipUnlessE2E(t)
	b := webtest.New(t)
	o.Web = web.Handler()
	return b, startStackWith(t, o)
}
