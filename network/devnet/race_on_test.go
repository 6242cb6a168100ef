//go:build race

package devnet_test

// raceEnabled is true when the tests run with -race; the crash test then builds the
// child binary with -race too, so that it reuses the compiled packages.
const raceEnabled = true
