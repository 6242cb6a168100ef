package command

import (
	"fmt"
	"os"
	"strings"

	"github.com/certledger/certledger/cli/internal/client"
	"github.com/certledger/certledger/cli/internal/keyfile"
	"github.com/certledger/certledger/cli/internal/output"
	"github.com/emmansun/gmsm/sm2"
	"github.com/urfave/cli/v2"
)

// NewClient returns a gateway client from the global flags.
func NewClient(c *cli.Context) (*client.Client, error) {
	d, err := timeoutOf(c)
	if err != nil {
		return nil, err
	}
	token, err := tokenOf(c)
	if err != nil {
		return nil, err
	}
	cl, err := client.New(GlobalString(c, FlagGateway), token, GlobalString(c, FlagCACert),
		client.WithTimeout(d))
	if err != nil {
		return nil, &exitError{code: ExitUsage, err: err}
	}
	if cs, ok := c.App.Metadata[metaClients].(*[]*client.Client); ok {
		*cs = append(*cs, cl)
	}
	return cl, nil
}

// tokenOf returns the bearer token: --token / CERTLEDGER_TOKEN, or the first line
// of --token-file / CERTLEDGER_TOKEN_FILE (not both).
func tokenOf(c *cli.Context) (string, error) {
	tok, file := GlobalString(c, FlagToken), GlobalString(c, FlagTokenFile)
	if file == "" {
		return tok, nil
	}
	if tok != "" {
		return "", Usagef("give the token once: --token (CERTLEDGER_TOKEN) or --token-file (CERTLEDGER_TOKEN_FILE), not both")
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", inputErr(fmt.Errorf("reading the token file: %w", err))
	}
	line, _, _ := strings.Cut(string(b), "\n")
	if line = strings.TrimSpace(line); line == "" {
		return "", Usagef("token file %s: the first line is empty", file)
	}
	return line, nil
}

// PrinterOf returns the printer of --output.
func PrinterOf(c *cli.Context) (output.Printer, error) {
	f, err := output.ParseFormat(GlobalString(c, FlagOutput))
	if err != nil {
		return output.Printer{}, Usagef("%v", err)
	}
	return output.Printer{W: stdoutOf(c), Format: f}, nil
}

// verifyBase is the base URL of QR links.
func verifyBase(c *cli.Context) string {
	if v := GlobalString(c, FlagVerify); v != "" {
		return v
	}
	return GlobalString(c, FlagGateway)
}

// Common flags of command groups.
var (
	passwordFileFlag = &cli.StringFlag{Name: "password-file", Usage: "`FILE` whose first line is the key's password", EnvVars: []string{"CERTLEDGER_PASSWORD_FILE"}}
)

func passwordFlag() cli.Flag {
	f := *passwordFileFlag
	return &f
}

func keyFlag(usage string) cli.Flag {
	return &cli.StringFlag{Name: "key", Usage: usage, Required: true, EnvVars: []string{"CERTLEDGER_KEY"}}
}

// loadPrivate reads the private key of --key / --password-file. Every failure
// (missing file, malformed PEM, wrong password) is an input error (exit 2).
func loadPrivate(c *cli.Context, flag string) (*sm2.PrivateKey, error) {
	k, err := keyfile.LoadPrivate(c.String(flag), c.String("password-file"))
	if err != nil {
		return nil, inputErr(err)
	}
	return k, nil
}

// inputErr marks a file or key problem as exit 2.
func inputErr(err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: ExitUsage, err: err}
}
