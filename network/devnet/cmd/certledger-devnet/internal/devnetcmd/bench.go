package devnetcmd

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/urfave/cli/v2"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/network/devnet"
	"github.com/certledger/certledger/network/devnet/internal/workload"
)

func benchCommand(ctx context.Context) *cli.Command {
	return &cli.Command{
		Name:  "bench",
		Usage: "measure issuance and verification through the fabric-gateway client; print a table",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "concurrency", Value: "1,16,64", Usage: "issuance concurrency levels"},
			&cli.DurationFlag{Name: "duration", Value: 5 * time.Second, Usage: "time per measurement"},
			&cli.IntFlag{Name: "verify-concurrency", Value: 32},
			&cli.IntFlag{Name: "stored", Value: 100000, Usage: "certificates to store before measuring start-up and memory (0 skips)"},
			&cli.DurationFlag{Name: "block-timeout", Value: 0, Usage: "override the block cutting timeout"},
			&cli.IntFlag{Name: "block-size", Value: 0, Usage: "override the block size (transactions)"},
			&cli.StringFlag{Name: "cpuprofile", Usage: "write a CPU profile of the issuance and verify runs"},
			&cli.StringFlag{Name: "work", Usage: "folder for the devnet (default: a temporary folder, removed after); kept when given"},
			&cli.BoolFlag{Name: "external", Usage: "run the devnet as a separate `start` process and report its CPU time per operation apart"},
			&cli.StringFlag{Name: "measure-start", Usage: "only measure start-up and memory of an existing bench folder holding --stored certificates"},
		},
		Action: func(c *cli.Context) error { return runBench(ctx, c) },
	}
}

type benchNet struct {
	node   *devnet.Node // in-process devnet, or
	proc   *exec.Cmd    // a `start` child process (--external)
	served chan error
	gws    []*client.Gateway
	closes []func() error
}

func (b *benchNet) close() {
	for _, f := range b.closes {
		_ = f()
	}
	if b.proc != nil {
		_ = b.proc.Process.Signal(os.Interrupt)
		_ = b.proc.Wait()
		childPID = 0
		return
	}
	_ = b.node.Close()
	<-b.served //nolint:errcheck // Serve returns once Close stops it; its error then is expected
}

func (b *benchNet) connect(dir string) error {
	for _, org := range []string{"gov", "dept-a"} {
		gw, conn, err := devnet.Connect(devnet.ProfilePath(dir, org))
		if err != nil {
			return err
		}
		b.gws = append(b.gws, gw)
		b.closes = append(b.closes, gw.Close, conn.Close)
	}
	return nil
}

// openExternal runs the devnet as a `start` child process of this binary.
func openExternal(ctx context.Context, dir string) (*benchNet, error) {
	cmd, _, err := startChild(ctx, dir)
	if err != nil {
		return nil, err
	}
	b := &benchNet{proc: cmd}
	childPID = cmd.Process.Pid
	if err := b.connect(dir); err != nil {
		b.close()
		return nil, err
	}
	return b, nil
}

// childPID is the devnet child process whose CPU time the bench also reads (0: none).
var childPID int

// procCPU reads the user+system CPU time of a process from /proc (Linux).
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		s = s[i+1:]
	}
	f := strings.Fields(s)
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * (time.Second / 100) // USER_HZ is 100 on Linux
}

func openBench(dir string) (*benchNet, error) {
	cc, err := chaincode.New()
	if err != nil {
		return nil, err
	}
	node, err := devnet.Open(dir, devnet.WithChaincode(cc))
	if err != nil {
		return nil, err
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = node.Close() // already returning the Listen error
		return nil, err
	}
	if err := node.WriteProfiles(lis.Addr().String()); err != nil {
		_ = node.Close() // already returning the error
		return nil, err
	}
	b := &benchNet{node: node, served: make(chan error, 1)}
	go func() { b.served <- node.Serve(lis) }()
	for _, org := range []string{"gov", "dept-a"} {
		gw, conn, err := devnet.Connect(node.ProfilePath(org))
		if err != nil {
			b.close()
			return nil, err
		}
		b.gws = append(b.gws, gw)
		b.closes = append(b.closes, gw.Close, conn.Close)
	}
	return b, nil
}

// contract is the certledger chaincode as gov (0) or dept-a (1); the bench uses the
// default channel and chaincode names.
func (b *benchNet) contract(i int) *client.Contract {
	return b.gws[i].GetNetwork("certledger").GetContract("certledger")
}

func runBench(ctx context.Context, c *cli.Context) error {
	out := c.App.Writer
	if dir := c.String("measure-start"); dir != "" {
		// The bench issues ids bench-00000000, bench-00000001, ... without gaps.
		ids := make([]string, c.Int("stored"))
		for i := range ids {
			ids[i] = fmt.Sprintf("bench-%08d", i)
		}
		return measureStart(ctx, out, dir, ids)
	}
	var levels []int
	for _, s := range strings.Split(c.String("concurrency"), ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return fmt.Errorf("bad concurrency %q", s)
		}
		levels = append(levels, n)
	}
	dir := c.String("work")
	if dir == "" {
		tmp, err := os.MkdirTemp("", "certledger-bench-")
		if err != nil {
			return err
		}
		defer func() { _ = os.RemoveAll(tmp) }() // best-effort cleanup of a temp dir
		dir = tmp
	}
	cfg := devnet.DefaultConfig()
	if d := c.Duration("block-timeout"); d > 0 {
		cfg.Block.Timeout = d
	}
	if n := c.Int("block-size"); n > 0 {
		cfg.Block.MaxTxCount = n
	}
	if err := devnet.Init(dir, cfg); err != nil {
		return err
	}
	var err error
	var b *benchNet
	if c.Bool("external") {
		b, err = openExternal(ctx, dir)
	} else {
		b, err = openBench(dir)
	}
	if err != nil {
		return err
	}
	defer func() {
		if b != nil {
			b.close()
		}
	}()
	gov, dept := b.contract(0), b.contract(1)
	d, err := workload.NewDept("bench", "DeptAMSP")
	if err != nil {
		return err
	}
	if err := d.Register(gov); err != nil {
		return err
	}
	if p := c.String("cpuprofile"); p != "" {
		f, err := os.Create(p)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer func() { pprof.StopCPUProfile(); _ = f.Close() }() // profile is flushed by StopCPUProfile
	}
	fmt.Fprintf(out, "certledger-devnet bench: GOMAXPROCS=%d, %s, block timeout %s, max %d tx/block, TLS %v, policy %s of %d orgs\n",
		runtime.GOMAXPROCS(0), runtime.Version(), cfg.Block.Timeout, cfg.Block.MaxTxCount, cfg.TLSEnabled(), cfg.EndorsementPolicy, len(cfg.Orgs))
	if b.proc != nil {
		fmt.Fprintln(out, "devnet in its own process (certledger-devnet start), client in this one, over loopback gRPC+TLS;")
		fmt.Fprintln(out, "CPU/op = CPU time per operation of the client process and of the devnet process, independent of other load")
	} else {
		fmt.Fprintln(out, "client and devnet in one process, over loopback gRPC+TLS;")
		fmt.Fprintln(out, "CPU/op = the process's CPU time per operation (client + devnet), independent of other load on the machine")
	}
	fmt.Fprintln(out, "records are signed (SM2) before the clock starts")
	fmt.Fprintf(out, "\nissuance: certificate:Issue, Submit (endorse + submit + commit status), %s per level\n", c.Duration("duration"))
	fmt.Fprintf(out, "  %-12s %8s %10s %10s %10s %8s %10s %12s  %s\n", "concurrency", "tx", "tx/s", "p50", "p99", "errors", "CPU/op", "devnet CPU/op", "load avg")
	var issued []string
	seq := 0
	for _, lvl := range levels {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// Pre-sign more records than the level can use.
		recs, ids, err := makeRecords(d, &seq, estimate(lvl, c.Duration("duration")))
		if err != nil {
			return err
		}
		r := load(ctx, lvl, c.Duration("duration"), len(recs), func(i int) error {
			_, err := dept.Submit("certificate:Issue", client.WithArguments(recs[i]))
			return err
		})
		issued = append(issued, ids[:r.n]...)
		fmt.Fprintf(out, "  %-12d %8d %10.0f %10s %10s %8d %10s %12s  %s\n", lvl, r.n, r.rate(), r.pct(50), r.pct(99), r.errs, r.cpuPerOp(r.cpu), r.cpuPerOp(r.childCPU), loadAvg())
		if r.firstErr != nil {
			fmt.Fprintf(out, "  first error: %v\n", r.firstErr)
		}
	}
	if len(issued) == 0 {
		return errors.New("nothing issued")
	}
	vc := c.Int("verify-concurrency")
	fmt.Fprintf(out, "\nverify: certificate:Verify by id, Evaluate, concurrency %d, %s over %d certificates\n", vc, c.Duration("duration"), len(issued))
	r := load(ctx, vc, c.Duration("duration"), 1<<30, func(i int) error {
		res, err := dept.Evaluate("certificate:Verify", client.WithArguments(`{"id":"`+issued[rand.IntN(len(issued))]+`"}`))
		if err == nil {
			if v, _ := workload.Verdict(res); v != "VALID" {
				err = fmt.Errorf("verdict %s", v)
			}
		}
		return err
	})
	fmt.Fprintf(out, "  %-12s %8s %10s %10s %10s %8s %10s %12s  %s\n", "concurrency", "queries", "q/s", "p50", "p99", "errors", "CPU/op", "devnet CPU/op", "load avg")
	fmt.Fprintf(out, "  %-12d %8d %10.0f %10s %10s %8d %10s %12s  %s\n", vc, r.n, r.rate(), r.pct(50), r.pct(99), r.errs, r.cpuPerOp(r.cpu), r.cpuPerOp(r.childCPU), loadAvg())
	if r.firstErr != nil {
		fmt.Fprintf(out, "  first error: %v\n", r.firstErr)
	}
	pprof.StopCPUProfile()

	stored := c.Int("stored")
	if stored <= 0 {
		return nil
	}
	fmt.Fprintf(out, "\nfilling the ledger to %d certificates (concurrency 64)...\n", stored)
	t0 := time.Now()
	for len(issued) < stored && ctx.Err() == nil {
		n := min(20000, stored-len(issued))
		recs, ids, err := makeRecords(d, &seq, n)
		if err != nil {
			return err
		}
		r := load(ctx, 64, 0, n, func(i int) error {
			_, err := dept.Submit("certificate:Issue", client.WithArguments(recs[i]))
			return err
		})
		if r.errs > 0 {
			return fmt.Errorf("filling: %d errors, first: %w", r.errs, r.firstErr)
		}
		issued = append(issued, ids[:r.n]...)
	}
	fill := time.Since(t0)
	b.close()
	b = nil
	fi, _ := os.Stat(filepath.Join(dir, "ledger", "ledger.db"))
	fmt.Fprintf(out, "  stored %d certificates in %s (%.0f tx/s), ledger file %d MiB\n",
		len(issued), fill.Round(time.Second), float64(stored)/fill.Seconds(), fi.Size()>>20)
	return measureStart(ctx, out, dir, issued)
}

func estimate(lvl int, d time.Duration) int {
	n := int(d.Seconds() * float64(min(lvl*400, 6000)))
	return max(n, 200)
}

func makeRecords(d *workload.Dept, seq *int, n int) ([]string, []string, error) {
	recs, ids := make([]string, n), make([]string, n)
	var wg sync.WaitGroup
	var firstErr atomic.Value
	workers := runtime.GOMAXPROCS(0)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				id := fmt.Sprintf("bench-%08d", *seq+i)
				rec, _, err := d.Certificate(id, []byte(id))
				if err != nil {
					firstErr.Store(err)
					return
				}
				recs[i], ids[i] = rec, id
			}
		}()
	}
	wg.Wait()
	*seq += n
	if e, ok := firstErr.Load().(error); ok {
		return nil, nil, e
	}
	return recs, ids, nil
}

type result struct {
	n, errs  int
	elapsed  time.Duration
	cpu      time.Duration // this process's CPU time (user+system) during the run
	childCPU time.Duration // the devnet child's, with --external
	lat      []time.Duration
	firstErr error
}

func (r *result) rate() float64 { return float64(r.n) / r.elapsed.Seconds() }

// cpuPerOp is a CPU time per operation.
func (r *result) cpuPerOp(d time.Duration) string {
	if r.n == 0 || d == 0 {
		return "-"
	}
	return (d / time.Duration(r.n)).Round(time.Microsecond).String()
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "n/a"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "n/a"
	}
	return strings.Join(f[:3], " ")
}

func (r *result) pct(p int) string {
	if len(r.lat) == 0 {
		return "-"
	}
	i := min(len(r.lat)-1, len(r.lat)*p/100)
	return r.lat[i].Round(10 * time.Microsecond).String()
}

// load runs fn from conc goroutines until d passes (d = 0: until limit calls).
func load(ctx context.Context, conc int, d time.Duration, limit int, fn func(i int) error) *result {
	var next atomic.Int64
	var mu sync.Mutex
	res := &result{}
	deadline := time.Now().Add(d)
	start := time.Now()
	cpu0 := cpuTime()
	var child0 time.Duration
	if childPID != 0 {
		child0 = procCPU(childPID)
	}
	var wg sync.WaitGroup
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			errs := 0
			var first error
			for ctx.Err() == nil && (d == 0 || time.Now().Before(deadline)) {
				i := int(next.Add(1) - 1)
				if i >= limit {
					break
				}
				t := time.Now()
				if err := fn(i); err != nil {
					errs++
					if first == nil {
						first = err
					}
					continue
				}
				lat = append(lat, time.Since(t))
			}
			mu.Lock()
			res.lat = append(res.lat, lat...)
			res.errs += errs
			if res.firstErr == nil {
				res.firstErr = first
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	res.cpu = cpuTime() - cpu0
	if childPID != 0 {
		res.childCPU = procCPU(childPID) - child0
	}
	res.n = len(res.lat)
	slices.Sort(res.lat)
	return res
}

// measureStart starts this binary as `start` on the filled ledger, times it to its
// first answered query and reads its resident memory.
func measureStart(ctx context.Context, out io.Writer, dir string, issued []string) error {
	t0 := time.Now()
	cmd, line, err := startChild(ctx, dir)
	if err != nil {
		return err
	}
	defer func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	}()
	listening := time.Since(t0)
	gw, conn, err := devnet.Connect(devnet.ProfilePath(dir, "gov"))
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close() }() // bench client teardown
	defer func() { _ = gw.Close() }()   // bench client teardown
	contract := gw.GetNetwork("certledger").GetContract("certledger")
	if _, err := contract.EvaluateTransaction("certificate:Verify", `{"id":"`+issued[0]+`"}`); err != nil {
		return err
	}
	firstAnswer := time.Since(t0)
	rssIdle := rss(cmd.Process.Pid)
	r := load(ctx, 32, 0, 5000, func(int) error {
		_, err := contract.EvaluateTransaction("certificate:Verify", `{"id":"`+issued[rand.IntN(len(issued))]+`"}`)
		return err
	})
	fmt.Fprintf(out, "\nstart-up with %d certificates stored: %s to listening (%s), %s to the first answered Verify\n",
		len(issued), listening.Round(time.Millisecond), strings.TrimSpace(line), firstAnswer.Round(time.Millisecond))
	fmt.Fprintf(out, "resident memory of the devnet process: %s after start-up, %s after %d random Verify queries (%.0f q/s)\n",
		rssIdle, rss(cmd.Process.Pid), r.n, r.rate())
	return nil
}

// startChild starts this binary as `start` on dir and waits for its ready line.
func startChild(ctx context.Context, dir string) (*exec.Cmd, string, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, "", err
	}
	args := []string{"--dir", dir, "--log-level", "error", "start", "--listen", "127.0.0.1:0"}
	if p := os.Getenv("CERTLEDGER_DEVNET_BENCH_CPUPROFILE"); p != "" {
		args = append(args, "--cpuprofile", p)
	}
	cmd := exec.CommandContext(ctx, exe, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, "", fmt.Errorf("reading start-up line: %w", err)
	}
	return cmd, line, nil
}

// rss reads the resident memory of a process (Linux): the total, the private
// (anonymous: Go heap and stacks) part, and the file-backed part (pages of the
// memory-mapped ledger file, shared with the page cache and reclaimable).
func rss(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "n/a"
	}
	v := map[string]int{}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) >= 2 && strings.HasPrefix(f[0], "Rss") || len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.Atoi(f[1])
			v[strings.TrimSuffix(f[0], ":")] = kb >> 10
		}
	}
	return fmt.Sprintf("%d MiB (private %d MiB, file-backed ledger pages %d MiB)", v["VmRSS"], v["RssAnon"], v["RssFile"]+v["RssShmem"])
}
