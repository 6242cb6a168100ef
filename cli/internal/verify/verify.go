// Package verify runs the client side of the numbered verification pipeline of
// DESIGN.md: the offline checks of a receipt (format, document hash, SM2 signature,
// key id, validity window) and their merge with the ledger's answer.
package verify

import (
	"fmt"
	"strings"
	"time"

	"github.com/certledger/certledger/cli/internal/client"
	"github.com/certledger/certledger/cli/internal/receipt"
	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/domain/certtype"
	"github.com/certledger/certledger/internal/domain/identifier"
	"github.com/certledger/certledger/internal/domain/registry"
	"github.com/certledger/certledger/internal/domain/wire"
	rcpt "github.com/certledger/certledger/internal/receipt"
	"github.com/certledger/certledger/internal/trust"
)

// OfflineNote says what an offline check leaves out.
const OfflineNote = "offline: revocation not checked"

const stepCount = 8

// StepHolder is the number of the holder proof, run only when a holder id is
// given (after the eight steps of the pipeline).
const StepHolder = 9

// stepName names steps 1-8 as the pipeline does, and step 9 "holder".
func stepName(n int) string {
	if n == StepHolder {
		return "holder"
	}
	return certificate.StepName(n)
}

// Report is the outcome shown to the user.
type Report struct {
	Verdict     string              `json:"verdict"`
	Online      bool                `json:"online"` // the ledger was asked
	Note        string              `json:"note,omitempty"`
	Message     string              `json:"message,omitempty"`
	CheckedAt   string              `json:"checkedAt,omitempty"`
	Certificate *client.Certificate `json:"certificate,omitempty"`
	IssuerName  string              `json:"issuerName,omitempty"`
	Matches     []string            `json:"matches,omitempty"`
	Steps       []client.Step       `json:"steps"`
	// Results: every certificate anchoring the document, each with its verdict.
	Results []client.VerifyResult `json:"results,omitempty"`
	// Link is set when the query came from a verify link (QR code).
	Link *Link `json:"link,omitempty"`
	// Identifier and CertType are the ledger's (see client.VerifyResult), or the
	// receipt's identifier offline.
	Identifier *identifier.Identifier `json:"identifier,omitempty"`
	CertType   *certtype.Info         `json:"certType,omitempty"`
	// Unknown lists what an offline check of a v2 receipt cannot know.
	Unknown []string `json:"unknown,omitempty"`
	// Offline is the full offline answer of a v2 receipt checked against a
	// trust bundle (endorsements, bundle height).
	Offline *rcpt.Result `json:"offline,omitempty"`
}

// Link is a verify link as given, and the gateway it was checked against.
type Link struct {
	URL     string `json:"url"`
	Host    string `json:"host"`
	Gateway string `json:"gateway"`
	Trusted bool   `json:"trustedExplicitly,omitempty"` // the host differs and the user accepted it
}

// Valid reports whether the verdict is VALID.
func (r *Report) Valid() bool { return r.Verdict == wire.VerdictValid }

// CodeNoFile is the code of step 2 when no document was given to hash here.
const CodeNoFile = "NO_FILE"

// CodeUntrustedKey is the code of step 6 of a receipt checked without the
// ledger or a trust bundle: the issuer key is only the receipt's own claim.
const CodeUntrustedKey = "UNTRUSTED_KEY"

func step(n int, status, code, detail string) client.Step {
	if code == "" && status == wire.StepPass {
		code = certificate.CodeOK
	}
	return client.Step{Step: n, Name: stepName(n), Status: status, Code: code, Detail: detail}
}

// Offline checks a receipt without the ledger, with the pure pipeline the chaincode
// runs (certificate.Evaluate, offline mode). fileHash is the SM3 of the document the
// verifier holds ("" if none). The record and the issuer key come from the receipt,
// so the steps only the ledger can answer are skipped here with code OFFLINE:
// lookup (3), the key's registration and validity (6) and the status (7).
func Offline(r *receipt.Receipt, fileHash string, now time.Time) []client.Step {
	if err := r.Validate(); err != nil {
		steps := []client.Step{step(1, wire.StepFail, wire.VerdictBadFormat, err.Error())}
		return fillSkipped(steps, "the receipt is malformed")
	}
	rec := r.Record
	issuedAt := r.IssuedAt
	if issuedAt == "" {
		issuedAt = rec.ValidFrom
	}
	cert := &certificate.Certificate{
		Record: rec,
		Status: certificate.StatusValid, IssuedAt: issuedAt,
	}
	// The key as the receipt states it; its validity window is the ledger's to tell,
	// so it is taken as open here and step 6 is reported as not checked.
	key := &registry.Key{KeyID: r.IssuerKey.KeyID, PublicKey: r.IssuerKey.PublicKey, ValidFrom: "0001-01-01T00:00:00Z"}
	res := certificate.Evaluate(certificate.Input{
		Query:       certificate.Query{ID: rec.ID},
		FileHash:    fileHash,
		Certificate: cert,
		Matches:     []string{rec.ID},
		IssuerKey:   key,
		KeyOwner:    r.IssuerKey.DepartmentID,
		Offline:     true,
		Now:         now,
	})
	steps := make([]client.Step, 0, len(res.Steps))
	for _, s := range res.Steps {
		cs := s
		switch {
		case s.Step == 1 && s.Status == wire.StepPass:
			cs.Detail = "receipt " + receipt.Version
			if id, ok := rec.Identifier(); ok {
				cs.Detail += "; GB/T 36904 identifier, check character " + id.Check + " verified"
			}
		case s.Step == 2 && s.Status == wire.StepSkipped:
			cs.Code, cs.Detail = CodeNoFile, "no document given"
		case s.Step == 3 && s.Status == wire.StepPass:
			cs = step(3, wire.StepSkipped, certificate.CodeOffline, "record taken from the receipt; looked up on the ledger online")
		case s.Step == 6 && s.Status == wire.StepPass:
			cs = step(6, wire.StepSkipped, certificate.CodeOffline, "key "+short(rec.KeyID)+" of "+r.IssuerKey.DepartmentID+
				" per the receipt; its registration and validity at issue time need the ledger")
			if r.Version != receipt.VersionV2 {
				cs.Detail += "; a " + receipt.Version + " receipt carries no endorsements, so offline nothing vouches for it"
			}
		case s.Step == 7 && s.Status == wire.StepSkipped:
			cs.Detail = OfflineNote
		}
		steps = append(steps, cs)
	}
	return steps
}

func fillSkipped(steps []client.Step, why string) []client.Step {
	for n := len(steps) + 1; n <= stepCount; n++ {
		steps = append(steps, step(n, wire.StepSkipped, certificate.CodeNotReached, why))
	}
	return steps
}

func short(s string) string {
	if len(s) > 16 {
		return s[:16] + "…"
	}
	return s
}

// Malformed runs step 1 (format) of the pipeline on a query before it is sent:
// the report of a query that fails it — an id that starts like a GB/T 36904
// identifier with a wrong check character, say, named in the detail — or nil
// when the query is well-formed.
func Malformed(id, docHash string, now time.Time) *Report {
	res := certificate.Evaluate(certificate.Input{Query: certificate.Query{ID: id, DocHash: docHash}, Now: now})
	if len(res.Steps) == 0 || res.Steps[0].Status != wire.StepFail {
		return nil
	}
	return &Report{Verdict: res.Verdict, Steps: res.Steps, Note: "checked here; nothing was sent to the ledger"}
}

// LocalHash is step 2 for a document hashed on this machine.
func LocalHash(fileHash string) client.Step {
	return step(2, wire.StepPass, "", "SM3 computed locally: "+fileHash)
}

// FromLedger builds a report from the ledger's answer; local replaces the ledger's
// step of the same number when the ledger skipped it (the ledger never sees files).
func FromLedger(res *client.VerifyResult, local ...client.Step) *Report {
	steps := append([]client.Step(nil), res.Steps...)
	for _, l := range local {
		replaced := false
		for i := range steps {
			if steps[i].Step == l.Step {
				if steps[i].Status != wire.StepFail {
					steps[i] = l
				}
				replaced = true
			}
		}
		if !replaced {
			steps = append(steps, l)
		}
	}
	sortSteps(steps)
	verdict := res.Verdict
	for _, l := range local {
		if l.Status == wire.StepFail { // a check made here (the file against a link's hash) decides
			verdict = certificate.StepVerdict(l)
			break
		}
	}
	return &Report{Verdict: verdict, Online: true, Message: res.Message, CheckedAt: res.CheckedAt,
		Certificate: res.Certificate, IssuerName: res.IssuerName, Matches: res.Matches, Steps: steps, Results: res.Results,
		Identifier: res.Identifier, CertType: res.CertType}
}

// WithReceipt merges the offline steps of a receipt with the ledger's answer (res
// nil: the ledger was not reachable) and the certificate's anchor (nil: not
// known). A failure on either side fails the step; a step skipped offline takes
// the ledger's result. Step 3 compares the receipt with the ledger (Compare):
// any difference fails it with RECEIPT_MISMATCH naming the fields.
//
// The verdict: a receipt that fails its own checks gets the verdict it gets
// offline (an edited signature is BAD_SIGNATURE online as offline, though the
// ledger's record differs too); else RECEIPT_MISMATCH when it differs from the
// ledger; else that of the first failed step, or the ledger's.
func WithReceipt(r *receipt.Receipt, offline []client.Step, res *client.VerifyResult, anchor *client.Anchor) *Report {
	if res == nil {
		c := &client.Certificate{Record: r.Record}
		verdict := certificate.VerdictOf(offline, wire.VerdictValid)
		if verdict == wire.VerdictValid {
			// The key is the receipt's own claim: never VALID without the ledger
			// or a trust bundle (OfflineV2) vouching for it.
			verdict = wire.VerdictKeyInvalid
			for i := range offline {
				if offline[i].Step == 6 {
					offline[i].Status, offline[i].Code = wire.StepFail, CodeUntrustedKey
					offline[i].Detail += ": the key is not vouched for (verify online, or offline a v2 receipt with --bundle and --pin)"
				}
			}
		}
		rep := &Report{Verdict: verdict, Steps: offline, Note: OfflineNote, Certificate: c}
		if id, ok := r.Record.Identifier(); ok {
			rep.Identifier = &id
		}
		return rep
	}
	byNum := map[int]client.Step{}
	for _, s := range res.Steps {
		byNum[s.Step] = s
	}
	steps := make([]client.Step, 0, len(offline))
	for _, o := range offline {
		on, ok := byNum[o.Step]
		switch {
		case o.Status == wire.StepFail || !ok:
			steps = append(steps, o)
		case on.Status == wire.StepFail:
			steps = append(steps, on)
		case o.Status == wire.StepSkipped:
			steps = append(steps, on)
		default:
			steps = append(steps, o)
		}
	}
	diffs, unchecked := Compare(r, res, anchor)
	for i := range steps {
		if steps[i].Step == 3 && (len(diffs) > 0 || steps[i].Status != wire.StepFail && res.Certificate != nil) {
			steps[i] = compareStep(res, anchor, diffs, unchecked)
		}
	}
	verdict := certificate.VerdictOf(offline, "")
	if verdict == "" && len(diffs) > 0 {
		verdict = wire.VerdictReceiptMismatch
	}
	if verdict == "" {
		verdict = certificate.VerdictOf(steps, res.Verdict)
	}
	return &Report{Verdict: verdict, Online: true, CheckedAt: res.CheckedAt, Certificate: res.Certificate, IssuerName: res.IssuerName,
		Matches: res.Matches, Steps: steps, Identifier: res.Identifier, CertType: res.CertType}
}

// compareStep is step 3 of a receipt checked online: the comparison with the ledger.
func compareStep(res *client.VerifyResult, anchor *client.Anchor, diffs []Difference, unchecked []string) client.Step {
	if len(diffs) > 0 {
		return step(3, wire.StepFail, wire.VerdictReceiptMismatch, "the receipt differs from the ledger: "+joinDiffs(diffs))
	}
	detail := "the ledger's certificate " + res.Certificate.ID + " equals the receipt (every signed field, signature, issuer key"
	if anchor != nil {
		detail += ", txId " + anchor.TxID
		if anchor.BlockKnown {
			detail += fmt.Sprintf(", block %d", anchor.BlockNumber)
		}
	}
	detail += ")"
	if len(unchecked) > 0 {
		detail += "; not checked: " + strings.Join(unchecked, "; ")
	}
	return step(3, wire.StepPass, "", detail)
}

func sortSteps(s []client.Step) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j].Step < s[j-1].Step; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// OfflineV2 checks a receipt file against a trust bundle file with no network
// (internal/receipt.Check): bundleFile is verified with pin first. The verdict
// is never VALID for a key, organisation or CA the bundle does not list, and
// Unknown says what offline cannot know.
func OfflineV2(receiptFile, bundleFile []byte, pin, fileHash string, now time.Time) *Report {
	in := rcpt.Input{FileHash: fileHash, Now: now, Pin: pin}
	in.Receipt, in.ParseErr = rcpt.Parse(receiptFile)
	if bundleFile == nil {
		in.BundleErr = fmt.Errorf("none given (--bundle)")
	} else {
		in.Bundle, in.BundleErr = trust.Verify(bundleFile, pin)
	}
	res := rcpt.Check(in)
	rep := &Report{Verdict: res.Verdict, Steps: res.Steps, Unknown: res.Unknown, Offline: &res, CheckedAt: res.CheckedAt}
	if in.Bundle != nil {
		rep.Note = fmt.Sprintf("offline, as of trust bundle height %d (%s)", res.AsOfHeight, res.AsOfTime)
		if in.Receipt != nil {
			if d, ok := in.Bundle.Bundle.Department(in.Receipt.Certificate().Issuer); ok {
				rep.IssuerName = d.Name
			}
		}
	} else {
		rep.Note = "offline"
	}
	if in.Receipt != nil {
		rep.Certificate = &client.Certificate{Record: in.Receipt.Certificate(), IssuedAt: in.Receipt.IssuedAt}
		if b := in.Receipt.Batch; b != nil {
			rep.Certificate.BatchID = b.Header.ID
		}
	}
	return rep
}
