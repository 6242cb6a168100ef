package bench

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// TestRunSmall runs the benchmark with tiny numbers to keep the command working;
// the figures are printed, never asserted.
func TestRunSmall(t *testing.T) {
	if testing.Short() || os.Getenv("CERTLEDGER_SKIP_E2E") != "" {
		t.Skip("needs an in-process devnet (skipped by -short or CERTLEDGER_SKIP_E2E)")
	}
	var out bytes.Buffer
	res, err := Run(context.Background(), Options{N: 10, Rounds: 1, Concurrency: 4, VerifyFor: 300 * time.Millisecond, Dir: t.TempDir()}, &out)
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + out.String())
	if res.Errors != 0 || res.VerifyRequests == 0 || !strings.Contains(out.String(), "gateway overhead") {
		t.Fatalf("%+v", res)
	}
}
