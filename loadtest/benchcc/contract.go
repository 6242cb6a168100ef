// Package benchcc is the bench chaincode: the certledger chaincode (chaincode.New)
// plus a "bench" contract that only benchmarks use —
//
//   - bench:Put(key, value), a plain single-key write: the baseline certificate:Issue
//     is measured against on the same network (certledger-load fabric);
//   - bench:LoadTickets(dept, from, to), which writes synthetic tickets
//     (record.Ticket) straight through the work-order contract's persistence, so a
//     department with 100,000 tickets is set up in seconds (certledger-load kpi).
//
// The load tool runs it in its in-process devnets; network/fabric/bench.sh deploys
// it on Fabric as certledger-chaincode built with -tags certledger_bench. The
// production chaincode never contains it (scripts/check-deps.sh).
package benchcc

import (
	"fmt"
	"strings"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/chaincode/contract/workorder"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/loadtest/record"
)

// Name is the bench contract's name ("bench:Put").
const Name = "bench"

// MaxLoad is the most tickets one LoadTickets transaction writes.
const MaxLoad = 10000

// objPut is the object type of the keys Put writes: bench.put\x00key.
const objPut = "bench.put"

// Contract is the bench contract.
type Contract struct {
	contractapi.Contract
}

// NewContract returns the bench contract alone.
func NewContract() *Contract {
	c := &Contract{}
	c.Name = Name
	c.Info.Title = "certledger benchmark baseline and loader"
	c.Info.Version = "1"
	return c
}

// Put writes value under the composite key bench.put\x00key with one PutState: no
// read, no event, no signature check.
func (c *Contract) Put(ctx contractapi.TransactionContextInterface, key, value string) error {
	k, err := ctx.GetStub().CreateCompositeKey(objPut, []string{key})
	if err != nil {
		return codes.New(codes.InvalidArgument, "key of %s: %v", objPut, err)
	}
	if err := ctx.GetStub().PutState(k, []byte(value)); err != nil {
		return codes.New(codes.Internal, "writing state: %v", err)
	}
	return nil
}

// LoadTickets writes the synthetic tickets from..to-1 of dept (record.Ticket) as
// the work-order contract stores them, without their transition trace (KPI does
// not read it; it keeps the transaction small).
func (c *Contract) LoadTickets(ctx contractapi.TransactionContextInterface, dept string, from, to int) error {
	if from < 0 || to < from || to-from > MaxLoad {
		return codes.New(codes.InvalidArgument, "want 0 <= from <= to and at most %d tickets, got %d..%d", MaxLoad, from, to)
	}
	for i := from; i < to; i++ {
		res, err := record.Ticket(dept, i)
		if err != nil {
			return codes.New(codes.InvalidArgument, "synthetic ticket %d of %s: %v", i, dept, err)
		}
		res.Transitions = nil
		if err := workorder.StoreNew(ctx, res); err != nil {
			return err
		}
	}
	return nil
}

// Chaincode is chaincode.New() with the bench contract: functions "bench:..." go to
// the bench contract, every other function to the certledger chaincode.
type Chaincode struct {
	main, bench *contractapi.ContractChaincode
}

// New returns the bench chaincode.
func New() (*Chaincode, error) {
	main, err := chaincode.New()
	if err != nil {
		return nil, err
	}
	bench, err := contractapi.NewChaincode(NewContract())
	if err != nil {
		return nil, fmt.Errorf("assembling the bench contract: %w", err)
	}
	return &Chaincode{main: main, bench: bench}, nil
}

var _ shim.Chaincode = (*Chaincode)(nil)

// Init runs the certledger chaincode's Init.
func (c *Chaincode) Init(stub shim.ChaincodeStubInterface) *peer.Response { return c.main.Init(stub) }

// Invoke routes "bench:..." to the bench contract, anything else to the certledger chaincode.
func (c *Chaincode) Invoke(stub shim.ChaincodeStubInterface) *peer.Response {
	if fn, _ := stub.GetFunctionAndParameters(); strings.HasPrefix(fn, Name+":") {
		return c.bench.Invoke(stub)
	}
	return c.main.Invoke(stub)
}
