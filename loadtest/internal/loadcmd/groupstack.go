package loadcmd

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/certledger/certledger/internal/profile"
	"github.com/certledger/certledger/loadtest/internal/proc"
	"github.com/certledger/certledger/loadtest/record"
	"github.com/certledger/certledger/network/devnet"
	"github.com/certledger/certledger/network/fabric/scenario"
)

// gatewayProc is a certledger-gateway child process serving the grouped-issue
// mode: the governance administrator and one clerk of the load department.
type gatewayProc struct {
	cmd      *exec.Cmd
	done     chan struct{}
	url      string
	govToken string
	token    string // the load department's clerk
}

// gatewaySetup is what the gateway process is configured with.
type gatewaySetup struct {
	dir        string // work folder: gateway.yaml, gateway.log
	govProfile string // connection profile of the governance organisation
	issuer     string // connection profile of the load department's organisation
	dept       string // the load department's id
	batchDir   string // batch file store ("": none)
	readModel  string // read model folder ("": none)
}

// startGatewayProc writes a gateway configuration for s and starts
// certledger-gateway on a loopback port; it returns once /readyz answers.
func startGatewayProc(c *cli.Context, s gatewaySetup) (*gatewayProc, error) {
	bin, err := toolBinary(c.Context, c.String("gateway-bin"), "certledger-gateway", "./gateway/cmd/certledger-gateway")
	if err != nil {
		return nil, err
	}
	g := &gatewayProc{done: make(chan struct{}), govToken: randomHex(24), token: randomHex(24)}
	cfg := filepath.Join(s.dir, "gateway.yaml")
	if err := os.WriteFile(cfg, []byte(g.config(s)), 0o600); err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(s.dir, "gateway.log"))
	if err != nil {
		return nil, err
	}
	g.cmd = exec.CommandContext(c.Context, bin, "--config", cfg, "--listen", "127.0.0.1:0") //nolint:gosec // the gateway binary the user named or we built
	pr, pw := io.Pipe()
	g.cmd.Stdout, g.cmd.Stderr = pw, pw
	if err := g.cmd.Start(); err != nil {
		_ = logf.Close()
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	urls := make(chan string, 1)
	go g.readLog(pr, logf, urls)
	go func() { _ = g.cmd.Wait(); _ = pw.Close(); close(g.done) }() // the exit status is read from ProcessState
	select {
	case g.url = <-urls:
	case <-g.done:
		return nil, fmt.Errorf("certledger-gateway exited before listening: %v; see %s", g.cmd.ProcessState, logf.Name())
	case <-time.After(time.Minute):
		g.stop()
		return nil, fmt.Errorf("certledger-gateway did not listen within a minute; see %s", logf.Name())
	}
	if err := g.waitReady(time.Minute); err != nil {
		g.stop()
		return nil, err
	}
	return g, nil
}

// config is the gateway YAML of s: no rate limit, bodies up to 8 MiB (a group
// of 10,000 v1 records is about 5.2 MB); a batch store and a read model when s
// names them.
func (g *gatewayProc) config(s gatewaySetup) string {
	var b strings.Builder
	fmt.Fprintf(&b, "listen: 127.0.0.1:0\ngovernanceDepartment: gov\nmvccRetries: 5\nbodyLimit: %d\n", 8<<20)
	fmt.Fprintf(&b, "orgs:\n  - {name: gov, profile: %s}\n  - {name: issuer, profile: %s}\n", s.govProfile, s.issuer)
	fmt.Fprintf(&b, "tokens:\n  - {id: gov-admin, sha256: %s, department: gov, org: gov, role: admin}\n", sha256Hex(g.govToken))
	fmt.Fprintf(&b, "  - {id: load-clerk, sha256: %s, department: %s, org: issuer, role: clerk}\n", sha256Hex(g.token), s.dept)
	b.WriteString("rateLimit: {perSecond: 0, burst: 0}\n")
	if s.batchDir != "" {
		fmt.Fprintf(&b, "batchDir: %s\n", s.batchDir)
	}
	if s.readModel != "" {
		fmt.Fprintf(&b, "readModel: {dir: %s, headInterval: 100ms}\n", s.readModel)
	}
	return b.String()
}

// readLog copies the gateway's log to logf and sends the URL of its
// "gateway listening" line.
func (g *gatewayProc) readLog(r io.Reader, logf *os.File, urls chan<- string) {
	defer func() { _ = logf.Close() }() // a log file of the run
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	sent := false
	for sc.Scan() {
		fmt.Fprintln(logf, sc.Text())
		var l struct{ Msg, URL string }
		if !sent && json.Unmarshal(sc.Bytes(), &l) == nil && l.Msg == "gateway listening" {
			urls <- l.URL
			sent = true
		}
	}
	_, _ = io.Copy(io.Discard, r) // drain so that the child never blocks on a full pipe
}

func (g *gatewayProc) waitReady(within time.Duration) error {
	var last string
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		res, err := http.Get(g.url + "/readyz") //nolint:noctx // a loopback probe with the loop's own deadline
		if err != nil {
			last = err.Error()
			continue
		}
		b, _ := io.ReadAll(res.Body)
		_ = res.Body.Close()
		if res.StatusCode == http.StatusOK {
			return nil
		}
		last = fmt.Sprintf("%d %s", res.StatusCode, firstLine(b))
	}
	return fmt.Errorf("certledger-gateway %s/readyz not ready: %s", g.url, last)
}

// pid is the gateway process's id.
func (g *gatewayProc) pid() string { return strconv.Itoa(g.cmd.Process.Pid) }

// stop interrupts the gateway and waits (then kills it).
func (g *gatewayProc) stop() {
	if g == nil || g.cmd == nil || g.cmd.Process == nil {
		return
	}
	_ = g.cmd.Process.Signal(os.Interrupt)
	select {
	case <-g.done:
	case <-time.After(20 * time.Second):
		_ = g.cmd.Process.Kill()
		<-g.done
	}
}

// register registers dept through the gateway as the governance administrator
// (with the certificate type the load records carry) and waits until the
// clerk's organisation reads it back.
func (g *gatewayProc) register(ctx context.Context, hc *http.Client, dept *record.Dept) error {
	if err := g.call(ctx, hc, "POST", "/api/v1/departments", g.govToken, record.JSON(dept.Registration("load department "+dept.ID, record.CertificateType)), http.StatusCreated); err != nil {
		return fmt.Errorf("registering %s: %w", dept.ID, err)
	}
	var err error
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if err = g.call(ctx, hc, "GET", "/api/v1/departments/"+dept.ID, g.token, "", http.StatusOK); err == nil {
			return nil
		}
	}
	return fmt.Errorf("department %s not visible to its clerk: %w", dept.ID, err)
}

func (g *gatewayProc) call(ctx context.Context, hc *http.Client, method, path, token, body string, want int) error {
	req, err := http.NewRequestWithContext(ctx, method, g.url+path, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = res.Body.Close() }() // response body; close error carries nothing
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		return fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, firstLine(b))
	}
	return nil
}

// toolBinary finds a certledger binary: explicit, next to this executable
// (make build), on PATH, or built with go build from the module in the working
// directory into a temporary folder.
func toolBinary(ctx context.Context, explicit, name, pkg string) (string, error) {
	if explicit != "" {
		return explicit, nil
	}
	if exe, err := os.Executable(); err == nil {
		if b := filepath.Join(filepath.Dir(exe), name); isFile(b) {
			return b, nil
		}
	}
	if b, err := exec.LookPath(name); err == nil {
		return b, nil
	}
	if !isFile(filepath.Join(pkg, "main.go")) {
		return "", fmt.Errorf("no %s binary: pass its --*-bin flag, put it on PATH, or run from the repository root (make build)", name)
	}
	dir, err := os.MkdirTemp("", "certledger-load-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, name)
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %w\n%s", pkg, err, out)
	}
	return bin, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// runGroupDevnet is gateway --group: a certledger-devnet process, a
// certledger-gateway process over its profiles, the load from this one.
func runGroupDevnet(c *cli.Context) error {
	g, err := groupSettings(c, c.Int("n"), c.Int("concurrency"), c.Int("rounds"))
	if err != nil {
		return err
	}
	return g.onDevnet(c.String("dir"))
}

// onDevnet runs the bench on a new devnet in dir (empty: a temporary folder).
func (g *groupBench) onDevnet(dir string) error {
	c := g.c
	dir, cleanup, err := workDir(dir, "certledger-load-group-")
	if err != nil {
		return err
	}
	defer cleanup()
	if err := devnet.Init(dir, devnet.Config{}); err != nil {
		return err
	}
	dn, _, err := startDevnetChild(c, dir)
	if err != nil {
		return err
	}
	n := &ledgerNet{proc: dn}
	defer n.close()
	if g.dept, err = record.NewDept(scenario.RandomID("load"), "DeptAMSP"); err != nil {
		return err
	}
	gw, err := startGatewayProc(c, gatewaySetup{dir: dir, govProfile: devnet.ProfilePath(dir, "gov"), issuer: devnet.ProfilePath(dir, "dept-a"), dept: g.dept.ID})
	if err != nil {
		return err
	}
	defer gw.stop()
	devPID := strconv.Itoa(dn.Process.Pid)
	g.meter = func() map[string]time.Duration {
		m := map[string]time.Duration{"client": proc.SelfCPU()}
		m["gateway"], _ = proc.CPU(gw.pid())
		m["devnet"], _ = proc.CPU(devPID)
		return m
	}
	g.groups = []string{"gateway", "devnet", "client"}
	g.ledger = "the devnet (certledger-devnet process, real chaincode, TLS gRPC)"
	return g.start(gw)
}

// start registers the load department through gw and runs the bench.
func (g *groupBench) start(gw *gatewayProc) error {
	g.url, g.token, g.prefix = gw.url, gw.token, "grp-"+randomHex(4)
	hc := &http.Client{Timeout: time.Minute}
	defer hc.CloseIdleConnections()
	if err := gw.register(g.c.Context, hc, g.dept); err != nil {
		return err
	}
	fmt.Fprintf(g.c.App.ErrWriter, "certledger-gateway %s (pid %s); load department %s registered\n", gw.url, gw.pid(), g.dept.ID)
	return g.run()
}

// runGroupFabric is fabric --group: a certledger-gateway process over the
// network's connection profiles, the load from this process.
func runGroupFabric(c *cli.Context) error {
	lv, err := levels("c", c.String("c"))
	if err != nil {
		return err
	}
	rounds := max(c.Int("rounds"), 1)
	g, err := groupSettings(c, c.Int("n")/rounds, lv[0], rounds)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "certledger-load-group-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(dir) }() // best-effort cleanup of a temp dir
	profiles := c.String("profiles")
	issuer := filepath.Join(profiles, c.String("issuer")+".yaml")
	p, err := profile.Load(issuer)
	if err != nil {
		return err
	}
	if g.dept, err = record.NewDept(scenario.RandomID("load"), p.MSPID); err != nil {
		return err
	}
	gw, err := startGatewayProc(c, gatewaySetup{dir: dir, govProfile: filepath.Join(profiles, c.String("gov")+".yaml"), issuer: issuer, dept: g.dept.ID})
	if err != nil {
		return err
	}
	defer gw.stop()
	state := c.String("state")
	g.meter = func() map[string]time.Duration {
		m := fabricCPU(state)
		m["gateway"], _ = proc.CPU(gw.pid())
		return m
	}
	g.groups = []string{"gateway", "peers", "orderers", "chaincode", "client"}
	g.ledger = "real Fabric (" + profiles + ")"
	if state == "" {
		g.groups = []string{"gateway", "client"}
		fmt.Fprintln(c.App.ErrWriter, "no --state: the network's CPU time is not measured")
	}
	if err := g.start(gw); err != nil {
		return err
	}
	if !c.Bool("with-devnet") {
		return nil
	}
	gw.stop()
	d := g.fresh()
	if err := d.onDevnet(""); err != nil {
		return err
	}
	return groupSummary(c, []*groupBench{g, d}, []string{"real Fabric", "devnet"})
}
