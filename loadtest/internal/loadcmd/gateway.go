package loadcmd

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	dto "github.com/prometheus/client_model/go"
	"github.com/urfave/cli/v2"

	"github.com/certledger/certledger/gateway/gatewaytest"
	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/loadtest/internal/driver"
	"github.com/certledger/certledger/loadtest/internal/proc"
	"github.com/certledger/certledger/loadtest/record"
)

// CPU groups of the gateway run: this process (devnet, chaincode, gateway, and
// the load generators unless --external-clients) and the load-generator child.
const (
	cpuParent = "parent"
	cpuChild  = "child"
)

// Issue paths: the fabric-gateway client in a child (or here without
// --external-clients), the REST API, and (--external-clients only) the
// fabric-gateway client in this process next to the ledger.
const (
	pathDirect = "direct"
	pathREST   = "rest"
	pathInProc = "inproc"
)

func gatewayCommand() *cli.Command {
	return &cli.Command{
		Name:  "gateway",
		Usage: "start an in-process devnet and gateway; print issue throughput (REST vs fabric-gateway client) and verify latency",
		Flags: append([]cli.Flag{
			&cli.IntFlag{Name: "n", Value: 150, Usage: "certificates per issue round and path"},
			&cli.IntFlag{Name: "rounds", Value: 4, Usage: "issue rounds per path (alternating direct, REST)"},
			&cli.IntFlag{Name: "concurrency", Value: 32, Usage: "concurrent clients"},
			&cli.DurationFlag{Name: "verify-for", Value: 5 * time.Second, Usage: "duration of the verify phase"},
			&cli.StringFlag{Name: "dir", Usage: "devnet folder (default: a temporary one)"},
			&cli.BoolFlag{Name: "external-clients", Usage: "run the issue load generators in a child process; count only gateway + ledger CPU here"},
			&cli.StringFlag{Name: "devnet-bin", Usage: "--group: certledger-devnet binary (default: next to this one, on PATH, or built with go build)"},
			&cli.StringFlag{Name: "devnet-cpuprofile", Usage: "--group: CPU profile of the certledger-devnet process"},
		}, groupFlags()...),
		Subcommands: []*cli.Command{gatewayClientCommand()},
		Action:      runGateway,
	}
}

// gatewayRun is one run of the gateway subcommand.
type gatewayRun struct {
	c           *cli.Context
	n, rounds   int
	concurrency int
	external    bool
	dir         string
	s           *gatewaytest.Stack
	hc          *http.Client
	dept        *record.Dept
	contract    *client.Contract // dept-a, fabric-gateway client in this process
	seq         int
	issued      []certificate.Record
	paths       map[string]driver.Result // issue rounds summed per path
	seqDirect   driver.Result            // concurrency 1, interleaved
	seqREST     driver.Result
	verify      driver.Result
}

func runGateway(c *cli.Context) error {
	if c.Int("group") != 0 {
		return runGroupDevnet(c)
	}
	r := &gatewayRun{c: c, n: c.Int("n"), rounds: c.Int("rounds"), concurrency: c.Int("concurrency"),
		external: c.Bool("external-clients"), paths: map[string]driver.Result{}}
	if r.n <= 0 || r.rounds <= 0 || r.concurrency <= 0 || c.Duration("verify-for") <= 0 {
		return cli.Exit("-n, --rounds, --concurrency and --verify-for must be positive", 2)
	}
	dir, cleanup, err := workDir(c.String("dir"), "certledger-load-gateway-")
	if err != nil {
		return err
	}
	defer cleanup()
	r.dir = dir
	if err := r.start(); err != nil {
		return err
	}
	defer func() { _ = r.s.Close() }() // shutting down the bench stack
	defer r.hc.CloseIdleConnections()
	if err := r.warmUp(); err != nil {
		return err
	}
	for range r.rounds {
		if err := r.round(); err != nil {
			return err
		}
	}
	if err := r.sequential(); err != nil {
		return err
	}
	r.verify = driver.Run(c.Context, driver.Options{Name: "verify", Workers: r.concurrency, For: c.Duration("verify-for")},
		restVerify(r.s, r.hc, r.issued))
	return r.report()
}

// start starts the stack, registers the departments and connects dept-a's
// fabric-gateway client.
func (r *gatewayRun) start() error {
	var err error
	if r.s, err = gatewaytest.Start(r.dir, gatewaytest.Options{}); err != nil {
		return err
	}
	r.hc = &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: r.concurrency * 2, MaxIdleConns: r.concurrency * 4}}
	depts, err := r.s.Seed(r.c.Context, r.hc)
	if err != nil {
		return err
	}
	r.dept = depts["dept-a"]
	gw, p, err := r.s.Fabric.Gateway("dept-a")
	if err != nil {
		return err
	}
	r.contract = gw.GetNetwork(p.Channel).GetContract(p.Chaincode)
	return nil
}

// records signs n new certificate records; ids are prefix-000001, ...
func (r *gatewayRun) records(prefix string, n int) ([]certificate.Record, error) {
	recs, err := r.dept.Certificates(prefix+"-%06d", r.seq+1, n)
	r.seq += n
	r.issued = append(r.issued, recs...)
	return recs, err
}

// op is the issue operation of a path run in this process.
func (r *gatewayRun) op(path string, recs []certificate.Record) driver.Op {
	if path == pathREST {
		return restIssue(r.hc, r.s.URL, r.s.Tokens[gatewaytest.AClerk], recs)
	}
	return submitIssue(r.contract, recs)
}

// warmUp sends one batch through each path (connections, chaincode).
func (r *gatewayRun) warmUp() error {
	for _, path := range []string{pathDirect, pathREST} {
		recs, err := r.records("warm", r.concurrency)
		if err != nil {
			return err
		}
		res := driver.Run(r.c.Context, driver.Options{Workers: r.concurrency, N: len(recs)}, r.op(path, recs))
		if res.Failed > 0 {
			return fmt.Errorf("warm-up %s: %d failures, first: %w", path, res.Failed, res.FirstErr)
		}
	}
	return nil
}

// round runs one issue round of each path and adds it to r.paths.
func (r *gatewayRun) round() error {
	paths := []string{pathDirect, pathREST}
	if r.external {
		paths = []string{pathInProc, pathDirect, pathREST}
	}
	for _, path := range paths {
		recs, err := r.records(path, r.n)
		if err != nil {
			return err
		}
		var res driver.Result
		if r.external && path != pathInProc {
			if res, err = r.childRound(path, recs); err != nil {
				return err
			}
		} else {
			meter := func() map[string]time.Duration { return map[string]time.Duration{cpuParent: proc.SelfCPU()} }
			res = driver.Run(r.c.Context, driver.Options{Name: path, Workers: r.concurrency, N: len(recs), CPU: meter}, r.op(path, recs))
		}
		r.paths[path] = r.paths[path].Add(res)
	}
	return nil
}

// childRound runs a measured round in a load-generator child (this binary's
// gateway client subcommand), after a warm-up batch of its own.
func (r *gatewayRun) childRound(path string, recs []certificate.Record) (driver.Result, error) {
	warm, err := r.records("warmc-"+path, r.concurrency)
	if err != nil {
		return driver.Result{}, err
	}
	exe, err := os.Executable()
	if err != nil {
		return driver.Result{}, err
	}
	co := clientOptions{Mode: path, Profile: r.s.Profiles["dept-a"], URL: r.s.URL, Concurrency: r.concurrency}
	return childRound(r.c.Context, []string{exe, "gateway", "client"}, co, r.s.Tokens[gatewaytest.AClerk], clientJob{Warm: warm, Run: recs}, r.dir)
}

// sequential measures issue latency without queueing: one request at a time,
// alternating the paths so that a change of machine load hits both alike.
func (r *gatewayRun) sequential() error {
	recs, err := r.records("seq", 100)
	if err != nil {
		return err
	}
	direct, rest := r.op(pathDirect, recs), r.op(pathREST, recs)
	for i := range recs {
		op, dst := direct, &r.seqDirect
		if i%2 == 1 {
			op, dst = rest, &r.seqREST
		}
		*dst = dst.Add(driver.Run(r.c.Context, driver.Options{Workers: 1, N: 1}, func(ctx context.Context, _ int) error { return op(ctx, i) }))
	}
	return nil
}

// mvccRetries is the gateway's MVCC retry counter.
func (r *gatewayRun) mvccRetries() int {
	var pm dto.Metric
	if r.s.Metrics.MVCCRetries.Write(&pm) != nil {
		return 0
	}
	return int(pm.GetCounter().GetValue())
}
