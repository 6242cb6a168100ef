package exchange

import (
	"time"

	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/wire"
)

// Grant statuses as stored. A grant past its validUntil keeps status active but
// authorises nothing; EffectiveStatus reports "expired" for it.
const (
	GrantActive  = "active"
	GrantRevoked = "revoked"
	GrantExpired = "expired"       // computed, never stored
	GrantPending = "not-yet-valid" // computed, never stored
)

// GrantRequest is the signed grant a provider submits. Two forms: sealed
// (purposeHash set, purpose empty: the purpose stays off-chain like a ticket's
// note, canon.KindGrantSealed) and declared (purpose in clear, canon.KindGrant,
// kept so that grants signed before verify; the CLI sends sealed grants).
type GrantRequest struct {
	ID          string   `json:"id"`
	Provider    string   `json:"provider"`
	Consumer    string   `json:"consumer"`
	Item        string   `json:"item"`
	Fields      []string `json:"fields"`
	Purpose     string   `json:"purpose"`
	PurposeHash string   `json:"purposeHash,omitempty"`
	LegalBasis  string   `json:"legalBasis"`
	ValidFrom   string   `json:"validFrom"`
	ValidUntil  string   `json:"validUntil"`
	KeyID       string   `json:"keyId"`
	// Operator is the operator id of the person the provider vouches acted
	// (optional; signed when set, and then it must be the submitting identity's).
	Operator  string `json:"operator,omitempty"`
	Signature string `json:"signature"`
}

// Validate checks the request's format (not its signature) and returns every
// problem found as wire.FieldErrors.
func (r GrantRequest) Validate() error {
	var fe wire.FieldErrors
	fe.ID("id", r.ID)
	fe.ID("provider", r.Provider)
	if fe.ID("consumer", r.Consumer) && r.Provider == r.Consumer {
		fe.Add("consumer", "provider and consumer are the same department %s", r.Provider)
	}
	fe.ID("item", r.Item)
	checkFields(&fe, "fields", r.Fields)
	if r.PurposeHash != "" {
		fe.Hash("purposeHash", r.PurposeHash)
		if r.Purpose != "" {
			fe.Add("purpose", "give purposeHash or purpose, not both (the purpose stays off-chain)")
		}
	} else {
		text(&fe, "purpose", r.Purpose, true)
	}
	text(&fe, "legalBasis", r.LegalBasis, true)
	from, fromOK := fe.ValidityTime("validFrom", r.ValidFrom)
	if until, ok := fe.ValidityTime("validUntil", r.ValidUntil); ok && fromOK && !from.Before(until) {
		fe.Add("validUntil", "validFrom %s is not before validUntil %s", r.ValidFrom, r.ValidUntil)
	}
	signer(&fe, r.KeyID, r.Operator, r.Signature)
	return fe.Err()
}

// ValidateAt is Validate plus the bound that depends on the transaction time:
// validUntil at most wire.MaxYearsAhead years after now.
func (r GrantRequest) ValidateAt(now time.Time) error {
	if err := r.Validate(); err != nil {
		return err
	}
	if err := wire.CheckAhead(mustTime(r.ValidUntil), now); err != nil {
		return codes.Wrap(codes.ErrInvalidArgument, "validUntil: %v", err)
	}
	return nil
}

// SignedForm returns the canonical kind and the record a signature covers.
func (r GrantRequest) SignedForm() (canon.Kind, any) {
	if r.PurposeHash != "" {
		return canon.KindGrantSealed, r
	}
	return canon.KindGrant, r
}

// RevocationRequest is the provider's signed revocation of a grant as it sends
// it (exchange:RevokeGrant input). Sealed form: reasonHash
// (canon.KindGrantRevokeSealed); declared form: reason (canon.KindGrantRevoke).
type RevocationRequest struct {
	GrantID    string `json:"grantId"`
	Reason     string `json:"reason"`
	ReasonHash string `json:"reasonHash,omitempty"`
	KeyID      string `json:"keyId"`
	PrevTxID   string `json:"prevTxId"`
	Operator   string `json:"operator,omitempty"` // signed when set (canon.OptionalFields)
	Signature  string `json:"signature"`
}

// Revocation is a revocation as stored in the grant, with when and by which
// transaction it was recorded.
type Revocation struct {
	RevocationRequest
	Recorded
}

// Validate checks a revocation request's format and returns every problem
// found as wire.FieldErrors.
func (r RevocationRequest) Validate() error {
	var fe wire.FieldErrors
	fe.ID("grantId", r.GrantID)
	if r.ReasonHash != "" {
		fe.Hash("reasonHash", r.ReasonHash)
		if r.Reason != "" {
			fe.Add("reason", "give reasonHash or reason, not both (the reason stays off-chain)")
		}
	} else {
		text(&fe, "reason", r.Reason, true)
	}
	fe.Hash("keyId", r.KeyID)
	if r.PrevTxID == "" {
		fe.Add("prevTxId", "is required")
	}
	fe.Operator("operator", r.Operator)
	fe.Signature("signature", r.Signature)
	return fe.Err()
}

// SignedForm returns the canonical kind and the record a signature covers.
func (r RevocationRequest) SignedForm() (canon.Kind, any) {
	if r.ReasonHash != "" {
		return canon.KindGrantRevokeSealed, r
	}
	return canon.KindGrantRevoke, r
}

// Grant is a stored grant: the signed request plus its state, and once it has
// ended, the consumer's attestation that it deleted the data (Deletion).
type Grant struct {
	GrantRequest
	Status     string      `json:"status"`
	Revocation *Revocation `json:"revocation,omitempty"`
	Deletion   *Deletion   `json:"deletion,omitempty"`
	CreatedAt  string      `json:"createdAt"`
	UpdatedAt  string      `json:"updatedAt"`
	TxID       string      `json:"txId"`              // the last write; a revocation must name it as prevTxId
	ActorID    string      `json:"actorId,omitempty"` // operator id of the identity that created it
}

// NewGrant builds the grant the provider asks for at transaction time now. item is
// the provider's catalogue entry named by the request. The signature is checked
// last, after every cheaper rule.
func NewGrant(req GrantRequest, item CatalogItem, now time.Time, txID string, v Verifier) (Grant, error) {
	if err := req.ValidateAt(now); err != nil {
		return Grant{}, err
	}
	if item.Provider != req.Provider || item.ID != req.Item {
		return Grant{}, codes.Wrap(codes.ErrInvalidArgument, "item %s is not in the catalogue of %s", req.Item, req.Provider)
	}
	if out := outside(req.Fields, item.Fields); len(out) > 0 {
		return Grant{}, codes.Wrap(codes.ErrInvalidArgument, "fields %v are not fields of item %s", out, item.ID)
	}
	if !mustTime(req.ValidUntil).After(now) {
		return Grant{}, codes.Wrap(codes.ErrInvalidArgument, "validUntil %s is not after the transaction time %s", req.ValidUntil, wire.FormatTime(now))
	}
	if item.Withdrawn() {
		return Grant{}, codes.Wrap(ErrItemWithdrawn, "item %s of %s was withdrawn at %s", item.ID, item.Provider, item.Withdrawal.At)
	}
	kind, signed := req.SignedForm()
	if err := v.VerifySigned(kind, req.Provider, req.KeyID, now, signed, req.Signature); err != nil {
		return Grant{}, codes.Prefix(err, "grant %s", req.ID)
	}
	ts := wire.FormatTime(now)
	return Grant{GrantRequest: req, Status: GrantActive, CreatedAt: ts, UpdatedAt: ts, TxID: txID}, nil
}

// Revoke returns the grant revoked by the provider's signed request at time now.
// From now on it authorises nothing; exchanges sent before stay verifiable.
func (g Grant) Revoke(r Revocation, now time.Time, txID string, v Verifier) (Grant, error) {
	if err := r.Validate(); err != nil {
		return Grant{}, err
	}
	if r.GrantID != g.ID {
		return Grant{}, codes.Wrap(codes.ErrInvalidArgument, "revocation names grant %s, not %s", r.GrantID, g.ID)
	}
	if g.Status == GrantRevoked {
		return Grant{}, codes.Wrap(ErrAlreadyRevoked, "grant %s", g.ID)
	}
	if r.PrevTxID != g.TxID {
		return Grant{}, codes.Wrap(ErrStaleTx, "grant %s: got %s, last write %s", g.ID, r.PrevTxID, g.TxID)
	}
	kind, signed := r.SignedForm()
	if err := v.VerifySigned(kind, g.Provider, r.KeyID, now, signed, r.Signature); err != nil {
		return Grant{}, codes.Prefix(err, "revoking grant %s", g.ID)
	}
	g.Status = GrantRevoked
	g.Revocation = &r
	g.UpdatedAt, g.TxID = r.record(now, txID), txID
	return g, nil
}

// ValidAt reports whether the grant authorises exchanges at time at:
// validFrom <= at < validUntil, and not revoked at or before at. The error
// matches ErrGrantNotYet, ErrGrantExpired or ErrGrantRevoked.
func (g Grant) ValidAt(at time.Time) error {
	if from, err := wire.ParseTime(g.ValidFrom); err != nil || at.Before(from) {
		return codes.Prefix(codes.Wrap(ErrGrantNotYet, "valid from %s", g.ValidFrom), "grant %s at %s", g.ID, wire.FormatTime(at))
	}
	if until, err := wire.ParseTime(g.ValidUntil); err != nil || !at.Before(until) {
		return codes.Prefix(codes.Wrap(ErrGrantExpired, "valid until %s", g.ValidUntil), "grant %s at %s", g.ID, wire.FormatTime(at))
	}
	if g.Status == GrantRevoked {
		if g.Revocation == nil || g.Revocation.At == "" || !at.Before(mustTime(g.Revocation.At)) {
			return codes.Prefix(ErrGrantRevoked, "grant %s at %s", g.ID, wire.FormatTime(at))
		}
	}
	return nil
}

// EffectiveStatus is the grant's status as seen at time t: revoked, expired,
// not-yet-valid or active.
func (g Grant) EffectiveStatus(at time.Time) string {
	if g.Status == GrantRevoked {
		return GrantRevoked
	}
	if !at.Before(mustTime(g.ValidUntil)) {
		return GrantExpired
	}
	if at.Before(mustTime(g.ValidFrom)) {
		return GrantPending
	}
	return GrantActive
}

// Ended reports whether the grant no longer authorises anything at time at
// (revoked or expired).
func (g Grant) Ended(at time.Time) bool {
	st := g.EffectiveStatus(at)
	return st == GrantRevoked || st == GrantExpired
}

// DeletionRequest is the consumer's signed attestation that it deleted the
// data it received under a grant once the grant ended (canon.KindGrantDeletion;
// exchange:AttestDeletion input). prevTxId is the grant's last write, so the
// attestation names the grant's final state (a revocation, or the creation for
// an expired grant).
type DeletionRequest struct {
	GrantID   string `json:"grantId"`
	Consumer  string `json:"consumer"`
	PrevTxID  string `json:"prevTxId"`
	KeyID     string `json:"keyId"`
	Operator  string `json:"operator,omitempty"` // signed when set (canon.OptionalFields)
	Signature string `json:"signature"`
}

// Deletion is a deletion attestation as stored in the grant, with when and by
// which transaction it was recorded.
type Deletion struct {
	DeletionRequest
	Recorded
}

// Validate checks the attestation's format.
func (d DeletionRequest) Validate() error {
	var fe wire.FieldErrors
	fe.ID("grantId", d.GrantID)
	fe.ID("consumer", d.Consumer)
	if d.PrevTxID == "" {
		fe.Add("prevTxId", "is required")
	}
	signer(&fe, d.KeyID, d.Operator, d.Signature)
	return fe.Err()
}

// SignedForm returns the canonical kind and the record a signature covers.
func (d DeletionRequest) SignedForm() (canon.Kind, any) {
	return canon.KindGrantDeletion, d
}

// AttestDeletion returns the grant with the consumer's deletion attestation d
// recorded at time now. Only the grant's consumer, only once the grant has
// ended (revoked or expired at now), only once.
func (g Grant) AttestDeletion(d Deletion, now time.Time, txID string, v Verifier) (Grant, error) {
	if err := d.Validate(); err != nil {
		return Grant{}, err
	}
	if d.GrantID != g.ID {
		return Grant{}, codes.Wrap(codes.ErrInvalidArgument, "attestation names grant %s, not %s", d.GrantID, g.ID)
	}
	if d.Consumer != g.Consumer {
		return Grant{}, codes.Prefix(codes.Wrap(ErrWrongConsumer, "the consumer is %s", g.Consumer), "deletion of grant %s attested by %s", g.ID, d.Consumer)
	}
	if g.Deletion != nil {
		return Grant{}, codes.Wrap(ErrAlreadyAttested, "grant %s: attested at %s", g.ID, g.Deletion.At)
	}
	if !g.Ended(now) {
		return Grant{}, codes.Wrap(ErrGrantNotEnded, "grant %s is %s until %s: attest deletion once it is revoked or expired", g.ID, g.EffectiveStatus(now), g.ValidUntil)
	}
	if d.PrevTxID != g.TxID {
		return Grant{}, codes.Wrap(ErrStaleTx, "grant %s: got %s, last write %s", g.ID, d.PrevTxID, g.TxID)
	}
	kind, signed := d.SignedForm()
	if err := v.VerifySigned(kind, g.Consumer, d.KeyID, now, signed, d.Signature); err != nil {
		return Grant{}, codes.Prefix(err, "attesting deletion under grant %s", g.ID)
	}
	g.Deletion = &d
	g.UpdatedAt, g.TxID = d.record(now, txID), txID
	return g, nil
}
