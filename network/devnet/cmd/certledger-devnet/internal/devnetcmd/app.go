// Package devnetcmd holds the commands of certledger-devnet.
package devnetcmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/network/devnet"
)

// Exit codes.
const (
	exitOK       = 0
	exitMismatch = 1
	exitUsage    = 2
)

// Run runs the command line and returns the exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if os.Getenv("GOGC") == "" {
		// The devnet's heap is small (tens of MiB); collecting less often saves CPU.
		debug.SetGCPercent(400)
	}
	code := exitOK
	app := &cli.App{
		Name:      "certledger-devnet",
		Usage:     "an embedded ledger that speaks the Fabric Gateway protocol and runs the certledger chaincode",
		Writer:    stdout,
		ErrWriter: stderr,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "dir", Aliases: []string{"d"}, Value: "./devnet", EnvVars: []string{"CERTLEDGER_DEVNET_DIR"}, Usage: "devnet folder"},
			&cli.StringFlag{Name: "log-level", Value: "info", EnvVars: []string{"CERTLEDGER_DEVNET_LOG"}, Usage: "debug|info|warn|error"},
		},
		Commands: []*cli.Command{
			{
				Name:  "init",
				Usage: "create organisations, identities, connection profiles and the ledger",
				Flags: []cli.Flag{
					dirFlag(),
					&cli.StringFlag{Name: "config", Aliases: []string{"c"}, Usage: "devnet.yaml to use (defaults when absent)"},
					&cli.StringFlag{Name: "listen", Usage: "address written into the profiles and used by start"},
				},
				Action: cmdInit,
			},
			{
				Name:  "start",
				Usage: "serve the Fabric Gateway and Deliver gRPC services",
				Flags: []cli.Flag{
					dirFlag(),
					&cli.StringFlag{Name: "listen", Usage: "host:port (default: listen of devnet.yaml)"},
					&cli.BoolFlag{Name: "init", Usage: "run init first when the folder has no devnet"},
					&cli.StringFlag{Name: "config", Aliases: []string{"c"}, Usage: "devnet.yaml for --init"},
					&cli.StringFlag{Name: "cpuprofile", Usage: "write a CPU profile until shutdown"},
				},
				Action: func(c *cli.Context) error { return cmdStart(ctx, c) },
			},
			{
				Name:  "user",
				Usage: "client identities of named people (clerks, auditors) from an organisation's CA",
				Subcommands: []*cli.Command{
					{
						Name:      "add",
						Usage:     "issue a client certificate and key for a person (docs/people.md)",
						ArgsUsage: " ",
						Flags: []cli.Flag{
							dirFlag(),
							&cli.StringFlag{Name: "org", Required: true, Usage: "organisation (devnet.yaml name, e.g. dept-a)"},
							&cli.StringFlag{Name: "name", Required: true, Usage: "the person's user name; the operator id becomes NAME@ORG"},
							&cli.StringFlag{Name: "role", Value: "client", Usage: "node OU: client (clerks, auditors) or admin"},
							&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "table", Usage: "table or json"},
						},
						Action: cmdUserAdd,
					},
					{
						Name:  "list",
						Usage: "list an organisation's identities",
						Flags: []cli.Flag{
							dirFlag(),
							&cli.StringFlag{Name: "org", Required: true, Usage: "organisation"},
							&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "table", Usage: "table or json"},
						},
						Action: cmdUserList,
					},
				},
			},
			{
				Name:   "verify",
				Usage:  "recompute the hash chain and the state from the blocks (devnet stopped)",
				Flags:  []cli.Flag{dirFlag()},
				Action: func(c *cli.Context) error { err := cmdVerify(c); code = exitCodeOf(err); return err },
			},
		},
	}
	if err := app.RunContext(ctx, args); err != nil {
		fmt.Fprintln(stderr, "certledger-devnet:", err)
		if code == exitOK {
			code = exitUsage
		}
	}
	return code
}

func exitCodeOf(err error) int {
	if errors.Is(err, devnet.ErrMismatch) {
		return exitMismatch
	}
	if err != nil {
		return exitUsage
	}
	return exitOK
}

func logger(c *cli.Context) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(strings.ToUpper(c.String("log-level"))))
	return slog.New(slog.NewTextHandler(c.App.ErrWriter, &slog.HandlerOptions{Level: lvl}))
}

func loadInitConfig(c *cli.Context) (devnet.Config, error) {
	cfg := devnet.DefaultConfig()
	if p := c.String("config"); p != "" {
		var err error
		if cfg, err = devnet.LoadConfig(p); err != nil {
			return cfg, err
		}
	}
	if l := c.String("listen"); l != "" {
		cfg.Listen = l
	}
	return cfg, nil
}

func cmdInit(c *cli.Context) error {
	cfg, err := loadInitConfig(c)
	if err != nil {
		return err
	}
	dir := devnetDir(c)
	if err := devnet.Init(dir, cfg); err != nil {
		return err
	}
	abs, _ := filepath.Abs(dir)
	fmt.Fprintf(c.App.Writer, "devnet initialised in %s\n", abs)
	for _, o := range mustConfig(abs).Orgs {
		fmt.Fprintf(c.App.Writer, "  %-8s %-10s profile %s\n", o.Name, o.MSPID, devnet.ProfilePath(abs, o.Name))
	}
	return nil
}

func mustConfig(dir string) devnet.Config {
	cfg, err := devnet.LoadConfig(filepath.Join(dir, "devnet.yaml"))
	if err != nil {
		return devnet.DefaultConfig()
	}
	return cfg
}

func cmdStart(ctx context.Context, c *cli.Context) error {
	dir := devnetDir(c)
	if c.Bool("init") {
		if _, err := os.Stat(filepath.Join(dir, "devnet.yaml")); err != nil {
			cfg, err := loadInitConfig(c)
			if err != nil {
				return err
			}
			if err := devnet.Init(dir, cfg); err != nil {
				return err
			}
		}
	}
	log := logger(c)
	if p := c.String("cpuprofile"); p != "" {
		f, err := os.Create(p)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer func() { pprof.StopCPUProfile(); _ = f.Close() }() // profile is flushed by StopCPUProfile
	}
	t0 := time.Now()
	cc, err := chaincode.New()
	if err != nil {
		return err
	}
	node, err := devnet.Open(dir, devnet.WithChaincode(cc), devnet.WithLogger(log))
	if err != nil {
		return err
	}
	addr := c.String("listen")
	if addr == "" {
		addr = node.Config().Listen
	}
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		_ = node.Close() // already returning the Listen error
		return err
	}
	if err := node.WriteProfiles(lis.Addr().String()); err != nil {
		_ = node.Close() // already returning the WriteProfiles error
		return err
	}
	served := make(chan error, 1)
	go func() { served <- node.Serve(lis) }()
	fmt.Fprintf(c.App.Writer, "certledger-devnet: serving on %s height %d (ready in %s)\n",
		lis.Addr(), node.Height(), time.Since(t0).Round(time.Millisecond))
	select {
	case <-ctx.Done():
		log.Info("stopping")
		err = node.Close()
		<-served //nolint:errcheck // Serve returns once Close stops it; its error then is expected
		return err
	case err := <-served:
		_ = node.Close() // returning Serve's error instead
		return err
	}
}

func cmdVerify(c *cli.Context) error {
	t0 := time.Now()
	rep, err := devnet.Verify(devnetDir(c))
	if err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "ledger OK: %d blocks, %d transactions (%d valid), %d state keys, last block hash %x (%s)\n",
		rep.Blocks, rep.Transactions, rep.Valid, rep.StateKeys, rep.LastHash, time.Since(t0).Round(time.Millisecond))
	return nil
}

// dirFlag lets --dir follow the subcommand too ("init --dir D", as well as the
// global "--dir D init"); devnetDir reads whichever was given.
func dirFlag() cli.Flag {
	return &cli.StringFlag{Name: "dir", Usage: "devnet folder (same as the global --dir)"}
}

// devnetDir returns the subcommand's --dir when given, else the global one.
func devnetDir(c *cli.Context) string {
	if v := c.String("dir"); v != "" {
		return v
	}
	for _, p := range c.Lineage()[1:] {
		if v := p.String("dir"); v != "" {
			return v
		}
	}
	return "./devnet"
}

func cmdUserAdd(c *cli.Context) error {
	if c.NArg() > 0 {
		return fmt.Errorf("user add takes no arguments (got %q): use --org and --name", c.Args().Slice())
	}
	u, err := devnet.AddUser(devnetDir(c), c.String("org"), c.String("name"), c.String("role"))
	if err != nil {
		return err
	}
	return printUsers(c, []devnet.User{u})
}

func cmdUserList(c *cli.Context) error {
	us, err := devnet.Users(devnetDir(c), c.String("org"))
	if err != nil {
		return err
	}
	return printUsers(c, us)
}

func printUsers(c *cli.Context, us []devnet.User) error {
	switch c.String("output") {
	case "json":
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		return enc.Encode(us)
	case "table":
		for _, u := range us {
			fmt.Fprintf(c.App.Writer, "%s (%s, %s)\n  cert %s\n  key  %s\n", u.Operator, u.MSPID, u.Role, u.Cert, u.Key)
		}
		return nil
	default:
		return fmt.Errorf("--output %q: want table or json", c.String("output"))
	}
}
