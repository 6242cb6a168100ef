// Package testkit holds the small helpers that several packages' tests share:
// a log sink safe for a server's goroutines, random and hashed hex for unique
// test data, stopping a child process (gateway, devnet) politely,
// self-signed ECDSA certificates and key files (cert.go), the field names of a
// domain Validate error (fields.go), synthetic batch files and manifests and
// the environment switch of long measurements (batch.go).
// Only tests and the test-support packages (gateway/gatewaytest,
// chaincode/ledgertest) import it.
package testkit

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// SyncBuffer is a bytes.Buffer that several goroutines may write while a test
// reads it (a server's log sink).
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String is everything written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// RandomHex is n random bytes as hex (2n digits); it panics if the system has
// no randomness.
func RandomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// SHA256Hex is the SHA-256 of s as hex.
func SHA256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// Tail is the last n bytes of b (all of b when it is shorter).
func Tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// Stop ends a started cmd whose Wait closes done: SIGTERM, then SIGKILL when
// it has not exited within grace. It returns once the process is gone; one
// that has already exited is left alone.
func Stop(cmd *exec.Cmd, done <-chan struct{}, grace time.Duration) {
	select {
	case <-done:
		return
	default:
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(grace):
		_ = cmd.Process.Kill()
		<-done
	}
}
