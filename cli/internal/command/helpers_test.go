package command

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certledger/certledger/cli/internal/client"
	"github.com/certledger/certledger/cli/internal/keyfile"
	"github.com/certledger/certledger/gateway/gatewaytest"
	"github.com/certledger/certledger/internal/gm"
)

func init() {
	gm.KDFIterations = 1000 // fast password-encrypted keys under -race
	// Tests must not see the developer's CERTLEDGER_* settings.
	for _, e := range os.Environ() {
		if strings.HasPrefix(e, "CERTLEDGER_") {
			_ = os.Unsetenv(strings.SplitN(e, "=", 2)[0])
		}
	}
}

func run(t *testing.T, args ...string) Result {
	t.Helper()
	return RunForTest(context.Background(), nil, args...)
}

func runIn(t *testing.T, stdin string, args ...string) Result {
	t.Helper()
	return RunForTest(context.Background(), strings.NewReader(stdin), args...)
}

func wantCode(t *testing.T, r Result, code int) {
	t.Helper()
	if r.Code != code {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.Code, code, r.Stdout, r.Stderr)
	}
}

// oneLine checks stderr is exactly one line containing want.
func oneLine(t *testing.T, r Result, want string) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(r.Stderr, "\n"), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], want) {
		t.Fatalf("stderr %q: want one line containing %q", r.Stderr, want)
	}
}

// env is a test world: the real gateway over the real chaincode (gatewaytest) with
// departments dept-a (whose key is in KeyPath) and dept-b registered, and a temp dir.
// Tokens: clerkToken (a clerk of dept-a), otherToken (a clerk of dept-b), adminToken
// (the governance administrator).
type env struct {
	t       *testing.T
	GW      *gatewaytest.Server
	Dir     string
	KeyPath string
	PubPath string
	KeyID   string
}

const (
	clerkToken = "tok-dept-a-clerk"
	adminToken = "tok-gov-admin"
	otherToken = "tok-dept-b-clerk"
)

func newEnv(t *testing.T, opts ...gatewaytest.Option) *env {
	t.Helper()
	return newEnvWith(t, opts, gatewaytest.Dept{ID: "dept-a"}, gatewaytest.Dept{ID: "dept-b"})
}

// newEnvWith registers depts in order (one must be dept-a, whose key goes to KeyPath).
func newEnvWith(t *testing.T, opts []gatewaytest.Option, depts ...gatewaytest.Dept) *env {
	t.Helper()
	e := &env{t: t, GW: gatewaytest.New(t, opts...), Dir: t.TempDir()}
	for _, d := range depts {
		reg := e.GW.Department(t, d)
		if d.ID == "dept-a" {
			e.KeyPath, e.PubPath, e.KeyID = writeKey(t, e.Dir, "a", reg)
		}
	}
	if clerkToken != e.GW.Token("dept-a", gatewaytest.Clerk) || otherToken != e.GW.Token("dept-b", gatewaytest.Clerk) || adminToken != e.GW.GovToken() {
		t.Fatal("gatewaytest names its tokens otherwise")
	}
	return e
}

// writeKey writes d's private key (unencrypted) and public key as name.pem and name.pub.
func writeKey(t *testing.T, dir, name string, d gatewaytest.Department) (keyPath, pubPath, keyID string) {
	t.Helper()
	priv, err := gm.MarshalPrivateKeyPEM(d.Key, nil)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM, keyID, err := keyfile.PublicPEM(&d.Key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	keyPath, pubPath = filepath.Join(dir, name+".pem"), filepath.Join(dir, name+".pub")
	if err := os.WriteFile(keyPath, priv, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pubPath, []byte(pubPEM), 0o644); err != nil {
		t.Fatal(err)
	}
	return keyPath, pubPath, keyID
}

// certificate reads certificate id from the ledger.
func (e *env) certificate(id string) (client.Certificate, bool) {
	e.t.Helper()
	r := e.GW.Do(e.t, "GET", "/api/v1/certificates/"+id, "", nil)
	if r.Status == 404 {
		return client.Certificate{}, false
	}
	var c client.Certificate
	if r.Status != 200 || json.Unmarshal(r.Body, &c) != nil {
		e.t.Fatalf("certificate %s: %d %s", id, r.Status, r.Body)
	}
	return c, true
}

// certificateCount is the number of certificates on the ledger.
func (e *env) certificateCount() int { return e.GW.Ledger.Count("certificate") }

// issueSubmits is the number of certificate:Issue transactions the gateway submitted.
func (e *env) issueSubmits() int { return e.GW.CountCalls("submit", "certificate:Issue") }

// run runs the CLI against the gateway with the clerk token.
func (e *env) run(args ...string) Result {
	e.t.Helper()
	return RunForTest(context.Background(), nil, append([]string{"--gateway", e.GW.URL, "--token", clerkToken}, args...)...)
}

func (e *env) file(name, content string) string { return writeFile(e.t, e.Dir, name, []byte(content)) }

// writeFile writes data to dir/name, making the folders name needs, and returns
// its path; a failure ends the test.
func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// deadGateway is a URL where nothing listens.
func deadGateway(t *testing.T) string {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := "http://" + lis.Addr().String()
	_ = lis.Close()
	return u
}
