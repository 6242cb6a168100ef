package exchange

import "github.com/certledger/certledger/internal/codes"

// ErrDeclaredForm: a record in the declared form (no envelope, purpose or reason
// in clear) that the channel's exchange policy refuses.
var ErrDeclaredForm = codes.Reason(codes.ErrForbidden, "declared form refused by the exchange policy")

// Policy is the channel's exchange policy, set by the governance office. Its
// zero value accepts the declared forms kept for records signed before
// envelopes; a deployment turns them off once its clients send envelopes.
type Policy struct {
	// RequireEnvelope refuses new exchanges without an envelope (scope declared,
	// not proven by the consumer's receipt).
	RequireEnvelope bool `json:"requireEnvelope"`
	// RequireSealedText refuses new grants whose purpose, and revocations whose
	// reason, is in clear instead of its SM3.
	RequireSealedText bool `json:"requireSealedText"`
}

// CheckSend refuses a declared exchange under RequireEnvelope.
func (p Policy) CheckSend(r SendRequest) error {
	if p.RequireEnvelope && !r.Enveloped() {
		return codes.Wrap(ErrDeclaredForm, "exchange %s: deliver the payload as an envelope (envelopeHash)", r.ID)
	}
	return nil
}

// CheckGrant refuses a grant with its purpose in clear under RequireSealedText.
func (p Policy) CheckGrant(r GrantRequest) error {
	if p.RequireSealedText && r.PurposeHash == "" {
		return codes.Wrap(ErrDeclaredForm, "grant %s: give purposeHash, the purpose stays off the ledger", r.ID)
	}
	return nil
}

// CheckRevocation refuses a revocation with its reason in clear under
// RequireSealedText.
func (p Policy) CheckRevocation(r Revocation) error {
	if p.RequireSealedText && r.ReasonHash == "" {
		return codes.Wrap(ErrDeclaredForm, "revoking grant %s: give reasonHash, the reason stays off the ledger", r.GrantID)
	}
	return nil
}
