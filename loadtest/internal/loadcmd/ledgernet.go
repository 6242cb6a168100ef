package loadcmd

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/urfave/cli/v2"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/loadtest/internal/driver"
	"github.com/certledger/certledger/loadtest/internal/proc"
	"github.com/certledger/certledger/network/devnet"
)

// ledgerNet is a running devnet, in this process or as a certledger-devnet
// child, with fabric-gateway clients of gov and dept-a connected to it.
type ledgerNet struct {
	node      *devnet.Node // in-process devnet, or
	proc      *exec.Cmd    // a `certledger-devnet start` child process
	served    <-chan error
	gov, dept *client.Contract
	closes    []func() error
	closed    bool
}

// startInProcess opens the devnet of dir with cc (nil: chaincode.New()) and
// serves it on a loopback port.
func startInProcess(dir string, cc shim.Chaincode) (*ledgerNet, error) {
	if cc == nil {
		c, err := chaincode.New()
		if err != nil {
			return nil, err
		}
		cc = c
	}
	node, err := devnet.Open(dir, devnet.WithChaincode(cc))
	if err != nil {
		return nil, err
	}
	served, err := node.ServeLoopback()
	if err != nil {
		_ = node.Close() // already returning the error
		return nil, err
	}
	n := &ledgerNet{node: node, served: served}
	return n, n.connect(dir)
}

// startExternal runs the devnet of dir as a certledger-devnet start child.
func startExternal(c *cli.Context, dir string) (*ledgerNet, error) {
	cmd, _, err := startDevnetChild(c, dir)
	if err != nil {
		return nil, err
	}
	n := &ledgerNet{proc: cmd}
	return n, n.connect(dir)
}

func (n *ledgerNet) connect(dir string) error {
	for _, org := range []string{"gov", "dept-a"} {
		gw, conn, err := devnet.Connect(devnet.ProfilePath(dir, org))
		if err != nil {
			n.close()
			return err
		}
		n.closes = append(n.closes, gw.Close, conn.Close)
		contract := gw.GetNetwork("certledger").GetContract("certledger")
		if org == "gov" {
			n.gov = contract
		} else {
			n.dept = contract
		}
	}
	return nil
}

// cpu reads this process's CPU time as group self and, when the devnet is a
// child and child is not empty, the child's as group child.
func (n *ledgerNet) cpu(self, child string) map[string]time.Duration {
	m := map[string]time.Duration{self: proc.SelfCPU()}
	if n.proc != nil && child != "" {
		m[child], _ = proc.CPU(strconv.Itoa(n.proc.Process.Pid))
	}
	return m
}

// close disconnects and stops the devnet (once).
func (n *ledgerNet) close() {
	if n == nil || n.closed {
		return
	}
	n.closed = true
	for _, f := range n.closes {
		_ = f() // closing clients at the end of a run; nothing to flush
	}
	if n.proc != nil {
		_ = n.proc.Process.Signal(os.Interrupt)
		_ = n.proc.Wait() // the child's exit status after an interrupt says nothing
		return
	}
	_ = n.node.Close()
	<-n.served //nolint:errcheck // Serve returns once Close stops it; its error then is expected
}

// startDevnetChild starts certledger-devnet start on dir and waits for its ready line.
func startDevnetChild(c *cli.Context, dir string) (*exec.Cmd, string, error) {
	bin, err := devnetBinary(c)
	if err != nil {
		return nil, "", err
	}
	args := []string{"--dir", dir, "--log-level", "error", "start", "--listen", "127.0.0.1:0"}
	if p := c.String("devnet-cpuprofile"); p != "" {
		args = append(args, "--cpuprofile", p)
	}
	cmd := exec.CommandContext(c.Context, bin, args...) //nolint:gosec // the devnet binary the user named or we built
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait() // killed: its status says nothing more
		return nil, "", fmt.Errorf("reading the devnet's start-up line: %w", err)
	}
	return cmd, strings.TrimSpace(line), nil
}

// devnetBinary finds certledger-devnet: --devnet-bin, next to this executable
// (make build), on PATH, or built with go build from the module in the working
// directory into a temporary folder.
func devnetBinary(c *cli.Context) (string, error) {
	return toolBinary(c.Context, c.String("devnet-bin"), "certledger-devnet", "./network/devnet/cmd/certledger-devnet")
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// measureStart starts certledger-devnet on the filled ledger of dir, times it to
// its first answered query and reads its resident memory before and after 5,000
// random Verify queries over issued.
func measureStart(c *cli.Context, dir string, issued []string) error {
	if len(issued) == 0 {
		return errors.New("measuring start-up needs stored certificates (--stored)")
	}
	t0 := time.Now()
	cmd, line, err := startDevnetChild(c, dir)
	if err != nil {
		return err
	}
	n := &ledgerNet{proc: cmd}
	defer n.close()
	listening := time.Since(t0)
	if err := n.connect(dir); err != nil {
		return err
	}
	if _, err := n.gov.EvaluateTransaction("certificate:Verify", `{"id":"`+issued[0]+`"}`); err != nil {
		return err
	}
	firstAnswer := time.Since(t0)
	pid := strconv.Itoa(cmd.Process.Pid)
	idle, _ := proc.ReadMemory(pid)
	r := driver.Run(c.Context, driver.Options{Name: "verify", Workers: 32, N: 5000}, func(ctx context.Context, _ int) error {
		_, err := n.gov.EvaluateWithContext(ctx, "certificate:Verify", client.WithArguments(`{"id":"`+issued[rand.IntN(len(issued))]+`"}`))
		return err
	})
	busy, _ := proc.ReadMemory(pid)
	out := c.App.Writer
	fmt.Fprintf(out, "\nstart-up with %d certificates stored: %s to listening (%s), %s to the first answered Verify\n",
		len(issued), listening.Round(time.Millisecond), line, firstAnswer.Round(time.Millisecond))
	fmt.Fprintf(out, "resident memory of the devnet process: %s after start-up, %s after %d random Verify queries (%.0f q/s)\n",
		idle, busy, r.OK, r.PerSecond())
	return nil
}
