package testkit

import (
	"net"
	"testing"
)

// FreeAddr is a loopback host:port that was free a moment ago: the address of a
// server a test is about to start.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// DeadAddr is a loopback host:port that nothing listens on (it was free a
// moment ago): a peer or server that is down.
func DeadAddr(t testing.TB) string {
	t.Helper()
	return FreeAddr(t)
}
