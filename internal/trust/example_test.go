package trust_test

import (
	"fmt"
	"os"
	"time"

	"github.com/certledger/certledger/internal/trust"
)

// A verifier pins the governance fingerprint once, then checks any bundle file and
// asks it whether a department's key was valid when a certificate was signed.
func Example() {
	data, err := os.ReadFile("testdata/example-bundle.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	pinned, err := os.ReadFile("testdata/example-bundle.pin") // 64 hex digits
	if err != nil {
		fmt.Println(err)
		return
	}
	s, err := trust.Verify(data, string(pinned))
	if err != nil {
		fmt.Println("refused:", err)
		return
	}
	a := s.Bundle.KeyValidAt("dept-a", s.Bundle.Departments[0].Keys[0].KeyID, time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC))
	fmt.Println(a.Valid, a.Code, a.AsOfHeight)
	// Output: true KEY_VALID 7
}
