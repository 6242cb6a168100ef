package command

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/certledger/certledger/cli/internal/client"
	"github.com/certledger/certledger/cli/internal/issue"
	"github.com/certledger/certledger/cli/internal/output"
	"github.com/certledger/certledger/internal/domain/exchange"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/gm"
	"github.com/emmansun/gmsm/sm2"
	"github.com/urfave/cli/v2"
)

// exGrantView is a grant as the gateway returns it (with its effective status).
type exGrantView struct {
	exchange.Grant
	EffectiveStatus string `json:"effectiveStatus"`
}

func grantCommand() *cli.Command {
	return &cli.Command{
		Name:  "grant",
		Usage: "authorise another department for some fields of a data item (minimum necessary), revoke, inspect",
		Subcommands: []*cli.Command{
			{
				Name:      "create",
				Usage:     "sign a grant locally and record it",
				ArgsUsage: " ",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "consumer", Usage: "consumer department `ID`", Required: true},
					&cli.StringFlag{Name: "item", Usage: "catalogue item `ID` of your department", Required: true},
					&cli.StringFlag{Name: "fields", Usage: "comma-separated field `NAMES` granted (a subset of the item's)", Required: true},
					&cli.StringFlag{Name: "purpose", Usage: "`PURPOSE` of the use; only its SM3 goes on the ledger (keep the text with the grant's file)", Required: true},
					&cli.StringFlag{Name: "legal-basis", Usage: "`LAW` or regulation that allows it", Required: true},
					&cli.StringFlag{Name: "valid-until", Usage: "end of validity (`DATE` YYYY-MM-DD = end of that day UTC, or RFC 3339)", Required: true},
					&cli.StringFlag{Name: "valid-from", Usage: "start of validity (`DATE`; default: now)"},
					&cli.StringFlag{Name: "id", Usage: "grant `ID` (default: <dept>-g-<random>)"},
					keyFlag("your department's private key `FILE` (PKCS#8 PEM)"),
					passwordFlag(),
					&cli.StringFlag{Name: "dept", Usage: "your (provider) department `ID` (default: looked up from the key id)"},
				},
				Action: grantCreate,
			},
			{
				Name:      "revoke",
				Usage:     "revoke a grant: from now on it authorises nothing (what was sent stays provable)",
				ArgsUsage: "GRANT",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "reason", Usage: "`REASON`; only its SM3 goes on the ledger", Required: true},
					keyFlag("your department's private key `FILE`"),
					passwordFlag(),
				},
				Action: grantRevoke,
			},
			{Name: "show", Usage: "show a grant", ArgsUsage: "GRANT", Action: grantShow},
			{Name: "history", Usage: "every version of a grant (created, revoked, deletion attested), newest first", ArgsUsage: "GRANT",
				Action: func(c *cli.Context) error { return recordHistory(c, "GRANT id", "/grants/") }},
			grantDeletionCommand(),
			{
				Name:  "list",
				Usage: "list grants (non-auditors: give --provider or --consumer = your department)",
				Flags: append([]cli.Flag{
					&cli.StringFlag{Name: "provider", Usage: "provider department `ID`"},
					&cli.StringFlag{Name: "consumer", Usage: "consumer department `ID`"},
					&cli.StringFlag{Name: "item", Usage: "item `ID`"},
					&cli.StringFlag{Name: "status", Usage: "`STATUS`: active, revoked, expired, not-yet-valid"},
					&cli.StringFlag{Name: "deletion", Usage: "`STATE`: missing (ended without the consumer's deletion attestation) or attested"},
				}, pageFlags()...),
				Action: grantList,
			},
		},
	}
}

func grantCreate(c *cli.Context) error {
	p, fields, err := fieldsCommand(c)
	if err != nil {
		return err
	}
	until, err := issue.NormalizeTime(c.String("valid-until"), true)
	if err != nil {
		return Usagef("--valid-until: %v", err)
	}
	from := wire.FormatSecond(time.Now())
	if v := c.String("valid-from"); v != "" {
		if from, err = issue.NormalizeTime(v, false); err != nil {
			return Usagef("--valid-from: %v", err)
		}
	}
	cl, kh, err := signingClient(c, " (dept add-key first)")
	if err != nil {
		return err
	}
	dept := kh.Dept
	id := c.String("id")
	if id == "" {
		if id, err = issue.NewID(dept + "-g"); err != nil {
			return err
		}
	}
	purpose := c.String("purpose")
	if strings.TrimSpace(purpose) == "" {
		return Usagef("--purpose is empty")
	}
	op, err := operatorOf(c, cl)
	if err != nil {
		return err
	}
	req := exchange.GrantRequest{ID: id, Provider: dept, Consumer: c.String("consumer"), Item: c.String("item"),
		Fields: fields, PurposeHash: gm.SM3Hex([]byte(purpose)), LegalBasis: c.String("legal-basis"),
		ValidFrom: from, ValidUntil: until, KeyID: kh.KeyID, Operator: op}
	if req.Signature, err = signForm(kh.Key, req.SignedForm); err != nil {
		return err
	}
	if err := req.Validate(); err != nil {
		return InvalidInput("grant", err)
	}
	var res client.WriteResult[exchange.Grant]
	if err := cl.Do(c.Context, http.MethodPost, exAPI+"/grants", req, &res); err != nil {
		return err
	}
	return p.Print(res, func(t *output.Tab) {
		t.Line(fmt.Sprintf("granted %s to %s: %s fields %s (tx %s, block %d)", id, req.Consumer, req.Item, strings.Join(fields, ","), res.TxID, res.BlockNumber))
		t.KV("valid", req.ValidFrom+" .. "+req.ValidUntil)
		t.KV("purpose", purpose+" (kept here; the ledger has its SM3 "+req.PurposeHash+")")
		t.KV("legal basis", req.LegalBasis)
	})
}

func exFetchGrant(c *cli.Context, cl *client.Client, id string) (*exGrantView, error) {
	var g exGrantView
	if err := cl.Do(c.Context, http.MethodGet, exAPI+"/grants/"+url.PathEscape(id), nil, &g); err != nil {
		return nil, err
	}
	return &g, nil
}

// changeGrant is a signed write on grant GRANT by the department of --key: it
// reads the grant, lets check refuse it (nil: any grant), has sign build and sign
// the request from the grant, the key and the operator, posts it to
// /grants/{id}/<action>, and prints the answer with rows.
func changeGrant(c *cli.Context, action string, check func(*exGrantView) error,
	sign func(g *exGrantView, k *sm2.PrivateKey, op string) (any, error),
	rows func(t *output.Tab, g *exGrantView, res *client.WriteResult[exchange.Grant])) error {
	id, err := oneArg(c, "GRANT id")
	if err != nil {
		return err
	}
	p, k, cl, err := signerSession(c)
	if err != nil {
		return err
	}
	g, err := exFetchGrant(c, cl, id)
	if err != nil {
		return fmt.Errorf("reading grant %s: %w", id, err)
	}
	if check != nil {
		if err := check(g); err != nil {
			return err
		}
	}
	op, err := operatorOf(c, cl)
	if err != nil {
		return err
	}
	body, err := sign(g, k, op)
	if err != nil {
		return err
	}
	var res client.WriteResult[exchange.Grant]
	if err := cl.Do(c.Context, http.MethodPost, exAPI+"/grants/"+url.PathEscape(id)+"/"+action, body, &res); err != nil {
		return err
	}
	return p.Print(res, func(t *output.Tab) { rows(t, g, &res) })
}

func grantRevoke(c *cli.Context) error {
	reason := c.String("reason")
	var r exchange.RevocationRequest
	return changeGrant(c, "revoke", nil, func(g *exGrantView, k *sm2.PrivateKey, op string) (_ any, err error) {
		r = exchange.RevocationRequest{GrantID: g.ID, ReasonHash: gm.SM3Hex([]byte(reason)), KeyID: gm.KeyID(&k.PublicKey), PrevTxID: g.TxID, Operator: op}
		r.Signature, err = signForm(k, r.SignedForm)
		return r, err
	}, func(t *output.Tab, g *exGrantView, res *client.WriteResult[exchange.Grant]) {
		t.Line(fmt.Sprintf("revoked grant %s (tx %s, block %d)", g.ID, res.TxID, res.BlockNumber))
		t.KV("reason", reason+" (kept here; the ledger has its SM3 "+r.ReasonHash+")")
		t.KV("previous tx", r.PrevTxID)
	})
}

func grantShow(c *cli.Context) error {
	return showOne(c, "GRANT id", exFetchGrant, grantRows)
}

func grantRows(t *output.Tab, g *exGrantView) {
	t.KV("grant", g.ID)
	t.KV("status", g.EffectiveStatus)
	t.KV("provider", g.Provider)
	t.KV("consumer", g.Consumer)
	t.KV("item", g.Item)
	t.KV("fields", strings.Join(g.Fields, ","))
	if g.PurposeHash != "" {
		t.KV("purpose sm3", g.PurposeHash+" (the text is kept off the ledger)")
	} else {
		t.KV("purpose", g.Purpose)
	}
	t.KV("legal basis", g.LegalBasis)
	t.KV("valid", g.ValidFrom+" .. "+g.ValidUntil)
	t.KV("key id", g.KeyID)
	if r := g.Revocation; r != nil {
		why := r.Reason
		if r.ReasonHash != "" {
			why = "reason sm3 " + r.ReasonHash
		}
		t.KV("revoked", r.At+" ("+why+")")
	}
	if d := g.Deletion; d != nil {
		t.KV("deletion attested", d.At+" by "+d.Consumer+" (tx "+d.TxID+")")
	} else if g.EffectiveStatus == exchange.GrantRevoked || g.EffectiveStatus == exchange.GrantExpired {
		t.KV("deletion attested", "not yet (the consumer runs: certledger grant attest-deletion "+g.ID+" --key KEY)")
	}
	t.KV("created at", g.CreatedAt)
	t.KV("tx", g.TxID)
}

func grantList(c *cli.Context) error {
	p, err := PrinterOf(c)
	if err != nil {
		return err
	}
	path := query(exAPI+"/grants", "provider", c.String("provider"), "consumer", c.String("consumer"),
		"item", c.String("item"), "status", c.String("status"), "deletion", c.String("deletion"))
	return printPages(c, p, path, func(t *output.Tab, grants []exGrantView) {
		t.Row("GRANT", "STATUS", "PROVIDER", "CONSUMER", "ITEM", "FIELDS", "VALID UNTIL", "DELETION")
		for _, g := range grants {
			t.Row(g.ID, g.EffectiveStatus, g.Provider, g.Consumer, g.Item, strings.Join(g.Fields, ","), g.ValidUntil, deletionState(g))
		}
	})
}

// deletionState says whether the consumer attested deleting an ended grant's data.
func deletionState(g exGrantView) string {
	switch {
	case g.Deletion != nil:
		return "attested"
	case g.EffectiveStatus == exchange.GrantRevoked || g.EffectiveStatus == exchange.GrantExpired:
		return "missing"
	}
	return "-"
}
