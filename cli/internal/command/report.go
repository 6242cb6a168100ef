package command

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/certledger/certledger/cli/internal/output"
	"github.com/certledger/certledger/cli/internal/receipt"
	"github.com/certledger/certledger/internal/report"
	"github.com/certledger/certledger/internal/trust"
)

func reportCommand() *cli.Command {
	return &cli.Command{
		Name:  "report",
		Usage: "signed verification reports (cert verify --report; docs/api.md)",
		Subcommands: []*cli.Command{{
			Name:      "verify",
			Usage:     "check a signed verification report offline: its signature, and that the gateway key is in the trust bundle",
			ArgsUsage: "REPORT",
			Description: "certledger report verify report.json --bundle bundle.json --pin FINGERPRINT [--html out.html] [--tz ZONE]\n\n" +
				"Without --bundle only the signature is checked with the key the report names, which proves nothing\n" +
				"about who made it: the answer is UNANCHORED (exit 1). Exit 0: the signature verifies and the bundle\n" +
				"(signed by the pinned governance key) lists the key as the gateway's, valid when the report was made.",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "bundle", Usage: "trust bundle `FILE` (certledger trust export, GET /api/v1/trust)"},
				&cli.StringFlag{Name: "pin", Usage: "governance key `FINGERPRINT`", EnvVars: []string{"CERTLEDGER_TRUST_PIN"}},
				&cli.StringFlag{Name: "html", Usage: "also write the printable page to `FILE`"},
				&cli.StringFlag{Name: "tz", Usage: "time `ZONE` of the times shown", Value: report.DefaultZone},
			},
			Action: reportVerify,
		}},
	}
}

// reportCheck is what report verify answers.
type reportCheck struct {
	Answer    string `json:"answer"` // TRUSTED | UNANCHORED | UNTRUSTED | BAD_SIGNATURE | MALFORMED
	Detail    string `json:"detail"`
	Hash      string `json:"hash,omitempty"`
	Gateway   string `json:"gateway,omitempty"`
	KeyID     string `json:"keyId,omitempty"`
	Channel   string `json:"channel,omitempty"`
	Height    uint64 `json:"height,omitempty"`
	CreatedAt string `json:"createdAt,omitempty"`
	Query     string `json:"query,omitempty"`
	Verdict   string `json:"verdict,omitempty"`
	Bundle    uint64 `json:"bundleHeight,omitempty"`
}

func reportVerify(c *cli.Context) error {
	p, err := PrinterOf(c)
	if err != nil {
		return err
	}
	path, err := oneArg(c, "REPORT file")
	if err != nil {
		return err
	}
	zone, err := time.LoadLocation(c.String("tz"))
	if err != nil {
		return Usagef("--tz: %v", err)
	}
	var bundle *trust.Bundle
	if bf := c.String("bundle"); bf != "" {
		if bundle, err = loadBundle(bf, c.String("pin")); err != nil {
			return err
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return inputErr(err)
	}
	chk, s := checkReport(data, bundle, zone)
	if err := printReportCheck(p, chk); err != nil {
		return err
	}
	if out := c.String("html"); out != "" && s != nil {
		page, err := report.HTML(s, zone)
		if err != nil {
			return err
		}
		if err := receipt.WriteFileAtomic(out, page, 0o644); err != nil {
			return inputErr(err)
		}
	}
	if chk.Answer != "TRUSTED" {
		return Silent(ExitInvalid)
	}
	return nil
}

func loadBundle(file, pinArg string) (*trust.Bundle, error) {
	if pinArg == "" {
		return nil, Usagef("--bundle needs --pin (or CERTLEDGER_TRUST_PIN): the governance fingerprint the bundle must be signed with")
	}
	pin, err := trust.NormalizePin(pinArg)
	if err != nil {
		return nil, Usagef("--pin: %v", err)
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, inputErr(err)
	}
	s, err := trust.Verify(raw, pin)
	if err != nil {
		return nil, Invalid(fmt.Errorf("%s: %w", file, err))
	}
	return &s.Bundle, nil
}

// checkReport parses and checks a report file; s is nil when it does not parse.
func checkReport(data []byte, b *trust.Bundle, zone *time.Location) (reportCheck, *report.Signed) {
	s, err := report.Parse(data)
	if err != nil {
		return reportCheck{Answer: "MALFORMED", Detail: err.Error()}, nil
	}
	r := s.Report
	chk := reportCheck{Gateway: r.Gateway.ID, KeyID: r.Gateway.KeyID, Channel: r.Channel, Height: r.Height,
		Verdict: r.Verdict, Query: strings.TrimSpace("id " + r.Query.ID + " docHash " + r.Query.DocHash)}
	chk.Hash, _ = s.Hash()
	if t, err := time.Parse(time.RFC3339Nano, r.CreatedAt); err == nil {
		chk.CreatedAt = t.In(zone).Format("2006-01-02 15:04:05 MST")
	}
	if err := s.Verify(); err != nil {
		chk.Answer, chk.Detail = "BAD_SIGNATURE", err.Error()
		return chk, s
	}
	if b == nil {
		chk.Answer, chk.Detail = "UNANCHORED", "the signature verifies with the key the report names; without --bundle nothing says that key is a certledger gateway's"
		return chk, s
	}
	chk.Bundle = b.Height
	if _, err := s.Trusted(b); err != nil {
		chk.Answer = "UNTRUSTED"
		if !errors.Is(err, report.ErrUntrusted) {
			chk.Answer = "MALFORMED"
		}
		chk.Detail = err.Error()
		return chk, s
	}
	chk.Answer = "TRUSTED"
	chk.Detail = fmt.Sprintf("signed by gateway %s with a key the trust bundle (height %d) lists as valid at %s", r.Gateway.ID, b.Height, r.CreatedAt)
	return chk, s
}

func printReportCheck(p output.Printer, chk reportCheck) error {
	return p.Print(chk, func(t *output.Tab) {
		if chk.Hash != "" {
			t.KV("report SM3", chk.Hash)
			t.KV("gateway", chk.Gateway+" key "+chk.KeyID)
			t.KV("ledger", fmt.Sprintf("channel %s, height %d", chk.Channel, chk.Height))
			t.KV("time", chk.CreatedAt)
			t.KV("query", chk.Query)
			t.KV("verdict", chk.Verdict)
		}
		t.KV("answer", chk.Answer)
		t.KV("detail", chk.Detail)
	})
}

// writeVerifyReport asks the gateway for the signed report of (id, hash),
// checks its signature and writes it to path and path's .html page.
func writeVerifyReport(c *cli.Context, id, hash, path string) error {
	cl, err := NewClient(c)
	if err != nil {
		return err
	}
	raw, err := cl.VerifyReport(c.Context, id, hash)
	if err != nil {
		return fmt.Errorf("signed report: %w", err)
	}
	s, err := report.Parse(raw)
	if err == nil {
		err = s.Verify()
	}
	if err != nil {
		return Invalid(fmt.Errorf("the gateway's report: %w", err))
	}
	page, err := report.HTML(s, nil)
	if err != nil {
		return err
	}
	htmlPath := strings.TrimSuffix(path, ".json") + ".html"
	if err := receipt.WriteFileAtomic(path, raw, 0o644); err != nil {
		return inputErr(err)
	}
	if err := receipt.WriteFileAtomic(htmlPath, page, 0o644); err != nil {
		return inputErr(err)
	}
	h, _ := s.Hash()
	fmt.Fprintf(stderrOf(c), "signed report (verdict %s, gateway %s, height %d, SM3 %s) written to %s and %s\n",
		s.Report.Verdict, s.Report.Gateway.ID, s.Report.Height, h, path, htmlPath)
	return nil
}
