package command

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/certledger/certledger/cli/internal/client"
	"github.com/certledger/certledger/cli/internal/output"
	"github.com/certledger/certledger/cli/internal/receipt"
	"github.com/certledger/certledger/cli/internal/verify"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/gm"
	"github.com/urfave/cli/v2"
)

func certVerifyCommand() *cli.Command {
	return &cli.Command{
		Name:      "verify",
		Usage:     "verify a document, hash, certificate id or receipt; prints the numbered steps and the verdict",
		ArgsUsage: "[FILE]",
		Description: "certledger cert verify FILE            hash the file here, find its certificate(s) on the ledger\n" +
			"certledger cert verify --hash H\n" +
			"certledger cert verify --id ID [FILE]\n" +
			"certledger cert verify --url 'https://.../verify?id=ID&hash=H'   the link of a QR code\n" +
			"certledger cert verify --receipt R [FILE]  check the receipt's signature offline, then its status online\n\n" +
			"Exit: 0 VALID, 1 not valid, 2 usage, 3 ledger unreachable (with --receipt: the offline checks are still printed).",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "hash", Usage: "document SM3 `HASH`"},
			&cli.StringFlag{Name: "id", Usage: "certificate `ID`"},
			&cli.StringFlag{Name: "url", Usage: "verify `URL` read from a QR code (carries id and hash)"},
			&cli.StringFlag{Name: "receipt", Usage: "receipt `FILE` written by cert issue"},
			&cli.BoolFlag{Name: "offline", Usage: "with --receipt: do not ask the ledger (status is not checked; exit 0 if the offline checks pass)"},
			tzFlag(),
		},
		Action: certVerify,
	}
}

// ledgerVerify asks the ledger; a 404 becomes a NOT_FOUND result.
func ledgerVerify(c *cli.Context, cl *client.Client, id, h string) (*client.VerifyResult, error) {
	res, err := cl.Verify(c.Context, id, h)
	if client.HasCode(err, codes.NotFound) || client.StatusOf(err) == 404 {
		what := "hash " + h
		if id != "" {
			what = "id " + id
		}
		return &client.VerifyResult{Verdict: wire.VerdictNotFound, Steps: []client.Step{
			{Step: 1, Name: "format", Status: wire.StepPass},
			{Step: 3, Name: "lookup", Status: wire.StepFail, Code: wire.VerdictNotFound, Detail: "no certificate with " + what},
		}}, nil
	}
	return res, err
}

func certVerify(c *cli.Context) error {
	p, err := PrinterOf(c)
	if err != nil {
		return err
	}
	loc, err := tzOf(c)
	if err != nil {
		return err
	}
	printReport := func(p output.Printer, rep *verify.Report) error { return printReportIn(p, rep, loc) }
	if c.String("receipt") == "" && c.Bool("offline") {
		return Usagef("--offline needs --receipt")
	}
	h, err := hashArg(c)
	if err != nil {
		return err
	}
	fromFile := c.NArg() == 1
	id := c.String("id")
	if u := c.String("url"); u != "" {
		if id != "" || h != "" || c.String("receipt") != "" {
			return Usagef("give --url alone")
		}
		if id, h, err = parseVerifyURL(u); err != nil {
			return err
		}
	}

	if rpath := c.String("receipt"); rpath != "" {
		if id != "" {
			return Usagef("give --receipt or --id, not both")
		}
		return verifyReceipt(c, p, loc, rpath, h)
	}

	if id == "" && h == "" {
		return Usagef("give a FILE, --hash, --id or --receipt")
	}
	// Step 1 here, before anything is sent: a malformed query (an identifier with a
	// wrong check character, say) is a BAD_FORMAT verdict, as the ledger would give.
	if rep := verify.Malformed(id, h, time.Now()); rep != nil {
		if err := printReport(p, rep); err != nil {
			return err
		}
		return Silent(ExitInvalid)
	}
	cl, err := NewClient(c)
	if err != nil {
		return err
	}
	res, err := ledgerVerify(c, cl, id, h)
	if err != nil {
		return err
	}
	var local []client.Step
	if fromFile {
		local = append(local, verify.LocalHash(h))
	}
	rep := verify.FromLedger(res, local...)
	if err := printReport(p, rep); err != nil {
		return err
	}
	if !rep.Valid() {
		return Silent(ExitInvalid)
	}
	return nil
}

// verifyReceipt checks the receipt at rpath offline and, unless --offline, merges
// the ledger's answer; h is the SM3 of the document given ("" if none).
func verifyReceipt(c *cli.Context, p output.Printer, loc *time.Location, rpath, h string) error {
	var rep *verify.Report
	r, err := receipt.Load(rpath)
	if err != nil {
		if errors.Is(err, receipt.ErrBadReceipt) {
			rep = &verify.Report{Verdict: wire.VerdictBadFormat, Steps: []client.Step{
				{Step: 1, Name: "format", Status: wire.StepFail, Code: wire.VerdictBadFormat, Detail: err.Error()},
			}}
			if perr := printReportIn(p, rep, loc); perr != nil {
				return perr
			}
			return Silent(ExitInvalid)
		}
		return inputErr(err)
	}
	offline := verify.Offline(r, h, time.Now())
	var res *client.VerifyResult
	if !c.Bool("offline") {
		cl, err := NewClient(c)
		if err != nil {
			return err
		}
		res, err = ledgerVerify(c, cl, r.Record.ID, "")
		if err != nil && !errors.Is(err, client.ErrUnreachable) {
			return err
		}
		if err != nil {
			fmt.Fprintf(stderrOf(c), "certledger: %v\n", err)
		}
	}
	rep = verify.WithReceipt(r, offline, res)
	if err := printReportIn(p, rep, loc); err != nil {
		return err
	}
	switch {
	case !rep.Valid():
		return Silent(ExitInvalid)
	case !rep.Online && !c.Bool("offline"):
		return Silent(ExitUnreachable)
	}
	return nil
}

// localTime renders an RFC 3339 time in loc as "YYYY-MM-DD HH:MM:SS" (as given when
// it does not parse).
func localTime(s string, loc *time.Location) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	return t.In(loc).Format("2006-01-02 15:04:05")
}

// parseVerifyURL takes id and hash from a QR link .../verify?id=ID&hash=H.
func parseVerifyURL(s string) (id, h string, err error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || !strings.HasSuffix(u.Path, "/verify") {
		return "", "", Usagef("--url %q is not a certledger verify link (.../verify?id=...&hash=...)", s)
	}
	id, h = u.Query().Get("id"), u.Query().Get("hash")
	if id == "" && h == "" {
		return "", "", Usagef("--url %q has neither id nor hash", s)
	}
	if h != "" {
		if err := gm.CheckHash(h); err != nil {
			return "", "", Usagef("--url: %v", err)
		}
	}
	return id, h, nil
}

// printReportIn prints a verification; times are shown in loc.
func printReportIn(p output.Printer, rep *verify.Report, loc *time.Location) error {
	return p.Print(rep, func(t *output.Tab) {
		if c := rep.Certificate; c != nil {
			if id := rep.Identifier; id != nil {
				t.KV("identifier", c.ID)
				t.KV("check character", id.Check+" verified (GB/T 36904, ISO/IEC 7064 MOD 37,36)")
			} else {
				t.KV("certificate", c.ID)
			}
			if c.Name != "" {
				t.KV("name", c.Name)
			}
			switch ty := rep.CertType; {
			case ty != nil:
				t.KV("type", ty.Name+" · "+ty.NameEn+" ("+ty.Code+")")
			default:
				t.KV("type", c.Type)
			}
			if c.IssuerName != "" {
				t.KV("issuing org", c.IssuerName+" ("+c.IssuerCode+"), department "+c.Issuer)
				t.KV("issue date", c.IssueDate)
				t.KV("holder code type", holderCodeTypeText(c.HolderCodeType))
			} else {
				t.KV("issuer", c.Issuer)
			}
			status := c.Status
			if !rep.Online {
				status = "not checked (offline)"
			}
			t.KV("status", status)
			until := "no end"
			if c.ValidUntil != "" {
				until = localTime(c.ValidUntil, loc)
			}
			t.KV("valid", localTime(c.ValidFrom, loc)+" .. "+until+" ("+loc.String()+")")
			for _, k := range c.Extensions.Keys() {
				t.KV(k, c.Extensions.Map()[k])
			}
		}
		if len(rep.Matches) > 1 {
			t.KV("matches", fmt.Sprint(rep.Matches))
		}
		t.Line("")
		t.Row("STEP", "CHECK", "RESULT", "CODE", "DETAIL")
		for _, s := range rep.Steps {
			t.Row(itoa(s.Step), s.Name, s.Status, s.Code, s.Detail)
		}
		t.Line("")
		verdict := "verdict: " + rep.Verdict
		if rep.Note != "" {
			verdict += " (" + rep.Note + ")"
		}
		t.Line(verdict)
	})
}
