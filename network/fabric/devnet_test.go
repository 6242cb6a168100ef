package fabric_test

import (
	"net"
	"path/filepath"
	"testing"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/network/devnet"
	"github.com/certledger/certledger/network/fabric/scenario"
)

// TestScenarioOnDevnet plays the same scenario as TestNetwork on the embedded devnet (no
// Fabric binaries needed), so that both ledgers are held to one behaviour in every CI run.
func TestScenarioOnDevnet(t *testing.T) {
	dir := t.TempDir()
	if err := devnet.Init(dir, devnet.DefaultConfig()); err != nil {
		t.Fatal(err)
	}
	cc, err := chaincode.New()
	if err != nil {
		t.Fatal(err)
	}
	node, err := devnet.Open(dir, devnet.WithChaincode(cc))
	if err != nil {
		t.Fatal(err)
	}
	defer node.Close()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := node.WriteProfiles(lis.Addr().String()); err != nil {
		t.Fatal(err)
	}
	go func() { _ = node.Serve(lis) }()
	scenario.Run(t, scenario.Options{ProfileDir: filepath.Join(dir, "profiles")})
}
