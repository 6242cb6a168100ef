// Package bench drives load through the fabric-gateway client and reports throughput,
// latency and process memory.
package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"

	"github.com/certledger/certledger/internal/profile"
	"github.com/certledger/certledger/network/fabric/scenario"
)

// cpuState is the network.sh state folder whose processes drive() accounts CPU time to.
var cpuState string

// Config of one bench run.
type Config struct {
	ProfileDir, StateDir string
	Gov, Issuer          string
	Concurrency          string // "32,64"
	Writes               int    // per concurrency level and kind
	Rounds               int    // alternations of plain and issuance runs
	Plain                string // "contract:Function" (key, value); "" = skip
	VerifyConcurrency    int
	Verifies             int
}

// Stats of one run.
type Stats struct {
	Name        string
	Concurrency int
	OK, Failed  int
	Elapsed     time.Duration
	P50, P99    time.Duration
	FirstErr    error
	CPU         map[string]time.Duration // CPU time per group spent during the run
}

// add sums two runs of the same kind (latencies: the larger of the two, an upper bound).
func (s Stats) add(o Stats) Stats {
	s.OK += o.OK
	s.Failed += o.Failed
	s.Elapsed += o.Elapsed
	s.P50 = max(s.P50, o.P50)
	s.P99 = max(s.P99, o.P99)
	if s.FirstErr == nil {
		s.FirstErr = o.FirstErr
	}
	if s.CPU == nil {
		s.CPU = map[string]time.Duration{}
	}
	for k, v := range o.CPU {
		s.CPU[k] += v
	}
	return s
}

// coreMsPerOp is the CPU time of group per completed operation, in milliseconds.
func (s Stats) coreMsPerOp(group string) float64 {
	if s.OK == 0 {
		return 0
	}
	return float64(s.CPU[group]) / float64(time.Millisecond) / float64(s.OK)
}

// PerSecond is the completed operations per second.
func (s Stats) PerSecond() float64 { return float64(s.OK) / s.Elapsed.Seconds() }

// Run sets up an issuing department, runs the write and verify loads, prints the table.
func Run(ctx context.Context, cfg Config, out, logw io.Writer) error {
	levels, err := parseLevels(cfg.Concurrency)
	if err != nil {
		return err
	}
	load := func(name string) (*scenario.Conn, error) {
		p, err := profile.Load(filepath.Join(cfg.ProfileDir, name+".yaml"))
		if err != nil {
			return nil, err
		}
		return scenario.Dial(ctx, p, 5*time.Second)
	}
	gov, err := load(cfg.Gov)
	if err != nil {
		return err
	}
	defer func() { _ = gov.Close() }() // closing connections at exit; nothing to flush
	issuer, err := load(cfg.Issuer)
	if err != nil {
		return err
	}
	defer func() { _ = issuer.Close() }() // closing connections at exit; nothing to flush

	for _, c := range []*scenario.Conn{gov, issuer} {
		if err := scenario.WaitEndorsable(ctx, c.Contract, time.Minute); err != nil {
			return fmt.Errorf("%s: %s", c.Profile.Name, scenario.Describe(err))
		}
	}
	signer, err := scenario.NewSigner(scenario.RandomID("bench"))
	if err != nil {
		return err
	}
	if _, err := scenario.Submit(ctx, gov.Contract, 3, "registry:RegisterDepartment",
		signer.Department("bench department", issuer.Profile.MSPID)); err != nil {
		return fmt.Errorf("registering the bench department: %s", scenario.Describe(err))
	}
	fmt.Fprintf(logw, "bench department %s registered; issuing as %s via %s\n", signer.DeptID, issuer.Profile.MSPID, issuer.Endpoint)

	cpuState = cfg.StateDir
	loadBefore := machineLoad()
	plain := cfg.Plain
	if plain != "" {
		if _, err := scenario.Submit(ctx, issuer.Contract, 1, plain, "bench-probe", "1"); err != nil {
			fmt.Fprintf(logw, "plain write %s unavailable, skipped: %s\n", plain, scenario.Describe(err))
			plain = ""
		}
	}

	// Plain and issuance runs alternate in rounds, so that load from anything else on the
	// machine falls on both alike; each row sums its rounds.
	rounds := max(cfg.Rounds, 1)
	per := max(cfg.Writes/rounds, 1)
	var results []Stats
	var issued []string
	for _, c := range levels {
		plainSt, issueSt := Stats{Name: "plain write " + plain, Concurrency: c}, Stats{Name: "certificate:Issue", Concurrency: c}
		for r := range rounds {
			if plain != "" {
				prefix := scenario.RandomID("k")
				st := writeRun(ctx, plainSt.Name, c, per, func(i int) (string, []string) {
					return plain, []string{prefix + "-" + strconv.Itoa(i), "v"}
				}, issuer)
				report(logw, st)
				plainSt = plainSt.add(st)
			}
			records := make([]map[string]string, per)
			for i := range records {
				if records[i], err = signer.Certificate(scenario.RandomID("bench-cert")); err != nil {
					return err
				}
			}
			st := writeRun(ctx, issueSt.Name, c, per, func(i int) (string, []string) {
				return "certificate:Issue", []string{scenario.JSON(records[i])}
			}, issuer)
			report(logw, st)
			issueSt = issueSt.add(st)
			if r == 0 {
				for _, rec := range records[:min(len(records), 1000)] {
					issued = append(issued, rec["id"])
				}
			}
		}
		if plain != "" {
			results = append(results, plainSt)
		}
		results = append(results, issueSt)
	}

	if len(issued) > 0 && cfg.Verifies > 0 {
		st := verifyRun(ctx, cfg.VerifyConcurrency, cfg.Verifies, issued, issuer)
		results = append(results, st)
		report(logw, st)
	}

	fmt.Fprintf(out, "machine: %d CPUs; before: %s; after: %s\n", runtime.NumCPU(), loadBefore, machineLoad())
	fmt.Fprintf(out, "\n%d rounds per level; p50/p99: the worst round's\n\n", rounds)
	fmt.Fprintln(out, "| run | concurrency | ok | failed | per second | p50 | p99 |")
	fmt.Fprintln(out, "|---|---|---|---|---|---|---|")
	for _, s := range results {
		fmt.Fprintf(out, "| %s | %d | %d | %d | %.0f | %v | %v |\n", s.Name, s.Concurrency, s.OK, s.Failed,
			s.PerSecond(), s.P50.Round(time.Millisecond), s.P99.Round(time.Millisecond))
	}
	if cfg.StateDir != "" {
		fmt.Fprint(out, "\nCPU time per operation (core-ms; user+system of the recorded processes and of this client):\n\n")
		fmt.Fprintln(out, "| run | concurrency | "+strings.Join(cpuGroups, " | ")+" | network total |")
		fmt.Fprintln(out, "|---|---|"+strings.Repeat("---|", len(cpuGroups)+1))
		for _, s := range results {
			fmt.Fprintf(out, "| %s | %d |", s.Name, s.Concurrency)
			for _, g := range cpuGroups {
				fmt.Fprintf(out, " %.2f |", s.coreMsPerOp(g))
			}
			fmt.Fprintf(out, " %.2f |\n", s.coreMsPerOp("peers")+s.coreMsPerOp("orderers")+s.coreMsPerOp("chaincode"))
		}
	}
	for _, c := range levels {
		var p, is Stats
		for _, s := range results {
			if s.Concurrency == c && strings.HasPrefix(s.Name, "plain") {
				p = s
			}
			if s.Concurrency == c && s.Name == "certificate:Issue" {
				is = s
			}
		}
		if p.OK > 0 && is.OK > 0 {
			fmt.Fprintf(out, "\nissuance / plain write at c=%d: %.0f%% of the throughput", c, 100*is.PerSecond()/p.PerSecond())
			net := func(s Stats) float64 {
				return s.coreMsPerOp("peers") + s.coreMsPerOp("orderers") + s.coreMsPerOp("chaincode")
			}
			if net(is) > 0 {
				fmt.Fprintf(out, "; by network CPU per transaction %.0f%% (%.2f vs %.2f core-ms)", 100*net(p)/net(is), net(is), net(p))
			}
			fmt.Fprintln(out)
		}
	}
	if cfg.StateDir != "" {
		printMemory(out, cfg.StateDir)
	}
	return nil
}

func parseLevels(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("bad concurrency %q", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func report(w io.Writer, s Stats) {
	fmt.Fprintf(w, "%s c=%d: %d ok, %d failed in %v: %.0f/s p50 %v p99 %v\n", s.Name, s.Concurrency, s.OK, s.Failed,
		s.Elapsed.Round(time.Millisecond), s.PerSecond(), s.P50.Round(time.Millisecond), s.P99.Round(time.Millisecond))
	if s.FirstErr != nil {
		fmt.Fprintf(w, "  first error: %s\n", scenario.Describe(s.FirstErr))
	}
}

// drive runs op n times with c workers and collects latencies.
func drive(c, n int, name string, op func(i int) error) Stats {
	cpu0 := cpuSnapshot(cpuState)
	var next atomic.Int64
	lat := make([]time.Duration, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := time.Now()
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				t0 := time.Now()
				errs[i] = op(i)
				lat[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	st := Stats{Name: name, Concurrency: c, Elapsed: time.Since(start), CPU: cpuDiff(cpuSnapshot(cpuState), cpu0)}
	var ok []time.Duration
	for i, err := range errs {
		if err != nil {
			st.Failed++
			if st.FirstErr == nil {
				st.FirstErr = err
			}
			continue
		}
		ok = append(ok, lat[i])
	}
	st.OK = len(ok)
	slices.Sort(ok)
	if len(ok) > 0 {
		st.P50 = ok[len(ok)/2]
		st.P99 = ok[len(ok)*99/100]
	}
	return st
}

func writeRun(ctx context.Context, name string, c, n int, args func(i int) (string, []string), conn *scenario.Conn) Stats {
	return drive(c, n, name, func(i int) error {
		fn, a := args(i)
		_, err := scenario.Submit(ctx, conn.Contract, 1, fn, a...)
		return err
	})
}

func verifyRun(ctx context.Context, c, n int, ids []string, conn *scenario.Conn) Stats {
	return drive(c, n, "certificate:Verify", func(i int) error {
		q := scenario.JSON(map[string]string{"id": ids[i%len(ids)]})
		b, err := conn.Contract.EvaluateWithContext(ctx, "certificate:Verify", client.WithArguments(q))
		if err != nil {
			return err
		}
		return checkVerdict(b, "VALID")
	})
}

// printMemory prints VmHWM (peak resident set) of every process network.sh recorded.
func printMemory(out io.Writer, state string) {
	files, _ := filepath.Glob(filepath.Join(state, "pids", "*.pid"))
	fmt.Fprintln(out, "\n| process | peak RSS (VmHWM) | RSS now |")
	fmt.Fprintln(out, "|---|---|---|")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		pid := strings.Fields(string(b) + " ")[0]
		status, err := os.ReadFile("/proc/" + pid + "/status")
		if err != nil {
			continue
		}
		field := func(k string) string {
			for _, l := range strings.Split(string(status), "\n") {
				if strings.HasPrefix(l, k+":") {
					kb, _ := strconv.Atoi(strings.Fields(strings.TrimPrefix(l, k+":"))[0])
					return fmt.Sprintf("%.0f MiB", float64(kb)/1024)
				}
			}
			return "?"
		}
		fmt.Fprintf(out, "| %s | %s | %s |\n", strings.TrimSuffix(filepath.Base(f), ".pid"), field("VmHWM"), field("VmRSS"))
	}
}

// machineLoad describes how busy the machine is (load average, CPU pressure), because other
// work on a shared machine changes every figure.
func machineLoad() string {
	la, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(la))
	s := "load average ?"
	if len(f) >= 3 {
		s = "load average " + strings.Join(f[:3], " ")
	}
	if p, err := os.ReadFile("/proc/pressure/cpu"); err == nil {
		if l := strings.SplitN(string(p), "\n", 2)[0]; strings.HasPrefix(l, "some ") {
			s += ", CPU pressure " + strings.TrimPrefix(l, "some ")
		}
	}
	return s
}

var errVerdict = errors.New("unexpected verdict")

func checkVerdict(b []byte, want string) error {
	var v struct {
		Verdict string `json:"verdict"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	if v.Verdict != want {
		return fmt.Errorf("%w %s, want %s", errVerdict, v.Verdict, want)
	}
	return nil
}
