// Command certledger-devnet runs certledger's embedded ledger: init creates the
// organisations and the ledger, start serves the Fabric Gateway protocol with the
// certledger chaincode, verify recomputes the ledger from its blocks. (Its load
// figures: certledger-load devnet, in loadtest/.)
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/certledger/certledger/network/devnet/cmd/certledger-devnet/internal/devnetcmd"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := devnetcmd.Run(ctx, os.Args, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
