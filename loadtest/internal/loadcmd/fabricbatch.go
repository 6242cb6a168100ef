package loadcmd

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/certledger/certledger/internal/domain/batch"
	"github.com/certledger/certledger/internal/gm"
	"github.com/certledger/certledger/internal/profile"
	"github.com/certledger/certledger/loadtest/internal/proc"
	"github.com/certledger/certledger/loadtest/internal/table"
	"github.com/certledger/certledger/loadtest/record"
	"github.com/certledger/certledger/network/devnet"
	"github.com/certledger/certledger/network/fabric/scenario"
)

// The Merkle-batch mode of the fabric subcommand (--batch N): issue 13's
// "1,000,000 certificates from a manifest of precomputed hashes, end to end".
// A manifest of N rows (id, doc_hash, type, holder_id, valid_until) is written
// before the clock; a certledger-gateway process with a batch store and a read
// model runs over the ledger's connection profiles; the real certledger CLI
// runs `cert issue --manifest M --batch` (records, salts, tree, index, header
// signed, anchored, file uploaded); the clock stops when the gateway's read
// model answers GET /api/v1/verify for the last certificate of the batch
// (source "readModel", verdict VALID). Wall time, the CLI's build part, and
// CPU-seconds and peak RSS of the CLI, the gateway and the ledger's processes
// are printed; --with-devnet runs the same on a certledger-devnet process and
// prints both side by side. docs/batches.md quotes the figures.

// batchFlags are the flags of the batch mode.
func batchFlags() []cli.Flag {
	return []cli.Flag{
		&cli.IntFlag{Name: "batch", Usage: "Merkle-batch mode: certificates in one batch, issued by the certledger CLI through a certledger-gateway process with a read model (0: off)"},
		&cli.StringFlag{Name: "cli-bin", Usage: "batch mode: certledger binary (default: next to this one, on PATH, or built with go build)"},
		&cli.StringFlag{Name: "batch-dir", Usage: "batch mode: work folder (manifest, batch files, batch store, read model), kept; default a temporary folder, removed"},
	}
}

// batchSettings checks the batch mode's flags; n is the batch size.
func batchSettings(c *cli.Context) (n int, err error) {
	n = c.Int("batch")
	switch {
	case n < 1 || n > batch.MaxRecords:
		return 0, cli.Exit(fmt.Sprintf("--batch must be 1..%d", batch.MaxRecords), 2)
	case c.Int("group") != 0:
		return 0, cli.Exit("--batch and --group are separate modes: pass one", 2)
	}
	return n, nil
}

// writeManifest writes a cert issue --manifest file of n rows with
// precomputed document hashes: ids prefix00000000..., type typ, the SM3 of
// seed+i as the document's hash (the rows of e2e TestBatchMillion).
func writeManifest(w io.Writer, prefix, typ, seed string, n int) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	fmt.Fprintln(bw, "id,doc_hash,type,holder_id,valid_until")
	for i := range n {
		fmt.Fprintf(bw, "%s%08d,%s,%s,91310000MA%08d,2031-12-31\n", prefix, i, gm.SM3Hex([]byte(seed+strconv.Itoa(i))), typ, i)
	}
	return bw.Flush()
}

// manifestID is the id of row i of a manifest writeManifest wrote with prefix.
func manifestID(prefix string, i int) string { return fmt.Sprintf("%s%08d", prefix, i) }

// batchTarget is a ledger a batch run goes to: the profiles a gateway uses,
// the issuing organisation's MSP and the ledger's CPU time by process group.
type batchTarget struct {
	name       string
	govProfile string
	issuer     string
	mspID      string
	groups     []string // CPU groups of the ledger, in report order
	cpu        func() map[string]time.Duration
}

// batchResult is one measured batch.
type batchResult struct {
	target      string
	n           int
	wall        time.Duration // CLI started → read model answered the last certificate
	cliWall     time.Duration // the CLI process, start to exit
	build       time.Duration // the CLI's buildSeconds: records, salts, tree, index, header signed
	cliUser     time.Duration
	cliSys      time.Duration
	cliPeak     int // MiB
	gwCPU       time.Duration
	gwPeak      int // MiB, VmHWM at the end
	gwPeakStart int // MiB, VmHWM before the CLI started
	ledgerCPU   map[string]time.Duration
	groups      []string
	block       uint64 // anchoring block (the CLI's answer)
	height      uint64 // height the read model's answer reflects
	loadBefore  string
	loadAfter   string
}

// runBatchFabric is fabric --batch: the batch on the network of --profiles,
// then (--with-devnet) on a devnet process.
func runBatchFabric(c *cli.Context) error {
	n, err := batchSettings(c)
	if err != nil {
		return err
	}
	dir, cleanup, err := workDir(c.String("batch-dir"), "certledger-load-batch-")
	if err != nil {
		return err
	}
	defer cleanup()
	cliBin, err := toolBinary(c.Context, c.String("cli-bin"), "certledger", "./cli/cmd/certledger")
	if err != nil {
		return err
	}
	tag := randomHex(4)
	manifest := filepath.Join(dir, "manifest.csv")
	t0 := time.Now()
	if err := writeManifestFile(manifest, "fb-"+tag+"-", record.CertificateType, tag, n); err != nil {
		return err
	}
	fmt.Fprintf(c.App.ErrWriter, "manifest of %d rows written in %s (before the clock)\n", n, time.Since(t0).Round(time.Millisecond))
	profiles := c.String("profiles")
	issuer := filepath.Join(profiles, c.String("issuer")+".yaml")
	p, err := profile.Load(issuer)
	if err != nil {
		return err
	}
	state := c.String("state")
	fab := batchTarget{name: "real Fabric", govProfile: filepath.Join(profiles, c.String("gov")+".yaml"), issuer: issuer, mspID: p.MSPID,
		groups: []string{"peers", "orderers", "chaincode"}, cpu: func() map[string]time.Duration { return fabricCPU(state) }}
	if state == "" {
		fab.groups = nil
		fmt.Fprintln(c.App.ErrWriter, "no --state: the network's CPU time is not measured")
	}
	b := &e2eBatch{c: c, cli: cliBin, manifest: manifest, prefix: "fb-" + tag + "-", n: n}
	var results []*batchResult
	r, err := b.measure(filepath.Join(dir, "fabric"), fab)
	if err != nil {
		return err
	}
	results = append(results, r)
	if c.Bool("with-devnet") {
		if r, err = b.onDevnet(filepath.Join(dir, "devnet")); err != nil {
			return err
		}
		results = append(results, r)
	}
	return batchReport(c, results)
}

func writeManifestFile(path, prefix, typ, seed string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	err = writeManifest(f, prefix, typ, seed, n)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// e2eBatch holds what every batch run of one invocation shares.
type e2eBatch struct {
	c        *cli.Context
	cli      string // certledger binary
	manifest string
	prefix   string // certificate id prefix of the manifest
	n        int
	seq      int // runs so far (batch ids)
}

// onDevnet runs the batch on a new certledger-devnet process in dir.
func (b *e2eBatch) onDevnet(dir string) (*batchResult, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	ledger := filepath.Join(dir, "devnet")
	if err := devnet.Init(ledger, devnet.Config{}); err != nil {
		return nil, err
	}
	dn, _, err := startDevnetChild(b.c, ledger)
	if err != nil {
		return nil, err
	}
	n := &ledgerNet{proc: dn}
	defer n.close()
	pid := strconv.Itoa(dn.Process.Pid)
	return b.measure(dir, batchTarget{name: "devnet", govProfile: devnet.ProfilePath(ledger, "gov"), issuer: devnet.ProfilePath(ledger, "dept-a"),
		mspID: "DeptAMSP", groups: []string{"devnet"}, cpu: func() map[string]time.Duration {
			t, _ := proc.CPU(pid)
			return map[string]time.Duration{"devnet": t}
		}})
}

// verifyAnswer is the part of GET /api/v1/verify's answer the batch mode reads.
type verifyAnswer struct {
	Verdict string `json:"verdict"`
	Height  uint64 `json:"height"`
	Source  string `json:"source"`
}

// measure starts a gateway (batch store and read model in dir) over t,
// registers a new department, runs the CLI's batch issue and waits until the
// read model answers verify of the batch's last certificate.
func (b *e2eBatch) measure(dir string, t batchTarget) (*batchResult, error) {
	c := b.c
	b.seq++
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	dept, err := record.NewDept(scenario.RandomID("bat"), t.mspID)
	if err != nil {
		return nil, err
	}
	keyPEM, err := gm.MarshalPrivateKeyPEM(dept.Key, nil)
	if err != nil {
		return nil, err
	}
	keyFile := filepath.Join(dir, "dept.key.pem")
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		return nil, err
	}
	gw, err := startGatewayProc(c, gatewaySetup{dir: dir, govProfile: t.govProfile, issuer: t.issuer, dept: dept.ID,
		batchDir: filepath.Join(dir, "batches"), readModel: filepath.Join(dir, "readmodel")})
	if err != nil {
		return nil, err
	}
	defer gw.stop()
	hc := &http.Client{Timeout: time.Minute}
	defer hc.CloseIdleConnections()
	if err := gw.register(c.Context, hc, dept); err != nil {
		return nil, err
	}
	last := manifestID(b.prefix, b.n-1)
	// Before the clock: the read model serves (it answers, from itself, that
	// the batch's last certificate is not known yet).
	if _, err := b.waitModel(hc, gw.url, last, "", 2*time.Minute); err != nil {
		return nil, fmt.Errorf("%s: read model not serving before the batch: %w", t.name, err)
	}
	fmt.Fprintf(c.App.ErrWriter, "%s: certledger-gateway %s (pid %s) with a read model; department %s registered; %s\n",
		t.name, gw.url, gw.pid(), dept.ID, proc.MachineLoad())

	r := &batchResult{target: t.name, n: b.n, groups: t.groups, loadBefore: proc.LoadAvg()}
	gwCPU0, _ := proc.CPU(gw.pid())
	if m, ok := proc.ReadMemory(gw.pid()); ok {
		r.gwPeakStart = m.Peak
	}
	var ledger0 map[string]time.Duration
	if t.cpu != nil {
		ledger0 = t.cpu()
	}
	batchID := fmt.Sprintf("%sbatch-%d", b.prefix, b.seq)
	args := []string{"--gateway", gw.url, "--token", gw.token, "-o", "json", "cert", "issue", "--manifest", b.manifest,
		"--batch", "--batch-id", batchID, "--key", keyFile, "--out-dir", filepath.Join(dir, "out")}
	ctx, cancel := context.WithTimeout(c.Context, 30*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, b.cli, args...) //nolint:gosec // the certledger binary the user named or we built
	cmd.Dir, cmd.Env = dir, cliEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err = cmd.Run()
	r.cliWall = time.Since(start)
	if err != nil {
		return nil, fmt.Errorf("%s: certledger %s: %w\n%s", t.name, strings.Join(args, " "), err, firstLine(stderr.Bytes()))
	}
	a, err := b.waitModel(hc, gw.url, last, "VALID", 5*time.Minute)
	r.wall = time.Since(start)
	if err != nil {
		return nil, fmt.Errorf("%s: batch %s: %w", t.name, batchID, err)
	}
	r.height = a.Height
	ps := cmd.ProcessState
	r.cliUser, r.cliSys = ps.UserTime(), ps.SystemTime()
	r.cliPeak, _ = proc.ChildPeak(ps)
	gwCPU1, _ := proc.CPU(gw.pid())
	r.gwCPU = gwCPU1 - gwCPU0
	if m, ok := proc.ReadMemory(gw.pid()); ok {
		r.gwPeak = m.Peak
	}
	if t.cpu != nil {
		r.ledgerCPU = map[string]time.Duration{}
		for k, v := range t.cpu() {
			r.ledgerCPU[k] = v - ledger0[k]
		}
	}
	r.loadAfter = proc.LoadAvg()
	var out struct {
		BuildSeconds float64 `json:"buildSeconds"`
		BlockNumber  uint64  `json:"blockNumber"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		return nil, fmt.Errorf("%s: the CLI's answer: %w: %s", t.name, err, firstLine(stdout.Bytes()))
	}
	r.build, r.block = time.Duration(out.BuildSeconds*float64(time.Second)), out.BlockNumber
	fmt.Fprintf(c.App.ErrWriter, "%s: batch %s of %d: CLI %s (built %s), answered by the read model at height %d after %s; gateway peak RSS %d MiB\n",
		t.name, batchID, b.n, r.cliWall.Round(time.Millisecond), r.build.Round(time.Millisecond), r.height, r.wall.Round(time.Millisecond), r.gwPeak)
	return r, nil
}

// waitModel asks GET /api/v1/verify?id=id until the read model answers with
// verdict want (any verdict when want is "") or within passes.
func (b *e2eBatch) waitModel(hc *http.Client, base, id, want string, within time.Duration) (verifyAnswer, error) {
	var a verifyAnswer
	var last string
	for deadline := time.Now().Add(within); ; {
		var err error
		if a, err = verify(b.c.Context, hc, base, id); err != nil {
			last = err.Error()
		} else if a.Source == "readModel" && (want == "" || a.Verdict == want) {
			return a, nil
		} else {
			last = fmt.Sprintf("%s from %s at height %d", a.Verdict, a.Source, a.Height)
		}
		if time.Now().After(deadline) {
			return a, fmt.Errorf("verify %s after %s: %s", id, within, last)
		}
		select {
		case <-b.c.Done():
			return a, b.c.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// verify is GET /api/v1/verify?id=id (a public call, no token).
func verify(ctx context.Context, hc *http.Client, base, id string) (verifyAnswer, error) {
	var a verifyAnswer
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/verify?id="+url.QueryEscape(id), nil)
	if err != nil {
		return a, err
	}
	res, err := hc.Do(req)
	if err != nil {
		return a, err
	}
	defer func() { _ = res.Body.Close() }() // response body; close error carries nothing
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		return a, fmt.Errorf("%d %s", res.StatusCode, firstLine(body))
	}
	return a, json.Unmarshal(body, &a)
}

// cliEnv is this process's environment without CERTLEDGER_* settings (the
// CLI's flags say everything).
func cliEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CERTLEDGER_") {
			env = append(env, kv)
		}
	}
	return env
}

// batchReport prints the batch runs side by side.
func batchReport(c *cli.Context, rs []*batchResult) error {
	header := []string{"figure"}
	for _, r := range rs {
		header = append(header, r.target)
	}
	t := table.New(fmt.Sprintf("a %d-certificate Merkle batch from a manifest of precomputed hashes, end to end: certledger CLI (build, sign, anchor, upload) "+
		"→ certledger-gateway with a batch store and a read model (%s)", rs[0].n, proc.MachineLoad()), header...)
	row := func(name string, f func(r *batchResult) string) {
		cells := []string{name}
		for _, r := range rs {
			cells = append(cells, f(r))
		}
		t.Add(cells...)
	}
	row("end to end (CLI start → read model answers verify of the last certificate)", func(r *batchResult) string { return table.Dur(r.wall) })
	row("  CLI: records, salts, tree, index, header signed (buildSeconds)", func(r *batchResult) string { return table.Dur(r.build) })
	row("  CLI: anchor + upload (the rest of the CLI's run)", func(r *batchResult) string { return table.Dur(r.cliWall - r.build) })
	row("  after the CLI exited, until the read model answered", func(r *batchResult) string { return table.Dur(r.wall - r.cliWall) })
	row("CLI CPU-s (user + system)", func(r *batchResult) string {
		return fmt.Sprintf("%.1f (%.1f + %.1f)", (r.cliUser + r.cliSys).Seconds(), r.cliUser.Seconds(), r.cliSys.Seconds())
	})
	row("CLI peak RSS", func(r *batchResult) string { return fmt.Sprintf("%d MiB", r.cliPeak) })
	row("gateway CPU-s during the run", func(r *batchResult) string { return fmt.Sprintf("%.1f", r.gwCPU.Seconds()) })
	row("gateway peak RSS (VmHWM; before the batch)", func(r *batchResult) string { return fmt.Sprintf("%d MiB (%d MiB)", r.gwPeak, r.gwPeakStart) })
	row("ledger CPU-s during the run", func(r *batchResult) string {
		if len(r.groups) == 0 {
			return "n/a"
		}
		var all time.Duration
		var parts []string
		for _, g := range r.groups {
			all += r.ledgerCPU[g]
			parts = append(parts, fmt.Sprintf("%s %.1f", g, r.ledgerCPU[g].Seconds()))
		}
		return fmt.Sprintf("%.1f (%s)", all.Seconds(), strings.Join(parts, ", "))
	})
	row("CPU-s, all processes of the run", func(r *batchResult) string {
		all := r.cliUser + r.cliSys + r.gwCPU
		for _, g := range r.groups {
			all += r.ledgerCPU[g]
		}
		return fmt.Sprintf("%.1f", all.Seconds())
	})
	row("anchoring block / height the answer reflects", func(r *batchResult) string { return fmt.Sprintf("%d / %d", r.block, r.height) })
	row("load average before / after", func(r *batchResult) string { return r.loadBefore + " / " + r.loadAfter })
	t.Note("issue 13 asks: <= 20 s on the devnet, <= 30 s on real Fabric, gateway peak RSS <= 300 MiB; " +
		"CPU-seconds are the load-independent part on a shared machine")
	return t.Write(c.App.Writer, format(c))
}
