package loadcmd

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/certledger/certledger/gateway/gatewaytest"
	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/loadtest/internal/driver"
	"github.com/certledger/certledger/loadtest/internal/proc"
	"github.com/certledger/certledger/loadtest/internal/rawhttp"
	"github.com/certledger/certledger/loadtest/internal/table"
	"github.com/certledger/certledger/loadtest/record"
)

func readModelCommand() *cli.Command {
	return &cli.Command{
		Name: "readmodel",
		Usage: "start an in-process devnet and a gateway with a read model; print verify through REST from the read model " +
			"and from the ledger (same run), the rebuild time from block 0 and the restart-ready time",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "n", Value: 10000, Usage: "certificates issued (single issues) before measuring"},
			&cli.IntFlag{Name: "batch", Value: 0, Usage: "also anchor a Merkle batch of `N` certificates (known to the read model only from its file) and measure verify of them"},
			&cli.IntFlag{Name: "concurrency", Value: 32, Usage: "concurrent verify clients"},
			&cli.StringFlag{Name: "http-client", Value: "raw", Usage: "verify requests through `raw` keep-alive HTTP/1.1 connections (loadtest/internal/rawhttp, like wrk: little of the shared cores) or net/http's client (std)"},
			&cli.DurationFlag{Name: "verify-for", Value: 5 * time.Second, Usage: "duration of each verify phase"},
			&cli.IntFlag{Name: "restarts", Value: 3, Usage: "restarts measured"},
			&cli.StringFlag{Name: "dir", Usage: "work folder (default: a temporary one)"},
			&cli.IntFlag{Name: "cache-mib", Usage: "the read model's cache in `MiB`, as readModel.cacheSize (0: the gateway's default, 192; at least 160)"},
		},
		Action: runReadModel,
	}
}

type readModelRun struct {
	c                   *cli.Context
	n, concurrency      int
	cacheSize           int64
	dir                 string
	s                   *gatewaytest.Stack
	hc                  *http.Client
	recs                []certificate.Record
	issue               driver.Result
	fromModel, fromLedg driver.Result
	bench               batchBench
	dept                *record.Dept
	rebuild             time.Duration
	rebuildHeight       uint64
	rebuildCPU          time.Duration
	restarts            []time.Duration
	storeBytes          int64
}

func runReadModel(c *cli.Context) error {
	r := &readModelRun{c: c, n: c.Int("n"), concurrency: c.Int("concurrency"), cacheSize: int64(c.Int("cache-mib")) << 20}
	if r.n <= 0 || r.concurrency <= 0 || c.Duration("verify-for") <= 0 || c.Int("restarts") <= 0 {
		return cli.Exit("-n, --concurrency, --verify-for and --restarts must be positive", 2)
	}
	if r.cacheSize != 0 && r.cacheSize < gatewaytest.MinReadModelCache {
		return cli.Exit(fmt.Sprintf("--cache-mib is 0 (the default) or at least %d", gatewaytest.MinReadModelCache>>20), 2)
	}
	if hc := c.String("http-client"); hc != "raw" && hc != "std" {
		return cli.Exit(fmt.Sprintf("--http-client is raw or std, not %q", hc), 2)
	}
	dir, cleanup, err := workDir(c.String("dir"), "certledger-load-readmodel-")
	if err != nil {
		return err
	}
	defer cleanup()
	r.dir = dir
	r.s, err = gatewaytest.Start(filepath.Join(dir, "devnet"), gatewaytest.Options{ReadModel: r.modelOptions("readmodel")})
	if err != nil {
		return err
	}
	defer func() { _ = r.s.Close() }() // shutting down the bench stack
	r.hc = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: r.concurrency * 2, MaxIdleConns: r.concurrency * 4}}
	defer r.hc.CloseIdleConnections()
	if err := r.seed(); err != nil {
		return err
	}
	if err := r.anchorBatch(c.Int("batch")); err != nil {
		return err
	}
	if err := r.waitCaughtUp(r.s.Model, 2*time.Minute); err != nil {
		return err
	}
	r.storeBytes = dirSize(filepath.Join(dir, "readmodel"))
	phases := []struct {
		name, base, source string
		recs               []certificate.Record
		res                *driver.Result
	}{{gatewaytest.SourceReadModel, r.s.URL, gatewaytest.SourceReadModel, r.recs, &r.fromModel}, {gatewaytest.SourceLedger, r.s.LedgerURL, gatewaytest.SourceLedger, r.recs, &r.fromLedg}}
	if len(r.bench.recs) > 0 {
		phases = append(phases, struct {
			name, base, source string
			recs               []certificate.Record
			res                *driver.Result
		}{"batched", r.s.URL, gatewaytest.SourceReadModel, r.bench.recs, &r.bench.verify})
	}
	for _, phase := range phases {
		op, done, err := r.verifyOp(phase.base, phase.source, phase.recs)
		if err != nil {
			return err
		}
		warm := driver.Run(c.Context, driver.Options{Workers: r.concurrency, For: time.Second}, op)
		if warm.Failed > 0 {
			done()
			return fmt.Errorf("verify warm-up from %s: %d failures, first: %w", phase.name, warm.Failed, warm.FirstErr)
		}
		*phase.res = driver.Run(c.Context, driver.Options{Name: phase.name, Workers: r.concurrency, For: c.Duration("verify-for"), CPU: selfCPU}, op)
		done()
	}
	if err := r.timeReceipts(); err != nil {
		return err
	}
	if err := r.rebuildFromZero(); err != nil {
		return err
	}
	return r.report()
}

func selfCPU() map[string]time.Duration { return map[string]time.Duration{cpuParent: proc.SelfCPU()} }

// seed registers the departments and issues n certificates through the
// fabric-gateway client, 64 at a time (one transaction each).
func (r *readModelRun) seed() error {
	depts, err := r.s.Seed(r.c.Context, r.hc)
	if err != nil {
		return err
	}
	r.dept = depts["dept-a"]
	if r.recs, err = depts["dept-a"].Certificates("rm-%07d", 1, r.n); err != nil {
		return err
	}
	gw, p, err := r.s.Fabric.Gateway("dept-a")
	if err != nil {
		return err
	}
	r.issue = driver.Run(r.c.Context, driver.Options{Name: "issue", Workers: 64, N: r.n}, submitIssue(gw.GetNetwork(p.Channel).GetContract(p.Chaincode), r.recs))
	if r.issue.Failed > 0 {
		return fmt.Errorf("issue: %d failures, first: %w", r.issue.Failed, r.issue.FirstErr)
	}
	return nil
}

// waitCaughtUp waits until m reflects the ledger's height and answers.
func (r *readModelRun) waitCaughtUp(m *gatewaytest.ReadModel, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(r.c.Context, limit)
	defer cancel()
	want, err := r.s.Fabric.Height(ctx, gatewaytest.Governance)
	if err != nil {
		return err
	}
	// A batch is indexed right after its anchoring block is applied (the
	// height moves first): with a batch, caught up means none pending too.
	for m.Height() < want || !m.Status().Serving || r.pending(m) {
		select {
		case <-ctx.Done():
			return fmt.Errorf("read model at %d (%+v), ledger at %d: %w", m.Height(), m.Status(), want, ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
	return nil
}

// pending reports whether m has anchored batches not indexed yet (only when
// the run anchors one).
func (r *readModelRun) pending(m *gatewaytest.ReadModel) bool {
	if len(r.bench.recs) == 0 {
		return false
	}
	p, err := m.PendingBatches()
	return err != nil || len(p) > 0
}

// getFunc sends GET target (path and query) and appends the body to body.
type getFunc func(ctx context.Context, target string, body *bytes.Buffer) (int, error)

// client returns the --http-client's GET for base, and what closes it.
func (r *readModelRun) client(base string) (getFunc, func(), error) {
	if r.c.String("http-client") == "std" {
		return func(ctx context.Context, target string, body *bytes.Buffer) (int, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+target, nil)
			if err != nil {
				return 0, err
			}
			res, err := r.hc.Do(req)
			if err != nil {
				return 0, err
			}
			_, err = body.ReadFrom(res.Body)
			_ = res.Body.Close() // fully read
			return res.StatusCode, err
		}, func() {}, nil
	}
	rc, err := rawhttp.New(base, r.concurrency, 30*time.Second)
	if err != nil {
		return nil, nil, err
	}
	return rc.Get, rc.Close, nil
}

// verifyOp verifies a record by id and hash at base and wants VALID, answered
// by the read model when source says so; done closes its connections.
func (r *readModelRun) verifyOp(base, source string, recs []certificate.Record) (op driver.Op, done func(), err error) {
	get, done, err := r.client(base)
	if err != nil {
		return nil, nil, err
	}
	targets := make([]string, len(recs))
	for i, rec := range recs {
		targets[i] = "/api/v1/verify?id=" + url.QueryEscape(rec.ID) + "&hash=" + url.QueryEscape(rec.DocHash)
	}
	// The ledger-only API states no source; the read model's must say it answered.
	valid, model := []byte(`"verdict":"VALID"`), []byte(`"source":"`+gatewaytest.SourceReadModel+`"`)
	wantModel := source == gatewaytest.SourceReadModel
	// The client shares the machine with the gateway: a body is read into a
	// pooled buffer rather than one grown from 512 bytes for each answer.
	bufs := sync.Pool{New: func() any { return bytes.NewBuffer(make([]byte, 0, 16<<10)) }}
	return func(ctx context.Context, i int) error {
		buf := bufs.Get().(*bytes.Buffer)
		defer bufs.Put(buf)
		buf.Reset()
		status, err := get(ctx, targets[(i*7919)%len(targets)], buf)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		body := buf.Bytes()
		if status != http.StatusOK || !bytes.Contains(body, valid) || bytes.Contains(body, model) != wantModel {
			return fmt.Errorf("verify: %d %s", status, bytes.TrimSpace(body))
		}
		return nil
	}, done, nil
}

// rebuildFromZero times a new store built from block 0, then restarts of it.
func (r *readModelRun) rebuildFromZero() error {
	o := r.modelOptions("rebuild")
	cpu0 := proc.SelfCPU()
	start := time.Now()
	m, stop, err := r.s.StartReadModel(r.c.Context, o)
	if err != nil {
		return err
	}
	if err := r.waitCaughtUp(m, 10*time.Minute); err != nil {
		_ = stop()
		return err
	}
	r.rebuild, r.rebuildCPU, r.rebuildHeight = time.Since(start), proc.SelfCPU()-cpu0, m.Height()
	want, err := r.s.Model.Digest()
	if err != nil {
		_ = stop()
		return err
	}
	got, err := m.Digest()
	if err != nil {
		_ = stop()
		return err
	}
	if err := stop(); err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("the rebuilt store differs from the gateway's incremental one")
	}
	for range r.c.Int("restarts") {
		start := time.Now()
		m, stop, err := r.s.StartReadModel(r.c.Context, o)
		if err != nil {
			return err
		}
		err = r.waitCaughtUp(m, time.Minute)
		r.restarts = append(r.restarts, time.Since(start))
		if serr := stop(); err == nil {
			err = serr
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (r *readModelRun) report() error {
	m, l := r.fromModel, r.fromLedg
	t := table.New(fmt.Sprintf("certledger read model (devnet in-process, real chaincode, %d certificates, verify concurrency %d, %s HTTP client, load generator in this process; %s)",
		r.n, r.concurrency, r.c.String("http-client"), proc.MachineLoad()), "measure", "value", "note")
	t.Add("verify from the read model", table.Rate(m.PerSecond())+" requests/s", fmt.Sprintf("GET /api/v1/verify?id&hash, p50 %s p99 %s (aim >= 10,000/s, p99 <= 20 ms); CPU %s per request",
		table.Ms(m.Percentile(50)), table.Ms(m.Percentile(99)), table.Ms(m.CPUPerOp(cpuParent))))
	t.Add("verify from the ledger", table.Rate(l.PerSecond())+" requests/s", fmt.Sprintf("same requests, certificate:Verify evaluated on the devnet, p50 %s p99 %s; CPU %s per request",
		table.Ms(l.Percentile(50)), table.Ms(l.Percentile(99)), table.Ms(l.CPUPerOp(cpuParent))))
	if l.PerSecond() > 0 {
		t.Add("read model / ledger", fmt.Sprintf("%.1f×", m.PerSecond()/l.PerSecond()), "throughput ratio, same run")
	}
	r.reportBatch(t)
	t.Add("rebuild from block 0", table.Dur(r.rebuild), fmt.Sprintf("%d blocks, %d certificates (+ %d batched): %s certificates/s, CPU %s (equal to the incremental store)",
		r.rebuildHeight, r.n, len(r.bench.recs), table.Rate(float64(r.n+len(r.bench.recs))/r.rebuild.Seconds()), table.Dur(r.rebuildCPU)))
	slices.Sort(r.restarts)
	t.Add("restart ready", table.Ms(r.restarts[len(r.restarts)/2]), fmt.Sprintf("median of %d: open the store, read the ledger height, serving (aim <= 1 s); all %v", len(r.restarts), r.restarts))
	t.Add("store size", fmt.Sprintf("%.1f MB", float64(r.storeBytes)/1e6), fmt.Sprintf("%d bytes per certificate (records, hash index, endorsements; batched: record, index, tree tiles)", r.storeBytes/int64(r.n+len(r.bench.recs))))
	t.Add("issue (setup)", table.Rate(r.issue.PerSecond())+" certificates/s", "fabric-gateway client, 64 concurrent, one transaction each")
	t.Add("errors", table.Int(m.Failed+l.Failed+r.bench.verify.Failed))
	for _, res := range []driver.Result{m, l, r.bench.verify} {
		if res.FirstErr != nil {
			t.Note("first error (%s): %v", res.Name, res.FirstErr)
		}
	}
	return t.Write(r.c.App.Writer, format(r.c))
}

func dirSize(dir string) int64 {
	var n int64
	_ = filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			n += fi.Size()
		}
		return nil
	})
	return n
}
