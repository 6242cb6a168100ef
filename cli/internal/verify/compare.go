package verify

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/certledger/certledger/cli/internal/client"
	"github.com/certledger/certledger/cli/internal/receipt"
	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/gm"
)

// Difference is one field where a receipt and the ledger disagree.
type Difference struct {
	Field   string `json:"field"` // as the receipt names it: record.issuer, ledger.txId, ...
	Receipt string `json:"receipt"`
	Ledger  string `json:"ledger"`
}

func (d Difference) String() string {
	return fmt.Sprintf("%s (receipt %q, ledger %q)", d.Field, d.Receipt, d.Ledger)
}

func joinDiffs(ds []Difference) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = d.String()
	}
	return strings.Join(parts, "; ")
}

// Compare lists every difference between a receipt and the ledger's answer
// about its certificate: each field of the signed record and its signature
// (every field the record type has, so a field added later is compared too),
// the issue time, the issuer key (department, key id) and the ledger
// coordinates (txId, blockNumber) against the certificate's anchor. unchecked
// names what could not be compared (no anchor, a block the ledger cannot
// place, a pending receipt without coordinates).
func Compare(r *receipt.Receipt, res *client.VerifyResult, a *client.Anchor) (diffs []Difference, unchecked []string) {
	if res == nil || res.Certificate == nil {
		return nil, []string{"the ledger returned no certificate"}
	}
	c := res.Certificate
	diffs = append(diffs, compareRecords(r.Record, c.Record)...)
	if r.IssuedAt != "" && !sameTime(r.IssuedAt, c.IssuedAt) {
		diffs = append(diffs, Difference{"issuedAt", r.IssuedAt, c.IssuedAt})
	}
	// The key's department is the issuer's: step 6 online checks that the ledger's
	// key belongs to the record's issuer.
	if r.IssuerKey.DepartmentID != c.Issuer {
		diffs = append(diffs, Difference{"issuerKey.departmentId", r.IssuerKey.DepartmentID, c.Issuer})
	}
	if k := res.IssuerKey; k != nil {
		if r.IssuerKey.KeyID != k.KeyID {
			diffs = append(diffs, Difference{"issuerKey.keyId", r.IssuerKey.KeyID, k.KeyID})
		}
		if id := pemKeyID(r.IssuerKey.PublicKey); id != k.KeyID {
			diffs = append(diffs, Difference{"issuerKey.publicKey", "key " + id, "key " + k.KeyID})
		}
	}
	switch {
	case r.Ledger.TxID == "":
		unchecked = append(unchecked, "the receipt has no ledger coordinates (a pending receipt)")
	case a == nil:
		unchecked = append(unchecked, "ledger.txId and ledger.blockNumber (the gateway gave no anchor)")
	default:
		if r.Ledger.TxID != a.TxID {
			diffs = append(diffs, Difference{"ledger.txId", r.Ledger.TxID, a.TxID})
		}
		switch {
		case !a.BlockKnown:
			unchecked = append(unchecked, "ledger.blockNumber (the ledger cannot place transaction "+a.TxID+")")
		case r.Ledger.BlockNumber != a.BlockNumber:
			diffs = append(diffs, Difference{"ledger.blockNumber", fmt.Sprint(r.Ledger.BlockNumber), fmt.Sprint(a.BlockNumber)})
		}
	}
	return diffs, unchecked
}

// compareRecords compares two records field by field through their JSON form.
func compareRecords(receipt, ledger client.CertificateRecord) []Difference {
	var out []Difference
	for _, d := range wire.DiffFields(receipt, ledger) {
		out = append(out, Difference{"record." + d.Name, unquote(d.A), unquote(d.B)})
	}
	return out
}

func unquote(v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	return string(v)
}

func sameTime(a, b string) bool {
	ta, err1 := time.Parse(time.RFC3339Nano, a)
	tb, err2 := time.Parse(time.RFC3339Nano, b)
	if err1 != nil || err2 != nil {
		return a == b
	}
	return ta.Equal(tb)
}

func pemKeyID(p string) string {
	pub, err := gm.ParsePublicKeyPEM([]byte(p))
	if err != nil {
		return "(not a public key)"
	}
	return gm.KeyID(pub)
}

// Holder is step 9, the holder proof: whether holderID opens the record's
// holder commitment SM3(salt ‖ id) with the receipt's salt. It runs here only;
// the id is sent nowhere.
func Holder(r *receipt.Receipt, holderID string) client.Step {
	// A v2 record commits to the holder's code with its own salt (holder.codeSalt).
	salt, field, commitment := r.Holder.Salt, "holderCommitment", r.Record.HolderCommitment
	if r.Record.RecordVersion == certificate.RecordV2 {
		salt, field, commitment = r.Holder.CodeSalt, "holderCodeCommitment", r.Record.HolderCodeCommitment
	}
	switch {
	case salt == "":
		return step(StepHolder, wire.StepFail, wire.VerdictHolderMismatch, "the receipt carries no holder salt: the holder cannot be checked with it")
	case r.CheckHolder(holderID):
		return step(StepHolder, wire.StepPass, "", "the holder id given opens "+field+" "+short(commitment)+" with the receipt's salt (checked on this machine; the id was sent nowhere)")
	}
	return step(StepHolder, wire.StepFail, wire.VerdictHolderMismatch, "the holder id given does not open "+field+" "+short(commitment)+" with the receipt's salt: the certificate is not this holder's")
}

// WithHolder appends the holder step to rep; a mismatch decides the verdict
// when nothing else failed.
func WithHolder(rep *Report, s client.Step) {
	rep.Steps = append(rep.Steps, s)
	if s.Status == wire.StepFail && rep.Verdict == wire.VerdictValid {
		rep.Verdict = wire.VerdictHolderMismatch
	}
}
