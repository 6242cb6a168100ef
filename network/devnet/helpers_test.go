package devnet_test

import (
	"testing"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-gateway/pkg/client"

	"github.com/certledger/certledger/network/devnet"
	"github.com/certledger/certledger/network/devnet/devnettest"
	"github.com/certledger/certledger/network/devnet/internal/testcc"
)

// testNet is a devnet served on a loopback port for one test.
type testNet struct {
	dir  string
	node *devnet.Node
	gws  map[string]*client.Gateway
}

func testConfig() devnet.Config {
	cfg := devnet.DefaultConfig()
	cfg.Block.Timeout = 2 * time.Millisecond
	return cfg
}

// startNet initialises a devnet in a temporary folder, serves it and connects a
// gateway client as each organisation's admin.
func startNet(t testing.TB, cfg devnet.Config, cc shim.Chaincode) *testNet {
	t.Helper()
	dir := t.TempDir()
	if err := devnet.Init(dir, cfg); err != nil {
		t.Fatal(err)
	}
	return openNet(t, dir, cc)
}

func openNet(t testing.TB, dir string, cc shim.Chaincode) *testNet {
	t.Helper()
	if cc == nil {
		cc = testcc.CC{}
	}
	node := devnettest.Serve(t, dir, devnet.WithChaincode(cc))
	tn := &testNet{dir: dir, node: node, gws: map[string]*client.Gateway{}}
	for _, o := range node.Config().Orgs {
		gw, conn, err := devnet.Connect(node.ProfilePath(o.Name))
		if err != nil {
			t.Fatal(err)
		}
		tn.gws[o.Name] = gw
		t.Cleanup(func() { _ = gw.Close(); _ = conn.Close() })
	}
	return tn
}

func (tn *testNet) contract(org string) *client.Contract {
	cfg := tn.node.Config()
	return tn.gws[org].GetNetwork(cfg.Channel).GetContract(cfg.Chaincode)
}

func (tn *testNet) network(org string) *client.Network {
	return tn.gws[org].GetNetwork(tn.node.Config().Channel)
}
