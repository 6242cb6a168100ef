package workorder

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/certledger/certledger/chaincode/contract/registry"
	"github.com/certledger/certledger/chaincode/domain/workorder"
	"github.com/certledger/certledger/chaincode/internal/ledger/ledgertest"
)

// loader is the chaincode under benchmark plus one extra function, "bench:Load", that
// writes synthetic tickets straight through persist (the same writes a real history of
// Submit/Accept/... transactions leaves, without running each through the fake), so a
// department with 100,000 tickets can be set up in seconds.
type loader struct {
	cc *contractapi.ContractChaincode
}

func (l loader) Init(stub shim.ChaincodeStubInterface) *peer.Response { return l.cc.Init(stub) }

func (l loader) Invoke(stub shim.ChaincodeStubInterface) *peer.Response {
	fn, args := stub.GetFunctionAndParameters()
	if fn != "bench:Load" {
		return l.cc.Invoke(stub)
	}
	ctx := &contractapi.TransactionContext{}
	ctx.SetStub(stub)
	dept := args[0]
	from, _ := strconv.Atoi(args[1])
	to, _ := strconv.Atoi(args[2])
	for i := from; i < to; i++ {
		res, err := syntheticTicket(dept, i)
		if err != nil {
			return shim.Error(err.Error())
		}
		res.Transitions = nil // the trace is not what KPI reads; keep the fake's memory small
		if err := persist(ctx, nil, res); err != nil {
			return shim.Error(err.Error())
		}
	}
	return shim.Success(nil)
}

// syntheticTicket i of dept: submitted every 4 minutes from 2026-01-05; 97 % accepted
// within 2 hours (the rest after the respond-by), 92 % resolved within 3 days, 80 % rated
// (1 in 8 unsatisfied). All through the domain rules, so facts and accountability are real.
func syntheticTicket(dept string, i int) (workorder.Result, error) {
	at := time.Date(2026, 1, 5, 1, 0, 0, 0, time.UTC).Add(time.Duration(i) * 4 * time.Minute)
	env := func(d time.Duration) workorder.Env {
		return workorder.Env{Now: at.Add(d), TxID: fmt.Sprintf("tx-%s-%d-%d", dept, i, d), Calendar: workorder.DefaultCalendar(), SLA: workorder.DefaultSLA()}
	}
	actor := workorder.Actor{Role: workorder.RoleAssigned, Department: dept}
	all := workorder.Result{}
	res, err := workorder.Submit(workorder.SubmitInput{ID: fmt.Sprintf("%s-%07d", dept, i), Category: "noise",
		ContentHash: hash64, ReporterCommitment: hash64, Channel: "web"}, dept, workorder.Actor{Role: workorder.RoleCitizen}, env(0))
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
	steps := []struct {
		req workorder.Request
		d   time.Duration
	}{
		{workorder.Request{Action: workorder.ActAccept, Actor: actor}, acceptAfter},
		{workorder.Request{Action: workorder.ActStart, Actor: actor}, acceptAfter + time.Hour},
		{workorder.Request{Action: workorder.ActResolve, Actor: actor}, acceptAfter + resolveAfter},
	}
	if i%5 != 0 {
		rating := []workorder.Rating{workorder.RatingVerySatisfied, workorder.RatingSatisfied, workorder.RatingSatisfied,
			workorder.RatingNeutral, workorder.RatingSatisfied, workorder.RatingVerySatisfied, workorder.RatingSatisfied, workorder.RatingUnsatisfied}[i%8]
		steps = append(steps, struct {
			req workorder.Request
			d   time.Duration
		}{workorder.Request{Action: workorder.ActRate, Actor: workorder.Actor{Role: workorder.RoleCitizen}, Rating: rating}, acceptAfter + resolveAfter + 24*time.Hour})
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

const hash64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// BenchmarkKPI measures workorder:KPI over one year for a department holding n tickets
// (plus n/4 tickets of another department that the KPI must not read), evaluated through
// contractapi on the in-memory fake. Run:
//
//	go test -run '^$' -bench KPI -benchtime 3x ./chaincode/contract/workorder/
//
// The fake scans its whole map on every range query (O(all keys)); a real state
// database seeks. So the figures are an upper bound for the chaincode's own work.
func BenchmarkKPI(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		b.Run(fmt.Sprintf("tickets=%d", n), func(b *testing.B) {
			cc, err := contractapi.NewChaincode(registry.New(), New())
			if err != nil {
				b.Fatal(err)
			}
			l := ledgertest.New(b, loader{cc})
			l.CheckDeterminism = false
			const batch = 5000
			for _, d := range []struct {
				id string
				n  int
			}{{"A", n}, {"B", n / 4}} {
				for from := 0; from < d.n; from += batch {
					l.MustSubmit(ledgertest.Gov, "bench:Load", d.id, strconv.Itoa(from), strconv.Itoa(min(from+batch, d.n)))
				}
			}
			measure := func(b *testing.B) {
				var k workorder.KPI
				for i := 0; i < b.N; i++ {
					r := l.MustEvaluate(ledgertest.Gov, "workorder:KPI", "A", "2026-01-01", "2027-01-01")
					if err := r.Decode(&k); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				if k.Received != n {
					b.Fatalf("received %d, want %d", k.Received, n)
				}
				b.ReportMetric(float64(k.Received), "tickets")
				b.Logf("n=%d response %d/%d resolution %d/%d satisfaction %d/%d accountability %d",
					n, k.Response.Numerator, k.Response.Denominator, k.Resolution.Numerator, k.Resolution.Denominator,
					k.Satisfaction.Numerator, k.Satisfaction.Denominator, k.Accountability)
			}
			b.Run("scan", measure)
			// Register the departments and sweep until every settled day is rolled up.
			l.InitRegistry()
			l.RegisterDepartment("A", "AMSP")
			l.RegisterDepartment("B", "BMSP")
			for {
				var sr SweepResult
				if err := l.MustSubmit(ledgertest.Tx{MSP: "AMSP"}, "workorder:Sweep", "").Decode(&sr); err != nil {
					b.Fatal(err)
				}
				if sr.RolledUp == 0 {
					break
				}
			}
			b.Run("rollups", measure)
		})
	}
}

// BenchmarkKPIAccumulate is the chaincode-side cost alone: decoding and counting the
// index values of n tickets (what KPI does per entry a range query returns).
func BenchmarkKPIAccumulate(b *testing.B) {
	const n = 100000
	var resp, res, rat [][]byte
	for i := 0; i < n; i++ {
		r, err := syntheticTicket("A", i)
		if err != nil {
			b.Fatal(err)
		}
		entries, _ := indexEntries(&r.Ticket)
		for _, e := range entries {
			switch e.key[:6] {
			case pResp:
				resp = append(resp, e.value)
			case pRes:
				res = append(res, e.value)
			case pRate:
				rat = append(rat, e.value)
			}
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		acc := workorder.NewKPIAccumulator("A", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", "2027-01-01T00:00:00Z")
		for _, v := range resp {
			f, err := decodeResponse("A", v)
			if err != nil {
				b.Fatal(err)
			}
			acc.AddResponse(f)
		}
		for _, v := range res {
			f, _ := decodeResolution("A", v)
			acc.AddResolution(f)
		}
		for _, v := range rat {
			f, _ := decodeRating("A", v)
			acc.AddRating(f)
		}
	}
	b.ReportMetric(float64(n), "tickets")
}
