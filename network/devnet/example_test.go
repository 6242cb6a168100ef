package devnet_test

import (
	"fmt"
	"log"
	"net"
	"os"

	"github.com/certledger/certledger/network/devnet"
	"github.com/certledger/certledger/network/devnet/internal/testcc"
)

// Example runs a devnet in-process and submits a transaction through the official
// fabric-gateway client, as the gateway and the tests do.
func Example() {
	dir, _ := os.MkdirTemp("", "devnet-example-")
	defer func() { _ = os.RemoveAll(dir) }()
	cfg := devnet.DefaultConfig()
	cfg.InitArgs = []string{} // no initial transaction for this chaincode
	if err := devnet.Init(dir, cfg); err != nil {
		log.Fatal(err)
	}
	node, err := devnet.Open(dir, devnet.WithChaincode(testcc.CC{})) // the command passes chaincode.New()
	if err != nil {
		log.Fatal(err)
	}
	defer func() { _ = node.Close() }()
	lis, _ := net.Listen("tcp", "127.0.0.1:0")
	_ = node.WriteProfiles(lis.Addr().String())
	go func() { _ = node.Serve(lis) }()

	gw, conn, err := devnet.Connect(node.ProfilePath("dept-a"))
	if err != nil {
		log.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	defer func() { _ = gw.Close() }()
	contract := gw.GetNetwork("certledger").GetContract("certledger")
	if _, err := contract.SubmitTransaction("put", "greeting", "hello"); err != nil {
		log.Fatal(err)
	}
	v, err := contract.EvaluateTransaction("get", "greeting")
	fmt.Println(string(v), err, node.Height())
	// Output: hello <nil> 2
}
