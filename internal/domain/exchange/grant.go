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

// GrantRequest is the signed grant a provider submits. Its fields are exactly the
// signed fields of canon.KindGrant plus the signature.
type GrantRequest struct {
	ID         string   `json:"id"`
	Provider   string   `json:"provider"`
	Consumer   string   `json:"consumer"`
	Item       string   `json:"item"`
	Fields     []string `json:"fields"`
	Purpose    string   `json:"purpose"`
	LegalBasis string   `json:"legalBasis"`
	ValidFrom  string   `json:"validFrom"`
	ValidUntil string   `json:"validUntil"`
	KeyID      string   `json:"keyId"`
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
	text(&fe, "purpose", r.Purpose, true)
	text(&fe, "legalBasis", r.LegalBasis, true)
	from, fromOK := fe.ValidityTime("validFrom", r.ValidFrom)
	if until, ok := fe.ValidityTime("validUntil", r.ValidUntil); ok && fromOK && !from.Before(until) {
		fe.Add("validUntil", "validFrom %s is not before validUntil %s", r.ValidFrom, r.ValidUntil)
	}
	fe.Hash("keyId", r.KeyID)
	fe.Operator("operator", r.Operator)
	fe.Signature("signature", r.Signature)
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

// Revocation is the provider's signed revocation of a grant (canon.KindGrantRevoke)
// as stored in the grant, with when and by which transaction it was recorded.
type Revocation struct {
	GrantID   string `json:"grantId"`
	Reason    string `json:"reason"`
	KeyID     string `json:"keyId"`
	PrevTxID  string `json:"prevTxId"`
	Operator  string `json:"operator,omitempty"` // signed when set (canon.OptionalFields)
	Signature string `json:"signature"`
	At        string `json:"at,omitempty"`
	TxID      string `json:"txId,omitempty"`
	ActorID   string `json:"actorId,omitempty"` // operator id of the identity that submitted it
}

// Validate checks a revocation request's format and returns every problem
// found as wire.FieldErrors.
func (r Revocation) Validate() error {
	var fe wire.FieldErrors
	fe.ID("grantId", r.GrantID)
	text(&fe, "reason", r.Reason, true)
	fe.Hash("keyId", r.KeyID)
	if r.PrevTxID == "" {
		fe.Add("prevTxId", "is required")
	}
	fe.Operator("operator", r.Operator)
	fe.Signature("signature", r.Signature)
	return fe.Err()
}

// Grant is a stored grant: the signed request plus its state.
type Grant struct {
	GrantRequest
	Status     string      `json:"status"`
	Revocation *Revocation `json:"revocation,omitempty"`
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
	if err := v.VerifySigned(canon.KindGrant, req.Provider, req.KeyID, now, req, req.Signature); err != nil {
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
	signed := r
	signed.At, signed.TxID, signed.ActorID = "", "", ""
	if err := v.VerifySigned(canon.KindGrantRevoke, g.Provider, r.KeyID, now, signed, r.Signature); err != nil {
		return Grant{}, codes.Prefix(err, "revoking grant %s", g.ID)
	}
	ts := wire.FormatTime(now)
	r.At, r.TxID = ts, txID
	g.Status = GrantRevoked
	g.Revocation = &r
	g.UpdatedAt = ts
	g.TxID = txID
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
