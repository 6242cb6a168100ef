package devnet_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that closing every devnet and client leaves no goroutine behind.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
