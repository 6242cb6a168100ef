package exchange

import (
	"fmt"
	"time"

	"github.com/certledger/certledger/internal/canon"
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
	Signature  string   `json:"signature"`
}

// Validate checks the request's format (not its signature).
func (r GrantRequest) Validate() error {
	for _, c := range []struct{ what, v string }{{"grant id", r.ID}, {"provider", r.Provider}, {"consumer", r.Consumer}, {"item", r.Item}} {
		if err := checkID(c.what, c.v); err != nil {
			return err
		}
	}
	if r.Provider == r.Consumer {
		return fmt.Errorf("%w: provider and consumer are the same department %s", ErrInvalid, r.Provider)
	}
	if err := CheckFields(r.Fields); err != nil {
		return err
	}
	if err := checkText("purpose", r.Purpose, true); err != nil {
		return err
	}
	if err := checkText("legalBasis", r.LegalBasis, true); err != nil {
		return err
	}
	from, err := wire.CheckValidityTime(r.ValidFrom)
	if err != nil {
		return fmt.Errorf("%w: validFrom: %w", ErrInvalid, err)
	}
	until, err := wire.CheckValidityTime(r.ValidUntil)
	if err != nil {
		return fmt.Errorf("%w: validUntil: %w", ErrInvalid, err)
	}
	if !from.Before(until) {
		return fmt.Errorf("%w: validFrom %s is not before validUntil %s", ErrInvalid, r.ValidFrom, r.ValidUntil)
	}
	if err := checkKeyID(r.KeyID); err != nil {
		return err
	}
	return checkSignature(r.Signature)
}

// ValidateAt is Validate plus the bound that depends on the transaction time:
// validUntil at most wire.MaxYearsAhead years after now.
func (r GrantRequest) ValidateAt(now time.Time) error {
	if err := r.Validate(); err != nil {
		return err
	}
	if err := wire.CheckAhead(mustTime(r.ValidUntil), now); err != nil {
		return fmt.Errorf("%w: validUntil: %w", ErrInvalid, err)
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
	Signature string `json:"signature"`
	At        string `json:"at,omitempty"`
	TxID      string `json:"txId,omitempty"`
}

// Validate checks a revocation request's format.
func (r Revocation) Validate() error {
	if err := checkID("grantId", r.GrantID); err != nil {
		return err
	}
	if err := checkText("reason", r.Reason, true); err != nil {
		return err
	}
	if err := checkKeyID(r.KeyID); err != nil {
		return err
	}
	if r.PrevTxID == "" {
		return fmt.Errorf("%w: prevTxId is required", ErrInvalid)
	}
	return checkSignature(r.Signature)
}

// Grant is a stored grant: the signed request plus its state.
type Grant struct {
	GrantRequest
	Status     string      `json:"status"`
	Revocation *Revocation `json:"revocation,omitempty"`
	CreatedAt  string      `json:"createdAt"`
	UpdatedAt  string      `json:"updatedAt"`
	TxID       string      `json:"txId"` // the last write; a revocation must name it as prevTxId
}

// NewGrant builds the grant the provider asks for at transaction time now. item is
// the provider's catalogue entry named by the request. The signature is checked
// last, after every cheaper rule.
func NewGrant(req GrantRequest, item CatalogItem, now time.Time, txID string, v Verifier) (Grant, error) {
	if err := req.ValidateAt(now); err != nil {
		return Grant{}, err
	}
	if item.Provider != req.Provider || item.ID != req.Item {
		return Grant{}, fmt.Errorf("%w: item %s is not in the catalogue of %s", ErrInvalid, req.Item, req.Provider)
	}
	if out := outside(req.Fields, item.Fields); len(out) > 0 {
		return Grant{}, fmt.Errorf("%w: fields %v are not fields of item %s", ErrInvalid, out, item.ID)
	}
	if !mustTime(req.ValidUntil).After(now) {
		return Grant{}, fmt.Errorf("%w: validUntil %s is not after the transaction time %s", ErrInvalid, req.ValidUntil, FormatTime(now))
	}
	if err := v.VerifySigned(canon.KindGrant, req.Provider, req.KeyID, now, req, req.Signature); err != nil {
		return Grant{}, fmt.Errorf("grant %s: %w", req.ID, err)
	}
	ts := FormatTime(now)
	return Grant{GrantRequest: req, Status: GrantActive, CreatedAt: ts, UpdatedAt: ts, TxID: txID}, nil
}

// Revoke returns the grant revoked by the provider's signed request at time now.
// From now on it authorises nothing; exchanges sent before stay verifiable.
func (g Grant) Revoke(r Revocation, now time.Time, txID string, v Verifier) (Grant, error) {
	if err := r.Validate(); err != nil {
		return Grant{}, err
	}
	if r.GrantID != g.ID {
		return Grant{}, fmt.Errorf("%w: revocation names grant %s, not %s", ErrInvalid, r.GrantID, g.ID)
	}
	if g.Status == GrantRevoked {
		return Grant{}, fmt.Errorf("grant %s: %w", g.ID, ErrAlreadyRevoked)
	}
	if r.PrevTxID != g.TxID {
		return Grant{}, fmt.Errorf("grant %s: %w (got %s, last write %s)", g.ID, ErrStaleTx, r.PrevTxID, g.TxID)
	}
	signed := r
	signed.At, signed.TxID = "", ""
	if err := v.VerifySigned(canon.KindGrantRevoke, g.Provider, r.KeyID, now, signed, r.Signature); err != nil {
		return Grant{}, fmt.Errorf("revoking grant %s: %w", g.ID, err)
	}
	ts := FormatTime(now)
	r.At, r.TxID = ts, txID
	g.Status = GrantRevoked
	g.Revocation = &r
	g.UpdatedAt = ts
	g.TxID = txID
	return g, nil
}

// ValidAt reports whether the grant authorises exchanges at time at:
// validFrom <= at < validUntil, and not revoked at or before at. The error wraps
// ErrGrantNotYet, ErrGrantExpired or ErrGrantRevoked.
func (g Grant) ValidAt(at time.Time) error {
	if from, err := ParseTime(g.ValidFrom); err != nil || at.Before(from) {
		return fmt.Errorf("grant %s at %s: %w (valid from %s)", g.ID, FormatTime(at), ErrGrantNotYet, g.ValidFrom)
	}
	if until, err := ParseTime(g.ValidUntil); err != nil || !at.Before(until) {
		return fmt.Errorf("grant %s at %s: %w (valid until %s)", g.ID, FormatTime(at), ErrGrantExpired, g.ValidUntil)
	}
	if g.Status == GrantRevoked {
		if g.Revocation == nil || g.Revocation.At == "" || !at.Before(mustTime(g.Revocation.At)) {
			return fmt.Errorf("grant %s at %s: %w", g.ID, FormatTime(at), ErrGrantRevoked)
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
