package loadcmd

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/certledger/certledger/network/devnet"
)

var (
	toolsOnce sync.Once
	toolsDir  string
	errTools  error
)

// groupTools builds certledger-gateway and certledger-devnet once for the
// grouped-issue tests.
func groupTools(t *testing.T) (gateway, devnetBin string) {
	t.Helper()
	toolsOnce.Do(func() {
		if toolsDir, errTools = os.MkdirTemp("", "certledger-load-test-bin-"); errTools != nil {
			return
		}
		out, err := exec.Command("go", "build", "-o", toolsDir+"/", "github.com/certledger/certledger/gateway/cmd/certledger-gateway",
			"github.com/certledger/certledger/network/devnet/cmd/certledger-devnet").CombinedOutput()
		if err != nil {
			errTools = err
			t.Logf("go build: %s", out)
		}
	})
	if errTools != nil {
		t.Fatal(errTools)
	}
	return filepath.Join(toolsDir, "certledger-gateway"), filepath.Join(toolsDir, "certledger-devnet")
}

func TestGroupUsageErrors(t *testing.T) {
	run(t, 2, "gateway", "--group", "-1")
	run(t, 2, "gateway", "--group", "20000")
	run(t, 2, "gateway", "--group", "10", "--groups", "0")
	run(t, 2, "fabric", "--group", "10", "--group-c", "0")
}

// TestGroupDevnet: gateway --group with a certledger-devnet and a
// certledger-gateway process; every record issued, both runs reported.
func TestGroupDevnet(t *testing.T) {
	skipE2E(t)
	gw, dn := groupTools(t)
	out := run(t, 0, "gateway", "--group", "20", "--groups", "3", "--group-c", "2", "--rounds", "2", "-n", "6", "--concurrency", "2",
		"--gateway-bin", gw, "--devnet-bin", dn)
	wantClean(t, out, "grouped issue, REST, 20 per group (c=2)", "single issue, REST (c=2)", "grouped / single", "devnet", "certificates/s per free core")
}

// TestGroupFabricOnDevnet runs fabric --group --with-devnet through the
// connection profiles of an in-process devnet (the path a real network takes,
// without Fabric), then on a devnet process, and prints both side by side.
func TestGroupFabricOnDevnet(t *testing.T) {
	skipE2E(t)
	gw, dn := groupTools(t)
	profiles := inProcessProfiles(t)
	out := run(t, 0, "fabric", "-profiles", profiles, "--group", "10", "--groups", "2", "--rounds", "1", "-n", "4", "-c", "2",
		"--gateway-bin", gw, "--with-devnet", "--devnet-bin", dn)
	wantClean(t, out, "grouped issue, REST, 10 per group (c=4)", "single issue, REST (c=2)", "gateway", "side by side in one run", "real Fabric", "devnet")
}

// TestGroupOnFabric runs fabric --group against a running Fabric network
// (network/fabric: FABRIC_STATE of `network.sh up && deploy`), when one is named.
func TestGroupOnFabric(t *testing.T) {
	state := os.Getenv("CERTLEDGER_LOAD_FABRIC_STATE")
	if state == "" || os.Getenv("FABRIC_BIN") == "" {
		t.Skip("needs a running Fabric network: FABRIC_BIN and CERTLEDGER_LOAD_FABRIC_STATE=<network.sh state folder> (network/fabric/README.md)")
	}
	gw, _ := groupTools(t)
	out := run(t, 0, "fabric", "-profiles", filepath.Join(state, "profiles"), "-state", state, "--group", "100", "--groups", "4",
		"--rounds", "1", "-n", "64", "-c", "32", "--gateway-bin", gw)
	wantClean(t, out, "grouped issue, REST, 100 per group", "peers", "chaincode")
}

// inProcessProfiles starts an in-process devnet for the test and returns its
// connection profiles' folder (the path a real network's profiles take).
func inProcessProfiles(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := devnet.Init(dir, devnet.Config{}); err != nil {
		t.Fatal(err)
	}
	n, err := startInProcess(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.close)
	return filepath.Join(dir, "profiles")
}
