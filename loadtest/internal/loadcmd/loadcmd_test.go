package loadcmd

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/certledger/certledger/loadtest/benchcc"
	"github.com/certledger/certledger/network/devnet"
)

// childEnv makes this test binary act as certledger-load when the gateway run
// re-executes itself as its load-generator child (gateway client ...).
const childEnv = "CERTLEDGER_LOAD_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" && len(os.Args) > 2 && os.Args[1] == "gateway" {
		os.Exit(Run(context.Background(), append([]string{"certledger-load"}, os.Args[1:]...), os.Stdin, os.Stdout, os.Stderr))
	}
	code := m.Run()
	if toolsDir != "" {
		_ = os.RemoveAll(toolsDir) // binaries built by groupTools
	}
	os.Exit(code)
}

// run runs the command; it fails t unless the exit code is want.
func run(t *testing.T, want int, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(context.Background(), append([]string{"certledger-load"}, args...), strings.NewReader(""), &out, &errb)
	t.Logf("certledger-load %s:\n%s%s", strings.Join(args, " "), out.String(), errb.String())
	if code != want {
		t.Fatalf("exit code %d, want %d; stderr: %s", code, want, errb.String())
	}
	return out.String()
}

// noErrors matches the gateway table's error count when it is 0.
var noErrors = regexp.MustCompile(`(?m)^\s*errors\s+0\s*$`)

// wantClean fails t when the output reports a failed operation.
func wantClean(t *testing.T, out string, want ...string) {
	t.Helper()
	if strings.Contains(out, "first error") {
		t.Fatalf("a run reported failures:\n%s", out)
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Fatalf("output lacks %q:\n%s", w, out)
		}
	}
}

func skipE2E(t *testing.T) {
	t.Helper()
	if testing.Short() || os.Getenv("CERTLEDGER_SKIP_E2E") != "" {
		t.Skip("needs an in-process devnet (skipped by -short or CERTLEDGER_SKIP_E2E)")
	}
}

func TestUsageErrors(t *testing.T) {
	run(t, 2, "--format", "html", "devnet")
	run(t, 2, "devnet", "--concurrency", "1,x")
	run(t, 2, "devnet", "--records", "v3")
	run(t, 2, "gateway", "-n", "0")
	run(t, 2, "kpi", "--batch", "20000")
	run(t, 2, "readmodel", "--http-client", "curl")
	run(t, 2, "readmodel", "--cache-mib", "64")
	run(t, 2, "gateway", "client", "--mode", "grpc", "--records", "r")
	run(t, 2, "gateway", "client", "--mode", "rest", "--records", "r")
	run(t, 2, "gateway", "client", "--mode", "direct", "--url", "u", "--records", "r")
}

func TestDevnet(t *testing.T) {
	skipE2E(t)
	out := run(t, 0, "devnet", "--concurrency", "1,4", "--duration", "300ms", "--verify-concurrency", "4", "--stored", "0")
	wantClean(t, out, "certificate:Issue", "certificate:Verify", "process CPU/op")
}

// TestDevnetV2 issues v2 records (GB/T 36904 identifiers of a catalogue type):
// the department gets its code, the type is registered, every issue runs the
// catalogue check, and verify finds them.
func TestDevnetV2(t *testing.T) {
	skipE2E(t)
	out := run(t, 0, "devnet", "--records", "v2", "--concurrency", "2", "--duration", "300ms", "--verify-concurrency", "2", "--stored", "0")
	wantClean(t, out, "v2 records (GB/T 36904 identifiers", "certificate:Issue", "certificate:Verify")
}

// TestDevnetExternal runs the devnet as a certledger-devnet child, fills it and
// measures its start-up on the filled ledger.
func TestDevnetExternal(t *testing.T) {
	skipE2E(t)
	bin := filepath.Join(t.TempDir(), "certledger-devnet")
	build := exec.Command("go", "build", "-o", bin, "github.com/certledger/certledger/network/devnet/cmd/certledger-devnet")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out := run(t, 0, "devnet", "--external", "--devnet-bin", bin, "--concurrency", "2", "--duration", "300ms",
		"--verify-concurrency", "2", "--stored", "400")
	wantClean(t, out, "devnet CPU/op", "start-up with 400 certificates stored", "resident memory")
}

func TestGateway(t *testing.T) {
	skipE2E(t)
	out := run(t, 0, "gateway", "-n", "8", "--rounds", "1", "--concurrency", "4", "--verify-for", "300ms")
	wantClean(t, out, "gateway overhead, CPU")
	if !noErrors.MatchString(out) {
		t.Fatalf("errors reported:\n%s", out)
	}
}

func TestGatewayExternalClients(t *testing.T) {
	skipE2E(t)
	t.Setenv(childEnv, "1")
	out := run(t, 0, "gateway", "-n", "8", "--rounds", "1", "--concurrency", "4", "--verify-for", "300ms", "--external-clients")
	wantClean(t, out, "child process", "CPU (same process)")
	if !noErrors.MatchString(out) {
		t.Fatalf("errors reported:\n%s", out)
	}
}

func TestKPI(t *testing.T) {
	skipE2E(t)
	out := run(t, 0, "kpi", "--sizes", "40", "--calls", "1", "--batch", "30", "--transitions", "8")
	wantClean(t, out, "rollups, REST", "workorder:Accept (signed)")
}

// TestFabricOnDevnet runs the fabric subcommand through the connection profiles
// of a devnet running the bench chaincode (bench:Put available).
func TestFabricOnDevnet(t *testing.T) {
	skipE2E(t)
	dir := t.TempDir()
	if err := devnet.Init(dir, devnet.Config{}); err != nil {
		t.Fatal(err)
	}
	cc, err := benchcc.New()
	if err != nil {
		t.Fatal(err)
	}
	n, err := startInProcess(dir, cc)
	if err != nil {
		t.Fatal(err)
	}
	defer n.close()
	out := run(t, 0, "--format", "markdown", "fabric", "-profiles", filepath.Join(dir, "profiles"), "-c", "2", "-n", "10", "-rounds", "2", "-verify-n", "20")
	wantClean(t, out, "| plain write bench:Put | 2 |", "| certificate:Issue | 2 |", "| certificate:Verify |", "issuance / plain write at c=2")
}
