package command

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/certledger/certledger/cli/internal/client"
	"github.com/certledger/certledger/cli/internal/issue"
	"github.com/certledger/certledger/cli/internal/output"
	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/domain/exchange"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/gm"
	"github.com/urfave/cli/v2"
)

func exchangeCommand() *cli.Command {
	signing := func() []cli.Flag {
		return []cli.Flag{keyFlag("your department's private key `FILE` (PKCS#8 PEM)"), passwordFlag()}
	}
	return &cli.Command{
		Name:  "exchange",
		Usage: "record data sent to another department under a grant; acknowledge, reject, verify, list",
		Subcommands: []*cli.Command{
			{
				Name:      "send",
				Usage:     "hash the payload here (only its SM3 leaves this machine), sign and record the exchange",
				ArgsUsage: " ",
				Description: "certledger exchange send --grant G --file PAYLOAD --fields a,b --key KEY\n" +
					"Refused (exit 1, nothing recorded) when the grant is expired or revoked, or a field is outside it.",
				Flags: append([]cli.Flag{
					&cli.StringFlag{Name: "grant", Usage: "grant `ID`", Required: true},
					&cli.StringFlag{Name: "file", Usage: "payload `FILE` (- for standard input); hashed as a stream", Required: true},
					&cli.StringFlag{Name: "fields", Usage: "comma-separated field `NAMES` the payload holds", Required: true},
					&cli.StringFlag{Name: "id", Usage: "exchange `ID` (default: <grant>-<random>)"},
				}, signing()...),
				Action: exchangeSend,
			},
			{
				Name:      "ack",
				Usage:     "acknowledge receipt of an exchange sent to your department (with --file: check the payload first)",
				ArgsUsage: "EXCHANGE",
				Flags: append([]cli.Flag{
					&cli.StringFlag{Name: "file", Usage: "received payload `FILE`: refuse to acknowledge unless its SM3 is the recorded one"},
					&cli.StringFlag{Name: "note", Usage: "optional `TEXT` recorded with the acknowledgement"},
				}, signing()...),
				Action: func(c *cli.Context) error { return exchangeAnswer(c, exchange.DecisionAck) },
			},
			{
				Name:      "reject",
				Usage:     "reject an exchange sent to your department, with a reason",
				ArgsUsage: "EXCHANGE",
				Flags: append([]cli.Flag{
					&cli.StringFlag{Name: "reason", Usage: "`REASON`, e.g. payload does not match, fields missing", Required: true},
				}, signing()...),
				Action: func(c *cli.Context) error { return exchangeAnswer(c, exchange.DecisionReject) },
			},
			{
				Name:      "verify",
				Usage:     "verify an exchange by payload file, hash or id; prints the numbered steps and the verdict",
				ArgsUsage: "[FILE]",
				Description: "certledger exchange verify --file PAYLOAD   hash here, find the exchange(s) of that payload\n" +
					"certledger exchange verify --id X [--file PAYLOAD]\n" +
					"The gateway's report is re-checked here: the grant, exchange and acknowledgement signatures are\n" +
					"verified locally with the departments' registered keys; a different verdict is reported and exits 1.\n" +
					"Exit: 0 VALID (sent under a valid grant, in scope, both signatures good, acknowledged), 1 otherwise.",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "file", Usage: "payload `FILE`"},
					&cli.StringFlag{Name: "hash", Usage: "payload SM3 `HASH`"},
					&cli.StringFlag{Name: "id", Usage: "exchange `ID`"},
				},
				Action: exchangeVerify,
			},
			{
				Name:  "list",
				Usage: "list exchanges in sending order (non-auditors: name your department or a grant it is party to)",
				Flags: append([]cli.Flag{
					&cli.StringFlag{Name: "grant", Usage: "grant `ID`"},
					&cli.StringFlag{Name: "provider", Usage: "provider department `ID`"},
					&cli.StringFlag{Name: "consumer", Usage: "consumer department `ID`"},
					&cli.StringFlag{Name: "status", Usage: "`STATUS`: sent, acknowledged, rejected"},
					&cli.StringFlag{Name: "from", Usage: "sent at or after `DATE` (YYYY-MM-DD or RFC 3339)"},
					&cli.StringFlag{Name: "to", Usage: "sent before `DATE` (YYYY-MM-DD = up to the end of that day)"},
				}, pageFlags()...),
				Action: exchangeList,
			},
			{Name: "show", Usage: "show an exchange", ArgsUsage: "EXCHANGE", Action: exchangeShow},
		},
	}
}

func exchangeSend(c *cli.Context) error {
	p, err := PrinterOf(c)
	if err != nil {
		return err
	}
	fields, err := exParseFields(c.String("fields"))
	if err != nil {
		return err
	}
	k, err := loadPrivate(c, "key")
	if err != nil {
		return err
	}
	h, err := fileHash(c, c.String("file"))
	if err != nil {
		return err
	}
	cl, err := NewClient(c)
	if err != nil {
		return err
	}
	g, err := exFetchGrant(c, cl, c.String("grant"))
	if err != nil {
		return fmt.Errorf("reading grant %s: %w", c.String("grant"), err)
	}
	id := c.String("id")
	if id == "" {
		if id, err = issue.NewID(g.ID); err != nil {
			return err
		}
	}
	op, err := operatorOf(c, cl)
	if err != nil {
		return err
	}
	req := exchange.SendRequest{ID: id, GrantID: g.ID, Provider: g.Provider, Consumer: g.Consumer,
		Fields: fields, PayloadHash: h, KeyID: gm.KeyID(&k.PublicKey), Operator: op}
	if req.Signature, err = canon.Sign(k, canon.KindExchange, req); err != nil {
		return err
	}
	if err := req.Validate(); err != nil {
		return InvalidInput("exchange", err)
	}
	var res client.WriteResult[exchange.Exchange]
	if err := cl.Do(c.Context, http.MethodPost, exAPI+"/exchanges", req, &res); err != nil {
		return err
	}
	return p.Print(res, func(t *output.Tab) {
		t.Line(fmt.Sprintf("recorded exchange %s to %s under grant %s (tx %s, block %d)", id, req.Consumer, g.ID, res.TxID, res.BlockNumber))
		t.KV("fields", strings.Join(fields, ","))
		t.KV("payload sm3", h)
		t.KV("sent at", res.Record.SentAt)
		t.KV("next", "the consumer runs: certledger exchange ack "+id+" --file PAYLOAD --key KEY")
	})
}

func exFetchExchange(c *cli.Context, cl *client.Client, id string) (*exchange.Exchange, error) {
	var e exchange.Exchange
	if err := cl.Do(c.Context, http.MethodGet, exAPI+"/exchanges/"+url.PathEscape(id), nil, &e); err != nil {
		return nil, err
	}
	return &e, nil
}

func exchangeAnswer(c *cli.Context, decision string) error {
	id, err := oneArg(c, "EXCHANGE id")
	if err != nil {
		return err
	}
	p, err := PrinterOf(c)
	if err != nil {
		return err
	}
	k, err := loadPrivate(c, "key")
	if err != nil {
		return err
	}
	var payloadHash string
	if f := c.String("file"); f != "" {
		if payloadHash, err = fileHash(c, f); err != nil {
			return err
		}
	}
	cl, err := NewClient(c)
	if err != nil {
		return err
	}
	e, err := exFetchExchange(c, cl, id)
	if err != nil {
		return fmt.Errorf("reading exchange %s: %w", id, err)
	}
	if payloadHash != "" && payloadHash != e.PayloadHash {
		return Invalidf("the payload's SM3 %s is not the recorded %s: not acknowledged (use exchange reject %s --reason ...)", payloadHash, e.PayloadHash, id)
	}
	reason := c.String("reason")
	if decision == exchange.DecisionAck {
		reason = c.String("note")
	}
	op, err := operatorOf(c, cl)
	if err != nil {
		return err
	}
	a := exchange.Ack{ExchangeID: id, Consumer: e.Consumer, PayloadHash: e.PayloadHash, Decision: decision,
		Reason: reason, KeyID: gm.KeyID(&k.PublicKey), Operator: op}
	if a.Signature, err = canon.Sign(k, canon.KindExchangeAck, a); err != nil {
		return err
	}
	var res client.WriteResult[exchange.Exchange]
	if err := cl.Do(c.Context, http.MethodPost, exAPI+"/exchanges/"+url.PathEscape(id)+"/"+decision, a, &res); err != nil {
		return err
	}
	return p.Print(res, func(t *output.Tab) {
		t.Line(fmt.Sprintf("%s: exchange %s is now %s (tx %s, block %d)", decision, id, res.Record.Status, res.TxID, res.BlockNumber))
		t.KV("payload sm3", e.PayloadHash)
		if payloadHash != "" {
			t.KV("payload file", "matches the recorded SM3")
		}
		if reason != "" {
			t.KV("reason", reason)
		}
	})
}

// exchangeReport is what exchange verify prints: the gateway's report and the
// signatures checked here (LocalCheck).
type exchangeReport struct {
	exchange.VerifyResult
	File       string              `json:"file,omitempty"`
	LocalCheck *exchangeLocalCheck `json:"localCheck"`
}

func exchangeVerify(c *cli.Context) error {
	p, err := PrinterOf(c)
	if err != nil {
		return err
	}
	file, h, id := c.String("file"), strings.ToLower(strings.TrimSpace(c.String("hash"))), c.String("id")
	if c.NArg() == 1 && file == "" {
		file = c.Args().First()
	} else if c.NArg() > 0 {
		return Usagef("give the payload as FILE or --file, once")
	}
	if file != "" && h != "" {
		return Usagef("give a FILE or --hash, not both")
	}
	if file == "" && h == "" && id == "" {
		return Usagef("give --file, --hash or --id")
	}
	if h != "" {
		if err := gm.CheckHash(h); err != nil {
			return Usagef("--hash: %v", err)
		}
	}
	if file != "" {
		if h, err = fileHash(c, file); err != nil {
			return err
		}
	}
	cl, err := NewClient(c)
	if err != nil {
		return err
	}
	var rep exchangeReport
	rep.File = file
	if err := cl.Do(c.Context, http.MethodGet, query(exAPI+"/exchanges/verify", "id", id, "hash", h), nil, &rep.VerifyResult); err != nil {
		return err
	}
	// Do not take the gateway's word for the signatures: check them here.
	if rep.LocalCheck, err = verifyExchangeLocally(c, cl, exchange.Query{ID: id, PayloadHash: h}, rep.VerifyResult); err != nil {
		return err
	}
	if file != "" {
		for _, steps := range [][]exchange.Step{rep.Steps, rep.LocalCheck.Steps} {
			for i, s := range steps {
				if s.Step == exchange.StepHash {
					steps[i] = exchange.Step{Step: s.Step, Name: s.Name, Status: wire.StepPass, Detail: "SM3 of " + file + " = " + h}
				}
			}
		}
	}
	if err := p.Print(rep, func(t *output.Tab) {
		if e := rep.Exchange; e != nil {
			t.KV("exchange", e.ID)
			t.KV("grant", e.GrantID)
			t.KV("from -> to", e.Provider+" -> "+e.Consumer)
			t.KV("fields", strings.Join(e.Fields, ","))
			t.KV("sent at", e.SentAt)
			t.KV("status", e.Status)
		}
		if g := rep.Grant; g != nil {
			t.KV("grant scope", g.Item+": "+strings.Join(g.Fields, ",")+" ("+g.Purpose+"; "+g.LegalBasis+")")
			t.KV("grant valid", g.ValidFrom+" .. "+g.ValidUntil)
		}
		if len(rep.Matches) > 1 {
			t.KV("matches", strings.Join(rep.Matches, ","))
		}
		t.Line("")
		t.Row("STEP", "CHECK", "RESULT", "CODE", "DETAIL")
		for _, s := range rep.Steps {
			t.Row(itoa(s.Step), s.Name, s.Status, s.Code, s.Detail)
		}
		t.Line("")
		t.Line("verdict: " + rep.Verdict)
		printLocalCheck(t, rep.Steps, rep.Verdict, rep.LocalCheck)
	}); err != nil {
		return err
	}
	if l := rep.LocalCheck; !l.Agrees {
		return Invalidf("the gateway's verdict %s differs from the local signature check: %s", rep.Verdict, l.Verdict)
	}
	if rep.Verdict != wire.VerdictValid {
		return Silent(ExitInvalid)
	}
	return nil
}

// exPeriodFlags reads --from / --to (dates or RFC 3339; a --to date includes that day).
func exPeriodFlags(c *cli.Context) (from, to string, err error) {
	return periodFlags(c, false) // dates: inclusive days in the deployment's zone (period.go)
}

func exchangeList(c *cli.Context) error {
	p, err := PrinterOf(c)
	if err != nil {
		return err
	}
	from, to, err := exPeriodFlags(c)
	if err != nil {
		return err
	}
	cl, err := NewClient(c)
	if err != nil {
		return err
	}
	path := query(exAPI+"/exchanges", "grantId", c.String("grant"), "provider", c.String("provider"),
		"consumer", c.String("consumer"), "status", c.String("status"), "from", from, "to", to)
	list, next, err := listPages[exchange.Exchange](c.Context, c, cl, path)
	if err != nil {
		return err
	}
	if err := p.Print(list, func(t *output.Tab) { exchangeRows(t, list) }); err != nil {
		return err
	}
	moreHint(c, next)
	return nil
}

func exchangeRows(t *output.Tab, list []exchange.Exchange) {
	t.Row("EXCHANGE", "SENT AT", "STATUS", "PROVIDER", "CONSUMER", "GRANT", "FIELDS")
	for _, e := range list {
		t.Row(e.ID, e.SentAt, e.Status, e.Provider, e.Consumer, e.GrantID, strings.Join(e.Fields, ","))
	}
}

func exchangeShow(c *cli.Context) error {
	return showOne(c, "EXCHANGE id", exFetchExchange, exchangeTable)
}

func exchangeTable(t *output.Tab, e *exchange.Exchange) {
	t.KV("exchange", e.ID)
	t.KV("status", e.Status)
	t.KV("grant", e.GrantID+" ("+e.Item+")")
	t.KV("from -> to", e.Provider+" -> "+e.Consumer)
	t.KV("fields", strings.Join(e.Fields, ","))
	t.KV("payload sm3", e.PayloadHash)
	t.KV("sent at", e.SentAt+" (tx "+e.SentTxID+")")
	if a := e.Ack; a != nil {
		t.KV(a.Decision+" at", a.At+" (tx "+a.TxID+")")
		if a.Reason != "" {
			t.KV("reason", a.Reason)
		}
	}
}
