package loadcmd

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/urfave/cli/v2"

	cwo "github.com/certledger/certledger/chaincode/contract/workorder"
	"github.com/certledger/certledger/gateway/gatewaytest"
	"github.com/certledger/certledger/internal/domain/workorder"
	"github.com/certledger/certledger/loadtest/benchcc"
	"github.com/certledger/certledger/loadtest/internal/driver"
	"github.com/certledger/certledger/loadtest/internal/proc"
	"github.com/certledger/certledger/loadtest/internal/table"
	"github.com/certledger/certledger/network/devnet"
)

// The KPI period every call asks for.
const kpiFrom, kpiTo = "2026-01-01", "2027-01-01"

func kpiCommand() *cli.Command {
	return &cli.Command{
		Name:  "kpi",
		Usage: "work-order KPI over a year of synthetic tickets, through the gateway's REST API and the fabric-gateway client, before and after the sweep's day rollups",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "sizes", Value: "1000,10000", Usage: "tickets of dept-a per run (dept-b gets a quarter as many)"},
			&cli.IntFlag{Name: "calls", Value: 7, Usage: "KPI calls per measurement (the median is printed)"},
			&cli.IntFlag{Name: "batch", Value: 2000, Usage: fmt.Sprintf("tickets per bench:LoadTickets transaction (at most %d)", benchcc.MaxLoad)},
			&cli.BoolFlag{Name: "pages", Usage: "also time the REST calls of the dashboard and the public results page (before and after the rollups) and print a table per size"},
			&cli.IntFlag{Name: "transitions", Usage: "also measure N workorder:Submit and N signed Accept transactions (16 submitters); 0 skips"},
			&cli.DurationFlag{Name: "ledger-timeout", Value: 5 * time.Minute, Usage: "ledger client and chaincode timeout (loading is one long transaction per batch)"},
		},
		Action: runKPI,
	}
}

// kpiRow is the figures of one size.
type kpiRow struct {
	n                      int
	load, sweep            time.Duration
	sweeps                 int
	scanREST, scanClient   driver.Result
	rollREST, rollupClient driver.Result
	pagesScan, pagesRoll   pageRun // --pages
}

func runKPI(c *cli.Context) error {
	sizes, err := levels("sizes", c.String("sizes"))
	if err != nil {
		return err
	}
	if c.Int("calls") < 1 || c.Int("batch") < 1 || c.Int("batch") > benchcc.MaxLoad {
		return cli.Exit(fmt.Sprintf("--calls must be positive and --batch within 1..%d", benchcc.MaxLoad), 2)
	}
	t := table.New(fmt.Sprintf("workorder KPI of dept-a over %s..%s, p50 of %d calls (%s)", kpiFrom, kpiTo, c.Int("calls"), proc.MachineLoad()),
		"tickets", "rollups, REST", "scan, REST", "rollups, fabric-gateway client", "scan, fabric-gateway client", "load (n + n/4)", "sweeps")
	var pages []*table.Table
	for _, n := range sizes {
		r, err := kpiSize(c, n)
		if err != nil {
			return err
		}
		if c.Bool("pages") {
			pages = append(pages, pagesTable(n, c.Int("calls"), r.pagesScan, r.pagesRoll))
		}
		t.Add(table.Int(n), table.Dur(r.rollREST.Percentile(50)), table.Dur(r.scanREST.Percentile(50)),
			table.Dur(r.rollupClient.Percentile(50)), table.Dur(r.scanClient.Percentile(50)),
			table.Dur(r.load), fmt.Sprintf("%d in %s", r.sweeps, table.Dur(r.sweep)))
	}
	t.Note("REST: GET /api/v1/audit/kpi?department=dept-a&from=%s&to=%s with a dept-a auditor token over loopback HTTP;", kpiFrom, kpiTo)
	t.Note("fabric-gateway client: workorder:KPI evaluated through the gateway's ledger client (no HTTP, no token check).")
	t.Note("scan: before any sweep (the KPI reads the facts); rollups: after sweeping until every settled day is rolled up.")
	if err := t.Write(c.App.Writer, format(c)); err != nil {
		return err
	}
	for _, pt := range pages {
		if err := pt.Write(c.App.Writer, format(c)); err != nil {
			return err
		}
	}
	if n := c.Int("transitions"); n > 0 {
		return runTransitions(c, n)
	}
	return nil
}

// startKPIStack starts a default devnet running the bench chaincode behind the
// gateway, with long timeouts.
func startKPIStack(c *cli.Context) (*gatewaytest.Stack, func(), error) {
	dir, cleanup, err := workDir("", "certledger-load-kpi-")
	if err != nil {
		return nil, nil, err
	}
	cc, err := benchcc.New()
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	s, err := gatewaytest.Start(dir, gatewaytest.Options{Chaincode: cc, Devnet: devnet.DefaultConfig(), LedgerTimeout: c.Duration("ledger-timeout")})
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	return s, func() { _ = s.Close(); cleanup() }, nil // closing the run's stack; its errors change no figure
}

// kpiSize loads n + n/4 tickets on a fresh stack and measures the KPI.
func kpiSize(c *cli.Context, n int) (kpiRow, error) {
	r := kpiRow{n: n}
	s, stop, err := startKPIStack(c)
	if err != nil {
		return r, err
	}
	defer stop()
	ctx := c.Context
	t0 := time.Now()
	if err := loadTickets(ctx, s, c.Int("batch"), map[string]int{"dept-a": n, "dept-b": n / 4}); err != nil {
		return r, err
	}
	r.load = time.Since(t0)
	hc := &http.Client{Timeout: c.Duration("ledger-timeout")}
	defer hc.CloseIdleConnections()
	if _, err := s.Seed(ctx, hc); err != nil {
		return r, err
	}
	rest, direct := kpiOps(s, hc, n)
	calls := driver.Options{Workers: 1, N: c.Int("calls")}
	// measure times the KPI calls through REST and through the client, and with
	// --pages the pages' REST calls: on the raw tickets, then after the rollups.
	measure := func(viaREST, viaClient *driver.Result, pages *pageRun) (err error) {
		if *viaREST = driver.Run(ctx, calls, rest); viaREST.Failed > 0 {
			return viaREST.FirstErr
		}
		if *viaClient = driver.Run(ctx, calls, direct); viaClient.Failed > 0 {
			return viaClient.FirstErr
		}
		if c.Bool("pages") {
			*pages, err = timePages(ctx, s, hc, c.Int("calls"))
		}
		return err
	}
	if err := measure(&r.scanREST, &r.scanClient, &r.pagesScan); err != nil {
		return r, err
	}
	t0 = time.Now()
	if r.sweeps, err = sweepAll(ctx, s); err != nil {
		return r, err
	}
	r.sweep = time.Since(t0)
	if err := measure(&r.rollREST, &r.rollupClient, &r.pagesRoll); err != nil {
		return r, err
	}
	return r, nil
}

// loadTickets writes the synthetic tickets of each department in batches.
func loadTickets(ctx context.Context, s *gatewaytest.Stack, batch int, depts map[string]int) error {
	for _, dept := range []string{"dept-a", "dept-b"} {
		for from := 0; from < depts[dept]; from += batch {
			to := min(from+batch, depts[dept])
			if _, err := s.Fabric.Submit(ctx, gatewaytest.Governance, "bench:LoadTickets", dept, strconv.Itoa(from), strconv.Itoa(to)); err != nil {
				return fmt.Errorf("loading tickets %d..%d of %s: %w", from, to, dept, err)
			}
		}
	}
	return nil
}

// sweepAll submits workorder:Sweep as dept-a until nothing is left to roll up.
func sweepAll(ctx context.Context, s *gatewaytest.Stack) (int, error) {
	for sweeps := 1; ; sweeps++ {
		res, err := s.Fabric.Submit(ctx, "dept-a", "workorder:Sweep", "")
		if err != nil {
			return sweeps, err
		}
		var sr cwo.SweepResult
		if err := json.Unmarshal(res.Payload, &sr); err != nil {
			return sweeps, err
		}
		if sr.RolledUp == 0 && !sr.More {
			return sweeps, nil
		}
	}
}

// kpiOps are the KPI call through REST (as the dept-a auditor) and through the
// ledger client; each checks that the KPI counted n received tickets.
func kpiOps(s *gatewaytest.Stack, hc *http.Client, n int) (rest, direct driver.Op) {
	check := func(b []byte) error {
		var k workorder.KPI
		if err := json.Unmarshal(b, &k); err != nil {
			return err
		}
		if k.Received != n {
			return fmt.Errorf("KPI received %d, want %d", k.Received, n)
		}
		return nil
	}
	q := url.Values{"department": {"dept-a"}, "from": {kpiFrom}, "to": {kpiTo}}
	rest = func(ctx context.Context, _ int) error {
		r, err := s.Do(ctx, hc, "GET", "/api/v1/audit/kpi?"+q.Encode(), gatewaytest.AAuditor, nil)
		if err != nil {
			return err
		}
		if r.Status != http.StatusOK {
			return fmt.Errorf("kpi: %d %s", r.Status, r.Body)
		}
		return check(r.Body)
	}
	direct = func(ctx context.Context, _ int) error {
		b, err := s.Fabric.Evaluate(ctx, "dept-a", "workorder:KPI", "dept-a", kpiFrom, kpiTo)
		if err != nil {
			return err
		}
		return check(b)
	}
	return rest, direct
}
