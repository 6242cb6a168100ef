// Package certificate holds the rules of anchored e-certificates: the signed
// record, its status machine (valid, suspended, revoked, superseded), signed
// status requests, and the verification pipeline (Evaluate) shared by the
// chaincode and the offline CLI. It never imports the Fabric shim.
package certificate

import (
	"time"

	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/wire"
)

// Certificate statuses.
const (
	StatusValid      = "valid"
	StatusSuspended  = "suspended"
	StatusRevoked    = "revoked"
	StatusSuperseded = "superseded"
)

// Status actions (the "action" of a StatusRequest).
const (
	ActionRevoke    = "revoke"
	ActionSuspend   = "suspend"
	ActionReinstate = "reinstate"
)

// CheckID validates one certificate id (wire.IDPattern; an id that starts like a
// GB/T 36904 identifier must be one, check character included: wire's rule).
func CheckID(field, id string) error {
	var fe wire.FieldErrors
	fe.ID(field, id)
	return fe.Err()
}

// CheckHash validates one lowercase 64-hex SM3 digest.
func CheckHash(field, h string) error {
	var fe wire.FieldErrors
	fe.Hash(field, h)
	return fe.Err()
}

// Fields are the fields of a certificate that its issuing department signs.
// Optional values are "".
//
// A v1 record (RecordVersion 0) signs canon kind "certificate": id, docHash, type,
// issuer, holderCommitment, validFrom, validUntil, keyId, supersedes. A v2 record
// (RecordVersion 2, see record_v2.go) carries GB/T 36903 metadata and a GB/T 36904
// identifier as id, and signs canon kind "v2/certificate"; the fields marked v2 are
// empty (and absent from the JSON) in a v1 record, holderCommitment is empty in a v2 one.
// A batch carries these fields without a signature of their own (batch.Record).
type Fields struct {
	RecordVersion        int        `json:"recordVersion,omitempty"` // 0 = v1, 2 = v2 (not itself signed: the payload prefix says it)
	ID                   string     `json:"id"`
	DocHash              string     `json:"docHash"`
	Type                 string     `json:"type"`
	Name                 string     `json:"name,omitempty"` // v2
	Issuer               string     `json:"issuer"`
	IssuerName           string     `json:"issuerName,omitempty"` // v2
	IssuerCode           string     `json:"issuerCode,omitempty"` // v2
	IssueDate            string     `json:"issueDate,omitempty"`  // v2
	HolderCommitment     string     `json:"holderCommitment"`     // v1
	HolderCodeType       string     `json:"holderCodeType,omitempty"`
	HolderNameCommitment string     `json:"holderNameCommitment,omitempty"` // v2
	HolderCodeCommitment string     `json:"holderCodeCommitment,omitempty"` // v2
	ValidFrom            string     `json:"validFrom"`
	ValidUntil           string     `json:"validUntil"`
	Extensions           Extensions `json:"extensions,omitzero"` // v2
	KeyID                string     `json:"keyId"`
	Supersedes           string     `json:"supersedes"`
}

// Record is the certificate as the issuing department signs it: its signed
// Fields and the SM2 signature over their canonical payload (Payload).
type Record struct {
	Fields
	Signature string `json:"signature"`
}

// Validate checks the format of every field (not the signature itself) and
// returns every problem found as wire.FieldErrors.
func (r Record) Validate() error {
	var fe wire.FieldErrors
	r.CheckFields(&fe)
	fe.Signature("signature", r.Signature)
	return fe.Err()
}

// CheckFields adds to fe the problems of every signed field of r (Validate
// without the signature: a batched record has none of its own).
func (r Record) CheckFields(fe *wire.FieldErrors) {
	switch r.RecordVersion {
	case 0:
		if r.isV2Shaped() {
			fe.Add("recordVersion", "the record has v2 fields (name, issuerCode, ...) but no recordVersion 2")
		}
		fe.ID("id", r.ID)
		fe.Hash("docHash", r.DocHash)
		fe.Text("type", r.Type, 64)
		fe.DeptID("issuer", r.Issuer)
		fe.Hash("holderCommitment", r.HolderCommitment)
	case RecordV2:
		r.checkV2(fe)
	default:
		fe.Add("recordVersion", "%d: want 2 (or none for a v1 record)", r.RecordVersion)
		return
	}
	from, fromOK := fe.ValidityTime("validFrom", r.ValidFrom)
	if r.ValidUntil != "" {
		if until, ok := fe.ValidityTime("validUntil", r.ValidUntil); ok && fromOK && !until.After(from) {
			fe.Add("validUntil", "%s must be after validFrom %s", r.ValidUntil, r.ValidFrom)
		}
	}
	fe.Hash("keyId", r.KeyID)
	if r.Supersedes != "" && fe.ID("supersedes", r.Supersedes) && r.Supersedes == r.ID {
		fe.Add("supersedes", "certificate %s cannot supersede itself", r.ID)
	}
}

// ValidateAt is Validate plus the bound that depends on the transaction time:
// the validity window reaches at most wire.MaxYearsAhead years after now.
func (r Record) ValidateAt(now time.Time) error {
	if err := r.Validate(); err != nil {
		return err
	}
	for _, f := range []struct{ name, v string }{{"validFrom", r.ValidFrom}, {"validUntil", r.ValidUntil}} {
		if f.v == "" {
			continue
		}
		t, _ := wire.ParseUTC(f.v) // checked by Validate
		if err := wire.CheckAhead(t, now); err != nil {
			return codes.New(codes.InvalidArgument, "%s: %v", f.name, err)
		}
	}
	return nil
}

// Certificate is the stored record: the signed Record plus its ledger state.
type Certificate struct {
	Record
	Status       string `json:"status"`
	StatusReason string `json:"statusReason"`
	SupersededBy string `json:"supersededBy"`
	BatchID      string `json:"batchId"`
	IssuedAt     string `json:"issuedAt"`
	UpdatedAt    string `json:"updatedAt"`
	TxID         string `json:"txId"`
	// ActorID is the operator id of the identity that made this version (the
	// issue or the last status change; the history holds every earlier one).
	ActorID string `json:"actorId,omitempty"`
}

// New validates r (ValidateAt the transaction time) and returns the certificate issued at time at by transaction txID.
func New(r Record, at time.Time, txID string) (Certificate, error) {
	if err := r.ValidateAt(at); err != nil {
		return Certificate{}, err
	}
	t := wire.FormatTime(at)
	return Certificate{Record: r, Status: StatusValid, IssuedAt: t, UpdatedAt: t, TxID: txID}, nil
}

// StatusRequest is a signed request to revoke, suspend or reinstate a certificate
// (canon kind "certificate-status"). PrevTxID must be the certificate's current
// txId, so an old signed request cannot be replayed.
type StatusRequest struct {
	CertificateID string `json:"certificateId"`
	Action        string `json:"action"`
	Reason        string `json:"reason"`
	KeyID         string `json:"keyId"`
	PrevTxID      string `json:"prevTxId"`
	// Operator is the operator id of the person the department vouches acted
	// (optional; signed when set, and then it must be the submitting identity's).
	Operator  string `json:"operator,omitempty"`
	Signature string `json:"signature"`
}

// Validate checks the format of every field and returns every problem found
// as wire.FieldErrors.
func (s StatusRequest) Validate() error {
	var fe wire.FieldErrors
	fe.ID("certificateId", s.CertificateID)
	switch s.Action {
	case ActionRevoke, ActionSuspend, ActionReinstate:
	default:
		fe.Add("action", "%q must be revoke, suspend or reinstate", s.Action)
	}
	fe.Text("reason", s.Reason, 200)
	fe.Hash("keyId", s.KeyID)
	if s.PrevTxID == "" || len(s.PrevTxID) > 128 {
		fe.Add("prevTxId", "is required (the certificate's current txId)")
	}
	fe.Operator("operator", s.Operator)
	fe.Signature("signature", s.Signature)
	return fe.Err()
}

// Apply performs the status action of req (already validated) at time at in
// transaction txID. A stale PrevTxID is a CONFLICT; an action not allowed from
// the current status is an ILLEGAL_TRANSITION:
// revoke from valid or suspended; suspend from valid; reinstate from suspended.
func (c *Certificate) Apply(req StatusRequest, at time.Time, txID string) error {
	if req.CertificateID != c.ID {
		return codes.Wrap(codes.ErrInvalidArgument, "request is for certificate %s, not %s", req.CertificateID, c.ID)
	}
	if req.PrevTxID != c.TxID {
		return codes.Wrap(codes.ErrConflict, "prevTxId %s is not the current txId %s of certificate %s (stale or replayed request)", req.PrevTxID, c.TxID, c.ID)
	}
	var next string
	switch req.Action {
	case ActionRevoke:
		if c.Status == StatusValid || c.Status == StatusSuspended {
			next = StatusRevoked
		}
	case ActionSuspend:
		if c.Status == StatusValid {
			next = StatusSuspended
		}
	case ActionReinstate:
		if c.Status == StatusSuspended {
			next = StatusValid
		}
	default:
		return codes.Wrap(codes.ErrInvalidArgument, "unknown action %q", req.Action)
	}
	if next == "" {
		return codes.Wrap(codes.ErrIllegalTransition, "cannot %s certificate %s: it is %s", req.Action, c.ID, c.Status)
	}
	c.Status = next
	c.StatusReason = req.Reason
	c.UpdatedAt = wire.FormatTime(at)
	c.TxID = txID
	return nil
}

// Supersede marks c as replaced by certificate newID. Only a valid or
// suspended certificate can be superseded (ILLEGAL_TRANSITION otherwise).
func (c *Certificate) Supersede(newID string, at time.Time, txID string) error {
	if c.Status != StatusValid && c.Status != StatusSuspended {
		return codes.Wrap(codes.ErrIllegalTransition, "cannot supersede certificate %s: it is %s", c.ID, c.Status)
	}
	c.Status = StatusSuperseded
	c.StatusReason = "superseded"
	c.SupersededBy = newID
	c.UpdatedAt = wire.FormatTime(at)
	c.TxID = txID
	return nil
}
