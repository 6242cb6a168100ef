//go:build certledger_bench

package workorder

import (
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

// This file is built only with -tags certledger_bench: it exports the benchmark
// loader so that the gateway's KPI benchmark can load a department with 100,000
// tickets in a minute. It is never part of the chaincode that chaincode.New builds.

// BenchLoadFunction is the function BenchLoader adds: BenchLoadFunction(dept, from, to)
// writes the synthetic tickets from..to-1 of dept.
const BenchLoadFunction = benchLoadFunction

// BenchLoader is cc plus BenchLoadFunction; every other function goes to cc.
func BenchLoader(cc *contractapi.ContractChaincode) shim.Chaincode { return benchLoader{cc} }
