package command

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certledger/certledger/cli/internal/fakegw"
	"github.com/certledger/certledger/cli/internal/keyfile"
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

// env is a test world: a fake gateway with one department "dept-a" whose key is in
// KeyPath, a clerk token of dept-a, an admin token, and a temp dir.
type env struct {
	t       *testing.T
	GW      *fakegw.Gateway
	Dir     string
	KeyPath string
	PubPath string
	KeyID   string
}

const (
	clerkToken = "clerk-a"
	adminToken = "admin"
	otherToken = "clerk-b"
)

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, GW: fakegw.New(), Dir: t.TempDir()}
	t.Cleanup(e.GW.Close)
	e.KeyPath = filepath.Join(e.Dir, "a.pem")
	e.PubPath = filepath.Join(e.Dir, "a.pub")
	k, err := gm.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	priv, _ := gm.MarshalPrivateKeyPEM(k, nil)
	pubPEM, keyID, _ := keyfile.PublicPEM(&k.PublicKey)
	if err := os.WriteFile(e.KeyPath, priv, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(e.PubPath, []byte(pubPEM), 0o644); err != nil {
		t.Fatal(err)
	}
	e.KeyID = keyID
	if err := e.GW.AddDepartment("dept-a", "OrgAMSP", pubPEM); err != nil {
		t.Fatal(err)
	}
	if err := e.GW.AddDepartment("dept-b", "OrgBMSP"); err != nil {
		t.Fatal(err)
	}
	e.GW.AddToken(clerkToken, "dept-a")
	e.GW.AddToken(otherToken, "dept-b")
	e.GW.AddToken(adminToken, "")
	return e
}

// run runs the CLI against the fake gateway with the clerk token.
func (e *env) run(args ...string) Result {
	e.t.Helper()
	return RunForTest(context.Background(), nil, append([]string{"--gateway", e.GW.URL, "--token", clerkToken}, args...)...)
}

func (e *env) file(name, content string) string {
	p := filepath.Join(e.Dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// deadGateway is a URL where nothing listens.
func deadGateway(t *testing.T) string {
	gw := fakegw.New()
	u := gw.URL
	gw.Close()
	return u
}
