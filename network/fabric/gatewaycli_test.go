package fabric_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certledger/certledger/internal/gm"
	"github.com/certledger/certledger/internal/profile"
	"github.com/certledger/certledger/internal/testkit"
	"github.com/certledger/certledger/network/fabric/scenario"
)

// This file runs certledger-gateway and the certledger CLI, as built binaries, against a
// ledger given by its connection profiles: the real Fabric network (TestNetwork) and the
// devnet (TestGatewayCLIOnDevnet) play the same steps.

// GatewayCLIOptions say where the ledger is and what the run may do to it.
type GatewayCLIOptions struct {
	// ProfileDir holds the profiles gov.yaml, dept-a.yaml and dept-b.yaml.
	ProfileDir string
	// Bin holds certledger-gateway and certledger (buildTools).
	Bin string
	// StopPeer stops the peer of the organisation whose profile is named ("dept-a");
	// nil skips the failover step (a single-node ledger has no other peer).
	StopPeer func(profileName string) error
	// WantMVCCRetry makes a run in which the gateway retried no read conflict fail
	// (on Fabric concurrent writes of one key always conflict; the devnet may
	// serialise them before endorsement).
	WantMVCCRetry bool
	// ClerkA, when set, is the dept-a clerk's own Fabric identity (issued by the
	// dept-a CA, node OU client): the clerk's token signs with it, and the
	// certificate's history must name ClerkA.Operator, not the Admin.
	ClerkA *PersonIdentity
}

// PersonIdentity is a person's client certificate and key and the operator id
// (its CN) the chaincode records.
type PersonIdentity struct {
	Cert, Key, Operator string
}

// buildTools builds certledger-gateway and certledger into bin. It tries twice: a build
// cache shared with other go commands running at the same time has been seen to fail
// one build spuriously.
func buildTools(bin string) error {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return fmt.Errorf("go env GOMOD: %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(out)))
	for range 2 {
		cmd := exec.Command("go", "build", "-o", bin+string(filepath.Separator),
			"./gateway/cmd/certledger-gateway", "./cli/cmd/certledger")
		cmd.Dir = root
		var b []byte
		if b, err = cmd.CombinedOutput(); err == nil {
			return nil
		}
		err = fmt.Errorf("go build: %w\n%s", err, b)
	}
	return err
}

// cleanEnv is the environment without CERTLEDGER_* variables and with HOME in dir, so
// that no developer setting or CLI configuration leaks into the run.
func cleanEnv(home string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CERTLEDGER_") && !strings.HasPrefix(kv, "HOME=") && !strings.HasPrefix(kv, "XDG_CONFIG_HOME=") {
			env = append(env, kv)
		}
	}
	return append(env, "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"))
}

// gatewayProc is a running certledger-gateway.
type gatewayProc struct {
	cmd  *exec.Cmd
	url  string
	log  string
	done chan struct{}

	opsMu sync.Mutex
	ops   string // the operations listener's URL (/metrics)
}

func (g *gatewayProc) setOps(u string) {
	g.opsMu.Lock()
	defer g.opsMu.Unlock()
	g.ops = u
}

// opsURL is the URL of the operations listener (/metrics), logged before the
// public one.
func (g *gatewayProc) opsURL() string {
	g.opsMu.Lock()
	defer g.opsMu.Unlock()
	return g.ops
}

// startGateway starts certledger-gateway with config on a free port and waits for
// /readyz; a cleanup stops it and checks that it is gone.
func startGateway(t *testing.T, bin, config, home string) *gatewayProc {
	t.Helper()
	g := &gatewayProc{log: filepath.Join(filepath.Dir(config), "gateway.log"), done: make(chan struct{})}
	lf, err := os.Create(g.log)
	if err != nil {
		t.Fatal(err)
	}
	g.cmd = exec.Command(filepath.Join(bin, "certledger-gateway"), "--config", config, "--listen", "127.0.0.1:0",
		"--operations-listen", "127.0.0.1:0")
	g.cmd.Env = cleanEnv(home)
	g.cmd.SysProcAttr = sysProcAttr()
	pr, pw := io.Pipe()
	g.cmd.Stdout, g.cmd.Stderr = pw, pw
	if err := g.cmd.Start(); err != nil {
		t.Fatalf("starting certledger-gateway: %v", err)
	}
	urlc := make(chan string, 1)
	go func() {
		defer func() { _ = lf.Close() }()
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		sent := false
		for sc.Scan() {
			fmt.Fprintln(lf, sc.Text())
			var l struct{ Msg, URL string }
			if json.Unmarshal(sc.Bytes(), &l) == nil && l.Msg == "operations listening" {
				g.setOps(l.URL)
			}
			if !sent && json.Unmarshal(sc.Bytes(), &l) == nil && l.Msg == "gateway listening" {
				urlc <- l.URL
				sent = true
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	go func() {
		_ = g.cmd.Wait()
		_ = pw.Close()
		close(g.done)
	}()
	t.Cleanup(func() {
		g.stop()
		if t.Failed() {
			b, _ := os.ReadFile(g.log)
			t.Logf("---- certledger-gateway log (tail)\n%s", testkit.Tail(b, 8000))
		}
		if !processGone(g.cmd.Process.Pid) {
			t.Errorf("certledger-gateway (pid %d) still runs", g.cmd.Process.Pid)
		}
	})
	select {
	case g.url = <-urlc:
	case <-g.done:
		b, _ := os.ReadFile(g.log)
		t.Fatalf("certledger-gateway exited before listening: %v\n%s", g.cmd.ProcessState, b)
	case <-time.After(60 * time.Second):
		t.Fatal("certledger-gateway did not listen within 60 s")
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(g.url + "/readyz")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return g
			}
			err = fmt.Errorf("%d %s", resp.StatusCode, b)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s/readyz not ready after 60 s: %v", g.url, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (g *gatewayProc) stop() { testkit.Stop(g.cmd, g.done, 20*time.Second) }

// cliResult is one run of the certledger binary.
type cliResult struct {
	args           []string
	stdout, stderr string
	code           int
}

func (r cliResult) String() string {
	return fmt.Sprintf("certledger %s\nexit %d\n--- stdout ---\n%s--- stderr ---\n%s",
		strings.Join(r.args, " "), r.code, r.stdout, r.stderr)
}

// cliRunner runs the certledger binary in a working folder against one gateway.
type cliRunner struct {
	bin, dir, home, url string
}

// run runs certledger with token ("" for none) and args.
func (c cliRunner) run(token string, args ...string) cliResult {
	full := []string{"--gateway", c.url}
	full = append(full, args...)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, "certledger"), full...)
	cmd.Dir, cmd.Env = c.dir, cleanEnv(c.home)
	if token != "" {
		// In the environment, never on the command line (visible in /proc/PID/cmdline).
		cmd.Env = append(cmd.Env, "CERTLEDGER_TOKEN="+token)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := cliResult{args: full, stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		r.code = -1
		r.stderr += "\n(run error: " + err.Error() + ")"
	}
	return r
}

// ok runs certledger and fails t unless it exits 0; with -o json, out receives stdout.
func (c cliRunner) ok(t *testing.T, token string, out any, args ...string) cliResult {
	t.Helper()
	r := c.run(token, args...)
	if r.code != 0 {
		t.Fatalf("want exit 0:\n%s", r)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(r.stdout), out); err != nil {
			t.Fatalf("stdout is not the JSON expected (%v):\n%s", err, r)
		}
	}
	return r
}

// verdict runs `cert verify ARGS -o json` and fails t unless the verdict is want with
// its exit code (0 for VALID, 1 otherwise).
func (c cliRunner) verdict(t *testing.T, token, want string, args ...string) {
	t.Helper()
	r := c.run(token, append([]string{"-o", "json", "cert", "verify"}, args...)...)
	var rep struct{ Verdict string }
	_ = json.Unmarshal([]byte(r.stdout), &rep)
	code := 1
	if want == "VALID" {
		code = 0
	}
	if rep.Verdict != want || r.code != code {
		t.Fatalf("want verdict %s (exit %d), got %q:\n%s", want, code, rep.Verdict, r)
	}
}

// eventually retries f (which returns a description of what is still wrong, or "")
// for up to 20 s: a write returns once the submitting organisation's peer committed it,
// and another organisation's peer may commit that block a moment later.
func eventually(t *testing.T, what string, f func() string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		msg := f()
		if msg == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still after 20 s:\n%s", what, msg)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// restCall is one REST request's outcome.
type restCall struct {
	status int
	body   []byte
	err    error
}

func rest(method, url, token, body string) restCall {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return restCall{err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return restCall{err: err}
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	return restCall{status: resp.StatusCode, body: b, err: err}
}

// mvccRetries reads certledger_gateway_mvcc_retries_total from the operations
// listener's /metrics.
func mvccRetries(t *testing.T, g *gatewayProc) float64 {
	t.Helper()
	r := rest(http.MethodGet, g.opsURL()+"/metrics", "", "")
	if r.err != nil || r.status != http.StatusOK {
		t.Fatalf("GET /metrics: %v %d", r.err, r.status)
	}
	for _, line := range strings.Split(string(r.body), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "certledger_gateway_mvcc_retries_total" {
			v, err := strconv.ParseFloat(f[1], 64)
			if err != nil {
				t.Fatalf("metrics line %q: %v", line, err)
			}
			return v
		}
	}
	t.Fatal("/metrics has no certledger_gateway_mvcc_retries_total")
	return 0
}

// RunGatewayCLI starts certledger-gateway on the profiles in o.ProfileDir and plays,
// through the certledger CLI binary: two departments registered with keys made by
// `keys generate`, `cert issue` of a file, `cert verify` VALID (exit 0), a tampered file
// not valid (exit 1), `cert revoke` then REVOKED, `cert history`; through REST, eight
// concurrent issues of one signed record and two concurrent status changes of one
// certificate (read conflicts the gateway retries: no 5xx, exactly one effect); and,
// with StopPeer, the peer of dept-a's organisation stopped while `cert verify` still
// answers through that organisation's fallback peers and dept-b still issues. Fresh
// department and certificate ids each run.
func RunGatewayCLI(t *testing.T, o GatewayCLIOptions) {
	work := t.TempDir()
	home := filepath.Join(work, "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		t.Fatal(err)
	}
	profilePath := func(name string) string { return filepath.Join(o.ProfileDir, name+".yaml") }
	msp := map[string]string{}
	for _, name := range []string{"gov", "dept-a", "dept-b"} {
		p, err := profile.Load(profilePath(name))
		if err != nil {
			t.Fatalf("profile %s: %v", name, err)
		}
		msp[name] = p.MSPID
	}
	deptA, deptB := scenario.RandomID("dept-a"), scenario.RandomID("dept-b")
	tokGov, tokA, tokB := testkit.RandomHex(24), testkit.RandomHex(24), testkit.RandomHex(24)

	// Public reads go through the first organisation: dept-a, whose peer is the one
	// stopped below, so the failover of the gateway's profile is what keeps them working.
	config := filepath.Join(work, "gateway.yaml")
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "listen: 127.0.0.1:0\ngovernanceDepartment: gov\nmvccRetries: 5\n")
	fmt.Fprintf(&cfg, "orgs:\n  - {name: dept-a, profile: %s}\n  - {name: gov, profile: %s}\n  - {name: dept-b, profile: %s}\n",
		profilePath("dept-a"), profilePath("gov"), profilePath("dept-b"))
	fmt.Fprintf(&cfg, "tokens:\n")
	fmt.Fprintf(&cfg, "  - {id: gov-admin, sha256: %s, department: gov, org: gov, role: admin}\n", testkit.SHA256Hex(tokGov))
	clerkIdentity := ""
	if id := o.ClerkA; id != nil {
		clerkIdentity = fmt.Sprintf(", identity: {cert: %s, key: %s}", id.Cert, id.Key)
	}
	fmt.Fprintf(&cfg, "  - {id: dept-a-clerk, sha256: %s, department: %s, org: dept-a, role: clerk%s}\n", testkit.SHA256Hex(tokA), deptA, clerkIdentity)
	fmt.Fprintf(&cfg, "  - {id: dept-b-clerk, sha256: %s, department: %s, org: dept-b, role: clerk}\n", testkit.SHA256Hex(tokB), deptB)
	fmt.Fprintf(&cfg, "rateLimit: {perSecond: 0, burst: 0}\n")
	if err := os.WriteFile(config, []byte(cfg.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, o.Bin, config, home)
	c := cliRunner{bin: o.Bin, dir: work, home: home, url: g.url}

	// 1. Keys made by the CLI; the governance admin registers both departments.
	for _, d := range []struct{ id, profile, name string }{
		{deptA, "dept-a", "Market Regulation Bureau"}, {deptB, "dept-b", "Housing Bureau"},
	} {
		c.ok(t, "", nil, "keys", "generate", "--out", d.id+".pem", "--pub-out", d.id+".pub")
		c.ok(t, tokGov, nil, "dept", "register", "--id", d.id, "--name", d.name, "--msp-id", msp[d.profile],
			"--category", "licence", "--category", "business-licence", "--category", "building-permit", "--pub", d.id+".pub")
	}
	// A clerk may not register departments.
	if r := c.run(tokA, "dept", "register", "--id", deptA+"-x", "--name", "X", "--msp-id", msp["dept-a"], "--pub", deptA+".pub"); r.code == 0 {
		t.Fatalf("a clerk registered a department:\n%s", r)
	}
	// Each clerk's organisation sees its department before it issues.
	for _, d := range []struct{ id, tok string }{{deptA, tokA}, {deptB, tokB}} {
		eventually(t, "dept show "+d.id, func() string {
			if r := c.run(d.tok, "dept", "show", d.id); r.code != 0 {
				return r.String()
			}
			return ""
		})
	}

	// 2. Issue a file, verify it (exit 0), a tampered copy is not valid (exit 1).
	doc := filepath.Join(work, "licence.txt")
	content := fmt.Sprintf("Business licence of ACME Ltd, serial %s\n", testkit.RandomHex(8))
	if err := os.WriteFile(doc, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	certID := scenario.RandomID("lic")
	var issued struct {
		Record struct{ ID, DocHash, Status string }
		TxID   string `json:"txId"`
	}
	c.ok(t, tokA, &issued, "-o", "json", "cert", "issue", "--file", "licence.txt", "--type", "business-licence",
		"--holder-id", "91110000ACME", "--valid-until", "2031-12-31", "--key", deptA+".pem", "--dept", deptA,
		"--id", certID, "--out-dir", "receipts")
	if issued.Record.ID != certID || issued.TxID == "" {
		t.Fatalf("cert issue: record %+v tx %q", issued.Record, issued.TxID)
	}
	c.verdict(t, "", "VALID", "licence.txt")
	if err := os.WriteFile(filepath.Join(work, "tampered.txt"), []byte(strings.Replace(content, "ACME", "ACNE", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	c.verdict(t, "", "NOT_FOUND", "tampered.txt")
	c.verdict(t, "", "HASH_MISMATCH", "--id", certID, "tampered.txt")
	// Department B cannot revoke department A's certificate.
	if r := c.run(tokB, "cert", "revoke", certID, "--reason", "fraud", "--key", deptB+".pem"); r.code == 0 {
		t.Fatalf("another department revoked the certificate:\n%s", r)
	}

	// 3. Revoke, then verify says REVOKED; history has both versions, newest first.
	c.ok(t, tokA, nil, "cert", "revoke", certID, "--reason", "licence-withdrawn", "--key", deptA+".pem")
	c.verdict(t, "", "REVOKED", "licence.txt")
	var hist []struct {
		TxID   string `json:"txId"`
		Record struct {
			Status  string `json:"status"`
			ActorID string `json:"actorId"`
		} `json:"record"`
	}
	c.ok(t, tokA, &hist, "-o", "json", "cert", "history", certID)
	if len(hist) != 2 || hist[1].TxID != issued.TxID || hist[0].Record.Status != "revoked" || hist[1].Record.Status != "valid" {
		t.Fatalf("cert history %s: want [revoke, issue %s], got %+v", certID, issued.TxID, hist)
	}
	// Per-person identities: both versions name the clerk who acted, not the Admin.
	if id := o.ClerkA; id != nil {
		for _, h := range hist {
			if h.Record.ActorID != id.Operator {
				t.Fatalf("cert history %s: version %s by %q, want %s", certID, h.TxID, h.Record.ActorID, id.Operator)
			}
		}
		t.Logf("the history of %s names %s for the issue and the revocation", certID, id.Operator)
	}
	t.Logf("CLI: registered %s and %s, issued %s (tx %s), verified, revoked, history of 2", deptA, deptB, certID, issued.TxID)

	// 4. Read conflicts retried by the gateway. Eight concurrent POSTs of one signed
	// record: all endorse against "id absent", one commits, the others fail
	// MVCC_READ_CONFLICT; the gateway endorses them again, the chaincode says CONFLICT and
	// the gateway answers with the stored record (idempotent issue). No 5xx, one effect.
	pemB, err := os.ReadFile(filepath.Join(work, deptB+".pem"))
	if err != nil {
		t.Fatal(err)
	}
	keyB, err := gm.ParsePrivateKeyPEM(pemB, nil)
	if err != nil {
		t.Fatalf("key made by `keys generate`: %v", err)
	}
	signerB := &scenario.Signer{Key: keyB, KeyID: gm.KeyID(&keyB.PublicKey), DeptID: deptB}
	racedID := scenario.RandomID("raced")
	rec, err := signerB.Certificate(racedID)
	if err != nil {
		t.Fatal(err)
	}
	before := mvccRetries(t, g)
	const racers = 8
	calls := make([]restCall, racers)
	var wg sync.WaitGroup
	for i := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			calls[i] = rest(http.MethodPost, g.url+"/api/v1/certificates", tokB, scenario.JSON(rec))
		}()
	}
	wg.Wait()
	created, txIDs := 0, map[string]bool{}
	for i, r := range calls {
		if r.err != nil || (r.status != http.StatusCreated && r.status != http.StatusOK) {
			t.Fatalf("concurrent issue %d: %v %d %s", i, r.err, r.status, r.body)
		}
		if r.status == http.StatusCreated {
			created++
		}
		var w struct {
			TxID string `json:"txId"`
		}
		_ = json.Unmarshal(r.body, &w)
		txIDs[w.TxID] = true
	}
	if created != 1 || len(txIDs) != 1 {
		t.Fatalf("concurrent issues of %s: %d created, tx ids %v; want 1 created and one tx", racedID, created, txIDs)
	}
	var racedTx string
	for id := range txIDs {
		racedTx = id
	}
	// Two concurrent status changes of that certificate, both chained to its issue.
	sus, _ := signerB.StatusChange(racedID, "suspend", "under-review", racedTx)
	rev, _ := signerB.StatusChange(racedID, "revoke", "fraud", racedTx)
	changes := make([]restCall, 2)
	for i, body := range []map[string]string{sus, rev} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			changes[i] = rest(http.MethodPost, g.url+"/api/v1/certificates/"+racedID+"/"+body["action"], tokB, scenario.JSON(body))
		}()
	}
	wg.Wait()
	won := 0
	for i, r := range changes {
		switch {
		case r.err != nil || r.status >= 500:
			t.Fatalf("concurrent status change %d: %v %d %s", i, r.err, r.status, r.body)
		case r.status == http.StatusOK:
			won++
		case r.status != http.StatusConflict:
			t.Fatalf("concurrent status change %d: %d %s, want 200 or 409", i, r.status, r.body)
		}
	}
	if won != 1 {
		t.Fatalf("concurrent status changes: %d succeeded (%d %s / %d %s), want exactly 1",
			won, changes[0].status, changes[0].body, changes[1].status, changes[1].body)
	}
	eventually(t, "history of "+racedID, func() string {
		r := rest(http.MethodGet, g.url+"/api/v1/certificates/"+racedID+"/history", tokB, "")
		var h []json.RawMessage
		if r.err != nil || r.status != http.StatusOK || json.Unmarshal(r.body, &h) != nil || len(h) != 2 {
			return fmt.Sprintf("%v %d %s (want 2 versions: issue and one status change)", r.err, r.status, r.body)
		}
		return ""
	})
	retries := mvccRetries(t, g) - before
	if o.WantMVCCRetry && retries == 0 {
		t.Fatalf("the gateway retried no read conflict during %d concurrent issues of one record", racers)
	}
	t.Logf("REST: %d concurrent issues of %s -> 1 created (tx %s), %d replayed; concurrent suspend/revoke -> %d %d; gateway MVCC retries: %v",
		racers, racedID, racedTx, racers-1, changes[0].status, changes[1].status, retries)

	// 5. dept-a's peer stops: verify still answers through the organisation's fallback
	// peers, and dept-b (with the remaining majority) still issues.
	if o.StopPeer == nil {
		t.Log("StopPeer not set: failover step skipped")
		return
	}
	if err := o.StopPeer("dept-a"); err != nil {
		t.Fatalf("stopping the peer of dept-a: %v", err)
	}
	c.verdict(t, "", "REVOKED", "licence.txt")
	c.verdict(t, tokA, "REVOKED", "--id", certID)
	doc2 := filepath.Join(work, "permit.txt")
	if err := os.WriteFile(doc2, []byte("Building permit "+testkit.RandomHex(8)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c.ok(t, tokB, nil, "cert", "issue", "--file", "permit.txt", "--type", "building-permit",
		"--holder-id", "91110000ACME", "--valid-until", "2031-12-31", "--key", deptB+".pem", "--dept", deptB,
		"--out-dir", "receipts")
	eventually(t, "verify permit.txt with peer0 of dept-a down", func() string {
		r := c.run("", "cert", "verify", "permit.txt")
		if r.code != 0 {
			return r.String()
		}
		return ""
	})
	t.Log("dept-a's peer down: verified through its fallback peers; dept-b issued with the remaining majority")
}
