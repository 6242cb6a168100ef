// Command certledger-load is certledger's load tool: one command that measures
// the devnet, the gateway, the work-order KPI and a Fabric network with one
// record builder, one driver and one output table (see loadtest/README.md).
//
//	certledger-load devnet  [--concurrency 1,16,64] [--duration 5s] [--external] ...
//	certledger-load gateway [-n 150] [--rounds 4] [--external-clients] ...
//	certledger-load kpi     [--sizes 1000,10000] [--calls 7] [--pages] ...
//	certledger-load fabric  [-profiles DIR] [-state DIR] [-c 32,64] [-n 3000] ...
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/certledger/certledger/loadtest/internal/loadcmd"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := loadcmd.Run(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
