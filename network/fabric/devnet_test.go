package fabric_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/network/devnet"
	"github.com/certledger/certledger/network/devnet/devnettest"
	"github.com/certledger/certledger/network/fabric/scenario"
)

// startDevnet runs an embedded devnet (the certledger chaincode in-process) on a free
// port for the test and returns its profile folder.
func startDevnet(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := devnet.Init(dir, devnet.DefaultConfig()); err != nil {
		t.Fatal(err)
	}
	cc, err := chaincode.New()
	if err != nil {
		t.Fatal(err)
	}
	devnettest.Serve(t, dir, devnet.WithChaincode(cc))
	return filepath.Join(dir, "profiles")
}

// TestScenarioOnDevnet plays the same scenario as TestNetwork on the embedded devnet (no
// Fabric binaries needed), so that both ledgers are held to one behaviour in every CI run.
func TestScenarioOnDevnet(t *testing.T) {
	scenario.Run(t, scenario.Options{ProfileDir: startDevnet(t)})
}

// TestGatewayCLIOnDevnet plays TestNetwork's gateway and CLI steps (RunGatewayCLI) on the
// embedded devnet: the gateway and CLI binaries are built and run as processes against
// the devnet's profiles. The devnet is one node, so the peer-down step is left out.
func TestGatewayCLIOnDevnet(t *testing.T) {
	if testing.Short() {
		t.Skip("builds certledger-gateway and certledger and runs them as processes; skipped with -short")
	}
	start := time.Now()
	bin := t.TempDir()
	if err := buildTools(bin); err != nil {
		t.Fatal(err)
	}
	t.Logf("built certledger-gateway and certledger in %v", time.Since(start).Round(time.Millisecond))
	profiles := startDevnet(t)
	u, err := devnet.AddUser(filepath.Dir(profiles), "dept-a", "clerk1", "client")
	if err != nil {
		t.Fatal(err)
	}
	RunGatewayCLI(t, GatewayCLIOptions{ProfileDir: profiles, Bin: bin, ClerkA: &PersonIdentity{Cert: u.Cert, Key: u.Key, Operator: u.Operator}})
	t.Logf("gateway and CLI on the devnet in %v (build included)", time.Since(start).Round(time.Millisecond))
}
