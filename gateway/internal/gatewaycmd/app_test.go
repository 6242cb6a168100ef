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
	cfg := fmt.Sprintf(`listen: %s
publicURL: http://%s
governanceDepartment: gov
orgs:
  - {name: gov, profile: %s}
  - {name: dept-a, profile: %s}
tokens:
  - {id: auditor, sha256: %s, department: dept-a, org: dept-a, role: auditor}
timeouts: {shutdown: 5s}
`, addr, addr, s.Profiles["gov"], s.Profiles["dept-a"], config.HashToken("audit-token"))
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
	for _, p := range []string{"/", "/verify?id=c-1", "/api/v1/openapi.json", "/metrics"} {
		res, err := c.Get(base + p)
		if err != nil {
			t.Fatal(err)
		}
		_ = res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("GET %s: %d", p, res.StatusCode)
		}
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
