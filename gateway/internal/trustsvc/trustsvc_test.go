package trustsvc_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certledger/certledger/gateway/internal/trustsvc"
	"github.com/certledger/certledger/internal/trust"
)

// The example bundle of internal/trust and its pin.
func example(t *testing.T) ([]byte, string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "internal", "trust", "testdata", "example-bundle.json"))
	if err != nil {
		t.Fatal(err)
	}
	pin, err := os.ReadFile(filepath.Join("..", "..", "..", "internal", "trust", "testdata", "example-bundle.pin"))
	if err != nil {
		t.Fatal(err)
	}
	return data, strings.TrimSpace(string(pin))
}

func TestStore(t *testing.T) {
	data, pin := example(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "b.json")

	if _, err := trustsvc.Open(path, "xyz"); !errors.Is(err, trust.ErrBadPin) {
		t.Fatalf("bad pin: %v", err)
	}
	none, err := trustsvc.Open("", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := none.Publish(data); !errors.Is(err, trustsvc.ErrNoPin) {
		t.Fatalf("publish without pin: %v", err)
	}
	s, err := trustsvc.Open(path, pin)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Current(); !errors.Is(err, trustsvc.ErrNoBundle) {
		t.Fatalf("empty store: %v", err)
	}
	if _, err := s.Publish([]byte("{}")); !errors.Is(err, trust.ErrMalformed) {
		t.Fatalf("junk: %v", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a refused bundle was written")
	}
	if _, err := s.Publish(data); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Publish(data); err != nil { // the same file again is fine
		t.Fatal(err)
	}
	// A file that no longer verifies stops the gateway from starting.
	if err := os.WriteFile(path, append([]byte(" "), data[:len(data)-20]...), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := trustsvc.Open(path, pin); !errors.Is(err, trust.ErrMalformed) {
		t.Fatalf("corrupt file: %v", err)
	}
	other := strings.Repeat("ab", 32)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := trustsvc.Open(path, other); !errors.Is(err, trust.ErrUntrusted) {
		t.Fatalf("other pin: %v", err)
	}
}
