package fabric_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"

	"github.com/certledger/certledger/internal/profile"
	"github.com/certledger/certledger/internal/testkit"
	"github.com/certledger/certledger/loadtest/record"
	"github.com/certledger/certledger/network/fabric/scenario"
)

// TestFaults (issue 12, "Real Fabric faults"): the network of network.sh with
// certledger-gateway in front, six clients issuing certificates through it (three per
// department, each retrying a failed write with the same record, as the CLI does), and
// four faults, each injected twice with kill -9 and then restarted: the Raft leader, a
// department's peer, its chaincode server, and the gateway. Every acknowledged
// certificate must be found on all three peers; the longest write gap per department
// and fault, the longest single request and the answers seen are printed.
//
//	FABRIC_BIN=/opt/fabric/bin go test -run TestFaults -v -timeout 20m ./network/fabric/
func TestFaults(t *testing.T) {
	fabricBin(t)
	if testing.Short() {
		t.Skip("starts a Fabric network and injects faults for minutes; skipped with -short")
	}
	outage := envDuration(t, "CERTLEDGER_FAULT_OUTAGE", 5*time.Second)
	settle := envDuration(t, "CERTLEDGER_FAULT_SETTLE", 6*time.Second)

	state := filepath.Join(t.TempDir(), "state")
	n := &network{t: t, state: state, env: append(freePorts(t), "FABRIC_STATE="+state)}
	t.Cleanup(func() {
		if t.Failed() {
			n.dumpLogs()
		}
		n.run("down")
	})
	bin := t.TempDir()
	var buildErr error
	built := make(chan struct{})
	go func() { defer close(built); buildErr = buildTools(bin) }()
	t.Cleanup(func() { <-built })
	n.run("up")
	n.run("deploy")
	<-built
	if buildErr != nil {
		t.Fatal(buildErr)
	}

	// The gateway on fixed ports (a restarted gateway must come back where clients look).
	work := t.TempDir()
	profiles := filepath.Join(state, "profiles")
	msp := map[string]string{}
	for _, name := range []string{"gov", "dept-a", "dept-b"} {
		p, err := profile.Load(filepath.Join(profiles, name+".yaml"))
		if err != nil {
			t.Fatal(err)
		}
		msp[name] = p.MSPID
	}
	depts := []string{scenario.RandomID("dept-a"), scenario.RandomID("dept-b")}
	orgOf := map[string]string{depts[0]: "dept-a", depts[1]: "dept-b"}
	tokGov := testkit.RandomHex(24)
	tok := map[string]string{depts[0]: testkit.RandomHex(24), depts[1]: testkit.RandomHex(24)}
	var cfg strings.Builder
	addr, opsAddr := testkit.FreeAddr(t), testkit.FreeAddr(t)
	fmt.Fprintf(&cfg, "listen: %s\noperations: {listen: %s}\ngovernanceDepartment: gov\nmvccRetries: 5\n", addr, opsAddr)
	fmt.Fprintf(&cfg, "orgs:\n")
	for _, name := range []string{"gov", "dept-a", "dept-b"} {
		fmt.Fprintf(&cfg, "  - {name: %s, profile: %s}\n", name, filepath.Join(profiles, name+".yaml"))
	}
	fmt.Fprintf(&cfg, "tokens:\n  - {id: gov-admin, sha256: %s, department: gov, org: gov, role: admin}\n", testkit.SHA256Hex(tokGov))
	for _, d := range depts {
		fmt.Fprintf(&cfg, "  - {id: %s-clerk, sha256: %s, department: %s, org: %s, role: clerk}\n", d, testkit.SHA256Hex(tok[d]), d, orgOf[d])
	}
	fmt.Fprintf(&cfg, "rateLimit: {perSecond: 0, burst: 0}\n")
	config := filepath.Join(work, "gateway.yaml")
	if err := os.WriteFile(config, []byte(cfg.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	gw := &faultGateway{t: t, bin: bin, config: config, home: work, url: "http://" + addr, log: filepath.Join(work, "gateway.log")}
	gw.start()
	t.Cleanup(gw.stop)

	signers := map[string]*scenario.Signer{}
	for _, d := range depts {
		s, err := scenario.NewSigner(d)
		if err != nil {
			t.Fatal(err)
		}
		signers[d] = s
		body := scenario.JSON(map[string]any{"id": d, "name": "Bureau " + d, "mspId": msp[orgOf[d]],
			"categories": []string{record.CertificateType}, "publicKeys": []string{s.PEM}})
		if r := rest(http.MethodPost, gw.url+"/api/v1/departments", tokGov, body); r.err != nil || r.status != http.StatusCreated {
			t.Fatalf("registering %s: %v %d %s", d, r.err, r.status, r.body)
		}
	}
	for _, d := range depts { // each organisation's peer has the department before its clerk issues
		eventually(t, "department "+d, func() string {
			if r := rest(http.MethodGet, gw.url+"/api/v1/departments/"+d, tok[d], ""); r.status != http.StatusOK {
				return fmt.Sprintf("%d %s", r.status, r.body)
			}
			return ""
		})
	}

	// Six clients, three per department.
	ld := &load{url: gw.url, answers: map[string]int{}}
	ctx, stopLoad := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i := range 6 {
		d := depts[i%2]
		wg.Add(1)
		go func() { defer wg.Done(); ld.client(ctx, t, fmt.Sprintf("c%d", i), d, tok[d], signers[d]) }()
	}
	defer func() { stopLoad(); wg.Wait() }()
	time.Sleep(settle)

	// The faults, each twice (the department's peer and chaincode: dept-a, then dept-b).
	var windows []faultWindow
	inject := func(name string, kill func() (what string)) {
		w := faultWindow{fault: name, start: time.Now()}
		w.what = kill()
		time.Sleep(outage)
		w.restart = time.Now()
		if name == "gateway" {
			gw.start()
		} else {
			n.run("up")
		}
		w.back = time.Now()
		time.Sleep(settle)
		w.end = time.Now()
		windows = append(windows, w)
		t.Logf("%s: killed %s, restarted after %v (back %v later)", name, w.what, w.restart.Sub(w.start).Round(time.Millisecond), w.back.Sub(w.restart).Round(time.Millisecond))
	}
	killNode := func(name string) string {
		pid, ok := n.pids()[name]
		if !ok {
			t.Fatalf("no process %s: %v", name, n.pids())
		}
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatalf("kill %s: %v", name, err)
		}
		for deadline := time.Now().Add(10 * time.Second); !processGone(pid) && time.Now().Before(deadline); {
			time.Sleep(20 * time.Millisecond)
		}
		return fmt.Sprintf("%s (pid %d)", name, pid)
	}
	for range 2 {
		inject("raft leader", func() string { return killNode(raftLeader(t, n)) })
	}
	for _, org := range []string{"depta", "deptb"} {
		inject("peer", func() string { return killNode("peer0." + org) })
	}
	for _, org := range []string{"depta", "deptb"} {
		inject("chaincode", func() string { return killNode(chaincodeOf(t, n, org)) })
	}
	for range 2 {
		inject("gateway", func() string { return gw.kill() })
	}
	stopLoad()
	wg.Wait()

	// Every acknowledged certificate, on every peer.
	acked := ld.ackedIDs()
	if len(acked) == 0 {
		t.Fatal("no certificate acknowledged")
	}
	found := map[string]int{}
	vctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for _, name := range []string{"gov", "dept-a", "dept-b"} {
		p, err := profile.Load(filepath.Join(profiles, name+".yaml"))
		if err != nil {
			t.Fatal(err)
		}
		conn, err := scenario.DialPeer(vctx, p, p.Peer, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		found[p.Peer.Endpoint] = countFound(vctx, conn, acked)
		_ = conn.Close()
	}
	ld.report(t, windows, depts, len(acked), found)
	for peer, f := range found {
		if f != len(acked) {
			t.Errorf("peer %s has %d of %d acknowledged certificates", peer, f, len(acked))
		}
	}
	if ld.unacked > 0 {
		t.Logf("%d records were given up on (never acknowledged); each is either absent or, if committed, not counted", ld.unacked)
	}
}

func envDuration(t *testing.T, name string, def time.Duration) time.Duration {
	t.Helper()
	if v := os.Getenv(name); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return d
	}
	return def
}

// raftLeader names the orderer that leads the channel's Raft cluster now, from the
// orderers' logs ("Raft leader changed: X -> Y ... node=K", K the logging node).
func raftLeader(t *testing.T, n *network) string {
	t.Helper()
	changed := regexp.MustCompile(`Raft leader changed: \d+ -> (\d+).*channel=certledger node=(\d+)`)
	var name string
	eventually(t, "a Raft leader", func() string {
		nodeName := map[string]string{}
		votes := map[string]int{}
		pids := n.pids()
		for i := range 3 {
			o := "orderer" + strconv.Itoa(i)
			b, err := os.ReadFile(filepath.Join(n.state, "logs", o+".log"))
			if err != nil {
				continue
			}
			m := changed.FindAllStringSubmatch(string(b), -1)
			if len(m) == 0 {
				continue
			}
			last := m[len(m)-1]
			nodeName[last[2]] = o
			if pid, ok := pids[o]; ok && !processGone(pid) {
				votes[last[1]]++
			}
		}
		for id, v := range votes {
			if v >= 2 && nodeName[id] != "" {
				name = nodeName[id]
				return ""
			}
		}
		return fmt.Sprintf("no agreed leader: votes %v, nodes %v", votes, nodeName)
	})
	return name
}

// chaincodeOf names the running chaincode server process of an organisation.
func chaincodeOf(t *testing.T, n *network, org string) string {
	t.Helper()
	var names []string
	for name := range n.pids() {
		if strings.HasPrefix(name, "cc."+org+".") {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		t.Fatalf("no chaincode server of %s: %v", org, n.pids())
	}
	slices.Sort(names)
	return names[len(names)-1]
}

// countFound counts the ids certificate:Get finds on the connection's peer, waiting
// a little for a peer that commits a block after the others.
func countFound(ctx context.Context, conn *scenario.Conn, ids []string) int {
	missing := ids
	for attempt := 0; ; attempt++ {
		var (
			mu   sync.Mutex
			next []string
			wg   sync.WaitGroup
			work = make(chan string)
		)
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for id := range work {
					b, err := conn.Contract.EvaluateWithContext(ctx, "certificate:Get", client.WithArguments(id))
					if err != nil || !strings.Contains(string(b), `"id":"`+id+`"`) {
						mu.Lock()
						next = append(next, id)
						mu.Unlock()
					}
				}
			}()
		}
		for _, id := range missing {
			work <- id
		}
		close(work)
		wg.Wait()
		missing = next
		if len(missing) == 0 || attempt >= 10 || ctx.Err() != nil {
			return len(ids) - len(missing)
		}
		time.Sleep(time.Second)
	}
}

// faultGateway is certledger-gateway as a process the test kills and restarts.
type faultGateway struct {
	t                           *testing.T
	bin, config, home, url, log string
	cmd                         *exec.Cmd
	done                        chan struct{}
}

func (g *faultGateway) start() {
	g.t.Helper()
	lf, err := os.OpenFile(g.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		g.t.Fatal(err)
	}
	g.cmd = exec.Command(filepath.Join(g.bin, "certledger-gateway"), "--config", g.config, "--log-level", "warn")
	g.cmd.Env = cleanEnv(g.home)
	g.cmd.SysProcAttr = sysProcAttr()
	g.cmd.Stdout, g.cmd.Stderr = lf, lf
	if err := g.cmd.Start(); err != nil {
		g.t.Fatal(err)
	}
	g.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { _ = cmd.Wait(); _ = lf.Close(); close(done) }(g.cmd, g.done)
	deadline := time.Now().Add(60 * time.Second)
	for {
		r := rest(http.MethodGet, g.url+"/readyz", "", "")
		if r.err == nil && r.status == http.StatusOK {
			return
		}
		select {
		case <-g.done:
			b, _ := os.ReadFile(g.log)
			g.t.Fatalf("certledger-gateway exited: %s\n%s", g.cmd.ProcessState, testkit.Tail(b, 4000))
		default:
		}
		if time.Now().After(deadline) {
			g.t.Fatalf("certledger-gateway not ready in 60 s: %v %d %s", r.err, r.status, r.body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (g *faultGateway) kill() string {
	pid := g.cmd.Process.Pid
	_ = g.cmd.Process.Kill()
	<-g.done
	return fmt.Sprintf("certledger-gateway (pid %d)", pid)
}

func (g *faultGateway) stop() {
	if g.cmd == nil {
		return
	}
	testkit.Stop(g.cmd, g.done, 20*time.Second)
	if g.t.Failed() {
		b, _ := os.ReadFile(g.log)
		g.t.Logf("---- certledger-gateway log (tail)\n%s", testkit.Tail(b, 6000))
	}
}

// faultWindow is one injected fault: killed at start, restarted at restart (back
// when the restart command returned), observed until end.
type faultWindow struct {
	fault, what               string
	start, restart, back, end time.Time
}

// load is the six clients' record of what happened.
type load struct {
	url string

	mu      sync.Mutex
	acks    []ackRec
	answers map[string]int // "503 UNAVAILABLE", "504 COMMIT_UNKNOWN", "transport", ...
	maxWait time.Duration  // the longest single request
	retried int            // records acknowledged after at least one failed attempt
	unacked int            // records given up on
}

type ackRec struct {
	dept, id string
	at       time.Time
	replay   bool
}

// client issues certificates of dept until ctx ends. A failed write (503, 504,
// 429, a lost connection) is sent again with the same record until it is
// acknowledged (201, or 200 Idempotent-Replay), for up to two minutes.
func (l *load) client(ctx context.Context, t *testing.T, name, dept, token string, s *scenario.Signer) {
	hc := &http.Client{Timeout: 30 * time.Second}
	defer hc.CloseIdleConnections()
	for i := 0; ctx.Err() == nil; i++ {
		id := fmt.Sprintf("%s-%s-%d", dept, name, i)
		rec, err := s.Certificate(id)
		if err != nil {
			t.Error(err)
			return
		}
		body := scenario.JSON(rec)
		giveUp := time.Now().Add(2 * time.Minute)
		for attempt := 0; ; attempt++ {
			start := time.Now()
			status, code, retryAfter, err := post(hc, l.url+"/api/v1/certificates", token, body)
			d := time.Since(start)
			l.mu.Lock()
			l.maxWait = max(l.maxWait, d)
			key := "transport"
			if err == nil {
				key = strconv.Itoa(status) + " " + code
			}
			l.answers[key]++
			l.mu.Unlock()
			if err == nil && (status == http.StatusCreated || status == http.StatusOK) {
				l.mu.Lock()
				l.acks = append(l.acks, ackRec{dept: dept, id: id, at: time.Now(), replay: status == http.StatusOK})
				if attempt > 0 {
					l.retried++
				}
				l.mu.Unlock()
				break
			}
			if err == nil && status != http.StatusServiceUnavailable && status != http.StatusGatewayTimeout && status != http.StatusTooManyRequests {
				t.Errorf("issue %s: refused %d %s", id, status, code)
				break
			}
			if time.Now().After(giveUp) {
				l.mu.Lock()
				l.unacked++
				l.mu.Unlock()
				break
			}
			wait := 200 * time.Millisecond
			if retryAfter > 0 {
				wait = min(retryAfter, 2*time.Second)
			}
			time.Sleep(wait)
		}
	}
}

func post(hc *http.Client, url, token, body string) (status int, code string, retryAfter time.Duration, err error) {
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return 0, "", 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := hc.Do(req)
	if err != nil {
		return 0, "", 0, err
	}
	defer func() { _ = res.Body.Close() }()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, "", 0, err
	}
	var p struct{ Code string }
	_ = json.Unmarshal(b, &p)
	if s, perr := strconv.Atoi(res.Header.Get("Retry-After")); perr == nil {
		retryAfter = time.Duration(s) * time.Second
	}
	return res.StatusCode, p.Code, retryAfter, nil
}

func (l *load) ackedIDs() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	ids := make([]string, 0, len(l.acks))
	for _, a := range l.acks {
		ids = append(ids, a.id)
	}
	return ids
}

// longestGap is the longest time without an acknowledgement of a department
// (times sorted) within [from, to]: each gap between consecutive acknowledgements
// is clipped to the window, so a gap caused by the next fault is not counted here.
func longestGap(times []time.Time, from, to time.Time) time.Duration {
	var longest time.Duration
	for i := 1; i < len(times); i++ {
		a, b := times[i-1], times[i]
		if b.Before(from) || a.After(to) {
			continue
		}
		if a.Before(from) {
			a = from
		}
		if b.After(to) {
			b = to
		}
		longest = max(longest, b.Sub(a))
	}
	return longest
}

func (l *load) report(t *testing.T, windows []faultWindow, depts []string, acked int, found map[string]int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	times := map[string][]time.Time{}
	replays := 0
	for _, a := range l.acks {
		times[a.dept] = append(times[a.dept], a.at)
		if a.replay {
			replays++
		}
	}
	for _, d := range depts {
		sort.Slice(times[d], func(i, j int) bool { return times[d][i].Before(times[d][j]) })
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\nfault          killed                              longest write gap: dept-a   dept-b\n")
	for _, w := range windows {
		fmt.Fprintf(&b, "%-14s %-36s %14v %8v\n", w.fault, w.what,
			longestGap(times[depts[0]], w.start, w.end).Round(10*time.Millisecond),
			longestGap(times[depts[1]], w.start, w.end).Round(10*time.Millisecond))
	}
	var keys []string
	for k := range l.answers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var ans []string
	for _, k := range keys {
		ans = append(ans, fmt.Sprintf("%s: %d", k, l.answers[k]))
	}
	var peers []string
	for p, f := range found {
		peers = append(peers, fmt.Sprintf("%s %d", p, f))
	}
	sort.Strings(peers)
	fmt.Fprintf(&b, "acknowledged %d (%d after a retry, %d answered as Idempotent-Replay), given up %d; found on peers: %s\n",
		acked, l.retried, replays, l.unacked, strings.Join(peers, ", "))
	fmt.Fprintf(&b, "longest single request %v; answers: %s\n", l.maxWait.Round(10*time.Millisecond), strings.Join(ans, ", "))
	t.Log(b.String())
	fmt.Print(b.String()) // visible without -v too
}
