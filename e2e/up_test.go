package e2e

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// freeAddrs returns n distinct loopback addresses that were free a moment ago.
func freeAddrs(t *testing.T, n int) []string {
	t.Helper()
	var addrs []string
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = l.Close() }()
		addrs = append(addrs, l.Addr().String())
	}
	return addrs
}

// TestMakeUpDown runs scripts/up.sh (what `make up` runs after `make build`) with its
// data in a temporary folder on free ports, follows the commands it prints, runs it a
// second time (no error, nothing registered twice), stops everything with
// scripts/down.sh, and starts again on the same data.
func TestMakeUpDown(t *testing.T) {
	e := need(t)
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("SKIP: bash not found; scripts/up.sh needs it")
	}
	t.Parallel()
	run := filepath.Join(t.TempDir(), "run")
	addrs := freeAddrs(t, 3)
	env := append(cleanEnv(), "CERTLEDGER_RUN_DIR="+run, "CERTLEDGER_BIN="+e.bin,
		"DEVNET_ADDR="+addrs[0], "GATEWAY_ADDR="+addrs[1], "OPERATIONS_ADDR="+addrs[2])
	script := func(name string) result {
		t.Helper()
		cmd := exec.Command("bash", filepath.Join(e.root, "scripts", name))
		cmd.Dir = e.root
		cmd.Env = env
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		code := 0
		if err != nil {
			code = cmd.ProcessState.ExitCode()
		}
		return result{args: []string{"(bash scripts/" + name + ")"}, stdout: out.String(), stderr: errb.String(), code: code}
	}
	t.Cleanup(func() {
		if r := script("down.sh"); r.code != 0 {
			t.Errorf("cleanup: %s", r)
		}
	})
	url := "http://" + addrs[1]

	r := script("up.sh")
	wantExit(t, r, 0, "devnet started on "+addrs[0], "gateway started on "+url,
		"registered: department dept-a", "registered: department dept-b", "certledger is up", url+"/", "make down")
	// The demo people: a clerk per department and the auditor, each with a
	// client certificate of their own (docs/people.md).
	wantExit(t, r, 0, "identity clerk1@dept-a issued", "identity clerk1@dept-b issued", "identity auditor@gov issued by the gov CA (client)")
	for _, f := range []string{"tokens.env", "env.sh", "tokens/dept-a.token", "tokens/gov.token", "keys/dept-a.pem", "keys/dept-b.pem"} {
		st, err := os.Stat(filepath.Join(run, f))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if f != "keys/dept-a.pem" && f != "keys/dept-b.pem" && st.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s is readable by others (mode %v)", f, st.Mode())
		}
	}
	pids := map[string]int{}
	for _, p := range []string{"devnet", "gateway"} {
		b, err := os.ReadFile(filepath.Join(run, p+".pid"))
		if err != nil {
			t.Fatal(err)
		}
		pids[p], _ = strconv.Atoi(strings.TrimSpace(string(b)))
	}

	// Follow the printed commands, as a newcomer pastes them into bash.
	try := r.stdout[strings.Index(r.stdout, "Try it"):]
	try = try[strings.Index(try, "\n")+1 : strings.Index(try, "Stop with")]
	if strings.Contains(try, "--token ") {
		t.Errorf("the printed commands put a token on the command line (visible in /proc):\n%s", try)
	}
	demo := exec.Command("bash", "-c", try)
	demo.Dir = e.root
	demo.Env = env
	out, _ := demo.CombinedOutput()
	verdicts := []string{"verdict: VALID", "verdict: NOT_FOUND", "verdict: REVOKED"}
	rest := string(out)
	for _, v := range verdicts {
		i := strings.Index(rest, v)
		if i < 0 {
			t.Fatalf("the printed commands did not show %q in order; they were:\n%s\noutput:\n%s", v, try, out)
		}
		rest = rest[i:]
	}
	const demoID = "1.2.156.3005.2.11100000MB0143028R001.11330100MB1234567E.2026000001.001.Z"
	if !strings.Contains(string(out), "issued certificate "+demoID) || strings.Contains(string(out), "command not found") {
		t.Fatalf("printed commands:\n%s\noutput:\n%s", try, out)
	}
	// The ledger names the clerk who issued and revoked, not the department's Admin.
	hist := e.exec(run, "--gateway", url, "--token-file", filepath.Join(run, "tokens", "auditor.token"), "cert", "history", demoID)
	wantExit(t, hist, 0, "clerk1@dept-a")
	if strings.Contains(hist.stdout, "Admin@") {
		t.Errorf("the history names an Admin:\n%s", hist.stdout)
	}

	// Second run: no error, nothing new.
	r = script("up.sh")
	wantExit(t, r, 0, "devnet already running", "gateway already running", "department dept-a already registered")
	if strings.Contains(r.stdout, "registered: department") || strings.Contains(r.stdout, "identity clerk1@dept-a issued") {
		t.Fatalf("second run registered again:\n%s", r)
	}
	wantExit(t, e.exec(run, "--gateway", url, "dept", "list"), 0, "dept-a", "dept-b")

	// make down stops both processes; a second make down has nothing to do.
	r = script("down.sh")
	wantExit(t, r, 0, "stopped gateway", "stopped devnet")
	for p, pid := range pids {
		if err := waitGone(pid, 5*time.Second); err != nil {
			t.Errorf("%s (pid %d) still running after down.sh", p, pid)
		}
	}
	if err := waitReady(url, 200*time.Millisecond); err == nil {
		t.Error("gateway still answers after down.sh")
	}
	wantExit(t, script("down.sh"), 0, "nothing running")

	// Up again on the same data: the ledger kept the departments and the certificate.
	r = script("up.sh")
	wantExit(t, r, 0, "devnet started", "department dept-a already registered")
	demoDir := filepath.Join(run, "demo")
	wantExit(t, e.exec(demoDir, "--gateway", url, "cert", "verify", "licence.txt"), 1, "verdict: REVOKED")
}

// waitGone waits until pid no longer exists.
func waitGone(pid int, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		if err := syscall.Kill(pid, 0); err != nil {
			return nil
		}
		// A zombie (exited, not yet reaped by whoever adopted it) is gone too.
		if b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil {
			if f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:])); len(f) > 0 && f[0] == "Z" {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return syscall.EBUSY
		}
		time.Sleep(50 * time.Millisecond)
	}
}
