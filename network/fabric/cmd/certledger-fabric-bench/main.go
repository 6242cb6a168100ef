// Command certledger-fabric-bench measures a running certledger ledger through its
// connection profiles: certificates issued per second at several concurrencies next to a
// plain single-key write of the same chaincode, verify queries per second, and the peak
// memory of the processes network.sh recorded. It prints a Markdown table.
//
//	certledger-fabric-bench -profiles network/fabric/.state/profiles -state network/fabric/.state
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/certledger/certledger/network/fabric/cmd/certledger-fabric-bench/internal/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var cfg bench.Config
	flag.StringVar(&cfg.ProfileDir, "profiles", "network/fabric/.state/profiles", "folder of connection profiles")
	flag.StringVar(&cfg.StateDir, "state", "", "network.sh state folder (pids/ for peak memory); empty skips memory")
	flag.StringVar(&cfg.Gov, "gov", "gov", "profile of the governance organisation")
	flag.StringVar(&cfg.Issuer, "issuer", "dept-a", "profile of the issuing department organisation")
	flag.StringVar(&cfg.Concurrency, "c", "32,64", "concurrency levels for writes")
	flag.IntVar(&cfg.Writes, "n", 3000, "transactions per concurrency level and kind (plain, issue)")
	flag.IntVar(&cfg.Rounds, "rounds", 3, "alternations of plain and issuance runs per level")
	flag.StringVar(&cfg.Plain, "plain", "bench:Put", `plain single-key write "contract:Function" taking (key, value); "" skips it`)
	flag.IntVar(&cfg.VerifyConcurrency, "verify-c", 32, "concurrency of the verify run")
	flag.IntVar(&cfg.Verifies, "verify-n", 20000, "queries in the verify run")
	flag.Parse()
	if err := bench.Run(ctx, cfg, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "certledger-fabric-bench:", err)
		os.Exit(1)
	}
}
