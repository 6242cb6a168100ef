// Package clitest runs the certledger command line in-process, for end-to-end tests
// outside cli/ (cli/internal is not importable from there):
//
//	r := clitest.Run(ctx, nil, "--gateway", url, "--token", tok, "cert", "verify", file)
//	if r.Code != 0 { t.Fatal(r.Stderr) }
//
// Runs are serialised (urfave/cli keeps some state in package variables).
package clitest

import (
	"context"
	"io"

	"github.com/certledger/certledger/cli/internal/command"
)

// Result is what a run printed and its exit code (0 ok/VALID, 1 refused/not valid,
// 2 usage or I/O, 3 ledger unreachable).
type Result = command.Result

// Run runs `certledger args...` with stdin (nil: empty) and returns its output and
// exit code. It does not read CERTLEDGER_* variables any differently from the
// binary: pass --gateway and --token explicitly.
func Run(ctx context.Context, stdin io.Reader, args ...string) Result {
	return command.RunForTest(ctx, stdin, args...)
}
