package command

import (
	"strings"

	"github.com/certledger/certledger/cli/internal/output"
	"github.com/certledger/certledger/internal/domain/identifier"
	"github.com/urfave/cli/v2"
)

// idCommand builds and checks GB/T 36904 identifiers and credit codes locally.
func idCommand() *cli.Command {
	return &cli.Command{
		Name:  "id",
		Usage: "build or check a GB/T 36904 identifier or a unified social credit code (offline)",
		Subcommands: []*cli.Command{
			{
				Name:      "build",
				Usage:     "print the identifier of a type code, an issuing organisation code, a serial and a version",
				ArgsUsage: " ",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "type", Usage: "type `CODE` (21 characters)", Required: true},
					&cli.StringFlag{Name: "issuer-code", Usage: "issuing organisation's unified social credit `CODE`", Required: true},
					&cli.StringFlag{Name: "serial", Usage: "certificate `NUMBER`", Required: true},
					&cli.StringFlag{Name: "version", Usage: "`VERSION`, 3 digits", Value: "001"},
				},
				Action: idBuild,
			},
			{
				Name:      "check",
				Usage:     "check an identifier's check character (or a credit code's) and show its parts; exit 1 when wrong",
				ArgsUsage: "ID|CODE",
				Action:    idCheck,
			},
		},
	}
}

func idBuild(c *cli.Context) error {
	if c.NArg() > 0 {
		return Usagef("id build takes no arguments")
	}
	p, err := PrinterOf(c)
	if err != nil {
		return err
	}
	id, err := identifier.New(c.String("type"), c.String("issuer-code"), c.String("serial"), c.String("version"))
	if err != nil {
		return Usagef("%s", strings.TrimPrefix(err.Error(), "INVALID_ARGUMENT: "))
	}
	return p.Print(map[string]any{"identifier": id.String(), "parts": id}, func(t *output.Tab) { t.Line(id.String()) })
}

func idCheck(c *cli.Context) error {
	s, p, err := argCommand(c, "identifier or credit code")
	if err != nil {
		return err
	}
	s = strings.TrimSpace(s)
	if !identifier.Looks(s) {
		if err := identifier.CheckUSCC(s); err != nil {
			return Invalidf("%s", strings.TrimPrefix(err.Error(), "INVALID_ARGUMENT: "))
		}
		return p.Print(map[string]string{"code": s, "check": s[17:]}, func(t *output.Tab) {
			t.Line("unified social credit code " + s + ": check character " + s[17:] + " correct (GB 32100)")
		})
	}
	id, err := identifier.Parse(s)
	if err != nil {
		return Invalidf("%s", strings.TrimPrefix(err.Error(), "INVALID_ARGUMENT: "))
	}
	return p.Print(id, func(t *output.Tab) {
		t.Line("identifier " + s + ": check character " + id.Check + " correct (ISO/IEC 7064 MOD 37,36)")
		t.KV("type code", id.TypeCode+" (defined by "+id.TypeCode[:identifier.USCCLength]+")")
		t.KV("issuing org", id.IssuerCode)
		t.KV("serial", id.Serial)
		t.KV("version", id.Version)
	})
}
