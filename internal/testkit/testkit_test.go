package testkit

import (
	"fmt"
	"os/exec"
	"sync"
	"testing"
	"time"
)

func TestSyncBuffer(t *testing.T) {
	var b SyncBuffer
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() { defer wg.Done(); fmt.Fprintf(&b, "%d", i) }()
	}
	wg.Wait()
	if n := len(b.String()); n != 8 {
		t.Fatalf("%d bytes, want 8", n)
	}
}

func TestHex(t *testing.T) {
	if a, b := RandomHex(16), RandomHex(16); len(a) != 32 || a == b {
		t.Fatalf("RandomHex: %q %q", a, b)
	}
	if got := SHA256Hex("abc"); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Fatalf("SHA256Hex(abc) = %s", got)
	}
	if got := string(Tail([]byte("abcdef"), 2)); got != "ef" {
		t.Fatalf("Tail = %q", got)
	}
	if got := string(Tail([]byte("ab"), 5)); got != "ab" {
		t.Fatalf("Tail short = %q", got)
	}
}

func TestStop(t *testing.T) {
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Skip("no sleep command:", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	Stop(cmd, done, 10*time.Second)
	select {
	case <-done:
	default:
		t.Fatal("process still runs after Stop")
	}
	Stop(cmd, done, time.Second) // already gone: no signal, no wait
}
