package gatewaycmd

import (
	"io"
	"os"
	"runtime/pprof"

	"github.com/urfave/cli/v2"

	"github.com/certledger/certledger/gateway/internal/bench"
)

func benchCommand(stdout io.Writer) *cli.Command {
	return &cli.Command{
		Name:  "bench",
		Usage: "start an in-process devnet and gateway; print issue throughput (REST vs fabric-gateway client) and verify latency",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "n", Value: 150, Usage: "certificates per issue round and path"},
			&cli.IntFlag{Name: "rounds", Value: 4, Usage: "issue rounds per path (alternating direct, REST)"},
			&cli.IntFlag{Name: "concurrency", Value: 32, Usage: "concurrent clients"},
			&cli.DurationFlag{Name: "verify-for", Value: 5e9, Usage: "duration of the verify phase"},
			&cli.StringFlag{Name: "dir", Usage: "devnet folder (default: a temporary one)"},
			&cli.StringFlag{Name: "cpuprofile", Usage: "write a CPU profile of the whole run to this file"},
			&cli.BoolFlag{Name: "external-clients", Usage: "run the issue load generators in a child process; count only gateway + ledger CPU here"},
		},
		Subcommands: []*cli.Command{benchClientCommand(stdout)},
		Action: func(c *cli.Context) error {
			if path := c.String("cpuprofile"); path != "" {
				f, err := os.Create(path)
				if err != nil {
					return err
				}
				defer func() { _ = f.Close() }() // profile already stopped and flushed by pprof
				if err := pprof.StartCPUProfile(f); err != nil {
					return err
				}
				defer pprof.StopCPUProfile()
			}
			_, err := bench.Run(c.Context, bench.Options{
				N: c.Int("n"), Rounds: c.Int("rounds"), Concurrency: c.Int("concurrency"),
				VerifyFor: c.Duration("verify-for"), Dir: c.String("dir"), ExternalClients: c.Bool("external-clients"),
			}, stdout)
			return err
		},
	}
}

// benchClientCommand is the load-generator child of bench --external-clients
// (hidden: bench starts it with the arguments it needs).
func benchClientCommand(stdout io.Writer) *cli.Command {
	return &cli.Command{
		Name:            "client",
		Usage:           "load generator child of bench --external-clients",
		Hidden:          true,
		SkipFlagParsing: true,
		Action: func(c *cli.Context) error {
			o, err := bench.ParseClientArgs(c.Args().Slice())
			if err != nil {
				return cli.Exit("bench client: "+err.Error(), 2)
			}
			return bench.RunClient(c.Context, o, c.App.Reader, stdout)
		},
	}
}
