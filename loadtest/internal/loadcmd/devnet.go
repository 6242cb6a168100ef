package loadcmd

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/urfave/cli/v2"

	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/loadtest/internal/driver"
	"github.com/certledger/certledger/loadtest/internal/proc"
	"github.com/certledger/certledger/loadtest/record"
	"github.com/certledger/certledger/network/devnet"
)

// devnetIDs is the id format of the certificates the devnet run issues, without
// gaps from 0, so that --measure-start can name them again.
const devnetIDs = "bench-%08d"

func devnetCommand() *cli.Command {
	return &cli.Command{
		Name:  "devnet",
		Usage: "issuance and verification through the fabric-gateway client on a devnet; start-up time and memory",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "concurrency", Value: "1,16,64", Usage: "issuance concurrency levels"},
			&cli.DurationFlag{Name: "duration", Value: 5 * time.Second, Usage: "time per measurement"},
			&cli.IntFlag{Name: "verify-concurrency", Value: 32},
			&cli.IntFlag{Name: "stored", Value: 100000, Usage: "certificates to store before measuring start-up and memory (0 skips)"},
			&cli.DurationFlag{Name: "block-timeout", Usage: "override the block cutting timeout"},
			&cli.IntFlag{Name: "block-size", Usage: "override the block size (transactions)"},
			&cli.StringFlag{Name: "work", Usage: "folder for the devnet (default: a temporary folder, removed after); kept when given"},
			&cli.BoolFlag{Name: "external", Usage: "run the devnet as a separate `certledger-devnet start` process and report its CPU time per operation apart"},
			&cli.StringFlag{Name: "measure-start", Usage: "only measure start-up and memory of an existing --work folder holding --stored certificates"},
			&cli.StringFlag{Name: "devnet-bin", Usage: "certledger-devnet binary for --external and the start-up measurement (default: next to this one, on PATH, or built with go build)"},
			&cli.StringFlag{Name: "devnet-cpuprofile", Usage: "CPU profile of the external devnet process (certledger-devnet start --cpuprofile)"},
			&cli.StringFlag{Name: "records", Value: "v1", Usage: "`v1` records (free-form ids and types), or v2: GB/T 36904 identifiers of a catalogue type (the department gets a code and the type is registered first, so every issue runs the catalogue check); give the same with --measure-start"},
		},
		Action: runDevnet,
	}
}

// devnetRun is one run of the devnet subcommand.
type devnetRun struct {
	c      *cli.Context
	dir    string
	cfg    devnet.Config
	net    *ledgerNet
	dept   *record.Dept
	v2     bool // --records v2
	issued []string
	meter  driver.Meter
	groups []string
}

func runDevnet(c *cli.Context) error {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400) // as certledger-devnet does: a small heap, collected less often
	}
	v2, err := recordsV2(c)
	if err != nil {
		return err
	}
	if dir := c.String("measure-start"); dir != "" {
		ids := make([]string, c.Int("stored"))
		for i := range ids {
			if ids[i] = fmt.Sprintf(devnetIDs, i); v2 {
				if ids[i], err = benchV2().Identifier(ids[i]); err != nil {
					return err
				}
			}
		}
		return measureStart(c, dir, ids)
	}
	lv, err := levels("concurrency", c.String("concurrency"))
	if err != nil {
		return err
	}
	dir, cleanup, err := workDir(c.String("work"), "certledger-load-devnet-")
	if err != nil {
		return err
	}
	defer cleanup()
	r := &devnetRun{c: c, dir: dir, v2: v2}
	if err := r.open(); err != nil {
		return err
	}
	defer func() { r.net.close() }()
	r.header()
	if err := r.issue(lv); err != nil {
		return err
	}
	r.verify()
	if c.Int("stored") <= 0 {
		return nil
	}
	return r.fillAndRestart()
}

// open initialises the devnet, starts it (in-process or as a child process),
// connects and registers the issuing department.
func (r *devnetRun) open() error {
	r.cfg = devnet.DefaultConfig()
	if d := r.c.Duration("block-timeout"); d > 0 {
		r.cfg.Block.Timeout = d
	}
	if n := r.c.Int("block-size"); n > 0 {
		r.cfg.Block.MaxTxCount = n
	}
	if err := devnet.Init(r.dir, r.cfg); err != nil {
		return err
	}
	var err error
	if r.c.Bool("external") {
		r.net, err = startExternal(r.c, r.dir)
		r.groups = []string{"client", "devnet"}
		r.meter = func() map[string]time.Duration { return r.net.cpu("client", "devnet") }
	} else {
		r.net, err = startInProcess(r.dir, nil)
		r.groups = []string{"process"}
		r.meter = func() map[string]time.Duration { return r.net.cpu("process", "") }
	}
	if err != nil {
		return err
	}
	if r.dept, err = record.NewDept("bench", "DeptAMSP"); err != nil {
		return err
	}
	if !r.v2 {
		return r.dept.Register(r.net.gov)
	}
	if err := r.dept.UseV2(benchV2()); err != nil {
		return err
	}
	return r.dept.RegisterV2(r.net.gov)
}

// recordsV2 reads --records: false for v1, true for v2.
func recordsV2(c *cli.Context) (bool, error) {
	switch c.String("records") {
	case "v1":
		return false, nil
	case "v2":
		return true, nil
	}
	return false, cli.Exit(fmt.Sprintf("--records %q: want v1 or v2", c.String("records")), 2)
}

// benchV2 is the bench department's code and type with --records v2 (a fresh
// devnet: the demo code and business-licence type).
func benchV2() record.V2 {
	return record.V2{Name: "Department bench", Code: record.DemoCode, Type: record.DemoType()}
}

func (r *devnetRun) header() {
	out := r.c.App.Writer
	fmt.Fprintf(out, "certledger-load devnet: GOMAXPROCS=%d, %s, block timeout %s, max %d tx/block, TLS %v, policy %s of %d orgs; %s\n",
		runtime.GOMAXPROCS(0), runtime.Version(), r.cfg.Block.Timeout, r.cfg.Block.MaxTxCount, r.cfg.TLSEnabled(),
		r.cfg.EndorsementPolicy, len(r.cfg.Orgs), proc.MachineLoad())
	if r.net.proc != nil {
		fmt.Fprintln(out, "devnet in its own process (certledger-devnet start), client in this one, over loopback gRPC+TLS;")
		fmt.Fprintln(out, "CPU/op = CPU time per operation of the client process and of the devnet process, independent of other load")
	} else {
		fmt.Fprintln(out, "client and devnet in one process, over loopback gRPC+TLS;")
		fmt.Fprintln(out, "CPU/op = the process's CPU time per operation (client + devnet), independent of other load on the machine")
	}
	kind := "v1 records (free-form ids)"
	if r.v2 {
		kind = "v2 records (GB/T 36904 identifiers of catalogue type " + benchV2().Type.Code + "; issue checks the catalogue)"
	}
	fmt.Fprintf(out, "%s, signed (SM2) before the clock starts\n\n", kind)
}

// issue measures certificate:Issue at each concurrency level for --duration.
func (r *devnetRun) issue(lv []int) error {
	d := r.c.Duration("duration")
	var rs []driver.Result
	for _, n := range lv {
		// Pre-sign more records than the level can use.
		recs, err := r.dept.Certificates(devnetIDs, len(r.issued), max(int(d.Seconds()*float64(min(n*400, 6000))), 200))
		if err != nil {
			return err
		}
		res := driver.Run(r.c.Context, driver.Options{Name: "certificate:Issue", Workers: n, N: len(recs), For: d, CPU: r.meter},
			submitIssue(r.net.dept, recs))
		r.issued = append(r.issued, ids(recs[:res.OK+res.Failed])...)
		rs = append(rs, res)
	}
	t := opsTable(fmt.Sprintf("issuance: certificate:Issue, Submit (endorse + submit + commit status), %s per level", d), rs, r.groups...)
	return t.Write(r.c.App.Writer, format(r.c))
}

// verify measures certificate:Verify by id over the issued certificates.
func (r *devnetRun) verify() {
	d, vc := r.c.Duration("duration"), r.c.Int("verify-concurrency")
	res := driver.Run(r.c.Context, driver.Options{Name: "certificate:Verify", Workers: vc, For: d, CPU: r.meter},
		evaluateVerify(r.net.dept, r.issued))
	t := opsTable(fmt.Sprintf("verify: certificate:Verify by id, Evaluate, %s over %d certificates", d, len(r.issued)),
		[]driver.Result{res}, r.groups...)
	_ = t.Write(r.c.App.Writer, format(r.c))
}

// fillAndRestart issues up to --stored certificates, stops the devnet and
// measures a fresh start on the filled ledger.
func (r *devnetRun) fillAndRestart() error {
	stored, out := r.c.Int("stored"), r.c.App.Writer
	fmt.Fprintf(out, "filling the ledger to %d certificates (concurrency 64)...\n", stored)
	t0, before := time.Now(), len(r.issued)
	for len(r.issued) < stored && r.c.Err() == nil {
		recs, err := r.dept.Certificates(devnetIDs, len(r.issued), min(20000, stored-len(r.issued)))
		if err != nil {
			return err
		}
		res := driver.Run(r.c.Context, driver.Options{Name: "fill", Workers: 64, N: len(recs)}, submitIssue(r.net.dept, recs))
		if res.Failed > 0 {
			return fmt.Errorf("filling: %d errors, first: %w", res.Failed, res.FirstErr)
		}
		r.issued = append(r.issued, ids(recs)...)
	}
	fill := time.Since(t0)
	r.net.close()
	ledger := filepath.Join(r.dir, "ledger")
	if _, err := os.Stat(ledger); err != nil {
		return err
	}
	fmt.Fprintf(out, "  stored %d certificates (%d by the fill in %s, %.0f tx/s), ledger files %d MiB\n",
		len(r.issued), len(r.issued)-before, fill.Round(time.Second), float64(len(r.issued)-before)/fill.Seconds(), dirSize(ledger)>>20)
	return measureStart(r.c, r.dir, r.issued)
}

// submitIssue submits recs[i] with certificate:Issue.
func submitIssue(c *client.Contract, recs []certificate.Record) driver.Op {
	return func(ctx context.Context, i int) error {
		_, err := c.SubmitWithContext(ctx, "certificate:Issue", client.WithArguments(record.JSON(recs[i])))
		return err
	}
}

// evaluateVerify evaluates certificate:Verify of a random id in ids and wants VALID.
func evaluateVerify(c *client.Contract, ids []string) driver.Op {
	return func(ctx context.Context, _ int) error {
		res, err := c.EvaluateWithContext(ctx, "certificate:Verify", client.WithArguments(`{"id":"`+ids[rand.IntN(len(ids))]+`"}`))
		if err != nil {
			return err
		}
		if v, err := record.Verdict(res); err != nil || v != "VALID" {
			return fmt.Errorf("verdict %q (%w), want VALID", v, err)
		}
		return nil
	}
}

func ids(recs []certificate.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.ID
	}
	return out
}

// workDir is dir, or a new temporary folder that cleanup removes.
func workDir(dir, pattern string) (string, func(), error) {
	if dir != "" {
		return dir, func() {}, os.MkdirAll(dir, 0o755)
	}
	tmp, err := os.MkdirTemp("", pattern)
	if err != nil {
		return "", nil, err
	}
	return tmp, func() { _ = os.RemoveAll(tmp) }, nil // best-effort cleanup of a temp dir
}
