package command

import (
	"context"
	"encoding/json"
	"os"
	"strconv"
	"strings"

	"github.com/certledger/certledger/cli/internal/client"
	"github.com/certledger/certledger/cli/internal/issue"
	"github.com/certledger/certledger/cli/internal/keyfile"
	"github.com/certledger/certledger/cli/internal/output"
	"github.com/urfave/cli/v2"
)

func deptCommand() *cli.Command {
	return &cli.Command{
		Name:  "dept",
		Usage: "register departments and manage their SM2 keys (registry)",
		Subcommands: []*cli.Command{
			{
				Name:      "register",
				Usage:     "register a department (governance administrator)",
				ArgsUsage: " ",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "file", Usage: "read the whole department from a JSON `FILE` {id,name,mspId,parent,categories,publicKeys}"},
					&cli.StringFlag{Name: "id", Usage: "department `ID`"},
					&cli.StringFlag{Name: "name", Usage: "department's full `NAME` (a v2 certificate's issuing organisation)"},
					&cli.StringFlag{Name: "code", Usage: "unified social credit `CODE` (GB 32100; needed to issue GB/T 36904 identifiers)"},
					&cli.StringFlag{Name: "msp-id", Aliases: []string{"msp"}, Usage: "Fabric `MSPID` of the department's organisation"},
					&cli.StringFlag{Name: "parent", Usage: "supervising department `ID`"},
					&cli.StringSliceFlag{Name: "category", Aliases: []string{"categories"}, Usage: "ticket `CATEGORY` handled (repeat, or comma-separated)"},
					&cli.StringSliceFlag{Name: "pub", Aliases: []string{"key"}, Usage: "key `FILE` whose public key to register (public or private PEM; repeat)"},
					passwordFlag(),
				},
				Action: deptRegister,
			},
			deptSetCodeCommand(),
			{
				Name:   "list",
				Usage:  "list departments",
				Action: deptList,
			},
			{
				Name:      "show",
				Usage:     "show a department and its keys",
				ArgsUsage: "DEPT",
				Action:    deptShow,
			},
			{
				Name:      "add-key",
				Usage:     "add an SM2 public key to a department",
				ArgsUsage: "DEPT",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "pub", Usage: "public key `FILE` (a private key file works too)", Required: true},
					passwordFlag(),
				},
				Action: deptAddKey,
			},
			{
				Name:      "rotate-key",
				Usage:     "replace a key by a new one (what the old key signed stays valid)",
				ArgsUsage: "DEPT",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "old", Usage: "`KEYID` of the key to rotate out", Required: true},
					&cli.StringFlag{Name: "pub", Usage: "new public key `FILE`", Required: true},
					passwordFlag(),
				},
				Action: deptRotateKey,
			},
			{
				Name:      "revoke-key",
				Usage:     "revoke a key (reason compromised invalidates what it signed from --effective-at on)",
				ArgsUsage: "DEPT",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "key-id", Usage: "`KEYID` to revoke", Required: true},
					&cli.StringFlag{Name: "reason", Usage: "`REASON`, e.g. compromised, retired", Required: true},
					&cli.StringFlag{Name: "effective-at", Usage: "`TIME` (RFC 3339 or YYYY-MM-DD) the revocation takes effect; default: now"},
				},
				Action: deptRevokeKey,
			},
		},
	}
}

func oneArg(c *cli.Context, what string) (string, error) {
	if c.NArg() != 1 || strings.TrimSpace(c.Args().First()) == "" {
		return "", Usagef("give one %s", what)
	}
	return c.Args().First(), nil
}

func readPublicPEM(c *cli.Context, path string) (string, string, error) {
	pub, _, err := keyfile.LoadPublic(path, c.String("password-file"))
	if err != nil {
		return "", "", inputErr(err)
	}
	pemText, keyID, err := keyfile.PublicPEM(pub)
	if err != nil {
		return "", "", inputErr(err)
	}
	return pemText, keyID, nil
}

func deptRegister(c *cli.Context) error {
	p, err := PrinterOf(c)
	if err != nil {
		return err
	}
	var in client.DepartmentInput
	if f := c.String("file"); f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return inputErr(err)
		}
		if err := json.Unmarshal(b, &in); err != nil {
			return Usagef("%s: %v", f, err)
		}
	}
	set := func(dst *string, flag string) {
		if v := c.String(flag); v != "" {
			*dst = v
		}
	}
	set(&in.ID, "id")
	set(&in.Name, "name")
	set(&in.Code, "code")
	set(&in.MSPID, "msp-id")
	set(&in.Parent, "parent")
	if v := c.StringSlice("category"); len(v) > 0 {
		in.Categories = v
	}
	for _, f := range c.StringSlice("pub") {
		pemText, _, err := readPublicPEM(c, f)
		if err != nil {
			return err
		}
		in.PublicKeys = append(in.PublicKeys, pemText)
	}
	if in.ID == "" || in.Name == "" || in.MSPID == "" {
		return Usagef("dept register needs --id, --name and --msp-id (or --file)")
	}
	if in.Categories == nil {
		in.Categories = []string{}
	}
	if in.PublicKeys == nil {
		in.PublicKeys = []string{}
	}
	return ask(c, p, func(ctx context.Context, cl *client.Client) (*client.WriteResult[client.Department], error) {
		return cl.RegisterDepartment(ctx, in)
	}, deptWriteRows("registered"))
}

func deptList(c *cli.Context) error {
	if c.NArg() > 0 {
		return Usagef("dept list takes no arguments")
	}
	return request(c, func(ctx context.Context, cl *client.Client) ([]client.Department, error) {
		return listOf(cl.ListDepartments(ctx))
	}, func(t *output.Tab, ds []client.Department) {
		t.Row("ID", "NAME", "MSP", "PARENT", "STATUS", "KEYS")
		for _, d := range ds {
			t.Row(d.ID, d.Name, d.MSPID, d.Parent, d.Status, strconv.Itoa(activeKeys(d))+"/"+strconv.Itoa(len(d.Keys)))
		}
	})
}

func activeKeys(d client.Department) int {
	n := 0
	for _, k := range d.Keys {
		if k.RotatedAt == "" && k.RevokedAt == "" {
			n++
		}
	}
	return n
}

func deptShow(c *cli.Context) error {
	return showOne(c, "DEPT id", func(c *cli.Context, cl *client.Client, id string) (*client.Department, error) {
		return cl.GetDepartment(c.Context, id)
	}, deptTable)
}

func deptTable(t *output.Tab, d *client.Department) {
	t.KV("id", d.ID)
	t.KV("name", d.Name)
	if d.Code != "" {
		t.KV("code", d.Code)
	}
	t.KV("msp", d.MSPID)
	t.KV("parent", d.Parent)
	t.KV("categories", strings.Join(d.Categories, ", "))
	t.KV("status", d.Status)
	t.KV("updated", d.UpdatedAt)
	t.KV("tx", d.TxID)
	t.Line("")
	t.Row("KEY ID", "VALID FROM", "ROTATED", "REVOKED", "REASON")
	for _, k := range d.Keys {
		t.Row(k.KeyID, k.ValidFrom, k.RotatedAt, k.RevokedAt, k.RevokeReason)
	}
}

// deptWriteRows prints the answer of a department write: "<what>: department ID ...".
func deptWriteRows(what string) func(*output.Tab, *client.WriteResult[client.Department]) {
	return writeRows(what, "department", func(d *client.Department) string { return d.ID }, deptTable)
}

// deptWrite is a department key change sent as write.
type deptWrite func(c *cli.Context, cl *client.Client) (*client.WriteResult[client.Department], error)

// deptKeyCommand runs a key change of department DEPT: prepare reads and checks
// the flags before any connection is made and returns the write; the result is
// printed as "<what>: department ...".
func deptKeyCommand(c *cli.Context, what string, prepare func(id string) (deptWrite, error)) error {
	id, p, err := argCommand(c, "DEPT id")
	if err != nil {
		return err
	}
	write, err := prepare(id)
	if err != nil {
		return err
	}
	return ask(c, p, func(_ context.Context, cl *client.Client) (*client.WriteResult[client.Department], error) {
		return write(c, cl)
	}, deptWriteRows(what))
}

func deptAddKey(c *cli.Context) error {
	return deptKeyCommand(c, "key added", func(id string) (deptWrite, error) {
		pemText, _, err := readPublicPEM(c, c.String("pub"))
		if err != nil {
			return nil, err
		}
		return func(c *cli.Context, cl *client.Client) (*client.WriteResult[client.Department], error) {
			return cl.AddKey(c.Context, id, pemText)
		}, nil
	})
}

func deptRotateKey(c *cli.Context) error {
	return deptKeyCommand(c, "key rotated", func(id string) (deptWrite, error) {
		pemText, newID, err := readPublicPEM(c, c.String("pub"))
		if err != nil {
			return nil, err
		}
		if newID == c.String("old") {
			return nil, Usagef("the new key is the old key %s", newID)
		}
		return func(c *cli.Context, cl *client.Client) (*client.WriteResult[client.Department], error) {
			return cl.RotateKey(c.Context, id, c.String("old"), pemText)
		}, nil
	})
}

func deptRevokeKey(c *cli.Context) error {
	return deptKeyCommand(c, "key revoked", func(id string) (deptWrite, error) {
		eff := ""
		if v := c.String("effective-at"); v != "" {
			var err error
			if eff, err = issue.NormalizeTime(v, false); err != nil {
				return nil, Usagef("--effective-at: %v", err)
			}
		}
		return func(c *cli.Context, cl *client.Client) (*client.WriteResult[client.Department], error) {
			return cl.RevokeKey(c.Context, id, c.String("key-id"), c.String("reason"), eff)
		}, nil
	})
}
