package fabric_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/internal/profile"
	"github.com/certledger/certledger/network/fabric/scenario"
)

// fabricBin returns FABRIC_BIN (or "" when the binaries are on PATH), or skips the test
// saying what it needs.
func fabricBin(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("FABRIC_BIN")
	var missing []string
	for _, b := range []string{"peer", "orderer", "osnadmin", "configtxgen", "cryptogen"} {
		if dir != "" {
			if _, err := os.Stat(filepath.Join(dir, b)); err != nil {
				missing = append(missing, b)
			}
		} else if _, err := exec.LookPath(b); err != nil {
			missing = append(missing, b)
		}
	}
	if len(missing) > 0 {
		t.Skipf("needs Hyperledger Fabric v2.5 binaries (missing %s): set FABRIC_BIN to a folder "+
			"with peer, orderer, osnadmin, configtxgen, cryptogen and the ccaas builder in "+
			"../builders/ccaas (the official release layout), or put them on PATH",
			strings.Join(missing, ", "))
	}
	return dir
}

type network struct {
	t     *testing.T
	state string
	env   []string // FABRIC_STATE and the port assignments
}

// freePorts assigns every *_PORT variable of ports.env a free port p on 127.0.0.1 whose
// p+1 is free too (a chaincode server alternates between the two), so the test never
// collides with a network someone else runs on the default ports. Ports come from
// 20000-32767, below Linux's ephemeral range, so outgoing connections do not take them
// between this check and the node's start.
func freePorts(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("ports.env")
	if err != nil {
		t.Fatal(err)
	}
	free := func(p int) bool {
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			return false
		}
		_ = l.Close() // only probing whether the port is free
		return true
	}
	used := map[int]bool{}
	var env []string
	for _, m := range regexp.MustCompile(`(?m)(?:^|; *)([A-Z0-9_]+_PORT)=\$\{`).FindAllStringSubmatch(string(b), -1) {
		for tries := 0; ; tries++ {
			if tries > 1000 {
				t.Fatal("no free port pair in 20000-32767")
			}
			p := 20000 + rand.IntN(12766)
			if used[p] || used[p+1] || !free(p) || !free(p+1) {
				continue
			}
			used[p], used[p+1] = true, true
			env = append(env, m[1]+"="+strconv.Itoa(p))
			break
		}
	}
	if len(env) < 20 {
		t.Fatalf("found only %d port variables in ports.env", len(env))
	}
	return env
}

func (n *network) run(args ...string) time.Duration {
	n.t.Helper()
	cmd := exec.Command("./network.sh", args...)
	cmd.Env = append(os.Environ(), n.env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if err != nil {
		n.t.Fatalf("network.sh %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	return d
}

// pids lists the processes network.sh recorded.
func (n *network) pids() map[string]int {
	m := map[string]int{}
	files, _ := filepath.Glob(filepath.Join(n.state, "pids", "*.pid"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if pid, err := strconv.Atoi(strings.Fields(string(b) + " 0")[0]); err == nil {
			m[strings.TrimSuffix(filepath.Base(f), ".pid")] = pid
		}
	}
	return m
}

func (n *network) dumpLogs() {
	files, _ := filepath.Glob(filepath.Join(n.state, "logs", "*.log"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
		if len(lines) > 15 {
			lines = lines[len(lines)-15:]
		}
		n.t.Logf("---- %s\n%s", filepath.Base(f), strings.Join(lines, "\n"))
	}
}

// processGone reports whether pid no longer runs (absent or a zombie awaiting its reaper).
func processGone(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	f := strings.Fields(string(b))
	return len(f) > 2 && (f[2] == "Z" || f[2] == "X")
}

// TestNetwork brings the Fabric network up, deploys the certledger chaincode, plays the
// ledger scenario through the organisations' connection profiles (scenario.Run), then the
// same steps through certledger-gateway and the certledger CLI as processes
// (RunGatewayCLI), upgrades the chaincode, adds an organisation, and takes the network
// down again with no process left behind.
func TestNetwork(t *testing.T) {
	fabricBin(t)
	if testing.Short() {
		t.Skip("starts a Fabric network (about a minute); skipped with -short")
	}
	state := filepath.Join(t.TempDir(), "state")
	n := &network{t: t, state: state, env: append(freePorts(t), "FABRIC_STATE="+state)}
	t.Cleanup(func() {
		if t.Failed() {
			n.dumpLogs()
		}
		started := n.pids()
		n.run("down")
		deadline := time.Now().Add(10 * time.Second)
		for name, pid := range started {
			for !processGone(pid) && time.Now().Before(deadline) {
				time.Sleep(50 * time.Millisecond)
			}
			if !processGone(pid) {
				t.Errorf("%s (pid %d) still runs after down", name, pid)
			}
		}
		if _, err := os.Stat(n.state); !os.IsNotExist(err) {
			t.Errorf("state %s still exists after down", n.state)
		}
	})

	// certledger-gateway and certledger build while the network starts.
	bin := t.TempDir()
	var buildErr error
	built := make(chan struct{})
	go func() { defer close(built); buildErr = buildTools(bin) }()
	t.Cleanup(func() { <-built }) // before bin is removed
	up := n.run("up")
	deploy := n.run("deploy")
	t.Logf("up %v, deploy %v (up+deploy %v)", up.Round(time.Millisecond), deploy.Round(time.Millisecond), (up + deploy).Round(time.Millisecond))
	// Both are idempotent.
	n.run("up")
	n.run("deploy")
	if got := len(n.pids()); got != 9 {
		t.Fatalf("%d recorded processes, want 9 (3 orderers, 3 peers, 3 chaincode servers): %v", got, n.pids())
	}

	profiles := filepath.Join(n.state, "profiles")
	stopPeer := func(name string) error { // profile "dept-a" is organisation depta
		n.run("stop", "peer0."+strings.ReplaceAll(name, "-", ""))
		return nil
	}
	scenario.Run(t, scenario.Options{ProfileDir: profiles, StopPeer: stopPeer})
	if t.Failed() {
		return
	}

	// The stopped peer comes back with `up`. Then the same through certledger-gateway and
	// the certledger CLI (RunGatewayCLI, also run on the devnet by TestGatewayCLIOnDevnet).
	n.run("up")
	<-built
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	start := time.Now()
	// `up` issued the demo people (network.sh DEMO_USERS) from the organisations' CAs.
	clerk := filepath.Join(n.state, "crypto", "peerOrganizations", "depta.certledger.local", "users", "clerk1@depta.certledger.local", "msp")
	RunGatewayCLI(t, GatewayCLIOptions{ProfileDir: profiles, Bin: bin, StopPeer: stopPeer, WantMVCCRetry: true,
		ClerkA: &PersonIdentity{Cert: filepath.Join(clerk, "signcerts", "clerk1@depta.certledger.local-cert.pem"),
			Key: filepath.Join(clerk, "keystore", "priv_sk"), Operator: "clerk1@depta.certledger.local"}})
	if t.Failed() {
		return
	}
	t.Logf("gateway and CLI steps %v", time.Since(start).Round(time.Millisecond))

	// A new chaincode sequence and a fourth organisation, after which MAJORITY means 3 of
	// 4 endorsements.
	n.run("up")
	t.Logf("upgrade %v", n.run("upgrade", "1.1").Round(time.Millisecond))
	t.Logf("add-org deptc %v", n.run("add-org", "deptc").Round(time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dial := func(name string) *scenario.Conn {
		p, err := profile.Load(filepath.Join(profiles, name+".yaml"))
		if err != nil {
			t.Fatal(err)
		}
		c, err := scenario.DialPeer(ctx, p, p.Peer, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	deptC, gov := dial("dept-c"), dial("gov")
	if b, err := deptC.Contract.EvaluateTransaction("registry:GetGovernance"); err != nil || !strings.Contains(string(b), "GovMSP") {
		t.Fatalf("GetGovernance through peer0.deptc: %s %s", b, scenario.Describe(err))
	}
	s, err := scenario.NewSigner(scenario.RandomID("dept-c"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := scenario.Submit(ctx, gov.Contract, 3, "registry:RegisterDepartment", s.Department("Tax Bureau", "DeptCMSP")); err != nil {
		t.Fatalf("RegisterDepartment after add-org: %s", scenario.Describe(err))
	}
	// peer0.deptc may commit the block a moment after the gateway's peer (peer0.gov) did.
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		b, err := deptC.Contract.EvaluateTransaction("registry:GetDepartment", s.DeptID)
		if err == nil && strings.Contains(string(b), `"DeptCMSP"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("GetDepartment %s through peer0.deptc: %s %s", s.DeptID, b, scenario.Describe(err))
		}
	}
	if got := len(n.pids()); got != 11 {
		t.Fatalf("%d recorded processes after add-org, want 11: %v", got, n.pids())
	}
}

// TestScenarioOnProfiles plays the scenario on a ledger that is already running, given
// its profile folder: CERTLEDGER_PROFILES=./devnet/profiles go test -run TestScenarioOnProfiles ./network/fabric/
// (no peer is stopped: a single-node ledger has no fallback).
func TestScenarioOnProfiles(t *testing.T) {
	dir := os.Getenv("CERTLEDGER_PROFILES")
	if dir == "" {
		t.Skip("set CERTLEDGER_PROFILES to the profile folder of a running ledger (devnet or network/fabric)")
	}
	scenario.Run(t, scenario.Options{ProfileDir: dir})
}
