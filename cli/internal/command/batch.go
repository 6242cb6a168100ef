package command

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v2"

	"github.com/certledger/certledger/cli/internal/batchfile"
	"github.com/certledger/certledger/cli/internal/client"
	"github.com/certledger/certledger/cli/internal/output"
	"github.com/certledger/certledger/cli/internal/qr"
	"github.com/certledger/certledger/cli/internal/receipt"
	"github.com/certledger/certledger/internal/batchindex"
	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/domain/batch"
	rcpt "github.com/certledger/certledger/internal/receipt"
	"github.com/certledger/certledger/internal/trust"
)

// batchCommand is "certledger batch": Merkle batches (docs/batches.md).
func batchCommand() *cli.Command {
	fileFlag := &cli.StringFlag{Name: "file", Usage: "batch `FILE` (JSON Lines); its header is FILE without .jsonl + .header.json", Required: true}
	return &cli.Command{
		Name:  "batch",
		Usage: "inspect, verify, upload and take receipts from Merkle batches (build one with cert issue --batch)",
		Subcommands: []*cli.Command{
			{Name: "show", Usage: "show an anchored batch from the ledger", ArgsUsage: "BATCH-ID", Action: batchShow},
			{Name: "verify", Usage: "check that a batch file rebuilds its header (local, or anchored with --ledger)", Flags: []cli.Flag{fileFlag,
				&cli.BoolFlag{Name: "ledger", Usage: "compare with the header anchored on the ledger"}}, Action: batchVerify},
			{Name: "anchor", Usage: "anchor the signed header kept beside a batch file (when cert issue --batch could not), then upload the file", Flags: []cli.Flag{fileFlag}, Action: batchAnchor},
			{Name: "upload", Usage: "upload (or resume uploading) a batch file to the gateway's batch store", Flags: []cli.Flag{fileFlag}, Action: batchUpload},
			{Name: "receipt", Usage: "the receipt of one certificate of a batch (record, inclusion proof, anchored header; v2 with the anchoring transaction's endorsements when the gateway gives them)", Flags: []cli.Flag{fileFlag,
				&cli.StringFlag{Name: "id", Usage: "certificate `ID`", Required: true},
				&cli.StringFlag{Name: "out", Usage: "write the receipt to `FILE` (default: stdout)"}}, Action: batchReceipt},
			{Name: "index", Usage: "rebuild the receipts index of a batch file", Flags: []cli.Flag{fileFlag}, Action: batchIndex},
		},
	}
}

func headerPath(file string) string { return strings.TrimSuffix(file, ".jsonl") + ".header.json" }

// readHeader reads the header kept beside a batch file (anchored when anchored).
func readHeader(file string) (batch.Anchored, error) {
	var a batch.Anchored
	b, err := os.ReadFile(headerPath(file))
	if err != nil {
		return a, inputErr(fmt.Errorf("reading the batch header: %w", err))
	}
	if err := json.Unmarshal(b, &a); err != nil {
		return a, inputErr(fmt.Errorf("%s: %w", headerPath(file), err))
	}
	return a, nil
}

func writeHeader(file string, a batch.Anchored) error {
	b, err := json.MarshalIndent(a, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(headerPath(file), append(b, '\n'), 0o644)
}

func batchTable(t *output.Tab, a batch.Anchored) {
	t.KV("id", a.ID)
	t.KV("issuer", a.Issuer)
	t.KV("key", a.KeyID)
	t.KV("records", itoa(a.Count))
	t.KV("root", a.Root)
	t.KV("file SM3", a.FileHash)
	t.KV("previous", a.Previous)
	t.KV("window", a.WindowFrom+" .. "+a.WindowUntil)
	t.KV("types", strings.Join(a.Types, ", "))
	t.KV("anchored", a.AnchoredAt)
	t.KV("tx", a.TxID)
}

func batchShow(c *cli.Context) error {
	if c.NArg() != 1 {
		return Usagef("batch show takes one BATCH-ID")
	}
	return request(c, func(ctx context.Context, cl *client.Client) (*client.BatchState, error) {
		return cl.GetBatch(ctx, c.Args().First())
	}, func(t *output.Tab, st *client.BatchState) {
		batchTable(t, st.Batch)
		t.KV("file stored", fmt.Sprint(st.File.Stored))
	})
}

func batchVerify(c *cli.Context) error {
	p, err := PrinterOf(c)
	if err != nil {
		return err
	}
	file := c.String("file")
	a, err := readHeader(file)
	if err != nil && !c.Bool("ledger") {
		return err
	}
	if c.Bool("ledger") {
		cl, err := NewClient(c)
		if err != nil {
			return err
		}
		id := a.ID
		if id == "" {
			id = strings.TrimSuffix(file[strings.LastIndex(file, "/")+1:], ".jsonl")
		}
		st, err := cl.GetBatch(c.Context, id)
		if err != nil {
			return err
		}
		a = st.Batch
	}
	f, err := os.Open(file)
	if err != nil {
		return inputErr(err)
	}
	defer func() { _ = f.Close() }() // read-only
	sum, err := batch.Scan(f, a.Issuer, a.KeyID, nil)
	if err == nil {
		err = sum.Matches(a.Header)
	}
	if err != nil {
		return Invalid(err)
	}
	return p.Print(sum, func(t *output.Tab) {
		t.KV("batch", a.ID)
		t.KV("verdict", "the file rebuilds the header: root, "+itoa(sum.Count)+" records, file SM3, types")
	})
}

func batchAnchor(c *cli.Context) error {
	p, err := PrinterOf(c)
	if err != nil {
		return err
	}
	file := c.String("file")
	a, err := readHeader(file)
	if err != nil {
		return err
	}
	if a.TxID != "" {
		return Invalidf("batch %s is already anchored (tx %s); use batch upload", a.ID, a.TxID)
	}
	if err := a.Validate(); err != nil {
		return Invalid(err)
	}
	cl, err := NewClient(c)
	if err != nil {
		return err
	}
	wr, err := cl.AnchorBatch(c.Context, a.Header)
	if err != nil {
		return fmt.Errorf("anchoring batch %s (window %s .. %s): %w", a.ID, a.WindowFrom, a.WindowUntil, err)
	}
	if err := writeHeader(file, wr.Record); err != nil {
		return inputErr(err)
	}
	if err := uploadWithBar(c, cl, a.ID, file); err != nil {
		return err
	}
	return p.Print(wr, func(t *output.Tab) {
		batchTable(t, wr.Record)
		t.KV("block", fmt.Sprint(wr.BlockNumber))
	})
}

func batchUpload(c *cli.Context) error {
	file := c.String("file")
	a, err := readHeader(file)
	if err != nil {
		return err
	}
	cl, err := NewClient(c)
	if err != nil {
		return err
	}
	return uploadWithBar(c, cl, a.ID, file)
}

func uploadWithBar(c *cli.Context, cl *client.Client, id, file string) error {
	_, err := sendWithBar(c, id, "uploading", func(progress func(sent, total int64)) (bool, error) {
		return true, cl.UploadBatch(c.Context, id, file, progress)
	})
	return err
}

// sendWithBar runs send (an upload of batch id's file) with a progress bar on
// a terminal; stored is what send says: the gateway checked and stored the file.
func sendWithBar(c *cli.Context, id, what string, send func(progress func(sent, total int64)) (bool, error)) (stored bool, err error) {
	var bar *progressbar.ProgressBar
	progress := func(sent, total int64) {
		if bar == nil && isTerminal(stderrOf(c)) {
			bar = progressbar.NewOptions64(total, progressbar.OptionSetWriter(stderrOf(c)), progressbar.OptionSetDescription(what),
				progressbar.OptionShowBytes(true), progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
		}
		if bar != nil {
			_ = bar.Set64(sent) // progress display only
		}
	}
	stored, err = send(progress)
	if bar != nil {
		_ = bar.Finish() // progress display only
	}
	if err != nil {
		return false, fmt.Errorf("uploading batch %s (rerun batch upload to resume): %w", id, err)
	}
	if stored {
		fmt.Fprintf(stderrOf(c), "batch %s: file stored by the gateway\n", id)
	}
	return stored, nil
}

func batchReceipt(c *cli.Context) error {
	file := c.String("file")
	a, err := readHeader(file)
	if err != nil {
		return err
	}
	if a.TxID == "" {
		return Invalidf("batch %s is not anchored yet (its header file has no txId)", a.ID)
	}
	rec, proof, err := batchindex.Lookup(file, a.ID, c.String("id"))
	if err != nil {
		return inputErr(err)
	}
	if err := proof.Verify(rec, a.Header); err != nil {
		return Invalid(err)
	}
	b, err := batchReceiptV2(c, file, a, rec, proof)
	if err != nil {
		fmt.Fprintf(stderrOf(c), "certledger: batch receipt without endorsements (verifies against the ledger only): %v\n", err)
		if b, err = json.MarshalIndent(batch.Receipt{Record: rec, Proof: proof, Header: a}, "", "  "); err != nil {
			return err
		}
	}
	if out := c.String("out"); out != "" {
		return inputErr(os.WriteFile(out, append(b, '\n'), 0o644))
	}
	_, err = c.App.Writer.Write(append(b, '\n'))
	return err
}

// batchEvidence is what every v2 receipt of a batch shares, kept beside the
// batch file (<file>.evidence.json) once read from the gateway.
type batchEvidence struct {
	Evidence  rcpt.BatchEvidence `json:"evidence"`
	IssuerKey rcpt.IssuerKey     `json:"issuerKey"`
}

// batchReceiptV2 builds the v2 receipt of rec: the batch's evidence from the
// file beside the batch, else from the gateway (then saved), with the issuer
// key the ledger registered and a governance fingerprint (the gateway's, else
// CERTLEDGER_TRUST_PIN). It fails when any of them is missing.
func batchReceiptV2(c *cli.Context, file string, a batch.Anchored, rec batch.Record, proof batch.Proof) ([]byte, error) {
	path := file + ".evidence.json"
	var be batchEvidence
	if raw, err := os.ReadFile(path); err == nil {
		if err := json.Unmarshal(raw, &be); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	} else {
		cl, err := NewClient(c)
		if err != nil {
			return nil, err
		}
		ev, err := cl.BatchReceiptEvidence(c.Context, a.ID)
		if err != nil {
			return nil, err
		}
		ki, err := cl.GetKey(c.Context, a.KeyID)
		if err != nil {
			return nil, fmt.Errorf("reading key %s: %w", a.KeyID, err)
		}
		be = batchEvidence{Evidence: *ev, IssuerKey: rcpt.IssuerKey{DepartmentID: ki.DepartmentID, KeyID: ki.KeyID, PublicKey: ki.PublicKey}}
		if ev.ValidationCode != "VALID" {
			return nil, fmt.Errorf("transaction %s is %s", ev.TxID, ev.ValidationCode)
		}
		out, _ := json.MarshalIndent(be, "", "  ")
		if err := receipt.WriteFileAtomic(path, append(out, '\n'), 0o644); err != nil {
			return nil, err
		}
	}
	ev := be.Evidence
	if ev.Batch == nil || ev.Anchor == nil || ev.TxID != a.TxID {
		return nil, fmt.Errorf("%s is not the evidence of batch %s as anchored by %s", path, a.ID, a.TxID)
	}
	fp := ev.BundleFingerprint
	if fp == "" {
		if v := os.Getenv("CERTLEDGER_TRUST_PIN"); v != "" {
			if p, err := trust.NormalizePin(v); err == nil {
				fp = p
			}
		}
	}
	if fp == "" {
		return nil, errors.New("no governance fingerprint (the gateway serves no trust bundle; set CERTLEDGER_TRUST_PIN)")
	}
	r := &rcpt.Receipt{Version: rcpt.Version, Batch: &rcpt.Batched{Record: rec, Proof: proof, Header: *ev.Batch},
		IssuedAt: ev.Batch.AnchoredAt, IssuerKey: be.IssuerKey,
		Ledger: rcpt.Ledger{TxID: ev.TxID, BlockNumber: ev.BlockNumber, Channel: ev.Channel},
		Anchor: ev.Anchor, BundleFingerprint: fp, Holder: json.RawMessage(`{}`)}
	if u, err := qr.VerifyURL(verifyBase(c), rec.ID, rec.DocHash); err == nil {
		r.VerifyURL = u
	}
	out, err := r.Marshal()
	if err != nil {
		return nil, err
	}
	if _, err := rcpt.Parse(out); err != nil {
		return nil, err
	}
	return out[:len(out)-1], nil
}

func batchIndex(c *cli.Context) error {
	file := c.String("file")
	a, err := readHeader(file)
	if err != nil {
		return err
	}
	return inputErr(batchindex.Index(file, a.Issuer, a.KeyID))
}

// certIssueBatch is cert issue --batch: build the batch from the manifest, sign
// its header, stage the file at the gateway, anchor the header, have the
// gateway check and store the staged file.
func certIssueBatch(c *cli.Context) error {
	p, err := PrinterOf(c)
	if err != nil {
		return err
	}
	mpath := c.String("manifest")
	if mpath == "" {
		return Usagef("cert issue --batch needs --manifest")
	}
	cl, is, err := issuerSession(c)
	if err != nil {
		return err
	}
	dept, keyID := is.Signer.Dept, is.Signer.KeyID
	id := c.String("batch-id")
	if id == "" {
		id = dept + "-batch-" + time.Now().UTC().Format("20060102T150405Z")
	}
	head, err := cl.GetBatchHead(c.Context, dept)
	if err != nil {
		return fmt.Errorf("reading department %s's last batch: %w", dept, err)
	}
	m, err := os.Open(mpath)
	if err != nil {
		return inputErr(err)
	}
	defer func() { _ = m.Close() }() // read-only
	var bar *progressbar.ProgressBar
	if isTerminal(stderrOf(c)) {
		bar = progressbar.NewOptions(-1, progressbar.OptionSetWriter(stderrOf(c)), progressbar.OptionSetDescription("building"),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("cert"),
			progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
	}
	t0 := time.Now()
	built, err := batchfile.Build(m, batchfile.Options{
		BatchID: id, Dept: dept, KeyID: keyID, Previous: head.BatchID, Dir: c.String("dir"), OutDir: c.String("out-dir"), Now: time.Now(),
		V2: newV2Catalogue(c, cl, dept).complete, // v2 rows: completed from the type catalogue
		Progress: func(n int) {
			if bar != nil {
				_ = bar.Set(n) // progress display only
			}
		},
	})
	if bar != nil {
		_ = bar.Finish() // progress display only
	}
	if err != nil {
		return inputErr(err)
	}
	h := built.Header
	if h.Signature, err = canon.Sign(is.Signer.Key, canon.KindBatchHeader, h); err != nil {
		return err
	}
	if err := writeHeader(built.File, batch.Anchored{Header: h}); err != nil {
		return inputErr(err)
	}
	buildTime := time.Since(t0)
	// The file is staged before the anchoring, so that the gateway refuses to
	// anchor a batch naming certificate ids it knows already (409, nothing
	// anchored); the anchoring then has it checked and stored.
	t1 := time.Now()
	retry := fmt.Sprintf("the signed header is in %s; retry with certledger batch anchor --file %s before %s", headerPath(built.File), built.File, h.WindowUntil)
	if _, err := sendWithBar(c, id, "staging", func(progress func(sent, total int64)) (bool, error) {
		return cl.StageBatch(c.Context, id, built.File, progress)
	}); err != nil {
		return fmt.Errorf("staging the file of batch %s (%s): %w", id, retry, err)
	}
	t2 := time.Now()
	wr, err := cl.AnchorBatch(c.Context, h)
	if err != nil {
		return fmt.Errorf("anchoring batch %s (%s): %w", id, retry, err)
	}
	if err := writeHeader(built.File, wr.Record); err != nil {
		return inputErr(err)
	}
	t3 := time.Now()
	if err := uploadWithBar(c, cl, id, built.File); err != nil {
		return err
	}
	out := map[string]any{
		"batch": wr.Record, "txId": wr.TxID, "blockNumber": wr.BlockNumber, "file": built.File, "salts": built.Salts,
		"index": built.Index, "buildSeconds": buildTime.Seconds(), "uploadSeconds": t2.Sub(t1).Seconds(),
		"anchorSeconds": t3.Sub(t2).Seconds(), "storeSeconds": time.Since(t3).Seconds(),
	}
	return p.Print(out, func(t *output.Tab) {
		batchTable(t, wr.Record)
		t.KV("block", fmt.Sprint(wr.BlockNumber))
		t.KV("batch file", built.File+" (uploaded)")
		t.KV("salts", built.Salts+" (mode 0600: keep it in the department; holders get theirs with their receipt)")
		t.KV("built in", buildTime.Round(time.Millisecond).String())
	})
}

// batchedLeaf returns certificate id's leaf in batch file and the batch's
// anchoring transaction (the prevTxId of its first status change).
func batchedLeaf(file, id string) (*client.BatchedLeaf, string, error) {
	a, err := readHeader(file)
	if err != nil {
		return nil, "", err
	}
	if a.TxID == "" {
		return nil, "", Invalidf("batch %s is not anchored (its header file has no txId)", a.ID)
	}
	rec, proof, err := batchindex.Lookup(file, a.ID, id)
	if err != nil {
		return nil, "", inputErr(err)
	}
	return &client.BatchedLeaf{Record: rec, Proof: proof}, a.TxID, nil
}
