package command

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/certledger/certledger/cli/internal/client"
	"github.com/certledger/certledger/cli/internal/output"
	"github.com/certledger/certledger/cli/internal/receipt"
	"github.com/certledger/certledger/cli/internal/verify"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/gm"
	rcpt "github.com/certledger/certledger/internal/receipt"
	"github.com/certledger/certledger/internal/trust"
	"github.com/urfave/cli/v2"
)

func certVerifyCommand() *cli.Command {
	return &cli.Command{
		Name:      "verify",
		Usage:     "verify a document, hash, certificate id, verify link or receipt; prints the numbered steps and the verdict",
		ArgsUsage: "[FILE]",
		Description: "certledger cert verify FILE            hash the file here, find every certificate of it on the ledger\n" +
			"certledger cert verify --hash H\n" +
			"certledger cert verify --id ID [FILE]\n" +
			"certledger cert verify --url 'https://.../verify?id=ID&hash=H' [FILE]   the link of a QR code (and the document)\n" +
			"certledger cert verify --receipt R [FILE] [--holder-id ID|-]  the receipt offline, then against the ledger\n" +
			"certledger cert verify --receipt R --bundle B --pin FP [FILE] --offline   a v2 receipt with no network:\n" +
			"  endorsements under the bundle's CAs and policy, the endorsed write set, SM2, the key per the bundle\n" +
			"  --report OUT.json  also ask the gateway for a signed report (OUT.json and OUT.html)\n\n" +
			"A link whose host is neither --gateway's nor --verify-base's is refused unless --trust-link-host names it;\n" +
			"the query always goes to --gateway.\n" +
			"Exit: 0 VALID, 1 not valid (CONFLICTING, RECEIPT_MISMATCH, HOLDER_MISMATCH included), 2 usage,\n" +
			"3 ledger unreachable (with --receipt: the offline checks are still printed).",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "hash", Usage: "document SM3 `HASH`"},
			&cli.StringFlag{Name: "id", Usage: "certificate `ID`"},
			&cli.StringFlag{Name: "url", Usage: "verify `URL` read from a QR code (carries id and hash); a FILE given too must match its hash"},
			&cli.StringFlag{Name: "trust-link-host", Usage: "accept a --url on `HOST` although it is not the configured gateway's host"},
			&cli.StringFlag{Name: "receipt", Usage: "receipt `FILE` written by cert issue"},
			&cli.StringFlag{Name: "holder-id", Usage: "with --receipt: check that holder `ID` (- reads it from stdin) opens the holder commitment; checked here, sent nowhere"},
			&cli.BoolFlag{Name: "offline", Usage: "with --receipt: do not ask the ledger (status is not checked); a v2 receipt with --bundle and --pin can be VALID, a v1 one never"},
			&cli.StringFlag{Name: "bundle", Usage: "with --offline: the governance-signed trust bundle `FILE` (certledger trust export / GET /api/v1/trust)"},
			&cli.StringFlag{Name: "pin", Usage: "with --bundle: governance key `FINGERPRINT` the bundle must be signed by", EnvVars: []string{"CERTLEDGER_TRUST_PIN"}},
			&cli.StringFlag{Name: "report", Usage: "write the gateway's signed verification report to `FILE` (JSON) and FILE.html"},
			tzFlag(),
		},
		Action: certVerify,
	}
}

// verifyQuery is what cert verify was asked, after its flags are read.
type verifyQuery struct {
	id, hash string // what the ledger is asked
	fromFile bool   // hash is the SM3 of FILE, computed here
	fileHash string
	linkHash string // the hash a --url carried
	link     *verify.Link
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
	if err := checkVerifyFlags(c); err != nil {
		return err
	}
	loc, err := tzOf(c)
	if err != nil {
		return err
	}
	var rep *verify.Report
	var q verifyQuery
	if c.String("receipt") != "" {
		rep, q, err = verifyReceipt(c)
	} else {
		q, err = readVerifyQuery(c)
		if err == nil {
			rep, err = verifyOnLedger(c, q)
		}
	}
	if err != nil {
		return err
	}
	if rep.Link != nil && rep.Link.Trusted {
		fmt.Fprintf(stderrOf(c), "certledger: the link's host %s is not the configured gateway %s; accepted (--trust-link-host), verified against %s\n",
			rep.Link.Host, rep.Link.Gateway, rep.Link.Gateway)
	}
	if err := printReport(p, rep, loc); err != nil {
		return err
	}
	if out := c.String("report"); out != "" && rep.Online {
		if err := writeVerifyReport(c, q.id, q.hash, out); err != nil {
			return err
		}
	}
	switch {
	case !rep.Online && !c.Bool("offline") && untrustedOnly(rep):
		return Silent(ExitUnreachable) // the ledger would have vouched for the key
	case !rep.Valid():
		return Silent(ExitInvalid)
	case !rep.Online && !c.Bool("offline"):
		return Silent(ExitUnreachable)
	}
	return nil
}

// untrustedOnly: the only failure is the issuer key nobody vouched for.
func untrustedOnly(rep *verify.Report) bool {
	n := 0
	for _, s := range rep.Steps {
		if s.Status == wire.StepFail {
			n++
			if s.Code != verify.CodeUntrustedKey {
				return false
			}
		}
	}
	return n == 1
}

func checkVerifyFlags(c *cli.Context) error {
	receiptGiven := c.String("receipt") != ""
	switch {
	case !receiptGiven && c.Bool("offline"):
		return Usagef("--offline needs --receipt")
	case !receiptGiven && c.String("holder-id") != "":
		return Usagef("--holder-id needs --receipt (the holder salt is in the receipt)")
	case c.Bool("offline") && c.String("report") != "":
		return Usagef("--report needs the gateway: it cannot be combined with --offline")
	case c.String("url") != "" && (c.String("id") != "" || c.String("hash") != "" || receiptGiven):
		return Usagef("give --url alone, or --url and the document FILE")
	case c.String("trust-link-host") != "" && c.String("url") == "":
		return Usagef("--trust-link-host needs --url")
	case receiptGiven && c.String("id") != "":
		return Usagef("give --receipt or --id, not both")
	case c.String("bundle") != "" && !c.Bool("offline"):
		return Usagef("--bundle is for --offline (online, the ledger answers)")
	}
	return nil
}

// readVerifyQuery reads FILE / --hash / --id / --url into the ledger query.
func readVerifyQuery(c *cli.Context) (verifyQuery, error) {
	h, err := hashArg(c)
	if err != nil {
		return verifyQuery{}, err
	}
	q := verifyQuery{id: c.String("id"), hash: h, fromFile: c.NArg() == 1}
	if q.fromFile {
		q.fileHash = h
	}
	if u := c.String("url"); u != "" {
		if q.id, q.linkHash, err = parseVerifyURL(u); err != nil {
			return q, err
		}
		if q.link, err = checkLinkHost(c, u); err != nil {
			return q, err
		}
		q.hash = q.linkHash
		if q.hash == "" {
			q.hash = q.fileHash
		}
	}
	if q.id == "" && q.hash == "" {
		return q, Usagef("give a FILE, --hash, --id, --url or --receipt")
	}
	return q, nil
}

// verifyOnLedger asks the ledger and merges what was checked here: the file's
// SM3 (step 2), and whether it is the document the link names.
func verifyOnLedger(c *cli.Context, q verifyQuery) (*verify.Report, error) {
	// Step 1 here, before anything is sent: a malformed query (an identifier with
	// a wrong check character, say) is a BAD_FORMAT verdict, as the ledger's step 1.
	if rep := verify.Malformed(q.id, q.hash, time.Now()); rep != nil {
		return rep, nil
	}
	cl, err := NewClient(c)
	if err != nil {
		return nil, err
	}
	res, err := ledgerVerify(c, cl, q.id, q.hash)
	if err != nil {
		return nil, err
	}
	var local []client.Step
	switch {
	case q.fromFile && q.linkHash != "" && q.fileHash != q.linkHash:
		local = append(local, client.Step{Step: 2, Name: "hash", Status: wire.StepFail, Code: wire.VerdictHashMismatch,
			Detail: "the file's SM3 " + q.fileHash + " differs from the hash in the link " + q.linkHash + ": not the document the link refers to"})
	case q.fromFile:
		local = append(local, verify.LocalHash(q.fileHash))
	}
	rep := verify.FromLedger(res, local...)
	rep.Link = q.link
	return rep, nil
}

// verifyReceipt checks a receipt offline, then (unless --offline) against the
// ledger: the record, the issuer key, the anchor; then the holder proof.
func verifyReceipt(c *cli.Context) (*verify.Report, verifyQuery, error) {
	h, err := hashArg(c)
	if err != nil {
		return nil, verifyQuery{}, err
	}
	holderID, err := holderIDArg(c)
	if err != nil {
		return nil, verifyQuery{}, err
	}
	if c.Bool("offline") && c.String("bundle") != "" {
		return verifyReceiptV2(c, h, holderID)
	}
	if raw, err := os.ReadFile(c.String("receipt")); err == nil {
		if br, err := rcpt.Parse(raw); err == nil && br.Batch != nil {
			// A batched certificate's receipt: online, the ledger (or the gateway's
			// read model) answers about it by id; offline needs --bundle.
			q := verifyQuery{id: br.Batch.Record.ID, hash: br.Batch.Record.DocHash, fromFile: h != "", fileHash: h}
			if c.Bool("offline") {
				return &verify.Report{Verdict: wire.VerdictKeyInvalid, Note: "offline without a trust bundle: give --bundle and --pin",
					Steps: []client.Step{{Step: 1, Name: "format", Status: wire.StepFail, Code: verify.CodeUntrustedKey,
						Detail: "a batched receipt is checked offline only against a trust bundle (--bundle, --pin)"}}}, q, nil
			}
			if h != "" {
				q.hash = h
			}
			rep, err := verifyOnLedger(c, q)
			return rep, q, err
		}
	}
	r, err := receipt.Load(c.String("receipt"))
	if err != nil {
		if !errors.Is(err, receipt.ErrBadReceipt) {
			return nil, verifyQuery{}, inputErr(err)
		}
		return &verify.Report{Verdict: wire.VerdictBadFormat, Online: c.Bool("offline"), Steps: []client.Step{
			{Step: 1, Name: "format", Status: wire.StepFail, Code: wire.VerdictBadFormat, Detail: err.Error()},
		}}, verifyQuery{}, nil
	}
	q := verifyQuery{id: r.Record.ID}
	offline := verify.Offline(r, h, time.Now())
	var res *client.VerifyResult
	var anchor *client.Anchor
	if !c.Bool("offline") {
		res, anchor, err = askLedgerAbout(c, r.Record.ID)
		if err != nil {
			return nil, q, err
		}
	}
	rep := verify.WithReceipt(r, offline, res, anchor)
	if holderID != "" {
		verify.WithHolder(rep, verify.Holder(r, holderID))
	}
	return rep, q, nil
}

// verifyReceiptV2 checks a v2 receipt against a trust bundle with no network.
func verifyReceiptV2(c *cli.Context, fileHash, holderID string) (*verify.Report, verifyQuery, error) {
	raw, err := os.ReadFile(c.String("receipt"))
	if err != nil {
		return nil, verifyQuery{}, inputErr(err)
	}
	bundle, err := os.ReadFile(c.String("bundle"))
	if err != nil {
		return nil, verifyQuery{}, inputErr(err)
	}
	pin, err := trust.NormalizePin(c.String("pin"))
	if err != nil {
		return nil, verifyQuery{}, Usagef("--pin (or CERTLEDGER_TRUST_PIN): %v", err)
	}
	rep := verify.OfflineV2(raw, bundle, pin, fileHash, time.Now())
	q := verifyQuery{}
	if rep.Certificate != nil {
		q.id = rep.Certificate.ID
	}
	if holderID != "" {
		r, err := receipt.Parse(raw)
		if err != nil {
			verify.WithHolder(rep, client.Step{Step: verify.StepHolder, Name: "holder", Status: wire.StepFail, Code: wire.VerdictHolderMismatch, Detail: err.Error()})
		} else {
			verify.WithHolder(rep, verify.Holder(r, holderID))
		}
	}
	return rep, q, nil
}

// askLedgerAbout returns the ledger's verification of id and its anchor; an
// unreachable ledger is reported on stderr and gives nil, nil (offline verdict).
func askLedgerAbout(c *cli.Context, id string) (*client.VerifyResult, *client.Anchor, error) {
	cl, err := NewClient(c)
	if err != nil {
		return nil, nil, err
	}
	res, err := ledgerVerify(c, cl, id, "")
	if errors.Is(err, client.ErrUnreachable) {
		fmt.Fprintf(stderrOf(c), "certledger: %v\n", err)
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	if res.Certificate == nil {
		return res, nil, nil
	}
	a, err := cl.Anchor(c.Context, id)
	if err != nil {
		// An older gateway has no anchor endpoint: the comparison says what it could not check.
		fmt.Fprintf(stderrOf(c), "certledger: the certificate's anchor could not be read (%v); ledger coordinates not compared\n", err)
		return res, nil, nil
	}
	return res, a, nil
}

// holderIDArg reads --holder-id; "-" reads the first line of stdin (so the id
// stays out of the shell history and the process list).
func holderIDArg(c *cli.Context) (string, error) {
	v := c.String("holder-id")
	if v != "-" {
		return strings.TrimSpace(v), nil
	}
	line, err := bufio.NewReader(c.App.Reader).ReadString('\n')
	if err != nil && line == "" {
		return "", Usagef("--holder-id -: no holder id on standard input")
	}
	if line = strings.TrimSpace(line); line == "" {
		return "", Usagef("--holder-id -: empty holder id")
	}
	return line, nil
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
	if id != "" && !wire.ValidID(id) {
		return "", "", Usagef("--url: the certificate id %q is not a certledger id (1-128 of letters, digits, '.', '_', ':', '-')", id)
	}
	if h != "" {
		if err := gm.CheckHash(h); err != nil {
			return "", "", Usagef("--url: %v", err)
		}
	}
	return id, h, nil
}

// checkLinkHost refuses a link whose host is neither the gateway's nor the
// verify base's, unless --trust-link-host names that host.
func checkLinkHost(c *cli.Context, link string) (*verify.Link, error) {
	u, err := url.Parse(strings.TrimSpace(link))
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, Usagef("--url %q is not an http(s) verify link", link)
	}
	gw := GlobalString(c, FlagGateway)
	l := &verify.Link{URL: link, Host: hostOf(u), Gateway: gw}
	known := map[string]bool{}
	for _, base := range []string{gw, verifyBase(c)} {
		if b, err := url.Parse(base); err == nil && b.Host != "" {
			known[hostOf(b)] = true
		}
	}
	if known[l.Host] {
		return l, nil
	}
	if t := c.String("trust-link-host"); t != "" {
		if hostOf(&url.URL{Scheme: u.Scheme, Host: t}) == l.Host {
			l.Trusted = true
			return l, nil
		}
		return nil, Usagef("--trust-link-host %s does not name the link's host %s", t, l.Host)
	}
	return nil, Invalid(fmt.Errorf("the link's host %s is not the configured gateway %s: a QR code may point anywhere. "+
		"The query would go to %s; if you trust %s, pass --trust-link-host %s (or --gateway https://%s to ask it)",
		l.Host, gw, gw, l.Host, u.Host, u.Host))
}

// hostOf is u's host in lower case with the scheme's default port made explicit.
func hostOf(u *url.URL) string {
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if port == "" {
		port = map[string]string{"https": "443", "http": "80"}[u.Scheme]
	}
	return net.JoinHostPort(host, port)
}

// printReport prints a verification; times are shown in loc. A v2 certificate
// shows its identifier and verified check character, name, type, issuing
// organisation and code, issue date, holder code type and sector fields.
func printReport(p output.Printer, rep *verify.Report, loc *time.Location) error {
	return p.Print(rep, func(t *output.Tab) {
		if l := rep.Link; l != nil {
			t.KV("link", l.URL)
		}
		if c := rep.Certificate; c != nil {
			printCertificate(t, rep, c, loc)
		}
		if len(rep.Results) > 1 {
			t.Line("")
			t.Line("every certificate anchoring this document:")
			t.Row("CERTIFICATE", "ISSUER", "STATUS", "VERDICT")
			for _, m := range rep.Results {
				if m.Certificate != nil {
					t.Row(m.Certificate.ID, m.IssuerName+" ("+m.Certificate.Issuer+")", m.Certificate.Status, m.Verdict)
				}
			}
		}
		t.Line("")
		t.Row("STEP", "CHECK", "RESULT", "CODE", "DETAIL")
		for _, s := range rep.Steps {
			t.Row(itoa(s.Step), s.Name, s.Status, s.Code, s.Detail)
		}
		t.Line("")
		if rep.Message != "" {
			t.Line(rep.Message)
		}
		if len(rep.Unknown) > 0 {
			t.Line("not known offline:")
			for _, u := range rep.Unknown {
				t.Line("  - " + u)
			}
			t.Line("")
		}
		verdict := "verdict: " + rep.Verdict
		if rep.Note != "" {
			verdict += " (" + rep.Note + ")"
		}
		t.Line(verdict)
	})
}

// printCertificate prints the certificate's fields of a report.
func printCertificate(t *output.Tab, rep *verify.Report, c *client.Certificate, loc *time.Location) {
	if id := rep.Identifier; id != nil {
		t.KV("identifier", c.ID)
		t.KV("check character", id.Check+" verified (GB/T 36904, ISO/IEC 7064 MOD 37,36)")
	} else {
		t.KV("certificate", c.ID)
	}
	if c.Name != "" {
		t.KV("name", c.Name)
	}
	if ty := rep.CertType; ty != nil {
		t.KV("type", ty.Name+" · "+ty.NameEn+" ("+ty.Code+")")
	} else {
		t.KV("type", c.Type)
	}
	if c.IssuerName != "" {
		t.KV("issuing org", c.IssuerName+" ("+c.IssuerCode+"), department "+c.Issuer)
		t.KV("issue date", c.IssueDate)
		t.KV("holder code type", holderCodeTypeText(c.HolderCodeType))
	} else {
		issuer := c.Issuer
		if rep.IssuerName != "" {
			issuer = rep.IssuerName + " (" + c.Issuer + ")"
		}
		t.KV("issuer", issuer)
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

// localTime renders an RFC 3339 time in loc as "YYYY-MM-DD HH:MM:SS" (as given when
// it does not parse).
func localTime(s string, loc *time.Location) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	return t.In(loc).Format("2006-01-02 15:04:05")
}
