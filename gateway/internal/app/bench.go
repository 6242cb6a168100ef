package app

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
		},
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
				VerifyFor: c.Duration("verify-for"), Dir: c.String("dir"),
			}, stdout)
			return err
		},
	}
}
