package command

import (
	"context"
	"strings"

	"github.com/certledger/certledger/cli/internal/client"
	"github.com/certledger/certledger/cli/internal/output"
	"github.com/certledger/certledger/internal/domain/certtype"
	"github.com/certledger/certledger/internal/domain/identifier"
	"github.com/urfave/cli/v2"
)

// typeCommand manages the certificate type catalogue (certtype contract).
func typeCommand() *cli.Command {
	return &cli.Command{
		Name:  "type",
		Usage: "the certificate type catalogue (证照类型): register types, grant departments the right to issue them",
		Subcommands: []*cli.Command{
			{
				Name:      "add",
				Usage:     "register a certificate type (governance administrator)",
				ArgsUsage: " ",
				Description: "certledger type add --code 11100000MB0143028R001 --name 营业执照 --name-en 'Business licence' \\\n" +
					"    --defining-body 国家市场监督管理总局 --holder-code-type 001 --default-validity P20Y --issuer dept-a\n\n" +
					"The code is the defining body's unified social credit code (its GB 32100 check character is\n" +
					"verified) followed by a 3-digit sequence. Once a type is registered, the ledger refuses v1\n" +
					"certificates with free-form types.",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "code", Usage: "type `CODE`: defining body's USCC + 3 digits", Required: true},
					&cli.StringFlag{Name: "name", Usage: "Chinese `NAME` (证照类型名称)", Required: true},
					&cli.StringFlag{Name: "name-en", Usage: "English `NAME`", Required: true},
					&cli.StringFlag{Name: "defining-body", Usage: "`NAME` of the body that defines the type", Required: true},
					&cli.StringFlag{Name: "holder-code-type", Usage: "holder code type `NNN`: 111 citizen identity number, 001 unified social credit code", Required: true},
					&cli.StringFlag{Name: "default-validity", Usage: "default validity `PERIOD` (P20Y, P6M, P30D; default: no end)"},
					&cli.StringSliceFlag{Name: "issuer", Usage: "department `ID` that may issue it (repeat)"},
				},
				Action: typeAdd,
			},
			{Name: "list", Usage: "list the catalogue", ArgsUsage: " ", Action: typeList},
			{Name: "show", Usage: "show a type", ArgsUsage: "CODE", Action: typeShow},
			{Name: "grant", Usage: "let a department issue a type (governance administrator)", ArgsUsage: "CODE DEPT", Action: typeChange(true)},
			{Name: "revoke", Usage: "withdraw a department's right to issue a type (governance administrator)", ArgsUsage: "CODE DEPT", Action: typeChange(false)},
		},
	}
}

func typeAdd(c *cli.Context) error {
	if c.NArg() > 0 {
		return Usagef("type add takes no arguments")
	}
	p, err := PrinterOf(c)
	if err != nil {
		return err
	}
	in := client.CertTypeInput{
		Code: strings.TrimSpace(c.String("code")), Name: c.String("name"), NameEn: c.String("name-en"),
		DefiningBody: c.String("defining-body"), HolderCodeType: c.String("holder-code-type"),
		DefaultValidity: c.String("default-validity"), Issuers: c.StringSlice("issuer"),
	}
	if in.Issuers == nil {
		in.Issuers = []string{}
	}
	if err := in.Validate(); err != nil {
		return Usagef("%s", strings.TrimPrefix(err.Error(), "INVALID_ARGUMENT: "))
	}
	return ask(c, p, func(ctx context.Context, cl *client.Client) (*client.WriteResult[client.CertType], error) {
		return cl.RegisterCertType(ctx, in)
	}, typeWriteRows("registered"))
}

func typeList(c *cli.Context) error {
	if c.NArg() > 0 {
		return Usagef("type list takes no arguments")
	}
	return request(c, func(ctx context.Context, cl *client.Client) ([]client.CertType, error) {
		return cl.ListCertTypes(ctx)
	}, func(t *output.Tab, types []client.CertType) {
		t.Row("CODE", "NAME", "ENGLISH", "HOLDER", "VALIDITY", "ISSUERS")
		for _, ty := range types {
			v := ty.DefaultValidity
			if v == "" {
				v = "no end"
			}
			t.Row(ty.Code, ty.Name, ty.NameEn, ty.HolderCodeType, v, strings.Join(ty.Issuers, ","))
		}
	})
}

func typeShow(c *cli.Context) error {
	code, err := typeCodeArg(c, 1)
	if err != nil {
		return err
	}
	return request(c, func(ctx context.Context, cl *client.Client) (*client.CertType, error) {
		return cl.GetCertType(ctx, code)
	}, typeTable)
}

func typeChange(grant bool) cli.ActionFunc {
	return func(c *cli.Context) error {
		code, err := typeCodeArg(c, 2)
		if err != nil {
			return err
		}
		dept := strings.TrimSpace(c.Args().Get(1))
		if dept == "" {
			return Usagef("give CODE DEPT")
		}
		change, what := (*client.Client).GrantCertType, "granted to "+dept
		if !grant {
			change, what = (*client.Client).RevokeCertType, "withdrawn from "+dept
		}
		return request(c, func(ctx context.Context, cl *client.Client) (*client.WriteResult[client.CertType], error) {
			return change(cl, ctx, code, dept)
		}, typeWriteRows(what))
	}
}

// typeCodeArg returns the first of n arguments, a type code checked here (the
// error names the expected check character of the defining body's code).
func typeCodeArg(c *cli.Context, n int) (string, error) {
	if c.NArg() != n {
		if n == 1 {
			return "", Usagef("give one type CODE")
		}
		return "", Usagef("give CODE DEPT")
	}
	code := strings.TrimSpace(c.Args().First())
	if err := identifier.CheckTypeCode(code); err != nil {
		return "", Usagef("%s", strings.TrimPrefix(err.Error(), "INVALID_ARGUMENT: "))
	}
	return code, nil
}

// typeWriteRows prints the answer of a type write: "<what>: certificate type CODE ...".
func typeWriteRows(what string) func(*output.Tab, *client.WriteResult[client.CertType]) {
	return writeRows(what, "certificate type", func(ty *client.CertType) string { return ty.Code }, typeTable)
}

func typeTable(t *output.Tab, ty *client.CertType) {
	t.KV("code", ty.Code)
	t.KV("name", ty.Name+" · "+ty.NameEn)
	t.KV("defined by", ty.DefiningBody+" ("+ty.DefiningBodyCode+")")
	holder := ty.HolderCodeType
	if en, zh := certtype.HolderCodeTypeName(holder); en != "" {
		holder += " (" + en + " · " + zh + ")"
	}
	t.KV("holder code", holder)
	v := ty.DefaultValidity
	if v == "" {
		v = "no end (长期)"
	}
	t.KV("default validity", v)
	issuers := strings.Join(ty.Issuers, ", ")
	if issuers == "" {
		issuers = "(none yet: type grant CODE DEPT)"
	}
	t.KV("issuers", issuers)
	t.KV("updated", ty.UpdatedAt+" (tx "+ty.TxID+")")
}
