package e2e

import (
	"path/filepath"
	"testing"

	"github.com/certledger/certledger/network/fabric/scenario"
)

// TestFabricScenarioOnDevnet plays network/fabric's ledger scenario (the one the real
// Fabric network must pass) against the devnet's connection profiles, through the
// fabric-gateway client: both ledgers are held to one behaviour. The devnet is one
// node, so the peer-down step (StopPeer) is left out.
func TestFabricScenarioOnDevnet(t *testing.T) {
	e := need(t)
	t.Parallel()
	scenario.Run(t, scenario.Options{
		ProfileDir: filepath.Join(e.devnetDir, "profiles"),
		Gov:        "gov",
		DeptA:      "dept-a",
		DeptB:      "dept-b",
	})
}
