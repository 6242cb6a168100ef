package command

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/certledger/certledger/cli/internal/client"
	"github.com/certledger/certledger/cli/internal/output"
	"github.com/certledger/certledger/internal/domain/exchange"
	"github.com/urfave/cli/v2"
)

// The exchange commands (catalog, grant, exchange, audit exchanges) talk to the
// gateway's /api/v1/catalog, /grants and /exchanges through client.Do. Records
// are the exchange domain's own types (chaincode/domain/exchange, a pure package),
// so what is signed here is exactly what the chaincode checks.

const exAPI = "/api/v1"

func catalogCommand() *cli.Command {
	return &cli.Command{
		Name:  "catalog",
		Usage: "a provider department's catalogue of data items and their fields",
		Subcommands: append([]*cli.Command{
			{
				Name:      "add",
				Usage:     "add a data item to your department's catalogue",
				ArgsUsage: " ",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "dept", Usage: "your (provider) department `ID`", Required: true},
					&cli.StringFlag{Name: "id", Usage: "item `ID`, e.g. tax-record", Required: true},
					&cli.StringFlag{Name: "fields", Usage: "comma-separated field `NAMES` a grant may name", Required: true},
					&cli.StringFlag{Name: "name", Usage: "human-readable `NAME`"},
					&cli.StringFlag{Name: "description", Usage: "`TEXT` (no personal data)"},
				},
				Action: catalogAdd,
			},
			{
				Name:   "list",
				Usage:  "list catalogue items",
				Flags:  []cli.Flag{&cli.StringFlag{Name: "provider", Usage: "only this provider department `ID`"}},
				Action: catalogList,
			},
			{
				Name:      "show",
				Usage:     "show one catalogue item",
				ArgsUsage: "PROVIDER ITEM",
				Action:    catalogShow,
			},
		}, catalogChangeCommands()...),
	}
}

// exParseFields splits "a, b,a" into the sorted, unique list that is signed.
func exParseFields(s string) ([]string, error) {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	out = exchange.SortFields(out)
	if err := exchange.CheckFields(out); err != nil {
		return nil, Usagef("--fields: %v", err)
	}
	return out, nil
}

// fieldsCommand reads what the writes that name data fields start with (catalog
// add, grant create, exchange send): the printer of --output, then --fields.
func fieldsCommand(c *cli.Context) (p output.Printer, fields []string, err error) {
	if p, err = PrinterOf(c); err != nil {
		return p, nil, err
	}
	fields, err = exParseFields(c.String("fields"))
	return p, fields, err
}

func catalogAdd(c *cli.Context) error {
	p, fields, err := fieldsCommand(c)
	if err != nil {
		return err
	}
	in := exchange.CatalogInput{Provider: c.String("dept"), ID: c.String("id"), Name: c.String("name"),
		Description: c.String("description"), Fields: fields}
	if err := in.Validate(); err != nil {
		return InvalidInput("catalogue item", err)
	}
	return askTo(c, p, http.MethodPost, exAPI+"/catalog", in, func(t *output.Tab, res client.WriteResult[exchange.CatalogItem]) {
		t.Line(fmt.Sprintf("added item %s to the catalogue of %s (tx %s, block %d)", in.ID, in.Provider, res.TxID, res.BlockNumber))
		t.KV("fields", strings.Join(res.Record.Fields, ","))
	})
}

func catalogList(c *cli.Context) error {
	path := exAPI + "/catalog"
	if v := c.String("provider"); v != "" {
		path += "?provider=" + url.QueryEscape(v)
	}
	return requestTo(c, http.MethodGet, path, nil, func(t *output.Tab, items []exchange.CatalogItem) {
		t.Row("PROVIDER", "ITEM", "VERSION", "STATUS", "NAME", "FIELDS")
		for _, it := range items {
			st := it.Status
			if st == "" {
				st = exchange.ItemActive
			}
			t.Row(it.Provider, it.ID, itoa(max(it.Version, 1)), st, it.Name, strings.Join(it.Fields, ","))
		}
	})
}

func catalogShow(c *cli.Context) error {
	if c.NArg() != 2 {
		return Usagef("give PROVIDER and ITEM")
	}
	path := exAPI + "/catalog/" + url.PathEscape(c.Args().Get(0)) + "/" + url.PathEscape(c.Args().Get(1))
	return requestTo(c, http.MethodGet, path, nil, func(t *output.Tab, it exchange.CatalogItem) {
		t.KV("provider", it.Provider)
		t.KV("item", it.ID)
		t.KV("name", it.Name)
		t.KV("description", it.Description)
		t.KV("fields", strings.Join(it.Fields, ","))
		t.KV("version", itoa(max(it.Version, 1)))
		if w := it.Withdrawal; w != nil {
			t.KV("withdrawn", humanTime(c, w.At)+" ("+w.Reason+")")
		}
		t.KV("added at", humanTime(c, it.CreatedAt))
		if it.UpdatedAt != "" {
			t.KV("changed at", humanTime(c, it.UpdatedAt))
		}
		t.KV("tx", it.TxID)
	})
}
