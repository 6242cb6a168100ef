// Package certificate holds the rules of anchored e-certificates: the signed
// record, its status machine (valid, suspended, revoked, superseded), signed
// status requests, and the verification pipeline (Evaluate) shared by the
// chaincode and the offline CLI. It never imports the Fabric shim.
package certificate

import (
	"regexp"
	"time"

	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/identifier"
	"github.com/certledger/certledger/internal/domain/registry"
	"github.com/certledger/certledger/internal/gm"
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

var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$`)

// CheckID validates a certificate id: 1-128 of [A-Za-z0-9._:-], starting alphanumeric.
// An id that starts like a GB/T 36904 identifier must be one, check character included
// (the error names the expected character).
func CheckID(field, id string) error {
	if identifier.Looks(id) {
		_, err := identifier.Parse(id)
		return err
	}
	if !idPattern.MatchString(id) {
		return codes.New(codes.InvalidArgument, "%s %q must be 1-128 characters of [A-Za-z0-9._:-] starting with a letter or digit", field, id)
	}
	return nil
}

// CheckHash validates a lowercase 64-hex SM3 digest.
func CheckHash(field, h string) error {
	if err := gm.CheckHash(h); err != nil {
		return codes.New(codes.InvalidArgument, "%s %q must be 64 lowercase hex characters (SM3)", field, h)
	}
	return nil
}

// Record is the certificate as the issuing department signs it. Optional values are "".
//
// A v1 record (RecordVersion 0) signs canon kind "certificate": id, docHash, type,
// issuer, holderCommitment, validFrom, validUntil, keyId, supersedes. A v2 record
// (RecordVersion 2, see record_v2.go) carries GB/T 36903 metadata and a GB/T 36904
// identifier as id, and signs canon kind "v2/certificate"; the fields marked v2 are
// empty (and absent from the JSON) in a v1 record, holderCommitment is empty in a v2 one.
type Record struct {
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
	Signature            string     `json:"signature"`
}

// Validate checks the format of every field (not the signature itself).
func (r Record) Validate() error {
	switch r.RecordVersion {
	case 0:
		if r.isV2Shaped() {
			return codes.New(codes.InvalidArgument, "the record has v2 fields (name, issuerCode, ...) but no recordVersion 2")
		}
	case RecordV2:
		return r.validateV2()
	default:
		return codes.New(codes.InvalidArgument, "recordVersion %d: want 2 (or none for a v1 record)", r.RecordVersion)
	}
	if err := CheckID("id", r.ID); err != nil {
		return err
	}
	if err := CheckHash("docHash", r.DocHash); err != nil {
		return err
	}
	if err := registry.CheckText("type", r.Type, 64); err != nil {
		return err
	}
	if err := registry.CheckID("issuer", r.Issuer); err != nil {
		return err
	}
	if err := CheckHash("holderCommitment", r.HolderCommitment); err != nil {
		return err
	}
	from, err := registry.ParseTime("validFrom", r.ValidFrom)
	if err != nil {
		return err
	}
	if r.ValidUntil != "" {
		until, err := registry.ParseTime("validUntil", r.ValidUntil)
		if err != nil {
			return err
		}
		if !until.After(from) {
			return codes.New(codes.InvalidArgument, "validUntil %s must be after validFrom %s", r.ValidUntil, r.ValidFrom)
		}
	}
	if err := CheckHash("keyId", r.KeyID); err != nil {
		return err
	}
	if r.Supersedes != "" {
		if err := CheckID("supersedes", r.Supersedes); err != nil {
			return err
		}
		if r.Supersedes == r.ID {
			return codes.New(codes.InvalidArgument, "certificate %s cannot supersede itself", r.ID)
		}
	}
	if r.Signature == "" || len(r.Signature) > 256 {
		return codes.New(codes.InvalidArgument, "signature must be a base64 SM2 signature")
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
}

// New validates r and returns the certificate issued at time at by transaction txID.
func New(r Record, at time.Time, txID string) (Certificate, error) {
	if err := r.Validate(); err != nil {
		return Certificate{}, err
	}
	t := registry.FormatTime(at)
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
	Signature     string `json:"signature"`
}

// Validate checks the format of every field.
func (s StatusRequest) Validate() error {
	if err := CheckID("certificateId", s.CertificateID); err != nil {
		return err
	}
	switch s.Action {
	case ActionRevoke, ActionSuspend, ActionReinstate:
	default:
		return codes.New(codes.InvalidArgument, "action %q must be revoke, suspend or reinstate", s.Action)
	}
	if err := registry.CheckText("reason", s.Reason, 200); err != nil {
		return err
	}
	if err := CheckHash("keyId", s.KeyID); err != nil {
		return err
	}
	if s.PrevTxID == "" || len(s.PrevTxID) > 128 {
		return codes.New(codes.InvalidArgument, "prevTxId is required (the certificate's current txId)")
	}
	if s.Signature == "" || len(s.Signature) > 256 {
		return codes.New(codes.InvalidArgument, "signature must be a base64 SM2 signature")
	}
	return nil
}

// Apply performs the status action of req (already validated) at time at in
// transaction txID. A stale PrevTxID is a CONFLICT; an action not allowed from
// the current status is an ILLEGAL_TRANSITION:
// revoke from valid or suspended; suspend from valid; reinstate from suspended.
func (c *Certificate) Apply(req StatusRequest, at time.Time, txID string) error {
	if req.CertificateID != c.ID {
		return codes.New(codes.InvalidArgument, "request is for certificate %s, not %s", req.CertificateID, c.ID)
	}
	if req.PrevTxID != c.TxID {
		return codes.New(codes.Conflict, "prevTxId %s is not the current txId %s of certificate %s (stale or replayed request)", req.PrevTxID, c.TxID, c.ID)
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
		return codes.New(codes.InvalidArgument, "unknown action %q", req.Action)
	}
	if next == "" {
		return codes.New(codes.IllegalTransition, "cannot %s certificate %s: it is %s", req.Action, c.ID, c.Status)
	}
	c.Status = next
	c.StatusReason = req.Reason
	c.UpdatedAt = registry.FormatTime(at)
	c.TxID = txID
	return nil
}

// Supersede marks c as replaced by certificate newID. Only a valid or
// suspended certificate can be superseded (ILLEGAL_TRANSITION otherwise).
func (c *Certificate) Supersede(newID string, at time.Time, txID string) error {
	if c.Status != StatusValid && c.Status != StatusSuspended {
		return codes.New(codes.IllegalTransition, "cannot supersede certificate %s: it is %s", c.ID, c.Status)
	}
	c.Status = StatusSuperseded
	c.StatusReason = "superseded"
	c.SupersededBy = newID
	c.UpdatedAt = registry.FormatTime(at)
	c.TxID = txID
	return nil
}
