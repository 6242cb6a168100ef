package command

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/certledger/certledger/cli/internal/client"
	"github.com/certledger/certledger/cli/internal/output"
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
				Usage:     "seal the payload here for the consumer's SM2 key (SM4-GCM envelope), deposit the envelope, sign and record the exchange",
				ArgsUsage: " ",
				Description: "certledger exchange send --grant G --file PAYLOAD.json --fields a,b --key KEY [--certificates c1,c2]\n" +
					"The payload is JSON whose members are the fields: an object, an array of objects or JSON Lines.\n" +
					"It is encrypted here with a fresh SM4 key wrapped for the consumer's registered SM2 key; the envelope\n" +
					"goes to the gateway's store (or --envelope-out FILE --no-upload for another channel). The ledger records\n" +
					"the envelope's SM3, the salted payload digest and the field names, never the payload.\n" +
					"Refused (exit 1, nothing recorded) when the grant is expired or revoked, or a field is outside it.",
				Flags: append([]cli.Flag{
					&cli.StringFlag{Name: "grant", Usage: "grant `ID`", Required: true},
					&cli.StringFlag{Name: "file", Usage: "payload `FILE` (JSON; - for standard input)", Required: true},
					&cli.StringFlag{Name: "fields", Usage: "comma-separated field `NAMES` the payload holds", Required: true},
					&cli.StringFlag{Name: "id", Usage: "exchange `ID` (default: <grant>-<random>)"},
					&cli.StringFlag{Name: "certificates", Usage: "comma-separated certificate `IDS` the payload transfers (lineage)"},
					&cli.StringFlag{Name: "envelope-out", Usage: "also write the envelope to `FILE`"},
					&cli.BoolFlag{Name: "no-upload", Usage: "do not deposit the envelope in the gateway's store (needs --envelope-out)"},
					&cli.StringFlag{Name: "recipient-key", Usage: "the consumer's key `ID` to seal for (default: its newest valid key)"},
				}, signing()...),
				Action: exchangeSend,
			},
			{
				Name:      "ack",
				Usage:     "open the exchange's envelope with your key, check it, and sign a receipt over the fields received",
				ArgsUsage: "EXCHANGE",
				Description: "certledger exchange ack X --key KEY [--out PAYLOAD] [--envelope FILE]\n" +
					"The envelope comes from the gateway's store (or --envelope FILE); its SM3 and the decrypted payload's\n" +
					"salted digest must be the recorded ones. The receipt names the fields actually received; fields outside\n" +
					"the grant are not acknowledged (exit 1): reject the exchange instead, which records them.",
				Flags: append([]cli.Flag{
					&cli.StringFlag{Name: "envelope", Usage: "the envelope `FILE` (default: fetch it from the gateway's store)"},
					&cli.StringFlag{Name: "out", Usage: "write the decrypted payload to `FILE`"},
					&cli.StringFlag{Name: "file", Usage: "declared exchanges (no envelope): received payload `FILE` whose SM3 must be the recorded one"},
					&cli.StringFlag{Name: "note", Usage: "optional `TEXT`; for an envelope only its SM3 goes on the ledger"},
				}, signing()...),
				Action: func(c *cli.Context) error { return exchangeAnswer(c, exchange.DecisionAck) },
			},
			{
				Name:      "reject",
				Usage:     "reject an exchange sent to your department, with a reason (its SM3 for an envelope); records the fields received",
				ArgsUsage: "EXCHANGE",
				Flags: append([]cli.Flag{
					&cli.StringFlag{Name: "reason", Usage: "`REASON`, e.g. fields not granted, payload does not match", Required: true},
					&cli.StringFlag{Name: "envelope", Usage: "the envelope `FILE` (default: fetch it from the gateway's store)"},
					&cli.StringFlag{Name: "out", Usage: "write the decrypted payload to `FILE`"},
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
					&cli.StringFlag{Name: "salt", Usage: "envelope exchanges: the payload's salt `HEX` (printed by send and ack) to hash --file with"},
					&cli.StringFlag{Name: "hash", Usage: "payload digest `HASH` (SM3, salted for an envelope)"},
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
			exchangePolicyCommand(),
			{Name: "history", Usage: "every version of an exchange (sent, answered), newest first", ArgsUsage: "EXCHANGE",
				Action: func(c *cli.Context) error { return recordHistory(c, "EXCHANGE id", "/exchanges/") }},
		},
	}
}

func exFetchExchange(c *cli.Context, cl *client.Client, id string) (*exchange.Exchange, error) {
	var e exchange.Exchange
	if err := cl.Do(c.Context, http.MethodGet, exAPI+"/exchanges/"+url.PathEscape(id), nil, &e); err != nil {
		return nil, err
	}
	return &e, nil
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
		if c.String("salt") != "" {
			h, err = saltedFileHash(c, file, c.String("salt"))
		} else {
			h, err = fileHash(c, file)
		}
		if err != nil {
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
					detail := "SM3 of " + file + " = " + h
					if c.String("salt") != "" {
						detail = "SM3(salt ‖ " + file + ") = " + h
					}
					steps[i] = exchange.Step{Step: s.Step, Name: s.Name, Status: wire.StepPass, Detail: detail}
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
		if file != "" && c.String("salt") == "" && rep.Verdict == wire.VerdictNotFound {
			t.Line("note: an exchange sent as an envelope records the salted digest SM3(salt ‖ payload): give --salt HEX (printed by exchange send and ack), or --id")
		}
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

func exchangeList(c *cli.Context) error {
	p, from, to, err := periodCommand(c, false)
	if err != nil {
		return err
	}
	path := query(exAPI+"/exchanges", "grantId", c.String("grant"), "provider", c.String("provider"),
		"consumer", c.String("consumer"), "status", c.String("status"), "from", from, "to", to)
	return printPages(c, p, path, exchangeRows)
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
	if e.Enveloped() {
		t.KV("envelope sm3", e.EnvelopeHash)
		t.KV("payload digest", e.PayloadHash+" (salted)")
	} else {
		t.KV("payload sm3", e.PayloadHash+" (declared, no envelope)")
	}
	if len(e.Certificates) > 0 {
		t.KV("certificates", strings.Join(e.Certificates, ","))
	}
	t.KV("sent at", e.SentAt+" (tx "+e.SentTxID+")")
	if a := e.Ack; a != nil {
		t.KV(a.Decision+" at", a.At+" (tx "+a.TxID+")")
		if a.Receipt() {
			t.KV("fields received", strings.Join(a.Fields, ","))
		}
		if a.Reason != "" {
			t.KV("reason", a.Reason)
		}
		if a.ReasonHash != "" {
			t.KV("reason sm3", a.ReasonHash)
		}
	}
}
