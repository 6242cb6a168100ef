//go:build certledger_bench

package workorder

import (
	"fmt"
	"strconv"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/certledger/certledger/chaincode/domain/workorder"
)

// This file is built only with -tags certledger_bench: it lets a benchmark in another
// package (the gateway's KPI benchmark) load a department with 100,000 tickets in a
// minute. It is the same loader as the package's own benchmarks use (bench_test.go),
// exported; it is never part of the chaincode that chaincode.New builds.

// BenchLoadFunction is the function BenchLoader adds: BenchLoadFunction(dept, from, to)
// writes the synthetic tickets from..to-1 of dept.
const BenchLoadFunction = "bench:LoadTickets"

// BenchLoader is cc plus BenchLoadFunction, which writes synthetic tickets straight
// through persist (the writes a real history of Submit/Accept/... leaves, without
// their transactions). Every other function goes to cc.
func BenchLoader(cc *contractapi.ContractChaincode) shim.Chaincode { return benchLoader{cc} }

type benchLoader struct {
	cc *contractapi.ContractChaincode
}

func (l benchLoader) Init(stub shim.ChaincodeStubInterface) *peer.Response { return l.cc.Init(stub) }

func (l benchLoader) Invoke(stub shim.ChaincodeStubInterface) *peer.Response {
	fn, args := stub.GetFunctionAndParameters()
	if fn != BenchLoadFunction {
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
		res, err := BenchTicket(args[0], i)
		if err != nil {
			return shim.Error(err.Error())
		}
		res.Transitions = nil // the trace is not what KPI reads
		if err := persist(ctx, nil, res); err != nil {
			return shim.Error(err.Error())
		}
	}
	return shim.Success(nil)
}

// BenchTicket is synthetic ticket i of dept (as syntheticTicket in bench_test.go):
// submitted every 4 minutes from 2026-01-05; 97 % accepted within 2 hours (the rest
// after the respond-by), 92 % resolved within 3 days, 80 % rated (1 in 8 unsatisfied).
// All through the domain rules, so facts and accountability are real.
func BenchTicket(dept string, i int) (workorder.Result, error) {
	const h64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	at := time.Date(2026, 1, 5, 1, 0, 0, 0, time.UTC).Add(time.Duration(i) * 4 * time.Minute)
	env := func(d time.Duration) workorder.Env {
		return workorder.Env{Now: at.Add(d), TxID: fmt.Sprintf("tx-%s-%d-%d", dept, i, d), Calendar: workorder.DefaultCalendar(), SLA: workorder.DefaultSLA()}
	}
	actor := workorder.Actor{Role: workorder.RoleAssigned, Department: dept}
	all := workorder.Result{}
	res, err := workorder.Submit(workorder.SubmitInput{ID: fmt.Sprintf("%s-%07d", dept, i), Category: "noise",
		ContentHash: h64, ReporterCommitment: h64, Channel: "web"}, dept, workorder.Actor{Role: workorder.RoleCitizen}, env(0))
	if err != nil {
		return all, err
	}
	t := res.Ticket
	all.Accountability = append(all.Accountability, res.Accountability...)
	acceptAfter := 2 * time.Hour
	if i%33 == 0 {
		acceptAfter = 100 * time.Hour
	}
	resolveAfter := 50 * time.Hour
	if i%12 == 0 {
		resolveAfter = 200 * time.Hour
	}
	type step struct {
		req workorder.Request
		d   time.Duration
	}
	steps := []step{
		{workorder.Request{Action: workorder.ActAccept, Actor: actor}, acceptAfter},
		{workorder.Request{Action: workorder.ActStart, Actor: actor}, acceptAfter + time.Hour},
		{workorder.Request{Action: workorder.ActResolve, Actor: actor}, acceptAfter + resolveAfter},
	}
	if i%5 != 0 {
		rating := []workorder.Rating{workorder.RatingVerySatisfied, workorder.RatingSatisfied, workorder.RatingSatisfied,
			workorder.RatingNeutral, workorder.RatingSatisfied, workorder.RatingVerySatisfied, workorder.RatingSatisfied, workorder.RatingUnsatisfied}[i%8]
		steps = append(steps, step{workorder.Request{Action: workorder.ActRate, Actor: workorder.Actor{Role: workorder.RoleCitizen}, Rating: rating}, acceptAfter + resolveAfter + 24*time.Hour})
	}
	for _, s := range steps {
		r, err := workorder.Apply(t, s.req, env(s.d))
		if err != nil {
			return all, err
		}
		t = r.Ticket
		all.Accountability = append(all.Accountability, r.Accountability...)
	}
	all.Ticket = t
	return all, nil
}
