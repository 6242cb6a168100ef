// Package loadcmd holds the subcommands of certledger-load: devnet, gateway, kpi,
// fabric and readmodel. Each builds its records with loadtest/record, drives them with
// internal/driver and prints internal/table tables.
package loadcmd

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/certledger/certledger/loadtest/internal/table"
)

// Run runs the command line and returns the exit code: 0, 1 when a run fails,
// 2 on a usage error.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	app := &cli.App{
		Name:      "certledger-load",
		Usage:     "measure the devnet, the gateway, the work-order KPI and a Fabric network; print tables",
		Reader:    stdin,
		Writer:    stdout,
		ErrWriter: stderr,
		// Run returns the exit code; the library must not exit by itself.
		ExitErrHandler: func(*cli.Context, error) {},
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Value: string(table.Text), Usage: "tables as text or markdown"},
			&cli.StringFlag{Name: "cpuprofile", Usage: "write a CPU profile of this process's run to this file"},
		},
		Before:   startProfile,
		After:    func(*cli.Context) error { pprof.StopCPUProfile(); return nil },
		Commands: []*cli.Command{devnetCommand(), gatewayCommand(), kpiCommand(), fabricCommand(), readModelCommand()},
	}
	if err := app.RunContext(ctx, args); err != nil {
		fmt.Fprintln(stderr, "certledger-load:", err)
		if ec, ok := err.(cli.ExitCoder); ok { //nolint:errorlint // cli.Exit values are returned unwrapped
			return ec.ExitCode()
		}
		return 1
	}
	return 0
}

func startProfile(c *cli.Context) error {
	if _, err := table.ParseFormat(c.String("format")); err != nil {
		return cli.Exit(err.Error(), 2)
	}
	path := c.String("cpuprofile")
	if path == "" {
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	// StopCPUProfile (After) flushes the profile; the file is closed at exit.
	return pprof.StartCPUProfile(f)
}

// format is the --format of the run.
func format(c *cli.Context) table.Format {
	f, _ := table.ParseFormat(c.String("format")) // checked in Before
	return f
}

// levels parses a comma-separated list of positive integers ("1,16,64").
func levels(flag, s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, cli.Exit(fmt.Sprintf("--%s: %q is not a positive integer", flag, f), 2)
		}
		out = append(out, n)
	}
	return out, nil
}
