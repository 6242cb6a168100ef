package fabric_test

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// These tests need no Fabric: they check network.sh's refusals with fake binaries.

func runScript(t *testing.T, env []string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("./network.sh", args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// fakeFabric makes a release-shaped folder of executables that fail if run.
func fakeFabric(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for _, p := range []string{"bin/peer", "bin/orderer", "bin/osnadmin", "bin/configtxgen", "bin/cryptogen",
		"builders/ccaas/bin/detect", "builders/ccaas/bin/build", "builders/ccaas/bin/release"} {
		f := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte("#!/bin/sh\necho fake >&2; exit 1\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(root, "bin")
}

func TestScriptNamesMissingBinaries(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state")
	out, err := runScript(t, []string{"FABRIC_BIN=" + t.TempDir(), "FABRIC_STATE=" + state}, "up")
	if err == nil {
		t.Fatalf("up without binaries succeeded:\n%s", out)
	}
	for _, want := range []string{"Fabric binaries not found", "peer", "orderer", "osnadmin", "configtxgen", "cryptogen", "ccaas builder", "FABRIC_BIN"} {
		if !strings.Contains(out, want) {
			t.Errorf("error does not mention %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(state); !os.IsNotExist(err) {
		t.Errorf("up without binaries created %s", state)
	}
}

func TestScriptRefusesTakenPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ln.Close() }() // test listener
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	state := filepath.Join(t.TempDir(), "state")
	out, err := runScript(t, []string{"FABRIC_BIN=" + fakeFabric(t), "FABRIC_STATE=" + state, "DEPTA_PEER_OPS_PORT=" + port}, "up")
	if err == nil {
		t.Fatalf("up with a taken port succeeded:\n%s", out)
	}
	if !strings.Contains(out, "port "+port+" (peer0.depta operations) is already in use") {
		t.Errorf("error does not name the port and its use:\n%s", out)
	}
	if _, err := os.Stat(state); !os.IsNotExist(err) {
		t.Errorf("up with a taken port created %s before refusing", state)
	}
}

func TestScriptDownWhenDown(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state")
	for range 2 {
		if out, err := runScript(t, []string{"FABRIC_STATE=" + state}, "down"); err != nil {
			t.Fatalf("down on no network: %v\n%s", err, out)
		}
	}
	out, err := runScript(t, []string{"FABRIC_STATE=" + state}, "status")
	if err != nil || !strings.Contains(out, "down") {
		t.Fatalf("status on no network: %v\n%s", err, out)
	}
}
