package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	domaincert "github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/testkit"
)

// The stack every test shares: one devnet, one gateway, the CLI binary.
var (
	env        *stack
	skipReason string
)

// Roles of the gateway tokens the tests use.
const (
	tokGov     = "gov"      // governance administrator (registers departments, manages keys)
	tokA       = "dept-a"   // clerk of dept-a
	tokB       = "dept-b"   // clerk of dept-b
	tokK       = "dept-k"   // clerk of dept-k (the compromised-key test's department)
	tokKAdmin  = "dept-k-a" // administrator of dept-k (revokes its own key)
	tokAuditor = "auditor"  // auditor (reads history)
)

// stack is the running system under test.
type stack struct {
	root      string // module root
	dir       string // temporary folder of this run
	bin       string // built binaries
	devnetDir string
	devnet    *proc
	gateway   *proc
	gwConfig  string
	url       string            // base URL of the gateway
	tokens    map[string]string // role -> bearer token
	keys      map[string]string // department -> private key file
	pubs      map[string]string // department -> public key file
}

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() || os.Getenv("CERTLEDGER_SKIP_E2E") != "" {
		skipReason = "e2e: skipped by -short or CERTLEDGER_SKIP_E2E (it builds the binaries and runs the devnet, the gateway and the CLI as processes)"
		fmt.Println(skipReason)
		os.Exit(m.Run())
	}
	os.Exit(run(m))
}

func run(m *testing.M) int {
	s := &stack{tokens: map[string]string{}, keys: map[string]string{}, pubs: map[string]string{}}
	defer s.teardown()
	t0 := time.Now()
	if err := s.setup(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e setup failed: %v\n", err)
		s.dumpLogs(os.Stderr)
		return 1
	}
	fmt.Printf("e2e: stack up in %s (devnet %s, gateway %s, data %s)\n", time.Since(t0).Round(time.Millisecond), s.devnet.addr, s.url, s.dir)
	env = s
	code := m.Run()
	if code != 0 {
		s.dumpLogs(os.Stderr)
	}
	return code
}

// need returns the shared stack, or skips t when it was not started.
func need(t *testing.T) *stack {
	t.Helper()
	if env == nil {
		t.Skip(skipReason)
	}
	return env
}

func (s *stack) setup() error {
	var err error
	if s.dir, err = os.MkdirTemp("", "certledger-e2e-"); err != nil {
		return err
	}
	s.bin = filepath.Join(s.dir, "bin")
	if s.root, err = moduleRoot(); err != nil {
		return err
	}
	t0 := time.Now()
	if err := buildBinaries(s.root, s.bin); err != nil {
		return err
	}
	fmt.Printf("e2e: built binaries in %s\n", time.Since(t0).Round(time.Millisecond))

	s.devnetDir = filepath.Join(s.dir, "devnet")
	if out, err := exec.Command(filepath.Join(s.bin, "certledger-devnet"), "--dir", s.devnetDir, "init").CombinedOutput(); err != nil {
		return fmt.Errorf("certledger-devnet init: %w\n%s", err, out)
	}
	// Clerks and the auditor sign with identities of their own, as `make up` sets
	// them up (docs/people.md); the admins act as their organisation's Admin.
	for _, u := range e2eUsers {
		if out, err := exec.Command(filepath.Join(s.bin, "certledger-devnet"), "--dir", s.devnetDir, "user", "add",
			"--org", u.org, "--name", u.name).CombinedOutput(); err != nil {
			return fmt.Errorf("certledger-devnet user add %s: %w\n%s", u.name, err, out)
		}
	}
	if s.devnet, err = startDevnet(s.bin, s.devnetDir, filepath.Join(s.dir, "devnet.log")); err != nil {
		return err
	}

	for _, r := range []string{tokGov, tokA, tokB, tokK, tokKAdmin, tokAuditor} {
		s.tokens[r] = testkit.RandomHex(24)
	}
	s.gwConfig = filepath.Join(s.dir, "gateway.yaml")
	if err := s.writeGatewayConfig(s.gwConfig, "127.0.0.1:0"); err != nil {
		return err
	}
	if s.gateway, err = startGateway(s.bin, s.gwConfig, "", filepath.Join(s.dir, "gateway.log")); err != nil {
		return err
	}
	s.url = "http://" + s.gateway.addr

	// Seed: the two departments every test uses, with keys made by the CLI.
	keysDir := filepath.Join(s.dir, "keys")
	if err := os.MkdirAll(keysDir, 0o700); err != nil {
		return err
	}
	for _, d := range []string{"dept-a", "dept-b", "dept-k"} {
		s.keys[d] = filepath.Join(keysDir, d+".pem")
		s.pubs[d] = filepath.Join(keysDir, d+".pub")
		if r := s.exec(s.dir, "keys", "generate", "--out", s.keys[d], "--pub-out", s.pubs[d]); r.code != 0 {
			return fmt.Errorf("keys generate %s: %s", d, r)
		}
	}
	for _, d := range []struct{ id, msp, name string }{
		{"dept-a", "DeptAMSP", "Market Regulation Bureau"},
		{"dept-b", "DeptBMSP", "Housing Bureau"},
	} {
		r := s.exec(s.dir, s.with(tokGov, "dept", "register", "--id", d.id, "--name", d.name, "--msp-id", d.msp,
			"--category", "licence", "--category", "business-licence", "--category", "permit", "--pub", s.pubs[d.id])...)
		if r.code != 0 {
			return fmt.Errorf("dept register %s: %s", d.id, r)
		}
	}
	return nil
}

// e2eUsers are the people with identities of their own (devnet user add): the
// clerks of dept-a and dept-b and the auditor; operator id name@org.
var e2eUsers = []struct{ org, kind, name string }{
	{"dept-a", "clerk", "clerk-a"}, {"dept-b", "clerk", "clerk-b"}, {"gov", "auditor", "auditor"},
}

// identityOf is the gateway config's identity entry (", identity: {...}") of the
// person acting for organisation org in role kind, or "" (admins act as the
// organisation's Admin).
func (s *stack) identityOf(org, kind string) string {
	for _, u := range e2eUsers {
		if u.org == org && u.kind == kind {
			msp := filepath.Join(s.devnetDir, "orgs", u.org, "users", u.name, "msp")
			return fmt.Sprintf(", identity: {cert: %s, key: %s}", filepath.Join(msp, "signcerts", "cert.pem"), filepath.Join(msp, "keystore", "priv_sk"))
		}
	}
	return ""
}

// writeGatewayConfig writes a gateway configuration for the devnet's profiles.
func (s *stack) writeGatewayConfig(path, listen string) error {
	prof := func(org string) string { return filepath.Join(s.devnetDir, "profiles", org+".yaml") }
	var b strings.Builder
	fmt.Fprintf(&b, "listen: %s\ngovernanceDepartment: gov\nbatchDir: %s\n", listen, filepath.Join(s.dir, "batches"))
	fmt.Fprintf(&b, "orgs:\n  - {name: gov, profile: %s}\n  - {name: dept-a, profile: %s}\n  - {name: dept-b, profile: %s}\n",
		prof("gov"), prof("dept-a"), prof("dept-b"))
	b.WriteString("tokens:\n")
	for _, t := range []struct{ role, dept, org, kind string }{
		{tokGov, "gov", "gov", "admin"},
		{tokA, "dept-a", "dept-a", "clerk"},
		{tokB, "dept-b", "dept-b", "clerk"},
		{tokK, "dept-k", "dept-b", "clerk"},
		{tokKAdmin, "dept-k", "dept-b", "admin"},
		{tokAuditor, "gov", "gov", "auditor"},
	} {
		fmt.Fprintf(&b, "  - {id: %s, sha256: %s, department: %s, org: %s, role: %s%s}\n",
			t.role, testkit.SHA256Hex(s.tokens[t.role]), t.dept, t.org, t.kind, s.identityOf(t.org, t.kind))
	}
	// The tests verify far more often than a person would: no per-address limit here.
	b.WriteString("rateLimit: {perSecond: 0, burst: 0}\n")
	return os.WriteFile(path, []byte(b.String()), 0o600)
}

func (s *stack) teardown() {
	if s.gateway != nil {
		s.gateway.stop()
	}
	if s.devnet != nil {
		s.devnet.stop()
	}
	if s.dir == "" {
		return
	}
	if os.Getenv("CERTLEDGER_E2E_KEEP") == "1" {
		fmt.Printf("e2e: kept %s\n", s.dir)
		return
	}
	_ = os.RemoveAll(s.dir)
}

func (s *stack) dumpLogs(w io.Writer) {
	for _, p := range []*proc{s.devnet, s.gateway} {
		if p == nil {
			continue
		}
		b, _ := os.ReadFile(p.logPath)
		if len(b) > 6000 {
			b = b[len(b)-6000:]
		}
		fmt.Fprintf(w, "---- last lines of %s ----\n%s\n", p.logPath, b)
	}
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("not inside the certledger module")
	}
	return filepath.Dir(mod), nil
}

// buildBinaries builds the three commands into bin. It tries twice: a build cache
// shared with other go commands running at the same time has been seen to fail one
// build with "could not import fmt (open : no such file or directory)".
func buildBinaries(root, bin string) error {
	var err error
	for range 2 {
		cmd := exec.Command("go", "build", "-o", bin+string(filepath.Separator),
			"./cli/cmd/certledger", "./gateway/cmd/certledger-gateway", "./network/devnet/cmd/certledger-devnet")
		cmd.Dir = root
		var out []byte
		if out, err = cmd.CombinedOutput(); err == nil {
			return nil
		}
		err = fmt.Errorf("go build: %w\n%s", err, out)
		fmt.Fprintln(os.Stderr, "e2e:", err)
	}
	return err
}

// ---- processes ----

// proc is a background process (devnet or gateway) with its output in a log file.
type proc struct {
	name    string
	cmd     *exec.Cmd
	addr    string // what it listens on
	logPath string
	done    chan struct{}
	mu      sync.Mutex
	log     *os.File
}

// startProc starts args with its stdout and stderr copied line by line into logPath;
// ready is called on each line and returns the listen address once it sees it.
func startProc(name, logPath string, ready func(line string) string, args ...string) (*proc, error) {
	lf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	p := &proc{name: name, logPath: logPath, done: make(chan struct{}), log: lf}
	p.cmd = exec.Command(args[0], args[1:]...)
	p.cmd.Env = cleanEnv()
	p.cmd.SysProcAttr = sysProcAttr()
	pr, pw := io.Pipe()
	p.cmd.Stdout, p.cmd.Stderr = pw, pw
	if err := p.cmd.Start(); err != nil {
		_ = lf.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		defer func() { _ = lf.Close() }()
		sent := false
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			fmt.Fprintln(p.log, line)
			p.mu.Unlock()
			if !sent {
				if a := ready(line); a != "" {
					addrc <- a
					sent = true
				}
			}
		}
		_, _ = io.Copy(io.Discard, pr) // drain so the child never blocks on a full pipe
	}()
	go func() {
		_ = p.cmd.Wait() // the exit status is read from p.cmd.ProcessState
		_ = pw.Close()
		close(p.done)
	}()
	select {
	case p.addr = <-addrc:
		return p, nil
	case <-p.done:
		return nil, fmt.Errorf("%s exited before serving: %v; see %s", name, p.cmd.ProcessState, logPath)
	case <-time.After(60 * time.Second):
		p.kill()
		return nil, fmt.Errorf("%s did not start within 60 s; see %s", name, logPath)
	}
}

var devnetServing = regexp.MustCompile(`serving on (\S+) height`)

func startDevnet(bin, dir, logPath string) (*proc, error) {
	return startProc("certledger-devnet", logPath, func(line string) string {
		if m := devnetServing.FindStringSubmatch(line); m != nil {
			return m[1]
		}
		return ""
	}, filepath.Join(bin, "certledger-devnet"), "--dir", dir, "--log-level", "warn", "start", "--listen", "127.0.0.1:0")
}

// startGateway starts certledger-gateway with config (listen overrides the config's
// address when set) and waits until /readyz answers 200.
func startGateway(bin, config, listen, logPath string) (*proc, error) {
	args := []string{filepath.Join(bin, "certledger-gateway"), "--config", config}
	if listen != "" {
		args = append(args, "--listen", listen)
	}
	p, err := startProc("certledger-gateway", logPath, func(line string) string {
		var l struct{ Msg, URL string }
		if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "gateway listening" {
			return strings.TrimPrefix(l.URL, "http://")
		}
		return ""
	}, args...)
	if err != nil {
		return nil, err
	}
	if err := waitReady("http://"+p.addr, 30*time.Second); err != nil {
		p.kill()
		return nil, err
	}
	return p, nil
}

func waitReady(base string, within time.Duration) error {
	deadline := time.Now().Add(within)
	var last string
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Sprintf("%d %s", resp.StatusCode, b)
		} else {
			last = err.Error()
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s/readyz not ready within %s: %s", base, within, last)
}

// stop sends SIGTERM and waits (then SIGKILL).
func (p *proc) stop() { testkit.Stop(p.cmd, p.done, 20*time.Second) }

// kill sends SIGKILL and waits for the process to be gone.
func (p *proc) kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// cleanEnv is the environment without CERTLEDGER_* variables, so that a developer's
// own settings do not leak into the tests.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CERTLEDGER_") {
			env = append(env, kv)
		}
	}
	return env
}

// ---- the CLI ----

// result is what one certledger run printed and its exit code.
type result struct {
	args   []string
	stdout string
	stderr string
	code   int
}

func (r result) String() string {
	return fmt.Sprintf("certledger %s\nexit %d\n--- stdout ---\n%s--- stderr ---\n%s",
		strings.Join(r.args, " "), r.code, r.stdout, r.stderr)
}

// exec runs the certledger binary in dir with args and returns what it did.
func (s *stack) exec(dir string, args ...string) result {
	return s.execIn(dir, nil, args...)
}

func (s *stack) execIn(dir string, stdin io.Reader, args ...string) result {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(s.bin, "certledger"), args...)
	cmd.Dir = dir
	cmd.Env = cleanEnv()
	cmd.Stdin = stdin
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else {
			code = -1
			errb.WriteString("\n(run error: " + err.Error() + ")")
		}
	}
	return result{args: args, stdout: out.String(), stderr: errb.String(), code: code}
}

// with prefixes args with the gateway URL and, unless role is "", the role's token.
func (s *stack) with(role string, args ...string) []string {
	pre := []string{"--gateway", s.url}
	if role != "" {
		pre = append(pre, "--token", s.tokens[role])
	}
	return append(pre, args...)
}

// cl runs certledger in dir as role (a token role, or "" for none) against the gateway.
func (s *stack) cl(t *testing.T, dir, role string, args ...string) result {
	t.Helper()
	return s.exec(dir, s.with(role, args...)...)
}

// ok runs certledger and fails t unless it exits 0.
func (s *stack) ok(t *testing.T, dir, role string, args ...string) result {
	t.Helper()
	r := s.cl(t, dir, role, args...)
	if r.code != 0 {
		t.Fatalf("want exit 0:\n%s", r)
	}
	return r
}

// wantExit fails t unless r exited with code and stderr (or stdout) contains each of subs.
func wantExit(t *testing.T, r result, code int, subs ...string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("want exit %d:\n%s", code, r)
	}
	for _, s := range subs {
		if !strings.Contains(r.stderr, s) && !strings.Contains(r.stdout, s) {
			t.Fatalf("output lacks %q:\n%s", s, r)
		}
	}
}

// jsonOut decodes r's stdout (a run with -o json) into v.
func jsonOut(t *testing.T, r result, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.stdout), v); err != nil {
		t.Fatalf("stdout is not the JSON expected (%v):\n%s", err, r)
	}
}

// verdict runs cert verify with args and returns the report.
func (s *stack) verify(t *testing.T, dir string, args ...string) (report, result) {
	t.Helper()
	r := s.cl(t, dir, "", append([]string{"-o", "json", "cert", "verify"}, args...)...)
	var rep report
	if r.code == 0 || r.code == 1 {
		jsonOut(t, r, &rep)
	}
	return rep, r
}

// wantVerdict verifies with args and fails t unless the verdict (and the exit code
// that goes with it) is want.
func (s *stack) wantVerdict(t *testing.T, dir, want string, args ...string) report {
	t.Helper()
	rep, r := s.verify(t, dir, args...)
	code := 1
	if want == "VALID" {
		code = 0
	}
	if r.code != code || rep.Verdict != want {
		t.Fatalf("want verdict %s (exit %d), got %q:\n%s", want, code, rep.Verdict, r)
	}
	return rep
}

// report is the JSON of cert verify.
type report struct {
	Verdict     string       `json:"verdict"`
	Online      bool         `json:"online"`
	Note        string       `json:"note"`
	Certificate *certificate `json:"certificate"`
	Matches     []string     `json:"matches"`
	Steps       []struct {
		Step   int    `json:"step"`
		Name   string `json:"name"`
		Status string `json:"status"`
		Code   string `json:"code"`
		Detail string `json:"detail"`
	} `json:"steps"`
}

func (r report) step(n int) (status, code string) {
	for _, s := range r.Steps {
		if s.Step == n {
			return s.Status, s.Code
		}
	}
	return "", ""
}

// certificate is the ledger's certificate JSON, which the CLI prints as the
// domain type.
type certificate = domaincert.Certificate

// issued is the JSON of cert issue / supersede.
type issued struct {
	Record          certificate `json:"record"`
	TxID            string      `json:"txId"`
	BlockNumber     uint64      `json:"blockNumber"`
	Receipt         string      `json:"receipt"`
	QR              string      `json:"qr"`
	VerifyURL       string      `json:"verifyUrl"`
	AlreadyOnLedger bool        `json:"alreadyOnLedger"`
}

// issue issues a certificate for file as dept (token role = dept) and returns the result.
func (s *stack) issue(t *testing.T, dir, role, key, file string, extra ...string) issued {
	t.Helper()
	args := append([]string{"-o", "json", "cert", "issue", "--file", file, "--type", "business-licence",
		"--holder-id", "91110000ACME", "--valid-until", "2031-12-31", "--key", key}, extra...)
	r := s.ok(t, dir, role, args...)
	var res issued
	jsonOut(t, r, &res)
	if res.Record.ID == "" || res.TxID == "" {
		t.Fatalf("issue result lacks id or tx:\n%s", r)
	}
	return res
}

// ---- small helpers ----

// writeDoc writes a document with unique content into dir and returns its path.
func writeDoc(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// uniqueDoc writes a document whose content no other test uses.
func uniqueDoc(t *testing.T, dir, name string) string {
	t.Helper()
	return writeDoc(t, dir, name, fmt.Sprintf("%s\nBusiness licence for %s, serial %s\n", t.Name(), name, testkit.RandomHex(8)))
}
