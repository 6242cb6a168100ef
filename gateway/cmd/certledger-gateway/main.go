// Command certledger-gateway serves the certledger REST API, its OpenAPI document,
// Prometheus metrics and the web verify page over a Fabric (or devnet) ledger.
// See gateway/README.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/certledger/certledger/gateway/internal/gatewaycmd"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := gatewaycmd.Run(ctx, os.Args, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "certledger-gateway:", err)
		code := 1
		var ec cli.ExitCoder
		if errors.As(err, &ec) {
			code = ec.ExitCode()
		}
		stop()
		os.Exit(code)
	}
}
