package loadcmd

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/urfave/cli/v2"

	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/profile"
	"github.com/certledger/certledger/loadtest/internal/driver"
	"github.com/certledger/certledger/loadtest/internal/proc"
	"github.com/certledger/certledger/loadtest/internal/table"
	"github.com/certledger/certledger/loadtest/record"
	"github.com/certledger/certledger/network/fabric/scenario"
)

// fabricGroups are the CPU-time groups of the fabric run, in report order:
// every process network.sh recorded (peers, orderers, chaincode servers) and
// this process (signing, gRPC).
var fabricGroups = []string{"peers", "orderers", "chaincode", "client"}

func fabricCommand() *cli.Command {
	return &cli.Command{
		Name: "fabric",
		Usage: "issuance next to a plain single-key write, verify queries and process memory of a running network, " +
			"through its connection profiles (network/fabric/bench.sh)",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "profiles", Value: "network/fabric/.state/profiles", Usage: "folder of connection profiles"},
			&cli.StringFlag{Name: "state", Usage: "network.sh state folder (pids/ for CPU time and peak memory); empty skips them"},
			&cli.StringFlag{Name: "gov", Value: "gov", Usage: "profile of the governance organisation"},
			&cli.StringFlag{Name: "issuer", Value: "dept-a", Usage: "profile of the issuing department organisation"},
			&cli.StringFlag{Name: "c", Value: "32,64", Usage: "concurrency levels for writes"},
			&cli.IntFlag{Name: "n", Value: 3000, Usage: "transactions per concurrency level and kind (plain, issue)"},
			&cli.IntFlag{Name: "rounds", Value: 3, Usage: "alternations of plain and issuance runs per level"},
			&cli.StringFlag{Name: "plain", Value: "bench:Put", Usage: `plain single-key write "contract:Function" taking (key, value); "" skips it`},
			&cli.IntFlag{Name: "verify-c", Value: 32, Usage: "concurrency of the verify run"},
			&cli.IntFlag{Name: "verify-n", Value: 20000, Usage: "queries in the verify run"},
			&cli.BoolFlag{Name: "with-devnet", Usage: "--group, --batch: then run the same bench on a devnet process and print both side by side"},
			&cli.StringFlag{Name: "devnet-bin", Usage: "--with-devnet: certledger-devnet binary (default: next to this one, on PATH, or built with go build)"},
		}, append(groupFlags(), batchFlags()...)...),
		Action: runFabric,
	}
}

// fabricRun is one run of the fabric subcommand.
type fabricRun struct {
	c           *cli.Context
	gov, issuer *scenario.Conn
	dept        *record.Dept
	plain       string
	meter       driver.Meter
	runID       string
	seq         int
}

func runFabric(c *cli.Context) error {
	if c.Int("batch") != 0 {
		return runBatchFabric(c)
	}
	if c.Int("group") != 0 {
		return runGroupFabric(c)
	}
	lv, err := levels("c", c.String("c"))
	if err != nil {
		return err
	}
	r := &fabricRun{c: c, runID: scenario.RandomID("load")}
	if err := r.connect(); err != nil {
		return err
	}
	defer func() { _ = r.gov.Close(); _ = r.issuer.Close() }() // closing connections at exit; nothing to flush
	state := c.String("state")
	r.meter = func() map[string]time.Duration { return fabricCPU(state) }
	before := proc.MachineLoad()
	r.probePlain()
	var results []driver.Result
	var issued []string
	for _, n := range lv {
		plain, issue, ids, err := r.level(n)
		if err != nil {
			return err
		}
		if r.plain != "" {
			results = append(results, plain)
		}
		results = append(results, issue)
		issued = append(issued, ids...)
	}
	if len(issued) > 0 && c.Int("verify-n") > 0 {
		results = append(results, driver.Run(c.Context, driver.Options{Name: "certificate:Verify", Workers: c.Int("verify-c"), N: c.Int("verify-n"), CPU: r.meter},
			evaluateVerify(r.issuer.Contract, issued)))
	}
	return r.report(results, before)
}

// connect dials gov and the issuer, waits until both endorse and registers the
// issuing department.
func (r *fabricRun) connect() error {
	dial := func(name string) (*scenario.Conn, error) {
		p, err := profile.Load(filepath.Join(r.c.String("profiles"), name+".yaml"))
		if err != nil {
			return nil, err
		}
		return scenario.Dial(r.c.Context, p, 5*time.Second)
	}
	var err error
	if r.gov, err = dial(r.c.String("gov")); err != nil {
		return err
	}
	if r.issuer, err = dial(r.c.String("issuer")); err != nil {
		_ = r.gov.Close()
		return err
	}
	for _, conn := range []*scenario.Conn{r.gov, r.issuer} {
		if err := scenario.WaitEndorsable(r.c.Context, conn.Contract, time.Minute); err != nil {
			return fmt.Errorf("%s: %s", conn.Profile.Name, scenario.Describe(err))
		}
	}
	if r.dept, err = record.NewDept(scenario.RandomID("load"), r.issuer.Profile.MSPID); err != nil {
		return err
	}
	if _, err := scenario.Submit(r.c.Context, r.gov.Contract, 3, "registry:RegisterDepartment", record.JSON(r.dept.Registration("load department"))); err != nil {
		return fmt.Errorf("registering the load department: %s", scenario.Describe(err))
	}
	fmt.Fprintf(r.c.App.ErrWriter, "load department %s registered; issuing as %s via %s\n", r.dept.ID, r.issuer.Profile.MSPID, r.issuer.Endpoint)
	return nil
}

// probePlain clears r.plain when the network's chaincode has no plain write
// (a chaincode built without -tags certledger_bench).
func (r *fabricRun) probePlain() {
	r.plain = r.c.String("plain")
	if r.plain == "" {
		return
	}
	if _, err := scenario.Submit(r.c.Context, r.issuer.Contract, 1, r.plain, "bench-probe-"+r.runID, "1"); err != nil {
		fmt.Fprintf(r.c.App.ErrWriter, "plain write %s unavailable, skipped: %s\n", r.plain, scenario.Describe(err))
		r.plain = ""
	}
}

// level alternates plain and issuance runs in rounds at concurrency n, so that
// load from anything else on the machine falls on both alike; it returns both
// sums and up to 1,000 issued ids of the first round.
func (r *fabricRun) level(n int) (plain, issue driver.Result, issued []string, err error) {
	rounds := max(r.c.Int("rounds"), 1)
	per := max(r.c.Int("n")/rounds, 1)
	plain.Name, issue.Name = "plain write "+r.plain, "certificate:Issue"
	for round := range rounds {
		if r.plain != "" {
			prefix := fmt.Sprintf("k-%s-%d-%d", r.runID, n, round)
			st := driver.Run(r.c.Context, driver.Options{Name: plain.Name, Workers: n, N: per, CPU: r.meter}, func(ctx context.Context, i int) error {
				_, err := r.issuer.Contract.SubmitWithContext(ctx, r.plain, client.WithArguments(prefix+"-"+strconv.Itoa(i), "v"))
				return err
			})
			r.progress(st)
			plain = plain.Add(st)
		}
		var recs []certificate.Record
		if recs, err = r.dept.Certificates("cert-"+r.runID+"-%08d", r.seq, per); err != nil {
			return plain, issue, nil, err
		}
		r.seq += per
		st := driver.Run(r.c.Context, driver.Options{Name: issue.Name, Workers: n, N: per, CPU: r.meter}, submitIssue(r.issuer.Contract, recs))
		r.progress(st)
		issue = issue.Add(st)
		if round == 0 {
			issued = ids(recs[:min(st.OK, 1000)])
		}
	}
	return plain, issue, issued, nil
}

// progress logs one round to stderr.
func (r *fabricRun) progress(s driver.Result) {
	fmt.Fprintf(r.c.App.ErrWriter, "%s c=%d: %d ok, %d failed in %v: %.0f/s p50 %v p99 %v\n", s.Name, s.Workers, s.OK, s.Failed,
		s.Elapsed.Round(time.Millisecond), s.PerSecond(), s.Percentile(50).Round(time.Millisecond), s.Percentile(99).Round(time.Millisecond))
	if s.FirstErr != nil {
		fmt.Fprintf(r.c.App.ErrWriter, "  first error: %s\n", scenario.Describe(s.FirstErr))
	}
}

// fabricCPU is the CPU time per group: this process as client and, with a
// state folder, every process network.sh recorded in state/pids.
func fabricCPU(state string) map[string]time.Duration {
	m := map[string]time.Duration{"client": proc.SelfCPU()}
	for name, pid := range pidFiles(state) {
		t, ok := proc.CPU(pid)
		if !ok {
			continue
		}
		switch {
		case strings.HasPrefix(name, "peer"):
			m["peers"] += t
		case strings.HasPrefix(name, "orderer"):
			m["orderers"] += t
		case strings.HasPrefix(name, "cc."):
			m["chaincode"] += t
		}
	}
	return m
}

// pidFiles maps the processes network.sh recorded (state/pids/NAME.pid) to their pids.
func pidFiles(state string) map[string]string {
	out := map[string]string{}
	if state == "" {
		return out
	}
	files, _ := filepath.Glob(filepath.Join(state, "pids", "*.pid"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		out[strings.TrimSuffix(filepath.Base(f), ".pid")] = strings.Fields(string(b) + " ")[0]
	}
	return out
}

// writeMemory prints the peak and current resident memory of every recorded process.
func writeMemory(w io.Writer, f table.Format, state string) error {
	t := table.New("", "process", "peak RSS (VmHWM)", "RSS now")
	pids := pidFiles(state)
	for _, name := range sortedKeys(pids) {
		if m, ok := proc.ReadMemory(pids[name]); ok {
			t.Add(name, fmt.Sprintf("%d MiB", m.Peak), fmt.Sprintf("%d MiB", m.RSS))
		}
	}
	return t.Write(w, f)
}

func machineCPUs() int { return runtime.NumCPU() }
