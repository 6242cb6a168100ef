// Package fabric holds the real Hyperledger Fabric v2.5 network for certledger: the
// network definition (crypto/, config/, ports.env) and network.sh, which runs orderers,
// peers and the certledger chaincode as native processes. The Go code here is its
// integration test (fabric_test.go, with the gateway and CLI steps in gatewaycli_test.go);
// the reusable ledger scenario is in ./scenario; bench.sh measures the network with
// certledger-load fabric (loadtest/). See docs/network.md.
package fabric
