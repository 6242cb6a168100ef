// Package command is the certledger command line: the urfave/cli application, its global
// flags, its exit codes, and one file per command group.
//
// To add a command group, write a file here with a function returning *cli.Command
// and add it to commandGroups below. Leaf commands get the global flags (--gateway,
// --token, --token-file, --ca-cert, --output, --timeout) automatically; read them with NewClient,
// PrinterOf and GlobalString. Return errors; wrap them with Invalid or Usagef, or let
// ExitCode classify them (client errors: 4xx -> 1, unreachable/5xx -> 3; else 2).
package command

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/certledger/certledger/cli/internal/client"
	"github.com/certledger/certledger/internal/domain/period"
	"github.com/urfave/cli/v2"
)

// commandGroups is the one list of the application's commands, in help order.
// A new group adds one line here; an audit report adds its subcommand to the
// auditGroup call (several groups share "certledger audit").
func commandGroups() []*cli.Command {
	return []*cli.Command{
		keysCommand(),
		hashCommand(),
		signCommand(),
		verifySignatureCommand(),
		deptCommand(),
		certCommand(),
		batchCommand(),
		typeCommand(),
		idCommand(),
		catalogCommand(),
		grantCommand(),
		exchangeCommand(),
		ticketCommand(),
		calendarCommand(),
		trustCommand(),
		reportCommand(),
		auditGroup(
			auditSweepCommand(),
			auditKPICommand(),
			auditAccountabilityCommand(),
			auditExchangesCommand(),
			auditLineageCommand(),
		),
	}
}

// auditGroup is "certledger audit" with the given report subcommands.
func auditGroup(subs ...*cli.Command) *cli.Command {
	return &cli.Command{
		Name:        "audit",
		Usage:       "audit reports: KPIs, accountability, data exchanges (auditor token, or a department's own); sweep (clerk or admin token)",
		Subcommands: subs,
	}
}

// Names of the global flags.
const (
	FlagGateway = "gateway"
	FlagToken   = "token"
	// FlagTokenFile names a file holding the token: unlike --token, it does not
	// show in /proc/PID/cmdline or the shell history.
	FlagTokenFile = "token-file"
	FlagCACert    = "ca-cert"
	FlagOutput    = "output"
	FlagTimeout   = "timeout"
	FlagVerify    = "verify-base"
	FlagZone      = "timezone"
	// FlagOperator is the operator id signed into actions (docs/people.md).
	FlagOperator = "operator"
)

// DefaultGateway is the gateway URL when neither --gateway nor CERTLEDGER_GATEWAY is set.
const DefaultGateway = "http://127.0.0.1:8080"

// globalFlags returns new instances of the global flags. root ones read the
// environment and carry the defaults; the copies put on every leaf command do not,
// so that a value given after the command wins over one given before it, which wins
// over the environment.
func globalFlags(root bool) []cli.Flag {
	env := func(name string) []string {
		if root {
			return []string{name}
		}
		return nil
	}
	def := func(v string) string {
		if root {
			return v
		}
		return ""
	}
	cat := "Global"
	return []cli.Flag{
		&cli.StringFlag{Name: FlagGateway, Usage: "gateway `URL`", EnvVars: env("CERTLEDGER_GATEWAY"), Value: def(DefaultGateway), Category: cat},
		&cli.StringFlag{Name: FlagToken, Usage: "bearer `TOKEN` of your department's application; prefer the CERTLEDGER_TOKEN variable or --token-file: a --token on the command line is visible to every local user in /proc/PID/cmdline", EnvVars: env("CERTLEDGER_TOKEN"), Category: cat},
		&cli.StringFlag{Name: FlagTokenFile, Usage: "`FILE` whose first line is the bearer token (keep it mode 0600)", EnvVars: env("CERTLEDGER_TOKEN_FILE"), Category: cat},
		&cli.StringFlag{Name: FlagCACert, Usage: "PEM `FILE` of the CA that signed the gateway's TLS certificate", EnvVars: env("CERTLEDGER_CA_CERT"), Category: cat},
		&cli.StringFlag{Name: FlagVerify, Usage: "public base `URL` of the verify page put in QR codes (default: the gateway URL)", EnvVars: env("CERTLEDGER_VERIFY_BASE"), Category: cat},
		&cli.StringFlag{Name: FlagOutput, Aliases: []string{"o"}, Usage: "output `FORMAT`: table or json", EnvVars: env("CERTLEDGER_OUTPUT"), Value: def("table"), Category: cat},
		&cli.StringFlag{Name: FlagTimeout, Usage: "timeout of each gateway request (`DURATION`)", EnvVars: env("CERTLEDGER_TIMEOUT"), Value: def(client.DefaultTimeout.String()), Category: cat},
		&cli.StringFlag{Name: FlagOperator, Usage: "operator `ID` signed into status changes, grants, exchanges, answers and ticket actions (default: the one the gateway reports for your token, GET /api/v1/whoami; \"none\": sign none); the ledger refuses one that is not your Fabric identity's", EnvVars: env("CERTLEDGER_OPERATOR"), Category: cat},
		&cli.StringFlag{Name: FlagZone, Usage: "deployment time `ZONE` (IANA): dates are whole days in it, times are shown in it", EnvVars: env(period.ZoneEnv), Value: def(period.DefaultZone), Category: cat},
	}
}

// New returns the application writing to stdout and stderr and reading stdin.
func New(stdin io.Reader, stdout, stderr io.Writer) *cli.App {
	cmds := commandGroups()
	for _, c := range cmds {
		addGlobalsToLeaves(c)
	}
	return &cli.App{
		Name:  "certledger",
		Usage: "notarize and verify e-certificates on the certledger ledger",
		Description: "Keys, hashes and signatures are made on this machine (SM2/SM3); private keys never leave it.\n" +
			"Exit codes: 0 ok or VALID, 1 refused or not valid, 2 usage or I/O error, 3 ledger unreachable.",
		Flags:                globalFlags(true),
		Commands:             cmds,
		Reader:               stdin,
		Writer:               stdout,
		ErrWriter:            stderr,
		HideVersion:          true,
		Suggest:              true,
		EnableBashCompletion: false,
		ExitErrHandler:       func(*cli.Context, error) {}, // Run maps errors to exit codes
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return &exitError{code: ExitUsage, err: err}
		},
		CommandNotFound: func(c *cli.Context, name string) {
			c.App.Metadata[metaNotFound] = name
		},
		Metadata: map[string]any{},
	}
}

func addGlobalsToLeaves(c *cli.Command) {
	if c.OnUsageError == nil {
		c.OnUsageError = func(_ *cli.Context, err error, _ bool) error {
			return &exitError{code: ExitUsage, err: fmt.Errorf("%w (see --help)", err)}
		}
	}
	if len(c.Subcommands) == 0 {
		c.Flags = append(c.Flags, globalFlags(false)...)
		requireFlags(c)
		return
	}
	for _, s := range c.Subcommands {
		addGlobalsToLeaves(s)
	}
}

var runMu sync.Mutex

const (
	metaNotFound = "certledger.notFound"
	metaClients  = "certledger.clients"
)

// requireFlags replaces urfave's required-flag check (which prints the help of the
// first argument as a topic) by one clear usage error, environment values counting.
func requireFlags(c *cli.Command) {
	var names []string
	for _, f := range c.Flags {
		if rf, ok := f.(*cli.StringFlag); ok && rf.Required {
			rf.Required = false
			names = append(names, rf.Name)
		}
	}
	if len(names) == 0 {
		return
	}
	before := c.Before
	c.Before = func(ctx *cli.Context) error {
		var missing []string
		for _, n := range names {
			if !ctx.IsSet(n) || ctx.String(n) == "" {
				missing = append(missing, "--"+n)
			}
		}
		if len(missing) > 0 {
			return Usagef("%s needs %s (see --help)", ctx.Command.HelpName, strings.Join(missing, ", "))
		}
		if before != nil {
			return before(ctx)
		}
		return nil
	}
}

// Run runs the application with args (args[0] is the program name) and returns the
// exit code. Errors are printed as one line on stderr.
//
// Runs are serialised: urfave/cli keeps some state in package variables (the help
// flag), so in-process runs from parallel tests must not overlap.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	runMu.Lock()
	defer runMu.Unlock()
	a := New(stdin, stdout, stderr)
	var clients []*client.Client
	a.Metadata[metaClients] = &clients
	err := a.RunContext(ctx, interspersed(a, args))
	for _, cl := range clients {
		cl.Close()
	}
	if name, ok := a.Metadata[metaNotFound].(string); ok && err == nil {
		err = Usagef("no command %q (see --help)", name)
	}
	code := ExitCode(err)
	if msg := errorLine(err); msg != "" {
		fmt.Fprintf(stderr, "certledger: %s\n", msg)
	}
	return code
}

// Result is what RunForTest captured.
type Result struct {
	Stdout string
	Stderr string
	Code   int
}

// RunForTest runs the application in-process with args (without the program name),
// stdin as standard input (nil for none), and returns what it printed and its exit
// code. Flags that the environment would set (CERTLEDGER_*) still apply: pass
// --gateway etc. explicitly in tests.
func RunForTest(ctx context.Context, stdin io.Reader, args ...string) Result {
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	var out, errb bytes.Buffer
	code := Run(ctx, append([]string{"certledger"}, args...), stdin, &out, &errb)
	return Result{Stdout: out.String(), Stderr: errb.String(), Code: code}
}

// GlobalString returns a global flag's value: given after the command, else before
// it, else from the environment, else the default.
func GlobalString(c *cli.Context, name string) string {
	var root *cli.Context
	for _, x := range c.Lineage() {
		if x.Command == nil {
			continue
		}
		root = x
		for _, n := range x.LocalFlagNames() {
			if n == name {
				return x.String(name)
			}
		}
	}
	if root == nil {
		return ""
	}
	return root.String(name)
}

// timeoutOf parses --timeout.
func timeoutOf(c *cli.Context) (time.Duration, error) {
	s := GlobalString(c, FlagTimeout)
	if s == "" {
		return client.DefaultTimeout, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, Usagef("--timeout %q: want a duration such as 30s", s)
	}
	return d, nil
}

// stdoutOf and stderrOf return the application's writers.
func stdoutOf(c *cli.Context) io.Writer { return c.App.Writer }
func stderrOf(c *cli.Context) io.Writer { return c.App.ErrWriter }

// isTerminal reports whether w is a terminal (progress bars go only there).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	return termCheck(f)
}
