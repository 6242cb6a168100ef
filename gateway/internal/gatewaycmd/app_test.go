package gatewaycmd

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/certledger/certledger/gateway/gatewaytest"
	"github.com/certledger/certledger/gateway/internal/config"
	"github.com/certledger/certledger/internal/profile"
	"github.com/certledger/certledger/internal/testkit"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func run(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	a := append([]string{"certledger-gateway"}, args...)
	old := os.Stdin
	defer func() { os.Stdin = old }()
	r, w, _ := os.Pipe()
	_, _ = io.WriteString(w, stdin)
	_ = w.Close()
	os.Stdin = r
	err := Run(context.Background(), a, &out, &errb)
	return out.String(), err
}

func TestHashToken(t *testing.T) {
	out, err := run(t, "", "hash-token", "test")
	if err != nil || strings.TrimSpace(out) != config.HashToken("test") {
		t.Fatalf("%q %v", out, err)
	}
	out, err = run(t, "s3cret\n", "hash-token")
	if err != nil || strings.TrimSpace(out) != config.HashToken("s3cret") {
		t.Fatalf("stdin: %q %v", out, err)
	}
	if _, err := run(t, "\n", "hash-token"); err == nil {
		t.Fatal("empty token accepted")
	}
}

func TestOpenAPICommand(t *testing.T) {
	out, err := run(t, "", "openapi", "--public-url", "https://verify.example.gov")
	if err != nil || !strings.Contains(out, `"openapi": "3.1.0"`) || !strings.Contains(out, "https://verify.example.gov") {
		t.Fatalf("%.200s %v", out, err)
	}
}

func TestServeNeedsConfig(t *testing.T) {
	t.Setenv("CERTLEDGER_GATEWAY_CONFIG", "")
	if _, err := run(t, ""); err == nil || !strings.Contains(err.Error(), "--config") {
		t.Fatalf("err = %v", err)
	}
}

// TestServe runs the real command against an in-process devnet: config from a
// file, the API and the web page on one port, an event stream open while SIGTERM
// (a cancelled context) shuts it down.
func TestServe(t *testing.T) {
	if testing.Short() || os.Getenv("CERTLEDGER_SKIP_E2E") != "" {
		t.Skip("needs an in-process devnet (skipped by -short or CERTLEDGER_SKIP_E2E)")
	}
	s, err := gatewaytest.Start(t.TempDir(), gatewaytest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	}()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	_ = lis.Close()
	opsAddr := testkit.FreeAddr(t)
	cfg := fmt.Sprintf(`listen: %s
operations: {listen: %s}
publicURL: http://%s
governanceDepartment: gov
orgs:
  - {name: gov, profile: %s}
  - {name: dept-a, profile: %s}
tokens:
  - {id: auditor, sha256: %s, department: dept-a, org: dept-a, role: auditor}
timeouts: {shutdown: 5s}
readModel: {dir: %s, headInterval: 100ms}
coalesce: {window: 5ms}
`, addr, opsAddr, addr, s.Profiles["gov"], s.Profiles["dept-a"], config.HashToken("audit-token"), filepath.Join(t.TempDir(), "readmodel"))
	path := filepath.Join(t.TempDir(), "gateway.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := run(t, "", "--config", path, "check-config"); err != nil || !strings.HasPrefix(out, "ok:") {
		t.Fatalf("check-config: %q %v", out, err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, []string{"certledger-gateway", "--config", path, "--log-level", "warn"}, io.Discard, io.Discard)
	}()
	c := &http.Client{Timeout: 10 * time.Second}
	defer c.CloseIdleConnections()
	base := "http://" + addr
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := c.Get(base + "/readyz")
		if err == nil {
			_ = res.Body.Close()
			if res.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("gateway not ready: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, p := range []struct {
		url  string
		want int
	}{
		{base + "/", 200}, {base + "/verify?id=c-1", 200}, {base + "/api/v1/openapi.json", 200},
		// Issue 12 item 2: metrics only on the operations listener.
		{base + "/metrics", 404},
		{"http://" + opsAddr + "/metrics", 200}, {"http://" + opsAddr + "/readyz", 200}, {"http://" + opsAddr + "/healthz", 200},
	} {
		res, err := c.Get(p.url)
		if err != nil {
			t.Fatal(err)
		}
		_ = res.Body.Close()
		if res.StatusCode != p.want {
			t.Fatalf("GET %s: %d, want %d", p.url, res.StatusCode, p.want)
		}
	}

	// The read model catches up and answers verify, stating its height.
	for {
		res, err := c.Get(base + "/api/v1/verify?id=c-1")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		_ = res.Body.Close()
		if strings.Contains(string(b), `"source":"readModel"`) && strings.Contains(string(b), `"height":`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("verify never answered by the read model: %s", b)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// An open event stream must not hold up the shutdown.
	req, _ := http.NewRequest("GET", base+"/api/v1/events?fromBlock=0", nil)
	req.Header.Set("Authorization", "Bearer audit-token")
	res, err := (&http.Client{}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() && !strings.HasPrefix(sc.Text(), "event: ") {
	}
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("shutdown hung")
	}
	for sc.Scan() {
	}
	_ = res.Body.Close()
	if d := time.Since(start); d > 6*time.Second {
		t.Errorf("shutdown took %v", d)
	}
}

// Issue 12 item 5: /readyz reflects every organisation the gateway submits as, not
// only the first: a department whose peer is unreachable makes it 503.
func TestReadyEveryOrganisation(t *testing.T) {
	if testing.Short() || os.Getenv("CERTLEDGER_SKIP_E2E") != "" {
		t.Skip("needs an in-process devnet (skipped by -short or CERTLEDGER_SKIP_E2E)")
	}
	s, err := gatewaytest.Start(t.TempDir(), gatewaytest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close() }()
	// dept-b's profile, pointing at a port nobody listens on.
	raw, err := os.ReadFile(s.Profiles["dept-b"])
	if err != nil {
		t.Fatal(err)
	}
	p, err := profile.Load(s.Profiles["dept-b"])
	if err != nil {
		t.Fatal(err)
	}
	deadB := filepath.Join(filepath.Dir(s.Profiles["dept-b"]), "dept-b-dead.yaml")
	if err := os.WriteFile(deadB, bytes.ReplaceAll(raw, []byte(p.Peer.Endpoint), []byte(testkit.FreeAddr(t))), 0o600); err != nil {
		t.Fatal(err)
	}
	addr, opsAddr := testkit.FreeAddr(t), testkit.FreeAddr(t)
	cfg := fmt.Sprintf("listen: %s\norgs:\n  - {name: gov, profile: %s}\n  - {name: dept-b, profile: %s}\ntimeouts: {shutdown: 2s, evaluate: 1s}\n",
		addr, s.Profiles["gov"], deadB)
	path := filepath.Join(t.TempDir(), "gateway.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, []string{"certledger-gateway", "--config", path, "--operations-listen", opsAddr, "--log-level", "error"}, io.Discard, io.Discard)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Logf("serve: %v", err)
		}
	}()
	c := &http.Client{Timeout: 10 * time.Second}
	defer c.CloseIdleConnections()
	get := func(url string) (int, string) {
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			res, err := c.Get(url)
			if err == nil {
				b, _ := io.ReadAll(res.Body)
				_ = res.Body.Close()
				return res.StatusCode, string(b)
			}
			if time.Now().After(deadline) {
				t.Fatalf("GET %s: %v", url, err)
			}
		}
	}
	if code, body := get("http://" + addr + "/readyz"); code != 503 {
		t.Errorf("public readyz with dept-b unreachable: %d %s", code, body)
	}
	if code, body := get("http://" + opsAddr + "/readyz"); code != 503 || !strings.Contains(body, "dept-b") {
		t.Errorf("operations readyz: %d %s", code, body)
	}
}
