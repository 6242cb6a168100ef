// Package devnettest serves an embedded devnet for the length of one test.
package devnettest

import (
	"testing"

	"github.com/certledger/certledger/network/devnet"
)

// Serve opens the devnet initialised in dir with opts and serves it on loopback
// ports (the addresses its profiles name). The node is closed when the test
// ends, after the cleanups the test registers later, and Serve's goroutine is
// waited for. Closing it earlier (a crash test) is allowed.
func Serve(tb testing.TB, dir string, opts ...devnet.Option) *devnet.Node {
	tb.Helper()
	node, err := devnet.Open(dir, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	served, err := node.ServeLoopback()
	if err != nil {
		_ = node.Close()
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := node.Close(); err != nil {
			tb.Errorf("closing the devnet: %v", err)
		}
		<-served //nolint:errcheck // Serve returns once Close stops it; its error then is expected
	})
	return node
}
