package trust_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/trust"
)

var update = flag.Bool("update", false, "rewrite testdata/example-bundle.*")

// TestExampleBundle keeps testdata/example-bundle.json (a signed bundle of height 7
// with dept-a first) verifying against testdata/example-bundle.pin. The in-browser
// verifier (gateway/web/static/offline.js) is tested against the same files.
// Regenerate with: go test ./internal/trust -run ExampleBundle -update
func TestExampleBundle(t *testing.T) {
	file, pinFile := filepath.Join("testdata", "example-bundle.json"), filepath.Join("testdata", "example-bundle.pin")
	if *update {
		f := newFixture(t, 0)
		f.src.Height, f.src.BlockTime = 7, time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
		f.src.Departments[0].Keys = f.src.Departments[0].Keys[2:] // the current key only
		f.src.Departments[0].Keys[0].ValidFrom = wire.FormatTime(t0)
		s, err := trust.Sign(trust.Build(f.src, time.Date(2026, 12, 1, 8, 0, 1, 0, time.UTC)), f.gov)
		if err != nil {
			t.Fatal(err)
		}
		out, err := s.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, out, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(pinFile, []byte(s.Bundle.Fingerprint()+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	pin, err := os.ReadFile(pinFile)
	if err != nil {
		t.Fatal(err)
	}
	s, err := trust.Verify(data, strings.TrimSpace(string(pin)))
	if err != nil {
		t.Fatal(err)
	}
	if s.Bundle.Height != 7 || s.Bundle.Departments[0].ID != "dept-a" {
		t.Fatalf("unexpected example bundle: height %d, first department %s", s.Bundle.Height, s.Bundle.Departments[0].ID)
	}
}
