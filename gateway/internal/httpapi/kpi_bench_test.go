//go:build certledger_bench

package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/chaincode"
	cwo "github.com/certledger/certledger/chaincode/contract/workorder"
	"github.com/certledger/certledger/gateway/internal/auth"
	"github.com/certledger/certledger/gateway/internal/config"
	"github.com/certledger/certledger/gateway/internal/ledgerclient"
	"github.com/certledger/certledger/internal/domain/workorder"
	"github.com/certledger/certledger/network/devnet"
)

// BenchmarkGatewayKPI: GET /api/v1/audit/kpi over a year, through real HTTP on
// loopback with an auditor's token, for a department holding n tickets (plus n/4 of
// another department), on an in-process devnet running the real chaincode (plus the
// benchmark-only loader, chaincode/contract/workorder/benchload.go). It measures the
// KPI first scanning the facts, then after sweeping until every settled day is rolled
// up, and prints a table of the median (p50) latency of the calls of the last round.
// Needs the build tag and the environment variable (it takes minutes at 100,000):
//
//	CERTLEDGER_BENCH_DEVNET=1 CERTLEDGER_BENCH_SIZES=1000,10000,100000 go test -tags certledger_bench \
//	    -run '^$' -bench GatewayKPI -benchtime 7x -timeout 60m ./gateway/internal/httpapi/
//
// CERTLEDGER_BENCH_SIZES defaults to 1000,10000.
func BenchmarkGatewayKPI(b *testing.B) {
	if os.Getenv("CERTLEDGER_BENCH_DEVNET") == "" {
		b.Skip("set CERTLEDGER_BENCH_DEVNET=1 to run the gateway KPI benchmark (it needs minutes)")
	}
	sizes := []int{1000, 10000}
	if s := os.Getenv("CERTLEDGER_BENCH_SIZES"); s != "" {
		sizes = nil
		for _, f := range strings.Split(s, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil {
				b.Fatal(err)
			}
			sizes = append(sizes, n)
		}
	}
	type row struct {
		n                   int
		load, sweep         time.Duration
		sweeps              int
		scan, rollup        time.Duration
		scanCalls, rollCall int
		direct              time.Duration // rollups, through ledgerclient.Fabric without HTTP
	}
	var rows []row
	for _, n := range sizes {
		b.Run(fmt.Sprintf("tickets=%d", n), func(b *testing.B) {
			k := startKPIBench(b)
			r := row{n: n}
			start := time.Now()
			const batch = 2000
			for _, d := range []struct {
				id string
				n  int
			}{{"dept-a", n}, {"dept-b", n / 4}} {
				for from := 0; from < d.n; from += batch {
					if _, err := k.fab.Submit(context.Background(), "gov", cwo.BenchLoadFunction, d.id, strconv.Itoa(from), strconv.Itoa(min(from+batch, d.n))); err != nil {
						b.Fatal(err)
					}
				}
			}
			r.load = time.Since(start)
			for _, d := range []struct{ id, msp string }{{"dept-a", "DeptAMSP"}, {"dept-b", "DeptBMSP"}} {
				reg, _ := json.Marshal(map[string]any{"id": d.id, "name": d.id, "mspId": d.msp, "parent": "", "categories": []string{}, "publicKeys": []string{}})
				if _, err := k.fab.Submit(context.Background(), "gov", "registry:RegisterDepartment", string(reg)); err != nil {
					b.Fatal(err)
				}
			}
			measure := func(dst *time.Duration, calls *int, get func(b *testing.B) []byte) func(b *testing.B) {
				return func(b *testing.B) {
					lat := make([]time.Duration, 0, b.N)
					var kpi workorder.KPI
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						t0 := time.Now()
						body := get(b)
						lat = append(lat, time.Since(t0))
						if err := json.Unmarshal(body, &kpi); err != nil {
							b.Fatal(err)
						}
					}
					b.StopTimer()
					if kpi.Received != n {
						b.Fatalf("received %d, want %d", kpi.Received, n)
					}
					slices.Sort(lat)
					*dst, *calls = lat[len(lat)/2], len(lat)
					b.ReportMetric(float64(dst.Microseconds())/1000, "p50-ms")
					b.ReportMetric(float64(n), "tickets")
				}
			}
			b.Run("scan", measure(&r.scan, &r.scanCalls, k.kpi))
			start = time.Now()
			for {
				res, err := k.fab.Submit(context.Background(), "dept-a", "workorder:Sweep", "")
				if err != nil {
					b.Fatal(err)
				}
				r.sweeps++
				var sr cwo.SweepResult
				if err := json.Unmarshal(res.Payload, &sr); err != nil {
					b.Fatal(err)
				}
				if sr.RolledUp == 0 && !sr.More {
					break
				}
			}
			r.sweep = time.Since(start)
			b.Run("rollups", measure(&r.rollup, &r.rollCall, k.kpi))
			var directCalls int
			b.Run("rollups-ledger-client", measure(&r.direct, &directCalls, k.kpiDirect))
			b.Logf("n=%d: loaded in %s; %d sweeps in %s; KPI p50 scan %s (%d calls), rollups %s (%d calls)", n,
				r.load.Round(time.Millisecond), r.sweeps, r.sweep.Round(time.Millisecond), r.scan, r.scanCalls, r.rollup, r.rollCall)
			rows = append(rows, r)
		})
	}
	fmt.Println("\nGET /api/v1/audit/kpi (auditor, 2026-01-01..2027-01-01), p50 of the last round's calls")
	fmt.Printf("%10s  %12s  %12s  %22s  %10s  %s\n", "tickets", "rollups", "scan", "rollups (no HTTP/auth)", "load", "sweeps")
	for _, r := range rows {
		fmt.Printf("%10d  %12s  %12s  %22s  %10s  %d in %s\n", r.n, r.rollup.Round(10*time.Microsecond), r.scan.Round(10*time.Microsecond), r.direct.Round(10*time.Microsecond),
			r.load.Round(100*time.Millisecond), r.sweeps, r.sweep.Round(time.Millisecond))
	}
}

type kpiBench struct {
	fab   *ledgerclient.Fabric
	url   string
	token string // dept-a auditor
	c     *http.Client
}

// kpi is one GET /api/v1/audit/kpi over 2026 as the auditor; it fails b unless 200.
func (k *kpiBench) kpi(b *testing.B) []byte {
	q := url.Values{"department": {"dept-a"}, "from": {"2026-01-01"}, "to": {"2027-01-01"}}
	req, err := http.NewRequest("GET", k.url+"/api/v1/audit/kpi?"+q.Encode(), nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+k.token)
	res, err := k.c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	body, err := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if err != nil {
		b.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		b.Fatalf("kpi: %d %s", res.StatusCode, body)
	}
	return body
}

// kpiDirect is the same evaluation through the gateway's ledger client, without the
// HTTP round trip, the token check and the audit log.
func (k *kpiBench) kpiDirect(b *testing.B) []byte {
	out, err := k.fab.Evaluate(context.Background(), "dept-a", "workorder:KPI", "dept-a", "2026-01-01", "2027-01-01")
	if err != nil {
		b.Fatal(err)
	}
	return out
}

// startKPIBench: a default devnet (TLS, block cutting, bbolt state) running
// chaincode.New() plus the benchmark loader, and this package's server on loopback.
// Timeouts are long so that loading 2,000 tickets per transaction fits.
func startKPIBench(b *testing.B) *kpiBench {
	b.Helper()
	cc, err := chaincode.New()
	if err != nil {
		b.Fatal(err)
	}
	long := 5 * time.Minute
	fab, cfg := serveDevnet(b, devnet.DefaultConfig(), cwo.BenchLoader(cc),
		ledgerclient.Timeouts{Evaluate: long, Endorse: long, Submit: long, CommitStatus: long}, devnet.WithExecuteTimeout(long))
	k := &kpiBench{fab: fab, token: "tok-auditor-" + strconv.FormatInt(time.Now().UnixNano(), 10), c: &http.Client{Timeout: long}}
	cfg.Tokens = append(cfg.Tokens, config.Token{ID: "auditor", SHA256: config.HashToken(k.token),
		Principal: config.Principal{Department: "dept-a", Org: "dept-a", Role: config.RoleAuditor}})
	srv, err := New(Options{Ledger: fab, Auth: auth.New(&cfg), DefaultOrg: "gov", GovernanceDepartment: "gov",
		Logger: slog.New(slog.DiscardHandler), MVCCRetries: 3})
	if err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	k.url = hs.URL
	b.Cleanup(func() {
		k.c.CloseIdleConnections()
		srv.CloseStreams()
		hs.Close()
	})
	return k
}
