package receipt

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/certledger/certledger/internal/domain/batch"
	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/domain/registry"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/gm"
	"github.com/certledger/certledger/internal/trust"
)

// Step names of the offline check: the pipeline's, with step 3 checking the
// transaction evidence (the anchor) instead of looking the record up.
var stepNames = [8]string{"format", "hash", "anchor", "merkle", "signature", "key", "status", "validity"}

// StepName names step n (1..8) of the offline check.
func StepName(n int) string {
	if n < 1 || n > len(stepNames) {
		return ""
	}
	return stepNames[n-1]
}

// Codes of the offline check's steps besides the pipeline's.
const (
	CodeNoFile            = "NO_FILE"            // step 2: no document given
	CodeAnchorMalformed   = "ANCHOR_MALFORMED"   // step 3: the evidence does not decode or hang together
	CodeTxMismatch        = "TX_MISMATCH"        // step 3: channel, chaincode or tx id differ from the receipt or bundle
	CodeWriteSetMismatch  = "WRITE_SET_MISMATCH" // step 3: the endorsed write set does not write this record
	CodeEndorsementPolicy = "ENDORSEMENT_INVALID"
	CodeNotInBundle       = "NOT_IN_BUNDLE" // step 5: the bundle lists no such key
)

// verdictOf gives the verdict of a failed step of the offline check.
func verdictOf(s certificate.Step) string {
	switch s.Step {
	case 1:
		if s.Code == wire.VerdictUntrustedBundle {
			return s.Code
		}
		return wire.VerdictBadFormat
	case 2:
		return wire.VerdictHashMismatch
	case 3:
		return wire.VerdictNotAnchored
	case 4, 5:
		return wire.VerdictBadSignature
	case 6:
		return wire.VerdictKeyInvalid
	case 8:
		if s.Code == wire.VerdictNotYetValid || s.Code == wire.VerdictExpired {
			return s.Code
		}
	}
	return wire.VerdictBadFormat
}

// Input is what Check needs. Bundle is the verified trust bundle (trust.Verify
// with the verifier's pin) or nil with BundleErr saying why there is none.
type Input struct {
	Receipt   *Receipt
	ParseErr  error // Parse's error (Receipt nil)
	Bundle    *trust.Signed
	BundleErr error
	Pin       string    // the verifier's pin (normalised)
	FileHash  string    // SM3 of the document ("" if none)
	Now       time.Time // for the validity window
}

// Result is the offline verdict.
type Result struct {
	Verdict string             `json:"verdict"`
	Steps   []certificate.Step `json:"steps"`
	// Unknown lists what an offline check cannot know, whatever the verdict.
	Unknown []string `json:"unknown"`
	// AsOfHeight and AsOfTime are the bundle's.
	AsOfHeight   uint64        `json:"asOfHeight,omitempty"`
	AsOfTime     string        `json:"asOfTime,omitempty"`
	Endorsements *Endorsements `json:"endorsements,omitempty"`
	CheckedAt    string        `json:"checkedAt"`
}

// Valid reports a VALID verdict.
func (r *Result) Valid() bool { return r.Verdict == wire.VerdictValid }

func mk(n int, status, code, detail string) certificate.Step {
	if code == "" && status == wire.StepPass {
		code = certificate.CodeOK
	}
	return certificate.Step{Step: n, Name: StepName(n), Status: status, Code: code, Detail: detail}
}

// Check verifies a receipt offline against a trust bundle: 1 format (receipt
// and bundle under the pin), 2 document hash, 3 anchor (transaction evidence:
// endorsements under the bundle's CAs and policy, the endorsed write set
// writes this record), 4 merkle, 5 SM2 signature with the bundle's key,
// 6 key valid at the issue time per the bundle, 7 status (not knowable
// offline: skipped), 8 validity window at in.Now. The verdict is VALID only if
// nothing fails; it is never VALID for a key, organisation or CA the bundle
// does not list.
func Check(in Input) Result {
	res := Result{CheckedAt: wire.FormatTime(in.Now)}
	if s, ok := checkFormat(in); !ok {
		res.Steps = append([]certificate.Step{s}, notReached(2, "the receipt or the trust bundle is unusable")...)
		res.Verdict = verdictOf(s)
		res.Unknown = unknowns(in.Receipt, nil)
		return res
	} else {
		res.Steps = append(res.Steps, s)
	}
	r, b := in.Receipt, &in.Bundle.Bundle
	res.AsOfHeight, res.AsOfTime = b.Height, b.BlockTime

	// Steps 3 and 6 need the issue time the endorsers wrote.
	anchor, written, endo := checkAnchor(r, b)
	res.Endorsements = endo
	issuedAt := r.IssuedAt
	if written != nil {
		issuedAt = written.IssuedAt
	}
	at, _ := wire.ParseTime(issuedAt)

	rec := r.Certificate()
	ka := b.KeyValidAt(rec.Issuer, rec.KeyID, at)
	cert := &certificate.Certificate{Record: rec, Status: certificate.StatusValid, IssuedAt: issuedAt, TxID: r.Ledger.TxID}
	var batchCheck func(k *registry.Key) error
	if bt := r.Batch; bt != nil {
		cert.BatchID = bt.Header.ID
		batchCheck = func(k *registry.Key) error { return verifyHeader(k, bt.Header.Header) }
	}
	ev := certificate.Evaluate(certificate.Input{
		Query:       certificate.Query{ID: rec.ID},
		FileHash:    in.FileHash,
		Certificate: cert,
		Matches:     []string{rec.ID},
		IssuerKey:   ka.Key,
		KeyOwner:    ownerOf(ka),
		BatchCheck:  batchCheck,
		Offline:     true,
		Now:         in.Now,
		// A batched v2 record's issuerCode and issuerName are checked against the
		// bundle's department (step 6); the bundle has no type catalogue, so its
		// holderCodeType is not (see unknowns).
		IssuerName: issuerOf(ka).Name, IssuerCode: issuerOf(ka).Code,
	})
	for _, s := range ev.Steps[1:] {
		s.Name = StepName(s.Step)
		switch s.Step {
		case 2:
			switch s.Status {
			case wire.StepSkipped:
				s.Code, s.Detail = CodeNoFile, "no document given"
			case wire.StepPass:
				s.Detail = "the document's SM3 " + in.FileHash + " equals the record's docHash"
			}
		case 3:
			s = anchor
		case 4:
			if r.Batch != nil {
				s = merkleStep(r.Batch)
			}
		case 5:
			switch {
			case ka.Key == nil:
				s = mk(5, wire.StepSkipped, CodeNotInBundle, "the trust bundle lists no key "+rec.KeyID+" of "+rec.Issuer+
					": no trusted key to check the signature with (step 6)")
			case s.Status == wire.StepPass && r.Batch != nil:
				s.Detail = "SM2 signature over the header of batch " + r.Batch.Header.ID + " verifies with key " + rec.KeyID + " of " + rec.Issuer + " as listed in the trust bundle"
			case s.Status == wire.StepPass:
				s.Detail = "SM2 signature verifies with key " + rec.KeyID + " of " + rec.Issuer + " as listed in the trust bundle"
			}
		case 6:
			s = keyStepOf(s, ka, issuedAt)
		case 7:
			s = mk(7, wire.StepSkipped, certificate.CodeOffline, fmt.Sprintf("offline: the status was %q when transaction %s wrote the record; "+
				"a revocation, suspension or supersession since is on the ledger only", certificate.StatusValid, short(r.Ledger.TxID)))
			if r.Batch != nil {
				s.Detail = "offline: the certificate was valid when transaction " + short(r.Ledger.TxID) + " anchored batch " + r.Batch.Header.ID +
					"; a status change since (which writes it on the ledger by id) is on the ledger only"
			}
		}
		res.Steps = append(res.Steps, s)
	}
	res.Verdict = wire.VerdictValid
	for _, s := range res.Steps {
		if s.Status == wire.StepFail {
			res.Verdict = verdictOf(s)
			break
		}
	}
	res.Unknown = unknowns(r, b)
	return res
}

// issuerOf is the bundle's department of a key answer (zero when unknown).
func issuerOf(a trust.KeyAnswer) trust.Department {
	if a.Department == nil {
		return trust.Department{}
	}
	return *a.Department
}

func ownerOf(a trust.KeyAnswer) string {
	if a.Department == nil {
		return ""
	}
	return a.Department.ID
}

func notReached(from int, why string) []certificate.Step {
	var out []certificate.Step
	for n := from; n <= len(stepNames); n++ {
		out = append(out, mk(n, wire.StepSkipped, certificate.CodeNotReached, why))
	}
	return out
}

// checkFormat is step 1: a parsed receipt and a bundle verified under the pin
// that describes the receipt's channel.
func checkFormat(in Input) (certificate.Step, bool) {
	switch {
	case in.Receipt == nil:
		why := "no receipt"
		if in.ParseErr != nil {
			why = in.ParseErr.Error()
		}
		return mk(1, wire.StepFail, wire.VerdictBadFormat, why), false
	case in.Bundle == nil:
		why := "no trust bundle"
		if in.BundleErr != nil {
			why = "trust bundle: " + in.BundleErr.Error()
		}
		return mk(1, wire.StepFail, wire.VerdictUntrustedBundle, why+"; offline verification needs a bundle signed by the pinned governance key"), false
	}
	r, b := in.Receipt, &in.Bundle.Bundle
	if b.Fingerprint() != in.Pin {
		return mk(1, wire.StepFail, wire.VerdictUntrustedBundle, "the trust bundle is signed by "+b.Fingerprint()+", not by the pinned key "+in.Pin), false
	}
	if r.Ledger.Channel != b.Channel {
		return mk(1, wire.StepFail, wire.VerdictBadFormat, fmt.Sprintf("the receipt is for channel %s, the trust bundle describes %s", r.Ledger.Channel, b.Channel)), false
	}
	detail := fmt.Sprintf("receipt %s; trust bundle of channel %s at height %d (%s) signed by the pinned governance key %s",
		Version, b.Channel, b.Height, b.BlockTime, short(in.Pin))
	if r.BundleFingerprint != in.Pin {
		detail += "; note: the issuer worked under governance key " + short(r.BundleFingerprint) + ", not the one pinned here"
	}
	return mk(1, wire.StepPass, "", detail), true
}

// CertificateKey is the world-state key of a certificate record: Fabric's
// composite key "\x00certificate\x00<id>\x00" (the chaincode's
// CreateCompositeKey("certificate", [id])).
func CertificateKey(id string) string { return "\x00certificate\x00" + id + "\x00" }

// checkAnchor is step 3. It returns the step, the certificate the endorsed
// write set holds (nil if none) and the endorsement outcome.
func checkAnchor(r *Receipt, b *trust.Bundle) (certificate.Step, *certificate.Certificate, *Endorsements) {
	fail := func(code, detail string) certificate.Step { return mk(3, wire.StepFail, code, detail) }
	tx, err := r.Anchor.Decode()
	if err != nil {
		return fail(CodeAnchorMalformed, err.Error()), nil, nil
	}
	var diffs []string
	if tx.Channel != b.Channel {
		diffs = append(diffs, fmt.Sprintf("channel %s (the bundle: %s)", tx.Channel, b.Channel))
	}
	if tx.TxID != r.Ledger.TxID {
		diffs = append(diffs, fmt.Sprintf("transaction %s (the receipt's ledger.txId: %s)", tx.TxID, r.Ledger.TxID))
	}
	if tx.Chaincode != b.Chaincode || tx.Namespace != b.Chaincode {
		diffs = append(diffs, fmt.Sprintf("chaincode %s/%s (the bundle: %s)", tx.Chaincode, tx.Namespace, b.Chaincode))
	}
	if tx.Status != 200 {
		diffs = append(diffs, fmt.Sprintf("chaincode response status %d", tx.Status))
	}
	if len(diffs) > 0 {
		return fail(CodeTxMismatch, "the endorsed transaction is not the receipt's: "+strings.Join(diffs, "; ")), nil, nil
	}
	endo := CheckEndorsements(r.Anchor, b, tx.Timestamp)
	if r.Batch != nil {
		return checkBatchWrite(r, tx, &endo)
	}
	raw, ok := tx.Write(CertificateKey(r.Record.ID))
	if !ok {
		return fail(CodeWriteSetMismatch, "the endorsed write set of transaction "+short(tx.TxID)+" does not write certificate "+r.Record.ID), nil, &endo
	}
	var written certificate.Certificate
	if err := json.Unmarshal(raw, &written); err != nil {
		return fail(CodeWriteSetMismatch, "the value written for certificate "+r.Record.ID+" is not a certificate: "+err.Error()), nil, &endo
	}
	if d := recordDiffs(r.Record, written.Record); len(d) > 0 {
		return fail(CodeWriteSetMismatch, "the endorsed write set holds another record for "+r.Record.ID+": "+strings.Join(d, "; ")), &written, &endo
	}
	var wd []string
	if written.TxID != tx.TxID {
		wd = append(wd, fmt.Sprintf("txId %s", written.TxID))
	}
	if written.Status != certificate.StatusValid {
		wd = append(wd, "status "+written.Status)
	}
	if !sameTime(written.IssuedAt, r.IssuedAt) {
		wd = append(wd, fmt.Sprintf("issuedAt %s (the receipt: %s)", written.IssuedAt, r.IssuedAt))
	}
	if len(wd) > 0 {
		return fail(CodeWriteSetMismatch, "the endorsed write differs from the receipt: "+strings.Join(wd, "; ")), &written, &endo
	}
	return endorsed(r, tx, &endo, "writes exactly this record"), &written, &endo
}

// endorsed is step 3 once the write set holds what the receipt says: the
// endorsements decide.
func endorsed(r *Receipt, tx *Tx, endo *Endorsements, what string) certificate.Step {
	fail := func(code, detail string) certificate.Step { return mk(3, wire.StepFail, code, detail) }
	if !endo.Satisfied {
		var probs []string
		for _, c := range endo.Checks {
			if !c.Valid {
				probs = append(probs, c.Problem)
			}
		}
		detail := fmt.Sprintf("valid endorsements from %v do not satisfy the bundle's policy %s", orNone(endo.MSPs), endo.Policy)
		if len(probs) > 0 {
			detail += ": " + strings.Join(probs, "; ")
		}
		return fail(CodeEndorsementPolicy, detail)
	}
	return mk(3, wire.StepPass, "", fmt.Sprintf("transaction %s on channel %s at %s, endorsed by %s (policy %s; every endorser chains to a root CA in the trust bundle), %s; block %d as reported at issue",
		short(tx.TxID), tx.Channel, wire.FormatTime(tx.Timestamp), strings.Join(endo.MSPs, ", "), endo.Policy, what, r.Ledger.BlockNumber))
}

// BatchKey is the world-state key of an anchored batch header:
// "\x00batch\x00<id>\x00" (the batch contract's composite key).
func BatchKey(id string) string { return "\x00batch\x00" + id + "\x00" }

// checkBatchWrite is step 3 of a batched receipt: the endorsed write set
// anchors exactly the receipt's batch header, by this transaction, at the
// receipt's issue time.
func checkBatchWrite(r *Receipt, tx *Tx, endo *Endorsements) (certificate.Step, *certificate.Certificate, *Endorsements) {
	fail := func(code, detail string) certificate.Step { return mk(3, wire.StepFail, code, detail) }
	h := r.Batch.Header
	raw, ok := tx.Write(BatchKey(h.ID))
	if !ok {
		return fail(CodeWriteSetMismatch, "the endorsed write set of transaction "+short(tx.TxID)+" does not anchor batch "+h.ID), nil, endo
	}
	var written batch.Anchored
	if err := json.Unmarshal(raw, &written); err != nil {
		return fail(CodeWriteSetMismatch, "the value written for batch "+h.ID+" is not a batch header: "+err.Error()), nil, endo
	}
	if d := jsonDiffs("batch.header", h, written); len(d) > 0 {
		return fail(CodeWriteSetMismatch, "the endorsed write set holds another header for batch "+h.ID+": "+strings.Join(d, "; ")), nil, endo
	}
	var wd []string
	if written.TxID != tx.TxID {
		wd = append(wd, "txId "+written.TxID)
	}
	if !sameTime(written.AnchoredAt, r.IssuedAt) {
		wd = append(wd, fmt.Sprintf("anchoredAt %s (the receipt's issuedAt: %s)", written.AnchoredAt, r.IssuedAt))
	}
	if len(wd) > 0 {
		return fail(CodeWriteSetMismatch, "the endorsed write differs from the receipt: "+strings.Join(wd, "; ")), nil, endo
	}
	c := &certificate.Certificate{Record: r.Batch.Record.Certificate(), IssuedAt: written.AnchoredAt, TxID: written.TxID, BatchID: h.ID}
	return endorsed(r, tx, endo, "anchors exactly this batch header"), c, endo
}

// merkleStep is step 4 of a batched receipt: the leaf's inclusion proof leads
// to the header's root (batch.Proof.Verify: batch id, size, issuer and key too).
func merkleStep(b *Batched) certificate.Step {
	if err := b.Proof.Verify(b.Record, b.Header.Header); err != nil {
		return mk(4, wire.StepFail, certificate.CodeMerkleMismatch, err.Error())
	}
	return mk(4, wire.StepPass, "", fmt.Sprintf("leaf %d of %d leads to the root %s of batch %s", b.Proof.Index, b.Proof.Size, short(b.Header.Root), b.Header.ID))
}

// verifyHeader checks a batch header's SM2 signature with key k.
func verifyHeader(k *registry.Key, h batch.Header) error {
	pub, err := k.Public()
	if err != nil {
		return err
	}
	p, err := h.Payload()
	if err != nil {
		return err
	}
	return gm.VerifyBase64(pub, p, h.Signature)
}

func orNone(s []string) []string {
	if len(s) == 0 {
		return []string{"no organisation"}
	}
	return s
}

// keyStepOf is step 6 offline: the pipeline's own failure of a batched v2
// record's fields (NOT_AUTHORIZED) as it is, else the bundle's answer about the
// key, with what the pipeline checked of such a record when it passes.
func keyStepOf(ev certificate.Step, ka trust.KeyAnswer, issuedAt string) certificate.Step {
	if ev.Status == wire.StepFail && ev.Code == certificate.CodeNotAuthorized {
		return ev
	}
	s := keyStep(ka, issuedAt)
	if i := strings.Index(ev.Detail, "; the batched record's"); i >= 0 && s.Status == wire.StepPass {
		s.Detail += ev.Detail[i:]
	}
	return s
}

// keyStep is step 6 from the bundle's answer.
func keyStep(a trust.KeyAnswer, issuedAt string) certificate.Step {
	if !a.Valid {
		return mk(6, wire.StepFail, a.Code, a.Detail+" (issued at "+issuedAt+")")
	}
	return mk(6, wire.StepPass, "", a.Detail+" (issued at "+issuedAt+")")
}

// unknowns says what no offline check can know.
func unknowns(r *Receipt, b *trust.Bundle) []string {
	tx, id := "the anchoring transaction", "the certificate"
	if r != nil {
		tx, id = "transaction "+r.Ledger.TxID, "certificate "+r.Certificate().ID
	}
	out := []string{
		"status: whether " + id + " was revoked, suspended or superseded after " + tx + " (status changes are on the ledger only; verify online)",
	}
	if b != nil {
		out = append(out, fmt.Sprintf("key revocations registered after the trust bundle (height %d, %s): a compromise registered later and dated back before the issue would invalidate the signature", b.Height, b.BlockTime))
	} else {
		out = append(out, "the issuer's keys: no trusted bundle")
	}
	if r != nil && r.Batch != nil && r.Batch.Record.RecordVersion == certificate.RecordV2 {
		out = append(out, "holderCodeType: whether "+r.Batch.Record.HolderCodeType+" is the holder code type the type catalogue gives type "+r.Batch.Record.Type+
			" (the trust bundle carries departments' codes and names, which step 6 checks, but no type catalogue; verify online)")
	}
	out = append(out, "whether "+tx+" was committed valid: endorsements prove the peers executed and signed the write, not that it was ordered and passed validation (e.g. an MVCC conflict); the block number is as reported at issue")
	return out
}

// recordDiffs names the fields in which two records differ (through their
// JSON form, so every field the record type has is compared).
func recordDiffs(a, b certificate.Record) []string { return jsonDiffs("record", a, b) }

// jsonDiffs names the fields (prefix.name) in which a and b's JSON differ.
func jsonDiffs(prefix string, a, b any) []string {
	var out []string
	for _, d := range wire.DiffFields(a, b) {
		out = append(out, fmt.Sprintf("%s.%s (receipt %s, written %s)", prefix, d.Name, d.A, d.B))
	}
	return out
}

func sameTime(a, b string) bool {
	ta, err1 := wire.ParseTime(a)
	tb, err2 := wire.ParseTime(b)
	return err1 == nil && err2 == nil && ta.Equal(tb)
}

func short(s string) string {
	if len(s) > 16 {
		return s[:16] + "…"
	}
	return s
}
