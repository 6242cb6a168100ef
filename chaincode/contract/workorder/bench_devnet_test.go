package workorder

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/hyperledger/fabric-gateway/pkg/client"

	"github.com/certledger/certledger/chaincode/contract/registry"
	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/domain/workorder"
	"github.com/certledger/certledger/internal/gm"
	"github.com/certledger/certledger/network/devnet"
)

// BenchEnv turns the devnet benchmarks on: they start a devnet in-process (TLS, the
// fabric-gateway client, block cutting, bbolt state) and take minutes at 100,000 tickets.
//
//	CERTLEDGER_BENCH_DEVNET=1 go test -run '^$' -bench Devnet -benchtime 3x -timeout 30m ./chaincode/contract/workorder/
//	CERTLEDGER_BENCH_SIZES=1000,10000 ... to choose the ticket counts of BenchmarkDevnetKPI.
const BenchEnv = "CERTLEDGER_BENCH_DEVNET"

type benchNet struct {
	node *devnet.Node
	gov  *client.Contract
	dept *client.Contract
}

func startDevnet(b *testing.B) *benchNet {
	b.Helper()
	if os.Getenv(BenchEnv) == "" {
		b.Skipf("set %s=1 to run the devnet benchmarks (they need minutes)", BenchEnv)
	}
	dir := b.TempDir()
	cfg := devnet.DefaultConfig()
	if err := devnet.Init(dir, cfg); err != nil {
		b.Fatal(err)
	}
	cc, err := contractapi.NewChaincode(registry.New(), New())
	if err != nil {
		b.Fatal(err)
	}
	node, err := devnet.Open(dir, devnet.WithChaincode(benchLoader{cc}), devnet.WithExecuteTimeout(5*time.Minute))
	if err != nil {
		b.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	if err := node.WriteProfiles(lis.Addr().String()); err != nil {
		b.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- node.Serve(lis) }()
	bn := &benchNet{node: node}
	for _, org := range []string{"gov", "dept-a"} {
		gw, conn, err := devnet.Connect(node.ProfilePath(org), client.WithEvaluateTimeout(5*time.Minute), client.WithSubmitTimeout(5*time.Minute), client.WithEndorseTimeout(5*time.Minute), client.WithCommitStatusTimeout(5*time.Minute))
		if err != nil {
			b.Fatal(err)
		}
		c := gw.GetNetwork(node.Config().Channel).GetContract(node.Config().Chaincode)
		if org == "gov" {
			bn.gov = c
		} else {
			bn.dept = c
		}
		b.Cleanup(func() { _ = gw.Close(); _ = conn.Close() })
	}
	b.Cleanup(func() {
		_ = node.Close()
		<-served //nolint:errcheck // Serve returns once Close stops it; its error then is expected
	})
	return bn
}

// BenchmarkDevnetKPI: workorder:KPI over a year for a department with n tickets (and
// n/4 of another department), evaluated through the fabric-gateway client against the
// devnet — the path the certledger gateway takes (it adds only JSON passthrough).
func BenchmarkDevnetKPI(b *testing.B) {
	sizes := []int{1000, 10000, 100000}
	if s := os.Getenv("CERTLEDGER_BENCH_SIZES"); s != "" {
		sizes = nil
		for _, f := range strings.Split(s, ",") {
			n, err := strconv.Atoi(f)
			if err != nil {
				b.Fatal(err)
			}
			sizes = append(sizes, n)
		}
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("tickets=%d", n), func(b *testing.B) {
			bn := startDevnet(b)
			const batch = 2000
			for _, d := range []struct {
				id string
				n  int
			}{{"A", n}, {"B", n / 4}} {
				for from := 0; from < d.n; from += batch {
					if _, err := bn.gov.SubmitTransaction(benchLoadFunction, d.id, strconv.Itoa(from), strconv.Itoa(min(from+batch, d.n))); err != nil {
						b.Fatal(err)
					}
				}
			}
			measure := func(b *testing.B) {
				var k workorder.KPI
				for i := 0; i < b.N; i++ {
					out, err := bn.gov.EvaluateTransaction("workorder:KPI", "A", "2026-01-01", "2027-01-01")
					if err != nil {
						b.Fatal(err)
					}
					if err := json.Unmarshal(out, &k); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				if k.Received != n {
					b.Fatalf("received %d, want %d", k.Received, n)
				}
				b.ReportMetric(float64(n), "tickets")
			}
			b.Run("scan", measure)
			for _, d := range []struct{ id, msp string }{{"A", "DeptAMSP"}, {"B", "DeptBMSP"}} {
				reg, _ := json.Marshal(map[string]any{"id": d.id, "name": d.id, "mspId": d.msp, "parent": "", "categories": []string{}, "publicKeys": []string{}})
				if _, err := bn.gov.SubmitTransaction("registry:RegisterDepartment", string(reg)); err != nil {
					b.Fatal(err)
				}
			}
			start, sweeps := time.Now(), 0
			for {
				out, err := bn.dept.SubmitTransaction("workorder:Sweep", "")
				if err != nil {
					b.Fatal(err)
				}
				sweeps++
				var sr SweepResult
				if err := json.Unmarshal(out, &sr); err != nil {
					b.Fatal(err)
				}
				if sr.RolledUp == 0 {
					break
				}
			}
			b.Logf("n=%d: %d sweeps rolled every settled day up in %s", n, sweeps, time.Since(start).Round(time.Millisecond))
			b.Run("rollups", measure)
		})
	}
}

// BenchmarkDevnetTransitions: signed Accept transactions committed per second through
// the gateway client (16 concurrent submitters), after submitting the tickets.
func BenchmarkDevnetTransitions(b *testing.B) {
	bn := startDevnet(b)
	key, err := gm.GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	pemBytes, _ := gm.MarshalPublicKeyPEM(&key.PublicKey)
	keyID := gm.KeyID(&key.PublicKey)
	reg, _ := json.Marshal(map[string]any{"id": "A", "name": "Dept A", "mspId": "DeptAMSP", "parent": "",
		"categories": []string{"noise"}, "publicKeys": []string{string(pemBytes)}})
	if _, err := bn.gov.SubmitTransaction("registry:RegisterDepartment", string(reg)); err != nil {
		b.Fatal(err)
	}
	n := max(b.N, 200)
	const workers = 16
	run := func(what string, do func(i int) error) {
		start := time.Now()
		var next atomic.Int64
		var wg sync.WaitGroup
		var firstErr atomic.Value
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
					if err := do(i); err != nil {
						firstErr.CompareAndSwap(nil, err)
						return
					}
				}
			}()
		}
		wg.Wait()
		if err, _ := firstErr.Load().(error); err != nil {
			b.Fatalf("%s: %v", what, err)
		}
		el := time.Since(start)
		b.ReportMetric(float64(n)/el.Seconds(), what+"/s")
	}
	txIDs := make([]string, n)
	b.ResetTimer()
	run("submits", func(i int) error {
		in, _ := json.Marshal(workorder.SubmitInput{ID: fmt.Sprintf("T%07d", i), Category: "noise", ContentHash: hash64, ReporterCommitment: hash64, Channel: "web"})
		out, err := bn.gov.SubmitTransaction("workorder:Submit", string(in))
		if err != nil {
			return err
		}
		var o workorder.Output
		if err := json.Unmarshal(out, &o); err != nil {
			return err
		}
		txIDs[i] = o.Ticket.TxID
		return nil
	})
	run("accepts", func(i int) error {
		in := workorder.ActionInput{TicketID: fmt.Sprintf("T%07d", i), Action: "accept", Department: "A", PrevTxID: txIDs[i], KeyID: keyID}
		sig, err := canon.Sign(key, canon.KindTicketAction, in.Signed())
		if err != nil {
			return err
		}
		in.Signature = sig
		body, _ := json.Marshal(in)
		_, err = bn.dept.SubmitTransaction("workorder:Accept", string(body))
		return err
	})
}
