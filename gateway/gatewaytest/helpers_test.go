package gatewaytest_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/cli/clitest"
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

// cliRun runs the certledger CLI in-process against a stack; dir holds the
// files a test writes for it.
type cliRun struct {
	ctx context.Context
	t   *testing.T
	s   *gatewaytest.Stack
	dir string
}

func newCLIRun(ctx context.Context, t *testing.T, s *gatewaytest.Stack) *cliRun {
	return &cliRun{ctx: ctx, t: t, s: s, dir: t.TempDir()}
}

// run runs certledger args with token's bearer token ("" = anonymous).
func (c *cliRun) run(token string, args ...string) clitest.Result {
	c.t.Helper()
	full := []string{"--gateway", c.s.URL}
	if token != "" {
		full = append(full, "--token", c.s.Tokens[token])
	}
	return clitest.Run(c.ctx, nil, append(full, args...)...)
}

// must is run that fails the test unless certledger exits 0; it returns stdout.
func (c *cliRun) must(token string, args ...string) string {
	c.t.Helper()
	r := c.run(token, args...)
	if r.Code != 0 {
		c.t.Fatalf("certledger %s: exit %d\n%s%s", strings.Join(args, " "), r.Code, r.Stdout, r.Stderr)
	}
	return r.Stdout
}

// write writes content to dir/name and returns its path.
func (c *cliRun) write(name, content string) string {
	c.t.Helper()
	p := filepath.Join(c.dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		c.t.Fatal(err)
	}
	return p
}

// The departments' unified social credit codes and the certificate types of
// the type catalogue tests.
const (
	codeA       = "11330100MB1234567E"
	codeB       = "11330100MB0000010P"
	licenceType = "11100000MB0143028R001"
	estateType  = "11100000000013338W011"
)

// registerCatalogue gives dept-a and dept-b their codes and registers the
// business licence (issued by dept-a) and the real estate title (dept-b).
func (c *cliRun) registerCatalogue() {
	c.t.Helper()
	c.must(gatewaytest.GovAdmin, "dept", "set-code", "dept-a", codeA)
	c.must(gatewaytest.GovAdmin, "dept", "set-code", "dept-b", codeB)
	c.must(gatewaytest.GovAdmin, "type", "add", "--code", licenceType, "--name", "营业执照", "--name-en", "Business licence",
		"--defining-body", "国家市场监督管理总局", "--holder-code-type", "001", "--default-validity", "P20Y", "--issuer", "dept-a")
	c.must(gatewaytest.GovAdmin, "type", "add", "--code", estateType, "--name", "不动产权证书", "--name-en", "Real estate title certificate",
		"--defining-body", "自然资源部", "--holder-code-type", "111", "--issuer", "dept-b")
}
