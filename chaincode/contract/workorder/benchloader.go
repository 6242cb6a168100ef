package workorder

import (
	"strconv"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/certledger/certledger/internal/domain/workorder"
)

// benchLoadFunction is the one function benchLoader adds to a chaincode:
// benchLoadFunction(dept, from, to) writes the synthetic tickets from..to-1 of dept.
const benchLoadFunction = "bench:LoadTickets"

// benchLoader is a chaincode under benchmark plus benchLoadFunction, which writes
// synthetic tickets (workorder.SyntheticTicket) straight through persist — the writes
// a real history of Submit/Accept/... transactions leaves, without running each
// transaction — so a department with 100,000 tickets is set up in seconds. It is
// used only by benchmarks (this package's and, with -tags certledger_bench, the
// gateway's); chaincode.New never includes it.
type benchLoader struct {
	cc *contractapi.ContractChaincode
}

func (l benchLoader) Init(stub shim.ChaincodeStubInterface) *peer.Response { return l.cc.Init(stub) }

func (l benchLoader) Invoke(stub shim.ChaincodeStubInterface) *peer.Response {
	fn, args := stub.GetFunctionAndParameters()
	if fn != benchLoadFunction {
		return l.cc.Invoke(stub)
	}
	if len(args) != 3 {
		return shim.Error("want dept, from, to")
	}
	from, err1 := strconv.Atoi(args[1])
	to, err2 := strconv.Atoi(args[2])
	if err1 != nil || err2 != nil {
		return shim.Error("from and to must be integers")
	}
	ctx := &contractapi.TransactionContext{}
	ctx.SetStub(stub)
	for i := from; i < to; i++ {
		res, err := workorder.SyntheticTicket(args[0], i)
		if err != nil {
			return shim.Error(err.Error())
		}
		res.Transitions = nil // the trace is not what KPI reads; keeps memory small
		if err := persist(ctx, nil, res); err != nil {
			return shim.Error(err.Error())
		}
	}
	return shim.Success(nil)
}
