package command

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/certledger/certledger/cli/internal/client"
	"github.com/certledger/certledger/cli/internal/issue"
	"github.com/certledger/certledger/cli/internal/output"
	"github.com/certledger/certledger/cli/internal/receipt"
	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/gm"
	"github.com/certledger/certledger/internal/trust"
	"github.com/urfave/cli/v2"
)

func certCommand() *cli.Command {
	return &cli.Command{
		Name:  "cert",
		Usage: "issue, verify, revoke and inspect e-certificates",
		Subcommands: []*cli.Command{
			certIssueCommand(),
			certVerifyCommand(),
			certStatusCommand("revoke", "revoke a certificate (final)"),
			certStatusCommand("suspend", "suspend a certificate (reinstate undoes it)"),
			certStatusCommand("reinstate", "reinstate a suspended certificate"),
			certSupersedeCommand(),
			{Name: "show", Usage: "show a certificate", ArgsUsage: "ID", Action: certShow},
			{Name: "history", Usage: "show every version of a certificate, newest first", ArgsUsage: "ID", Action: certHistory},
			{
				Name: "find", Usage: "list the certificates of a document (by file or hash)", ArgsUsage: "[FILE]",
				Flags:  []cli.Flag{&cli.StringFlag{Name: "hash", Usage: "document SM3 `HASH`"}},
				Action: certFind,
			},
		},
	}
}

// ---- issuing ----

func holderFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "holder-id", Usage: "holder's identifier (ID number, credit code); only its salted commitment leaves this machine"},
		&cli.StringFlag{Name: "holder-id-file", Usage: "read the holder identifier from the first line of `FILE` (keeps it out of shell history)"},
	}
}

func signingFlags() []cli.Flag {
	return []cli.Flag{
		keyFlag("department private key `FILE` (PKCS#8 PEM)"),
		passwordFlag(),
		&cli.StringFlag{Name: "dept", Usage: "issuing department `ID` (default: looked up from the key id on the ledger)"},
	}
}

func certIssueCommand() *cli.Command {
	flags := []cli.Flag{
		&cli.StringFlag{Name: "file", Usage: "document `FILE` to certify (single issue)"},
		&cli.StringFlag{Name: "type", Usage: "catalogue type `CODE` (21 characters: a v2 certificate with a GB/T 36904 identifier), or a free-form v1 type"},
		&cli.StringFlag{Name: "valid-until", Usage: "end of validity (`DATE` YYYY-MM-DD = end of that day UTC, or RFC 3339; v2 default: the type's default validity)"},
		&cli.StringFlag{Name: "valid-from", Usage: "start of validity (`DATE`; default: now)"},
		&cli.StringFlag{Name: "id", Usage: "certificate `ID` (default: <dept>-<random>)"},
		&cli.StringFlag{Name: "out-dir", Usage: "`DIR` for receipts and QR codes", Value: "."},
		&cli.StringFlag{Name: "dir", Usage: "bulk: `DIR` holding the documents named in the manifest"},
		&cli.StringFlag{Name: "manifest", Usage: "bulk: CSV `FILE` with columns file,type,holder_id,valid_until[,valid_from][,id]"},
		&cli.IntFlag{Name: "concurrency", Usage: "bulk: parallel submissions", Value: 8},
		&cli.IntFlag{Name: "group", Usage: "bulk: records per grouped transaction (1 = one transaction each)", Value: issue.DefaultGroup},
		&cli.BoolFlag{Name: "batch", Usage: "bulk: one Merkle batch (one transaction) for the whole manifest instead of grouped issues; see docs/batches.md"},
		&cli.StringFlag{Name: "batch-id", Usage: "batch: `ID` of the batch (default: <dept>-batch-<time>)"},
	}
	flags = append(flags, holderFlags()...)
	flags = append(flags, signingFlags()...)
	flags = append(flags, v2IssueFlags()...)
	return &cli.Command{
		Name:      "issue",
		Usage:     "hash a document, sign its certificate record locally, submit it, write receipt and QR code",
		ArgsUsage: " ",
		Description: "v2:      certledger cert issue --file DOC --type TYPECODE --serial N --holder-name NAME --holder-id CODE --key KEY\n" +
			"         (the identifier 1.2.156.3005.2.<type>.<department code>.<serial>.<version>.<check> is built here)\n" +
			"v1:      certledger cert issue --file DOC --type T --holder-id ID --valid-until DATE --key KEY\n" +
			"Bulk:    certledger cert issue --dir DIR --manifest FILE.csv --key KEY [--concurrency 8] [--group 500]\n" +
			"Batch:   certledger cert issue --manifest FILE.csv [--dir DIR] --batch --key KEY (v1 rows or v2 rows, not both: a v2 batch; manifest may give doc_hash instead of file)\n\n" +
			"Writes <out-dir>/<id>.receipt.json (mode 0600: it holds the holder's private salt) and <out-dir>/<id>.qr.png\n" +
			"(the verify URL only). Bulk keeps " + issue.StateFile + " in the out dir; rerunning skips issued rows.",
		Flags:  flags,
		Action: certIssue,
	}
}

func holderID(c *cli.Context) (string, error) {
	id, file := c.String("holder-id"), c.String("holder-id-file")
	if id != "" && file != "" {
		return "", Usagef("give --holder-id or --holder-id-file, not both")
	}
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", inputErr(err)
		}
		id = strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0])
	}
	if id == "" {
		return "", Usagef("give --holder-id or --holder-id-file")
	}
	return id, nil
}

// newIssuer loads the key, finds the department and prepares the out dir.
func newIssuer(c *cli.Context, cl *client.Client) (*issue.Issuer, error) {
	k, err := loadPrivate(c, "key")
	if err != nil {
		return nil, err
	}
	dept := c.String("dept")
	keyID := gm.KeyID(&k.PublicKey)
	if dept == "" {
		ki, err := cl.GetKey(c.Context, keyID)
		if err != nil {
			if client.HasCode(err, codes.NotFound) {
				return nil, Invalidf("key %s (%s) is not registered on the ledger (dept add-key first)", c.String("key"), keyID)
			}
			return nil, fmt.Errorf("looking up the department of key %s: %w", keyID, err)
		}
		dept = ki.DepartmentID
	}
	s, err := issue.NewSigner(k, dept)
	if err != nil {
		return nil, inputErr(err)
	}
	out := c.String("out-dir")
	if out == "" {
		out = "."
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, inputErr(err)
	}
	pin := ""
	if v := os.Getenv("CERTLEDGER_TRUST_PIN"); v != "" {
		if pin, err = trust.NormalizePin(v); err != nil {
			return nil, Usagef("CERTLEDGER_TRUST_PIN: %v", err)
		}
	}
	return &issue.Issuer{Client: cl, Signer: s, VerifyBase: verifyBase(c), OutDir: out, TrustPin: pin}, nil
}

func certIssue(c *cli.Context) error {
	if c.NArg() > 0 {
		return Usagef("cert issue takes no arguments (use --file or --manifest)")
	}
	if c.Bool("batch") {
		return certIssueBatch(c)
	}
	if c.String("manifest") != "" || c.String("dir") != "" {
		return certIssueBulk(c)
	}
	if isTypeCode(c.String("type")) {
		return certIssueV2(c)
	}
	p, err := PrinterOf(c)
	if err != nil {
		return err
	}
	for _, f := range []string{"file", "type", "valid-until"} {
		if c.String(f) == "" {
			return Usagef("cert issue needs --%s (or --dir and --manifest for bulk)", f)
		}
	}
	hid, err := holderID(c)
	if err != nil {
		return err
	}
	req := issue.Request{
		File: c.String("file"), Type: c.String("type"), HolderID: hid,
		ValidFrom: c.String("valid-from"), ValidUntil: c.String("valid-until"), ID: c.String("id"),
	}
	if err := precheck(req); err != nil {
		return err
	}
	_, is, err := issuerSession(c)
	if err != nil {
		return err
	}
	return issueAndPrint(c, p, is, req, "issued")
}

// issuerSession returns a client and the issuer of --key (and --dept) using it.
func issuerSession(c *cli.Context) (*client.Client, *issue.Issuer, error) {
	cl, err := NewClient(c)
	if err != nil {
		return nil, nil, err
	}
	is, err := newIssuer(c, cl)
	if err != nil {
		return nil, nil, err
	}
	return cl, is, nil
}

// issueAndPrint issues one certificate and prints it as "<what> ...". An id already
// on the ledger with the same document is done only if this machine holds its
// receipt for the same holder.
func issueAndPrint(c *cli.Context, p output.Printer, is *issue.Issuer, req issue.Request, what string) error {
	res, err := is.Issue(c.Context, req)
	if err != nil {
		return issueErr(err)
	}
	if res.AlreadyOnLedger {
		return alreadyIssued(p, is, res, req.HolderID)
	}
	return printIssued(p, what, res)
}

// alreadyIssued handles a single issue whose id is already on the ledger with the
// same document: done if this machine holds its receipt for the same holder, else
// refused (the ledger's record may be for someone else).
func alreadyIssued(p output.Printer, is *issue.Issuer, res *issue.Result, holderID string) error {
	rpath, qpath, _ := is.Paths(res.Record.ID)
	if rc, err := receipt.Load(rpath); err == nil && rc.Record == res.Record && rc.CheckHolder(holderID) {
		res.Receipt, res.QR, res.TxID, res.BlockNumber = rpath, qpath, rc.Ledger.TxID, rc.Ledger.BlockNumber
		return printIssued(p, "already issued", res)
	}
	return Invalidf("certificate %s is already on the ledger for this document (tx %s), and %s does not hold its receipt for this holder", res.Record.ID, res.TxID, rpath)
}

// precheck catches input errors before any key or network work.
func precheck(req issue.Request) error {
	if st, err := os.Stat(req.File); err != nil {
		return inputErr(err)
	} else if st.IsDir() {
		return Usagef("%s is a directory", req.File)
	}
	if req.ID != "" {
		if err := issue.CheckID(req.ID); err != nil {
			return Usagef("%v", err)
		}
	}
	if _, err := issue.NormalizeTime(req.ValidUntil, true); err != nil {
		return Usagef("--valid-until: %v", err)
	}
	if req.ValidFrom != "" {
		if _, err := issue.NormalizeTime(req.ValidFrom, false); err != nil {
			return Usagef("--valid-from: %v", err)
		}
	}
	return nil
}

func issueErr(err error) error {
	switch {
	case errors.Is(err, issue.ErrInput):
		return &exitError{code: ExitUsage, err: err}
	case errors.Is(err, issue.ErrConflict):
		return Invalid(err)
	}
	return err
}

func printIssued(p output.Printer, what string, res *issue.Result) error {
	return p.Print(res, func(t *output.Tab) {
		t.Line(fmt.Sprintf("%s certificate %s", what, res.Record.ID))
		if r := res.Record; r.Name != "" {
			t.KV("name", r.Name+" (type "+r.Type+")")
			t.KV("issuing org", r.IssuerName+" ("+r.IssuerCode+")")
			t.KV("issue date", r.IssueDate)
			t.KV("holder code", holderCodeTypeText(r.HolderCodeType)+": committed, not sent")
		}
		t.KV("document sm3", res.Record.DocHash)
		t.KV("issuer", res.Record.Issuer+" (key "+res.Record.KeyID+")")
		t.KV("valid", res.Record.ValidFrom+" .. "+res.Record.ValidUntil)
		if res.Record.Supersedes != "" {
			t.KV("supersedes", res.Record.Supersedes)
		}
		t.KV("tx", fmt.Sprintf("%s (block %d)", res.TxID, res.BlockNumber))
		t.KV("receipt", res.Receipt+" (holds the holder's private salt: give it to the holder only)")
		if res.ReceiptVersion != "" {
			t.KV("receipt format", res.ReceiptVersion)
		}
		if res.ReceiptNote != "" {
			t.KV("receipt note", res.ReceiptNote)
		}
		t.KV("qr code", res.QR)
		t.KV("verify", res.VerifyURL)
	})
}

// ---- supersede ----

func certSupersedeCommand() *cli.Command {
	flags := []cli.Flag{
		&cli.StringFlag{Name: "file", Usage: "new document `FILE`", Required: true},
		&cli.StringFlag{Name: "type", Usage: "certificate `TYPE` (default: the old one's)"},
		&cli.StringFlag{Name: "valid-until", Usage: "end of validity (`DATE`)", Required: true},
		&cli.StringFlag{Name: "valid-from", Usage: "start of validity (`DATE`; default: now)"},
		&cli.StringFlag{Name: "id", Usage: "new certificate `ID` (default: <dept>-<random>)"},
		&cli.StringFlag{Name: "out-dir", Usage: "`DIR` for the receipt and QR code", Value: "."},
	}
	flags = append(flags, holderFlags()...)
	flags = append(flags, signingFlags()...)
	flags = append(flags, v2IssueFlags()...)
	return &cli.Command{
		Name:      "supersede",
		Usage:     "issue a new certificate that replaces OLD_ID (both point at each other); a v2 one keeps its type and serial and takes the next version",
		ArgsUsage: "OLD_ID",
		Flags:     flags,
		Action:    certSupersede,
	}
}

func certSupersede(c *cli.Context) error {
	old, p, err := argCommand(c, "OLD_ID")
	if err != nil {
		return err
	}
	hid, err := holderID(c)
	if err != nil {
		return err
	}
	req := issue.Request{
		File: c.String("file"), Type: c.String("type"), HolderID: hid, ValidFrom: c.String("valid-from"),
		ValidUntil: c.String("valid-until"), ID: c.String("id"), Supersedes: old,
	}
	if err := precheck(req); err != nil {
		return err
	}
	cl, err := NewClient(c)
	if err != nil {
		return err
	}
	cur, err := cl.GetCertificate(c.Context, old)
	if err != nil {
		return fmt.Errorf("reading certificate %s: %w", old, err)
	}
	if cur.RecordVersion == certificate.RecordV2 || isTypeCode(req.Type) {
		return certSupersedeV2(c, p, cl, cur, req)
	}
	if req.Type == "" {
		req.Type = cur.Type
	}
	is, err := newIssuer(c, cl)
	if err != nil {
		return err
	}
	return issueAndPrint(c, p, is, req, "superseded "+old+" with")
}

// ---- revoke / suspend / reinstate ----

func certStatusCommand(action, usage string) *cli.Command {
	return &cli.Command{
		Name:      action,
		Usage:     usage,
		ArgsUsage: "ID",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "reason", Usage: "reason `CODE`, e.g. fraud, error, court-order, review-closed", Required: true},
			&cli.StringFlag{Name: "batch-file", Usage: "the certificate is in this Merkle batch `FILE` (first status change: its leaf and proof go along)"},
			keyFlag("issuing department's private key `FILE`"),
			passwordFlag(),
		},
		Action: func(c *cli.Context) error { return certStatus(c, action) },
	}
}

func certStatus(c *cli.Context, action string) error {
	id, err := oneArg(c, "certificate ID")
	if err != nil {
		return err
	}
	p, k, cl, err := signerSession(c)
	if err != nil {
		return err
	}
	req := client.StatusRequest{CertificateID: id, Action: action, Reason: c.String("reason"), KeyID: gm.KeyID(&k.PublicKey)}
	var leaf *client.BatchedLeaf
	cur, err := cl.GetCertificate(c.Context, id)
	switch {
	case err == nil:
		req.PrevTxID = cur.TxID
	case client.HasCode(err, codes.NotFound) && c.String("batch-file") != "":
		// Not on the ledger by itself yet: a batched certificate, changed for the
		// first time from the batch's anchoring transaction, with its leaf.
		if leaf, req.PrevTxID, err = batchedLeaf(c.String("batch-file"), id); err != nil {
			return err
		}
	default:
		return fmt.Errorf("reading certificate %s: %w", id, err)
	}
	if req.Operator, err = operatorOf(c, cl); err != nil {
		return err
	}
	if req.Signature, err = canon.Sign(k, canon.KindCertificateStatus, req); err != nil {
		return err
	}
	var res *client.WriteResult[client.Certificate]
	if leaf != nil {
		res, err = cl.ChangeBatchedStatus(c.Context, req, *leaf)
	} else {
		res, err = cl.ChangeStatus(c.Context, req)
	}
	if err != nil {
		return err
	}
	return p.Print(res, func(t *output.Tab) {
		t.Line(fmt.Sprintf("%s: certificate %s is now %s (tx %s, block %d)", action, id, res.Record.Status, res.TxID, res.BlockNumber))
		t.KV("reason", req.Reason)
		t.KV("previous tx", req.PrevTxID)
	})
}

// ---- show / history / find ----

func certShow(c *cli.Context) error {
	return showOne(c, "certificate ID", func(c *cli.Context, cl *client.Client, id string) (*client.Certificate, error) {
		return cl.GetCertificate(c.Context, id)
	}, certTable)
}

func certTable(t *output.Tab, c *client.Certificate) {
	t.KV("id", c.ID)
	status := c.Status
	if c.StatusReason != "" {
		status += " (" + c.StatusReason + ")"
	}
	t.KV("status", status)
	t.KV("type", c.Type)
	t.KV("issuer", c.Issuer)
	t.KV("document sm3", c.DocHash)
	t.KV("holder commitment", c.HolderCommitment)
	t.KV("valid", c.ValidFrom+" .. "+c.ValidUntil)
	t.KV("key id", c.KeyID)
	if c.Supersedes != "" {
		t.KV("supersedes", c.Supersedes)
	}
	if c.SupersededBy != "" {
		t.KV("superseded by", c.SupersededBy)
	}
	if c.BatchID != "" {
		t.KV("batch", c.BatchID)
	}
	t.KV("issued at", c.IssuedAt)
	t.KV("updated at", c.UpdatedAt)
	t.KV("tx", c.TxID)
}

func certHistory(c *cli.Context) error {
	id, err := oneArg(c, "certificate ID")
	if err != nil {
		return err
	}
	return request(c, func(ctx context.Context, cl *client.Client) ([]client.HistoryEntry, error) {
		return listOf(cl.History(ctx, id))
	}, func(t *output.Tab, h []client.HistoryEntry) {
		t.Row("TIME", "TX", "STATUS", "REASON", "BY")
		for _, e := range h {
			var rec client.Certificate
			_ = json.Unmarshal(e.Record, &rec)
			st := rec.Status
			if e.IsDelete {
				st = "deleted"
			}
			t.Row(e.Timestamp, e.TxID, st, rec.StatusReason, rec.ActorID) // BY: the operator id the ledger recorded
		}
	})
}

func certFind(c *cli.Context) error {
	p, err := PrinterOf(c)
	if err != nil {
		return err
	}
	h, err := hashArg(c)
	if err != nil {
		return err
	}
	if h == "" {
		return Usagef("give a FILE or --hash")
	}
	return ask(c, p, func(ctx context.Context, cl *client.Client) ([]client.Certificate, error) {
		return listOf(cl.FindByHash(ctx, h))
	}, func(t *output.Tab, certs []client.Certificate) {
		t.Row("ID", "STATUS", "TYPE", "ISSUER", "VALID UNTIL")
		for _, x := range certs {
			t.Row(x.ID, x.Status, x.Type, x.Issuer, x.ValidUntil)
		}
	})
}

// hashArg returns the SM3 of the FILE argument or the --hash flag ("" if neither).
func hashArg(c *cli.Context) (string, error) {
	if c.NArg() > 1 {
		return "", Usagef("give at most one FILE")
	}
	h := c.String("hash")
	if c.NArg() == 1 {
		if h != "" {
			return "", Usagef("give a FILE or --hash, not both")
		}
		fh, _, err := hashOne(c, c.Args().First())
		if err != nil {
			if errors.Is(err, context.Canceled) {
				return "", err
			}
			return "", inputErr(fmt.Errorf("%s: %w", c.Args().First(), err))
		}
		return fh, nil
	}
	if h != "" {
		h = strings.ToLower(strings.TrimSpace(h))
		if err := gm.CheckHash(h); err != nil {
			return "", Usagef("--hash: %v", err)
		}
	}
	return h, nil
}

func itoa(n int) string { return strconv.Itoa(n) }
