package devnet_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"

	"github.com/certledger/certledger/loadtest/record"
	"github.com/certledger/certledger/network/devnet"
)

// TestCrashRecovery starts certledger-devnet as a child process, issues certificates
// from several goroutines, kills the process with SIGKILL mid-load, and checks after
// a restart that every transaction acknowledged VALID is on the ledger, that the hash
// chain verifies and that the state equals a replay of the blocks.
func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the certledger-devnet binary; skipped with -short")
	}
	bin := filepath.Join(t.TempDir(), "certledger-devnet")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, "github.com/certledger/certledger/network/devnet/cmd/certledger-devnet")...)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dir := t.TempDir()
	if out, err := exec.Command(bin, "--dir", dir, "init").CombinedOutput(); err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}

	proc := startChild(t, bin, dir)
	gw, conn, err := devnet.Connect(devnet.ProfilePath(dir, "gov"))
	if err != nil {
		t.Fatal(err)
	}
	gov := gw.GetNetwork("certledger").GetContract("certledger")
	d, err := record.NewDept("crash", "DeptAMSP")
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Register(gov); err != nil {
		t.Fatal(err)
	}
	gwA, connA, err := devnet.Connect(devnet.ProfilePath(dir, "dept-a"))
	if err != nil {
		t.Fatal(err)
	}
	deptA := gwA.GetNetwork("certledger").GetContract("certledger")

	var mu sync.Mutex
	var acked []string
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				id := fmt.Sprintf("crash-%d-%d", w, i)
				r, err := d.Certificate(id, []byte(id), time.Now().Add(-time.Hour), time.Time{})
				rec := record.JSON(r)
				if err != nil {
					t.Error(err)
					return
				}
				_, commit, err := deptA.SubmitAsyncWithContext(ctx, "certificate:Issue", client.WithArguments(rec))
				if err != nil {
					return // the devnet is gone
				}
				st, err := commit.StatusWithContext(ctx)
				if err != nil {
					return
				}
				if st.Successful {
					mu.Lock()
					acked = append(acked, id)
					mu.Unlock()
				}
			}
		}()
	}
	// Kill once a good number of transactions were acknowledged (or after a while).
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 150 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := proc.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = proc.Wait()
	mu.Lock()
	ackedAtKill := append([]string(nil), acked...)
	mu.Unlock()
	cancel()
	wg.Wait()
	_ = gw.Close()
	_ = conn.Close()
	_ = gwA.Close()
	_ = connA.Close()
	if len(ackedAtKill) == 0 {
		t.Fatal("no transaction acknowledged before the kill")
	}

	// The ledger on disk verifies (hash chain, signatures, replayed state).
	out, err := exec.Command(bin, "--dir", dir, "verify").CombinedOutput()
	if err != nil {
		t.Fatalf("verify after kill: %v\n%s", err, out)
	}
	rep, err := devnet.Verify(dir)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Valid < len(ackedAtKill)+2 {
		t.Fatalf("%d valid transactions on the ledger, %d acknowledged", rep.Valid, len(ackedAtKill))
	}

	// Restart: every acknowledged certificate is there.
	proc2 := startChild(t, bin, dir)
	defer func() {
		_ = proc2.Process.Signal(os.Interrupt)
		_ = proc2.Wait()
	}()
	gw2, conn2, err := devnet.Connect(devnet.ProfilePath(dir, "dept-b"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn2.Close() }()
	defer func() { _ = gw2.Close() }()
	c2 := gw2.GetNetwork("certledger").GetContract("certledger")
	for _, id := range ackedAtKill {
		if _, err := c2.EvaluateTransaction("certificate:Get", id); err != nil {
			t.Fatalf("acknowledged certificate %s lost: %v", id, err)
		}
	}
	// And the restarted devnet accepts new transactions.
	r, _ := d.Certificate("after-restart", []byte("after"), time.Now().Add(-time.Hour), time.Time{})
	rec := record.JSON(r)
	gwA2, connA2, err := devnet.Connect(devnet.ProfilePath(dir, "dept-a"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = connA2.Close() }()
	defer func() { _ = gwA2.Close() }()
	if _, err := gwA2.GetNetwork("certledger").GetContract("certledger").SubmitTransaction("certificate:Issue", rec); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d transactions acknowledged before SIGKILL; ledger had %d blocks, %d valid transactions", len(ackedAtKill), rep.Blocks, rep.Valid)
}

// startChild runs `certledger-devnet start` on a free port and waits for its ready line.
func startChild(t *testing.T, bin, dir string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, "--dir", dir, "--log-level", "warn", "start", "--listen", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.Contains(line, "serving on") {
		_ = cmd.Process.Kill()
		t.Fatalf("start: %q %v", line, err)
	}
	return cmd
}
