// Package verify runs the client side of the numbered verification pipeline of
// DESIGN.md: the offline checks of a receipt (format, document hash, SM2 signature,
// key id, validity window) and their merge with the ledger's answer.
package verify

import (
	"time"

	"github.com/certledger/certledger/cli/internal/client"
	"github.com/certledger/certledger/cli/internal/receipt"
	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/domain/certtype"
	"github.com/certledger/certledger/internal/domain/identifier"
	"github.com/certledger/certledger/internal/domain/registry"
)

// Step statuses.
const (
	Pass    = "pass"
	Fail    = "fail"
	Skipped = "skipped"
)

// Verdicts (the chaincode's, plus the offline ones reuse them).
const (
	Valid         = "VALID"
	NotFound      = "NOT_FOUND"
	BadFormat     = "BAD_FORMAT"
	HashMismatch  = "HASH_MISMATCH"
	BadSignature  = "BAD_SIGNATURE"
	KeyInvalid    = "KEY_INVALID"
	Expired       = "EXPIRED"
	NotYetValid   = "NOT_YET_VALID"
	OfflineNote   = "offline: revocation not checked"
	stepCount     = 8
	defaultFailed = "INVALID"
)

// Names of the steps, 1-based.
var Names = [stepCount + 1]string{"", "format", "hash", "lookup", "merkle", "signature", "key", "status", "validity"}

var defaultCode = map[int]string{1: BadFormat, 2: HashMismatch, 3: NotFound, 4: BadSignature, 5: BadSignature, 6: KeyInvalid, 7: "STATUS", 8: Expired}

// Report is the outcome shown to the user.
type Report struct {
	Verdict     string              `json:"verdict"`
	Online      bool                `json:"online"` // the ledger was asked
	Note        string              `json:"note,omitempty"`
	CheckedAt   string              `json:"checkedAt,omitempty"`
	Certificate *client.Certificate `json:"certificate,omitempty"`
	Matches     []string            `json:"matches,omitempty"`
	Steps       []client.Step       `json:"steps"`
	// Identifier and CertType are the ledger's (see client.VerifyResult).
	Identifier *identifier.Identifier `json:"identifier,omitempty"`
	CertType   *certtype.Info         `json:"certType,omitempty"`
}

// Valid reports whether the verdict is VALID.
func (r *Report) Valid() bool { return r.Verdict == Valid }

// Codes of steps run here that neither pass nor fail with a verdict.
const (
	CodeOK      = "OK"
	CodeNoFile  = "NO_FILE"
	CodeOffline = "OFFLINE"
)

func step(n int, status, code, detail string) client.Step {
	if code == "" && status == Pass {
		code = CodeOK
	}
	return client.Step{Step: n, Name: Names[n], Status: status, Code: code, Detail: detail}
}

// Offline checks a receipt without the ledger, with the pure pipeline the chaincode
// runs (certificate.Evaluate, offline mode). fileHash is the SM3 of the document the
// verifier holds ("" if none). The record and the issuer key come from the receipt,
// so the steps only the ledger can answer are skipped here with code OFFLINE:
// lookup (3), the key's registration and validity (6) and the status (7).
func Offline(r *receipt.Receipt, fileHash string, now time.Time) []client.Step {
	if err := r.Validate(); err != nil {
		steps := []client.Step{step(1, Fail, BadFormat, err.Error())}
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
		cs := client.Step{Step: s.Step, Name: s.Name, Status: s.Status, Code: s.Code, Detail: s.Detail}
		switch {
		case s.Step == 1 && s.Status == Pass:
			cs.Detail = "receipt " + receipt.Version
			if id, ok := rec.Identifier(); ok {
				cs.Detail += "; GB/T 36904 identifier, check character " + id.Check + " verified"
			}
		case s.Step == 2 && s.Status == Skipped:
			cs.Code, cs.Detail = CodeNoFile, "no document given"
		case s.Step == 3 && s.Status == Pass:
			cs = step(3, Skipped, CodeOffline, "record taken from the receipt; looked up on the ledger online")
		case s.Step == 6 && s.Status == Pass:
			cs = step(6, Skipped, CodeOffline, "key "+short(rec.KeyID)+" of "+r.IssuerKey.DepartmentID+
				" per the receipt; its registration and validity at issue time need the ledger")
		case s.Step == 7 && s.Status == Skipped:
			cs.Detail = OfflineNote
		}
		steps = append(steps, cs)
	}
	return steps
}

func fillSkipped(steps []client.Step, why string) []client.Step {
	for n := len(steps) + 1; n <= stepCount; n++ {
		steps = append(steps, step(n, Skipped, "NOT_REACHED", why))
	}
	return steps
}

func short(s string) string {
	if len(s) > 16 {
		return s[:16] + "…"
	}
	return s
}

// LocalHash is step 2 for a document hashed on this machine.
func LocalHash(fileHash string) client.Step {
	return step(2, Pass, "", "SM3 computed locally: "+fileHash)
}

// FromLedger builds a report from the ledger's answer; local replaces the ledger's
// step of the same number when the ledger skipped it (the ledger never sees files).
func FromLedger(res *client.VerifyResult, local ...client.Step) *Report {
	steps := append([]client.Step(nil), res.Steps...)
	for _, l := range local {
		replaced := false
		for i := range steps {
			if steps[i].Step == l.Step {
				if steps[i].Status != Fail {
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
	return &Report{Verdict: res.Verdict, Online: true, CheckedAt: res.CheckedAt, Certificate: res.Certificate, Matches: res.Matches, Steps: steps,
		Identifier: res.Identifier, CertType: res.CertType}
}

// WithReceipt merges the offline steps of a receipt with the ledger's answer (nil when
// the ledger was not reachable). A failure on either side fails the step; a step
// skipped offline takes the ledger's result. The ledger's record must be the
// receipt's record.
func WithReceipt(r *receipt.Receipt, offline []client.Step, res *client.VerifyResult) *Report {
	if res == nil {
		c := &client.Certificate{CertificateRecord: r.Record}
		rep := &Report{Verdict: verdictOf(offline, Valid), Steps: offline, Note: OfflineNote, Certificate: c}
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
		case o.Status == Fail || !ok:
			steps = append(steps, o)
		case on.Status == Fail:
			steps = append(steps, on)
		case o.Status == Skipped:
			steps = append(steps, on)
		default:
			steps = append(steps, o)
		}
	}
	if c := res.Certificate; c != nil && (c.ID != r.Record.ID || c.Signature != r.Record.Signature || c.DocHash != r.Record.DocHash) {
		for i := range steps {
			if steps[i].Step == 3 {
				steps[i] = step(3, Fail, NotFound, "the ledger's certificate "+c.ID+" is not the receipt's record")
			}
		}
	}
	return &Report{Verdict: verdictOf(steps, res.Verdict), Online: true, CheckedAt: res.CheckedAt, Certificate: res.Certificate, Matches: res.Matches, Steps: steps,
		Identifier: res.Identifier, CertType: res.CertType}
}

// verdictOf returns the verdict of the first failed step, else fallback. Steps 4
// and 6 fail with detail codes (MERKLE_MISMATCH, KEY_REVOKED, ...) whose verdicts
// are BAD_SIGNATURE and KEY_INVALID.
func verdictOf(steps []client.Step, fallback string) string {
	for _, s := range steps {
		if s.Status == Fail {
			if s.Step == 4 || s.Step == 6 {
				return defaultCode[s.Step]
			}
			if s.Code != "" {
				return s.Code
			}
			if c, ok := defaultCode[s.Step]; ok {
				return c
			}
			return defaultFailed
		}
	}
	return fallback
}

func sortSteps(s []client.Step) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j].Step < s[j-1].Step; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}
