package command

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/emmansun/gmsm/sm2"
	"github.com/urfave/cli/v2"

	"github.com/certledger/certledger/cli/internal/client"
	"github.com/certledger/certledger/cli/internal/output"
	"github.com/certledger/certledger/internal/domain/exchange"
	"github.com/certledger/certledger/internal/domain/lineage"
	"github.com/certledger/certledger/internal/gm"
)

// History of grants, exchanges and catalogue items; catalogue updates and
// withdrawals; the consumer's deletion attestation; the lineage report.

// historyEntry is one version of a record (exchange:History, CatalogHistory).
type historyEntry struct {
	TxID      string          `json:"txId"`
	Timestamp string          `json:"timestamp"`
	IsDelete  bool            `json:"isDelete"`
	Record    json.RawMessage `json:"record"`
}

// recordHistory prints every version of the record named by the one argument,
// read from GET /api/v1<prefix><id>/history.
func recordHistory(c *cli.Context, what, prefix string) error {
	id, err := oneArg(c, what)
	if err != nil {
		return err
	}
	return printHistory(c, exAPI+prefix+url.PathEscape(id)+"/history")
}

func printHistory(c *cli.Context, path string) error {
	p, cl, err := session(c)
	if err != nil {
		return err
	}
	var h []historyEntry
	if err := cl.Do(c.Context, http.MethodGet, path, nil, &h); err != nil {
		return err
	}
	return p.Print(h, func(t *output.Tab) {
		t.Row(zoneHeader(c, "TIME"), "TX", "STATUS", "CHANGE")
		for _, e := range h {
			var r struct {
				Status     string          `json:"status"`
				Version    int             `json:"version"`
				Fields     []string        `json:"fields"`
				Revocation json.RawMessage `json:"revocation"`
				Deletion   json.RawMessage `json:"deletion"`
				Ack        *exchange.Ack   `json:"ack"`
				Withdrawal json.RawMessage `json:"withdrawal"`
			}
			_ = json.Unmarshal(e.Record, &r)
			change := "fields " + strings.Join(r.Fields, ",")
			switch {
			case r.Deletion != nil:
				change = "consumer attested deletion"
			case r.Revocation != nil:
				change = "revoked"
			case r.Withdrawal != nil:
				change = "withdrawn"
			case r.Ack != nil:
				change = r.Ack.Decision + " by " + r.Ack.Consumer
				if r.Ack.Receipt() {
					change += ", fields received " + strings.Join(r.Ack.Fields, ",")
				}
			}
			if r.Version > 0 {
				change = fmt.Sprintf("v%d %s", r.Version, change)
			}
			t.Row(humanTime(c, e.Timestamp), e.TxID, r.Status, change)
		}
	})
}

func catalogChangeCommands() []*cli.Command {
	return []*cli.Command{
		{
			Name:      "update",
			Usage:     "change an item of your department's catalogue (name, description, fields); the old version stays in its history",
			ArgsUsage: "PROVIDER ITEM",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "fields", Usage: "comma-separated field `NAMES` (the new list)", Required: true},
				&cli.StringFlag{Name: "name", Usage: "human-readable `NAME` (default: unchanged)"},
				&cli.StringFlag{Name: "description", Usage: "`TEXT` (default: unchanged)"},
			},
			Action: func(c *cli.Context) error { return catalogChange(c, false) },
		},
		{
			Name:      "withdraw",
			Usage:     "withdraw an item: it takes no new grant (grants given keep their fields)",
			ArgsUsage: "PROVIDER ITEM",
			Flags:     []cli.Flag{&cli.StringFlag{Name: "reason", Usage: "`REASON` (public: no personal data)", Required: true}},
			Action:    func(c *cli.Context) error { return catalogChange(c, true) },
		},
		{
			Name:      "history",
			Usage:     "every version of a catalogue item, newest first",
			ArgsUsage: "PROVIDER ITEM",
			Action: func(c *cli.Context) error {
				if c.NArg() != 2 {
					return Usagef("give PROVIDER and ITEM")
				}
				return printHistory(c, exAPI+"/catalog/"+url.PathEscape(c.Args().Get(0))+"/"+url.PathEscape(c.Args().Get(1))+"/history")
			},
		},
	}
}

func catalogChange(c *cli.Context, withdraw bool) error {
	if c.NArg() != 2 {
		return Usagef("give PROVIDER and ITEM")
	}
	provider, id := c.Args().Get(0), c.Args().Get(1)
	p, cl, err := session(c)
	if err != nil {
		return err
	}
	path := exAPI + "/catalog/" + url.PathEscape(provider) + "/" + url.PathEscape(id)
	var it exchange.CatalogItem
	if err := cl.Do(c.Context, http.MethodGet, path, nil, &it); err != nil {
		return err
	}
	ch := exchange.CatalogChange{Provider: provider, ID: id, PrevTxID: it.TxID}
	method, verb := http.MethodPut, "updated"
	if withdraw {
		ch.Reason = c.String("reason")
		if err := ch.ValidateWithdraw(); err != nil {
			return InvalidInput("withdrawal", err)
		}
		method, path, verb = http.MethodPost, path+"/withdraw", "withdrew"
	} else {
		fields, err := exParseFields(c.String("fields"))
		if err != nil {
			return err
		}
		ch.Fields, ch.Name, ch.Description = fields, it.Name, it.Description
		if c.IsSet("name") {
			ch.Name = c.String("name")
		}
		if c.IsSet("description") {
			ch.Description = c.String("description")
		}
		if err := ch.ValidateUpdate(); err != nil {
			return InvalidInput("update", err)
		}
	}
	var res client.WriteResult[exchange.CatalogItem]
	if err := cl.Do(c.Context, method, path, ch, &res); err != nil {
		return err
	}
	return p.Print(res, func(t *output.Tab) {
		t.Line(fmt.Sprintf("%s item %s of %s: version %d, %s (tx %s, block %d)", verb, id, provider, res.Record.Version, res.Record.Status, res.TxID, res.BlockNumber))
		t.KV("fields", strings.Join(res.Record.Fields, ","))
	})
}

func grantDeletionCommand() *cli.Command {
	return &cli.Command{
		Name:      "attest-deletion",
		Usage:     "as the consumer of an ended grant (revoked or expired), sign and record that you deleted its data",
		ArgsUsage: "GRANT",
		Flags:     []cli.Flag{keyFlag("your department's private key `FILE`"), passwordFlag()},
		Action:    grantAttestDeletion,
	}
}

func grantAttestDeletion(c *cli.Context) error {
	ended := func(g *exGrantView) error {
		if g.EffectiveStatus != exchange.GrantRevoked && g.EffectiveStatus != exchange.GrantExpired {
			return Invalidf("grant %s is %s until %s: attest deletion once it is revoked or expired", g.ID, g.EffectiveStatus, g.ValidUntil)
		}
		return nil
	}
	return changeGrant(c, "deletion", ended, func(g *exGrantView, k *sm2.PrivateKey, op string) (_ any, err error) {
		d := exchange.DeletionRequest{GrantID: g.ID, Consumer: g.Consumer, PrevTxID: g.TxID, KeyID: gm.KeyID(&k.PublicKey), Operator: op}
		d.Signature, err = signForm(k, d.SignedForm)
		return d, err
	}, func(t *output.Tab, g *exGrantView, res *client.WriteResult[exchange.Grant]) {
		t.Line(fmt.Sprintf("%s attested the deletion of the data received under grant %s (tx %s, block %d)", g.Consumer, g.ID, res.TxID, res.BlockNumber))
	})
}

// auditLineageCommand is "certledger audit lineage".
func auditLineageCommand() *cli.Command {
	return &cli.Command{
		Name:      "lineage",
		Usage:     "a certificate, the exchanges that carried it and the tickets that refer to either, both ways (any token; auditors see every node)",
		ArgsUsage: "ID",
		Description: "certledger audit lineage c-2026-0001 [--kind certificate|exchange|ticket] [--depth N]\n" +
			"Read from the ledger's lineage index (GET /api/v1/audit/lineage/{id}). Records you may not read are counted as hidden.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "kind", Usage: "`KIND` of ID: certificate, exchange or ticket", Value: lineage.KindCertificate},
			&cli.IntFlag{Name: "depth", Usage: "links to follow from ID (1-6)", Value: lineage.DefaultDepth},
		},
		Action: auditLineage,
	}
}

func auditLineage(c *cli.Context) error {
	id, err := oneArg(c, "record ID")
	if err != nil {
		return err
	}
	if d := c.Int("depth"); d < 1 || d > lineage.MaxDepth {
		return Usagef("--depth %d: want 1-%d", d, lineage.MaxDepth)
	}
	p, cl, err := session(c)
	if err != nil {
		return err
	}
	var g lineage.Graph
	path := query(exAPI+"/audit/lineage/"+url.PathEscape(id), "kind", c.String("kind"), "depth", itoa(c.Int("depth")))
	if err := cl.Do(c.Context, http.MethodGet, path, nil, &g); err != nil {
		return err
	}
	return p.Print(g, func(t *output.Tab) { lineageTable(c, t, g) })
}

// lineageTable prints the graph as a tree from the root, each record once (a
// record met again is named with "(above)"), then the counts.
func lineageTable(c *cli.Context, t *output.Tab, g lineage.Graph) {
	nodes := map[string]lineage.Node{}
	for _, n := range g.Nodes {
		nodes[n.Ref().String()] = n
	}
	adj := map[string][]string{}
	for _, e := range g.Edges {
		adj[e.From] = append(adj[e.From], e.To)
		adj[e.To] = append(adj[e.To], e.From)
	}
	rel := map[[2]string]string{}
	for _, e := range g.Edges {
		rel[[2]string{e.From, e.To}] = e.Relation
		rel[[2]string{e.To, e.From}] = map[string]string{lineage.RelCarries: "carried by", lineage.RelRefersTo: "referred to by"}[e.Relation]
	}
	seen := map[string]bool{}
	var walk func(ref, parent, via string, depth int)
	walk = func(ref, parent, via string, depth int) {
		n := nodes[ref]
		label := strings.Repeat("  ", depth)
		if via != "" {
			label += via + " "
		}
		label += ref
		if seen[ref] {
			t.Row(label+" (above)", "", "", "")
			return
		}
		seen[ref] = true
		t.Row(label, n.Status, describeNode(n), humanTime(c, n.Time))
		for _, m := range adj[ref] {
			if m != parent {
				walk(m, ref, rel[[2]string{ref, m}], depth+1)
			}
		}
	}
	t.Row("RECORD", "STATUS", "DETAIL", zoneHeader(c, "TIME"))
	walk(g.Root, "", "", 0)
	t.Line("")
	line := fmt.Sprintf("%d records, %d links, within %d links of %s", len(g.Nodes), len(g.Edges), g.Depth, g.Root)
	if g.Hidden > 0 {
		line += fmt.Sprintf("; %d hidden (not yours to read)", g.Hidden)
	}
	if g.Truncated {
		line += "; more beyond (raise --depth)"
	}
	t.Line(line)
}

func describeNode(n lineage.Node) string {
	switch n.Kind {
	case lineage.KindCertificate:
		return n.Type + " issued by " + n.Issuer
	case lineage.KindExchange:
		return n.Provider + " -> " + n.Consumer + " under " + n.GrantID
	case lineage.KindTicket:
		return n.Type + " with " + strings.Join(n.Departments, ",")
	}
	return ""
}

// exchangePolicyCommand is "certledger exchange policy".
func exchangePolicyCommand() *cli.Command {
	return &cli.Command{
		Name:  "policy",
		Usage: "the channel's exchange policy: whether declared exchanges and clear-text purposes are still accepted",
		Subcommands: []*cli.Command{
			{Name: "show", Usage: "show the exchange policy", Action: exchangePolicyShow},
			{
				Name:  "set",
				Usage: "set the exchange policy (governance administrator); flags not given are turned off",
				Flags: []cli.Flag{
					&cli.BoolFlag{Name: "require-envelope", Usage: "refuse new exchanges without an envelope"},
					&cli.BoolFlag{Name: "require-sealed-text", Usage: "refuse new grants and revocations with the purpose or reason in clear"},
				},
				Action: exchangePolicySet,
			},
		},
	}
}

func exchangePolicyShow(c *cli.Context) error {
	p, cl, err := session(c)
	if err != nil {
		return err
	}
	var pol exchange.Policy
	if err := cl.Do(c.Context, http.MethodGet, exAPI+"/exchange/policy", nil, &pol); err != nil {
		return err
	}
	return p.Print(pol, func(t *output.Tab) { policyRows(t, pol) })
}

func exchangePolicySet(c *cli.Context) error {
	p, cl, err := session(c)
	if err != nil {
		return err
	}
	pol := exchange.Policy{RequireEnvelope: c.Bool("require-envelope"), RequireSealedText: c.Bool("require-sealed-text")}
	var res client.WriteResult[exchange.Policy]
	if err := cl.Do(c.Context, http.MethodPut, exAPI+"/exchange/policy", pol, &res); err != nil {
		return err
	}
	return p.Print(res, func(t *output.Tab) {
		t.Line(fmt.Sprintf("exchange policy set (tx %s, block %d)", res.TxID, res.BlockNumber))
		policyRows(t, res.Record)
	})
}

func policyRows(t *output.Tab, pol exchange.Policy) {
	onOff := map[bool]string{true: "required", false: "not required (declared forms accepted)"}
	t.KV("envelope", onOff[pol.RequireEnvelope])
	t.KV("sealed purposes and reasons", onOff[pol.RequireSealedText])
}
