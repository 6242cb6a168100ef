package command

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Issue 12 item 3: the token can come from a file (or CERTLEDGER_TOKEN), so it
// never has to be on a command line.
func TestTokenFile(t *testing.T) {
	var (
		mu   sync.Mutex
		auth []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auth = append(auth, r.Header.Get("Authorization"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":"c-1","status":"valid"}`))
	}))
	defer srv.Close()
	dir := t.TempDir()
	file := writeFile(t, dir, "token", []byte("s3cret-token\n"))
	empty := writeFile(t, dir, "empty", []byte("\n"))
	run := func(args ...string) Result {
		return RunForTest(context.Background(), nil, append([]string{"--gateway", srv.URL}, args...)...)
	}
	if r := run("--token-file", file, "cert", "show", "c-1"); r.Code != 0 {
		t.Fatalf("--token-file: %d %s", r.Code, r.Stderr)
	}
	t.Setenv("CERTLEDGER_TOKEN_FILE", file)
	if r := run("cert", "show", "c-1"); r.Code != 0 {
		t.Fatalf("CERTLEDGER_TOKEN_FILE: %d %s", r.Code, r.Stderr)
	}
	mu.Lock()
	got := strings.Join(auth, ",")
	mu.Unlock()
	if got != "Bearer s3cret-token,Bearer s3cret-token" {
		t.Fatalf("Authorization headers %q", got)
	}
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"both", []string{"--token", "x", "cert", "show", "c-1"}, "not both"},
		{"empty", []string{"--token-file", empty, "cert", "show", "c-1"}, "empty"},
		{"missing", []string{"--token-file", filepath.Join(dir, "none"), "cert", "show", "c-1"}, "token file"},
	} {
		if r := run(c.args...); r.Code != ExitUsage || !strings.Contains(r.Stderr, c.want) {
			t.Errorf("%s: %d %s", c.name, r.Code, r.Stderr)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(auth) != 2 {
		t.Errorf("a refused token setting still sent %d requests", len(auth)-2)
	}
}
