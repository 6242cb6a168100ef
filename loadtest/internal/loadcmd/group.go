package loadcmd

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/loadtest/internal/driver"
	"github.com/certledger/certledger/loadtest/internal/proc"
	"github.com/certledger/certledger/loadtest/internal/table"
	"github.com/certledger/certledger/loadtest/record"
)

// The grouped-issue mode of the gateway and fabric subcommands (--group N):
// records signed beforehand, sent through a certledger-gateway process's
// POST /api/v1/certificates/groups and, alternating in the same run, one by one
// through POST /api/v1/certificates as the baseline; certificates per second,
// latency per request, CPU time of the gateway, of the ledger and of this client
// per 1,000 certificates. docs/batches.md quotes the figures.

// Run names of the grouped-issue mode.
const (
	runSingle  = "single issue, REST"
	runGrouped = "grouped issue, REST"
)

// groupFlags are the flags of the grouped-issue mode.
func groupFlags() []cli.Flag {
	return []cli.Flag{
		&cli.IntFlag{Name: "group", Usage: "grouped-issue mode: records per POST /api/v1/certificates/groups, through a certledger-gateway process (0: off)"},
		&cli.IntFlag{Name: "groups", Value: 20, Usage: "grouped-issue mode: groups per round"},
		&cli.IntFlag{Name: "group-c", Value: 4, Usage: "grouped-issue mode: group requests in flight"},
		&cli.StringFlag{Name: "gateway-bin", Usage: "grouped-issue mode: certledger-gateway binary (default: next to this one, on PATH, or built with go build)"},
	}
}

// groupBench is one grouped-issue run against a gateway at url whose token
// issues for dept.
type groupBench struct {
	c       *cli.Context
	url     string
	token   string
	dept    *record.Dept
	hc      *http.Client
	meter   driver.Meter
	groups  []string // CPU groups in report order
	ledger  string   // what the ledger is, for the title
	size    int      // records per group
	perRnd  int      // groups per round
	groupC  int      // group requests in flight
	singleN int      // single issues per round
	singleC int      // single-issue concurrency
	rounds  int
	prefix  string // certificate id prefix of the run

	signed          int
	signWall        time.Duration
	signCPU         time.Duration
	single, grouped driver.Result
}

// groupSettings reads the grouped-issue flags; singleN and singleC are the
// baseline's certificates per round and concurrency.
func groupSettings(c *cli.Context, singleN, singleC, rounds int) (*groupBench, error) {
	g := &groupBench{c: c, size: c.Int("group"), perRnd: c.Int("groups"), groupC: c.Int("group-c"),
		singleN: singleN, singleC: singleC, rounds: max(rounds, 1)}
	if g.size < 0 || g.size > 10000 || g.perRnd <= 0 || g.groupC <= 0 || singleN < 0 || singleC <= 0 {
		return nil, cli.Exit("--group must be 1..10000, --groups, --group-c and the concurrency positive, -n not negative", 2)
	}
	return g, nil
}

// run signs every record, warms both paths up, alternates the single and
// grouped rounds and prints the report.
func (g *groupBench) run() error {
	g.hc = &http.Client{Timeout: 5 * time.Minute, Transport: &http.Transport{
		MaxIdleConnsPerHost: g.singleC + g.groupC, MaxIdleConns: 2 * (g.singleC + g.groupC)}}
	defer g.hc.CloseIdleConnections()
	warmSingle := g.singleC
	total := g.size + warmSingle + g.rounds*(g.perRnd*g.size+g.singleN)
	cpu0, t0 := proc.SelfCPU(), time.Now()
	recs, err := g.dept.Certificates(g.prefix+"-%08d", 1, total)
	if err != nil {
		return err
	}
	g.signWall, g.signCPU, g.signed = time.Since(t0), proc.SelfCPU()-cpu0, total
	fmt.Fprintf(g.c.App.ErrWriter, "signed %d records in %s (%.0f/s, this process's CPU %s)\n",
		total, g.signWall.Round(time.Millisecond), float64(total)/g.signWall.Seconds(), g.signCPU.Round(time.Millisecond))
	take := func(n int) []certificate.Record { out := recs[:n]; recs = recs[n:]; return out }
	bodies, err := groupBodies(take(g.size), g.size)
	if err != nil {
		return err
	}
	if err := g.warm(bodies, take(warmSingle)); err != nil {
		return err
	}
	for range g.rounds {
		if g.singleN > 0 {
			s := driver.Run(g.c.Context, driver.Options{Name: runSingle, Workers: g.singleC, N: g.singleN, CPU: g.meter},
				restIssue(g.hc, g.url, g.token, take(g.singleN)))
			g.progress(s, 1)
			g.single = g.single.Add(s)
		}
		if bodies, err = groupBodies(take(g.perRnd*g.size), g.size); err != nil {
			return err
		}
		gr := driver.Run(g.c.Context, driver.Options{Name: runGrouped, Workers: g.groupC, N: len(bodies), CPU: g.meter},
			restGroup(g.hc, g.url, g.token, bodies))
		g.progress(gr, g.size)
		g.grouped = g.grouped.Add(gr)
	}
	return g.report()
}

// warm sends one group and a request per single-issue worker (connections,
// chaincode, the department read).
func (g *groupBench) warm(bodies [][]byte, singles []certificate.Record) error {
	if r := driver.Run(g.c.Context, driver.Options{Workers: 1, N: len(bodies)}, restGroup(g.hc, g.url, g.token, bodies)); r.Failed > 0 {
		return fmt.Errorf("warm-up group: %w", r.FirstErr)
	}
	if r := driver.Run(g.c.Context, driver.Options{Workers: g.singleC, N: len(singles)}, restIssue(g.hc, g.url, g.token, singles)); r.Failed > 0 {
		return fmt.Errorf("warm-up single issues: %d failed, first: %w", r.Failed, r.FirstErr)
	}
	return nil
}

// progress logs one round to stderr; per is the certificates per request.
func (g *groupBench) progress(s driver.Result, per int) {
	fmt.Fprintf(g.c.App.ErrWriter, "%s c=%d: %d requests ok, %d failed in %v: %.0f certificates/s, p50 %v p99 %v; %s\n",
		s.Name, s.Workers, s.OK, s.Failed, s.Elapsed.Round(time.Millisecond), s.PerSecond()*float64(per),
		s.Percentile(50).Round(time.Millisecond), s.Percentile(99).Round(time.Millisecond), proc.LoadAvg())
	if s.FirstErr != nil {
		fmt.Fprintf(g.c.App.ErrWriter, "  first error: %v\n", s.FirstErr)
	}
}

// groupBodies encodes recs as bodies of POST /api/v1/certificates/groups of
// size records each (the client's work, done before the clock starts).
func groupBodies(recs []certificate.Record, size int) ([][]byte, error) {
	var out [][]byte
	for len(recs) > 0 {
		n := min(size, len(recs))
		b, err := json.Marshal(map[string][]certificate.Record{"records": recs[:n]})
		if err != nil {
			return nil, err
		}
		out = append(out, b)
		recs = recs[n:]
	}
	return out, nil
}

// groupAnswer is the part of a grouped issue's answer the load tool checks.
type groupAnswer struct {
	TxID   string `json:"txId"`
	Record struct {
		Issued  int `json:"issued"`
		Replay  int `json:"replay"`
		Refused int `json:"refused"`
		Results []struct {
			ID      string `json:"id"`
			Outcome string `json:"outcome"`
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"results"`
	} `json:"record"`
}

// restGroup posts bodies[i] to POST /api/v1/certificates/groups and wants every
// record issued.
func restGroup(hc *http.Client, base, token string, bodies [][]byte) driver.Op {
	return func(ctx context.Context, i int) error {
		status, body, err := postJSON(ctx, hc, base+"/api/v1/certificates/groups", token, bytes.NewReader(bodies[i]))
		if err != nil {
			return err
		}
		if status != http.StatusOK {
			return fmt.Errorf("group %d: %d %s", i, status, firstLine(body))
		}
		var a groupAnswer
		if err := json.Unmarshal(body, &a); err != nil {
			return fmt.Errorf("group %d: %w", i, err)
		}
		if a.Record.Refused > 0 || a.Record.Replay > 0 {
			for _, r := range a.Record.Results {
				if r.Outcome != "issued" {
					return fmt.Errorf("group %d (tx %s): %d issued, %d replays, %d refused; %s %s: %s %s", i, a.TxID,
						a.Record.Issued, a.Record.Replay, a.Record.Refused, r.ID, r.Outcome, r.Code, r.Message)
				}
			}
		}
		return nil
	}
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

// report prints the grouped-issue tables.
func (g *groupBench) report() error {
	out, f := g.c.App.Writer, format(g.c)
	s, gr := g.single, g.grouped
	certs := float64(gr.OK * g.size)
	grRate := 0.0
	if gr.Elapsed > 0 {
		grRate = certs / gr.Elapsed.Seconds()
	}
	t := table.New(fmt.Sprintf("grouped issue through certledger-gateway's REST API on %s (%d rounds, alternating; %s)",
		g.ledger, g.rounds, proc.MachineLoad()), "run", "requests", "certificates", "failed", "certificates/s", "p50 per request", "p99 per request")
	t.Add(fmt.Sprintf("%s (c=%d)", runSingle, s.Workers), table.Int(s.OK), table.Int(s.OK), table.Int(s.Failed), table.Rate(s.PerSecond()),
		table.Ms(s.Percentile(50)), table.Ms(s.Percentile(99)))
	t.Add(fmt.Sprintf("%s, %d per group (c=%d)", runGrouped, g.size, gr.Workers), table.Int(gr.OK), fmt.Sprintf("%.0f", certs), table.Int(gr.Failed),
		table.Rate(grRate), table.Ms(gr.Percentile(50)), table.Ms(gr.Percentile(99)))
	if s.PerSecond() > 0 {
		t.Note("grouped / single: %.1f× the certificates per second of the same run", grRate/s.PerSecond())
	}
	t.Note("signing (the client's work, before the clock): %d records in %s, %.0f records/s, %s CPU-s per 1,000",
		g.signed, g.signWall.Round(time.Millisecond), float64(g.signed)/g.signWall.Seconds(), perK(g.signCPU, g.signed))
	for _, r := range []driver.Result{s, gr} {
		if r.FirstErr != nil {
			t.Note("first error of %s: %v", r.Name, r.FirstErr)
		}
	}
	if err := t.Write(out, f); err != nil {
		return err
	}
	ct := table.New("CPU-seconds per 1,000 certificates (user+system; 'all' is the gateway and the ledger, the client left out):",
		append(append([]string{"run"}, g.groups...), "all", "certificates/s per free core")...)
	for _, r := range []struct {
		res   driver.Result
		certs int
	}{{s, s.OK}, {gr, gr.OK * g.size}} {
		row := []string{r.res.Name}
		var all time.Duration
		for _, grp := range g.groups {
			row = append(row, perK(r.res.CPU[grp], r.certs))
			if grp != "client" {
				all += r.res.CPU[grp]
			}
		}
		perCore := "n/a"
		if all > 0 {
			perCore = table.Rate(float64(r.certs) / all.Seconds())
		}
		ct.Add(append(row, perK(all, r.certs), perCore)...)
	}
	ct.Note("two free cores would give about twice the per-core figure, at most, if nothing else ran (the client's share left out)")
	return ct.Write(out, f)
}

// fresh is a bench with g's settings and no results.
func (g *groupBench) fresh() *groupBench {
	return &groupBench{c: g.c, size: g.size, perRnd: g.perRnd, groupC: g.groupC, singleN: g.singleN, singleC: g.singleC, rounds: g.rounds}
}

// rates are a finished bench's figures: grouped and single certificates per
// second, and CPU time of gateway + ledger per 1,000 certificates of each.
func (g *groupBench) rates() (grouped, single float64, groupedCPU, singleCPU time.Duration) {
	ledgerCPU := func(r driver.Result, certs int) time.Duration {
		var all time.Duration
		for k, v := range r.CPU {
			if k != "client" {
				all += v
			}
		}
		if certs == 0 {
			return 0
		}
		return all * 1000 / time.Duration(certs)
	}
	certs := g.grouped.OK * g.size
	if g.grouped.Elapsed > 0 {
		grouped = float64(certs) / g.grouped.Elapsed.Seconds()
	}
	return grouped, g.single.PerSecond(), ledgerCPU(g.grouped, certs), ledgerCPU(g.single, g.single.OK)
}

// groupSummary prints finished benches side by side.
func groupSummary(c *cli.Context, benches []*groupBench, names []string) error {
	t := table.New(fmt.Sprintf("grouped issue through REST, side by side in one run (%s)", proc.MachineLoad()),
		"ledger", "grouped certificates/s", "single certificates/s", "ratio", "p50 / p99 per group",
		"CPU-s per 1,000: grouped / single", "ratio by CPU", "grouped per free core")
	for i, g := range benches {
		gr, si, gcpu, scpu := g.rates()
		ratio, cpuRatio, perCore := "n/a", "n/a", "n/a"
		if si > 0 {
			ratio = fmt.Sprintf("%.1f×", gr/si)
		}
		if gcpu > 0 {
			cpuRatio = fmt.Sprintf("%.1f×", scpu.Seconds()/gcpu.Seconds())
			perCore = table.Rate(1000 / gcpu.Seconds())
		}
		t.Add(names[i], table.Rate(gr), table.Rate(si), ratio, table.Ms(g.grouped.Percentile(50))+" / "+table.Ms(g.grouped.Percentile(99)),
			fmt.Sprintf("%.3f / %.3f", gcpu.Seconds(), scpu.Seconds()), cpuRatio, perCore)
	}
	t.Note("groups of %d, %d in flight; single issues at concurrency %d; %d rounds each, alternating within a ledger",
		benches[0].size, benches[0].groupC, benches[0].singleC, benches[0].rounds)
	fmt.Fprintln(c.App.Writer)
	return t.Write(c.App.Writer, format(c))
}

// perK is d per 1,000 of n, in CPU-seconds.
func perK(d time.Duration, n int) string {
	if n == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.3f", d.Seconds()*1000/float64(n))
}
