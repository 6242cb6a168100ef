//go:build certledger_bench

package main

import (
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"

	"github.com/certledger/certledger/loadtest/benchcc"
)

// Built with -tags certledger_bench (network/fabric/bench.sh does), this binary
// serves the bench chaincode: the certledger chaincode plus bench:Put and
// bench:LoadTickets. Without the tag none of it is compiled in.
func init() {
	newChaincode = func() (shim.Chaincode, error) { return benchcc.New() }
}
