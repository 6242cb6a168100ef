// Package bench is the "bench" contract: bench:Put(key, value), a plain single-key
// write. It exists only as the baseline of the issuance benchmark
// (network/fabric/bench.sh): certificate:Issue is measured next to the cheapest write
// the same chaincode can make on the same network. It is refused (FORBIDDEN) unless
// the chaincode process runs with CERTLEDGER_BENCH=1, which only bench.sh sets.
package bench

import (
	"os"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/certledger/certledger/chaincode/internal/state"
	"github.com/certledger/certledger/internal/codes"
)

// Name is the contract name ("bench:Put").
const Name = "bench"

// EnvEnable is the environment variable that enables Put (value "1").
const EnvEnable = "CERTLEDGER_BENCH"

// objPut is the object type of the keys Put writes: bench.put\x00key.
const objPut = "bench.put"

// Contract is the bench contract.
type Contract struct {
	contractapi.Contract
}

// New returns the bench contract.
func New() *Contract {
	c := &Contract{}
	c.Name = Name
	c.Info.Title = "certledger benchmark baseline"
	c.Info.Version = "1"
	return c
}

// Put writes value under the composite key bench.put\x00key with one PutState: no
// read, no event, no signature check. FORBIDDEN unless the chaincode process has
// CERTLEDGER_BENCH=1. Returns "" on success.
func (c *Contract) Put(ctx contractapi.TransactionContextInterface, key, value string) error {
	if os.Getenv(EnvEnable) != "1" {
		return codes.New(codes.Forbidden, "bench:Put is the benchmark baseline and is disabled; it runs only in a chaincode started with %s=1", EnvEnable)
	}
	k, err := state.Key(ctx, objPut, key)
	if err != nil {
		return err
	}
	if err := ctx.GetStub().PutState(k, []byte(value)); err != nil {
		return codes.New(codes.Internal, "writing state: %v", err)
	}
	return nil
}
