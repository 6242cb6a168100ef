package exchange

import (
	"time"

	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/wire"
)

// Exchange statuses.
const (
	StatusSent         = "sent"
	StatusAcknowledged = "acknowledged"
	StatusRejected     = "rejected"
)

// Ack decisions (the "decision" field of canon.KindExchangeAck).
const (
	DecisionAck    = "ack"
	DecisionReject = "reject"
)

// SendRequest is the provider's signed exchange record. Two forms:
//
//   - enveloped (envelopeHash set; canon.KindExchangeEnvelope): the payload went
//     to the consumer as an SM2/SM4 envelope (envelope.go) whose SM3 is
//     envelopeHash; payloadHash is the salted digest SM3(salt ‖ payload); the
//     exchange may name the certificates it transfers (sorted ids).
//   - declared (canon.KindExchange): only the payload's plain SM3, fields as the
//     provider declares them. Kept so that records signed before envelopes
//     verify; the CLI sends envelopes.
type SendRequest struct {
	ID           string   `json:"id"`
	GrantID      string   `json:"grantId"`
	Provider     string   `json:"provider"`
	Consumer     string   `json:"consumer"`
	Fields       []string `json:"fields"`
	PayloadHash  string   `json:"payloadHash"`
	EnvelopeHash string   `json:"envelopeHash,omitempty"`
	Certificates []string `json:"certificates,omitempty"`
	KeyID        string   `json:"keyId"`
	// Operator is the operator id of the person the provider vouches acted
	// (optional; signed when set, and then it must be the submitting identity's).
	Operator  string `json:"operator,omitempty"`
	Signature string `json:"signature"`
}

// Enveloped reports whether the exchange was delivered as an envelope.
func (r SendRequest) Enveloped() bool { return r.EnvelopeHash != "" }

// SignedForm returns the canonical kind and the record a signature over this
// request covers.
func (r SendRequest) SignedForm() (canon.Kind, any) {
	if !r.Enveloped() {
		return canon.KindExchange, r
	}
	certs := r.Certificates
	if certs == nil {
		certs = []string{}
	}
	return canon.KindExchangeEnvelope, map[string]any{"id": r.ID, "grantId": r.GrantID, "provider": r.Provider,
		"consumer": r.Consumer, "fields": r.Fields, "payloadHash": r.PayloadHash, "envelopeHash": r.EnvelopeHash,
		"certificates": certs, "keyId": r.KeyID, canon.FieldOperator: r.Operator}
}

// Validate checks the request's format and returns every problem found as
// wire.FieldErrors.
func (r SendRequest) Validate() error {
	var fe wire.FieldErrors
	fe.ID("id", r.ID)
	fe.ID("grantId", r.GrantID)
	fe.ID("provider", r.Provider)
	fe.ID("consumer", r.Consumer)
	checkFields(&fe, "fields", r.Fields)
	fe.Hash("payloadHash", r.PayloadHash)
	if r.Enveloped() {
		fe.Hash("envelopeHash", r.EnvelopeHash)
		checkCertificates(&fe, "certificates", r.Certificates)
	} else if len(r.Certificates) > 0 {
		fe.Add("certificates", "only an enveloped exchange (envelopeHash) names certificates")
	}
	signer(&fe, r.KeyID, r.Operator, r.Signature)
	return fe.Err()
}

// AckRequest is the consumer's signed answer to an exchange as it sends it
// (exchange:Ack / exchange:Reject input). Two forms, matching the
// exchange's:
//
//   - receipt (envelopeHash set; canon.KindExchangeReceipt), for an enveloped
//     exchange: signed over the envelope's SM3, the salted digest the consumer
//     recomputed from what it decrypted, and the field names it actually
//     received (PayloadFields); a reason is kept off-chain (reasonHash = its SM3).
//     A rejection may list fields (what was received, even outside the grant)
//     or none (the envelope did not open).
//   - declared (canon.KindExchangeAck), for a declared exchange: payloadHash
//     and a free-text reason.
type AckRequest struct {
	ExchangeID   string   `json:"exchangeId"`
	Consumer     string   `json:"consumer"`
	PayloadHash  string   `json:"payloadHash"`
	EnvelopeHash string   `json:"envelopeHash,omitempty"`
	Fields       []string `json:"fields,omitempty"`
	Decision     string   `json:"decision"`
	Reason       string   `json:"reason"`
	ReasonHash   string   `json:"reasonHash,omitempty"`
	KeyID        string   `json:"keyId"`
	Operator     string   `json:"operator,omitempty"` // signed when set (canon.OptionalFields)
	Signature    string   `json:"signature"`
}

// Ack is an answer as stored in the exchange, with when and by which
// transaction it was recorded.
type Ack struct {
	AckRequest
	Recorded
}

// Receipt reports whether the answer is a receipt over an envelope.
func (a AckRequest) Receipt() bool { return a.EnvelopeHash != "" }

// SignedForm returns the canonical kind and the record a signature over this
// answer covers (At and TxID are never signed).
func (a AckRequest) SignedForm() (canon.Kind, any) {
	if !a.Receipt() {
		return canon.KindExchangeAck, a
	}
	fields := a.Fields
	if fields == nil {
		fields = []string{}
	}
	return canon.KindExchangeReceipt, map[string]any{"exchangeId": a.ExchangeID, "consumer": a.Consumer,
		"envelopeHash": a.EnvelopeHash, "payloadHash": a.PayloadHash, "fields": fields, "decision": a.Decision,
		"reasonHash": a.ReasonHash, "keyId": a.KeyID, canon.FieldOperator: a.Operator}
}

// Validate checks the answer's format and returns every problem found as
// wire.FieldErrors. A rejection needs a reason (a receipt: its hash).
func (a AckRequest) Validate() error {
	var fe wire.FieldErrors
	fe.ID("exchangeId", a.ExchangeID)
	fe.ID("consumer", a.Consumer)
	fe.Hash("payloadHash", a.PayloadHash)
	if a.Decision != DecisionAck && a.Decision != DecisionReject {
		fe.Add("decision", "%q must be %q or %q", a.Decision, DecisionAck, DecisionReject)
	}
	if a.Receipt() {
		fe.Hash("envelopeHash", a.EnvelopeHash)
		if a.Reason != "" {
			fe.Add("reason", "a receipt keeps its reason off-chain: give reasonHash (SM3 of the reason)")
		}
		switch {
		case a.ReasonHash != "":
			fe.Hash("reasonHash", a.ReasonHash)
		case a.Decision == DecisionReject:
			fe.Add("reasonHash", "is required: a rejection needs a reason")
		}
		if a.Decision == DecisionAck || len(a.Fields) > 0 {
			checkFields(&fe, "fields", a.Fields)
		}
	} else {
		if a.Decision == DecisionReject && a.Reason == "" {
			fe.Add("reason", "is required: a rejection needs a reason")
		}
		text(&fe, "reason", a.Reason, false)
		if len(a.Fields) > 0 || a.ReasonHash != "" {
			fe.Add("fields", "fields and reasonHash belong to a receipt (envelopeHash)")
		}
	}
	signer(&fe, a.KeyID, a.Operator, a.Signature)
	return fe.Err()
}

// Exchange is a stored exchange: the provider's signed record, the grant's item
// (copied for listing), when it was sent, and the consumer's answer once given.
type Exchange struct {
	SendRequest
	Item      string `json:"item"`
	Status    string `json:"status"`
	SentAt    string `json:"sentAt"`
	SentTxID  string `json:"sentTxId"`
	Ack       *Ack   `json:"ack,omitempty"`
	UpdatedAt string `json:"updatedAt"`
	TxID      string `json:"txId"`              // the last write
	ActorID   string `json:"actorId,omitempty"` // operator id of the identity that sent it
}

// NewExchange records what the provider sends under grant g at transaction time
// now. It refuses (ErrForbidden family) when the grant is not valid at now, the
// provider or consumer differ from the grant's, or any field is outside the grant
// (errors matching codes.ErrForbidden).
func NewExchange(req SendRequest, g Grant, now time.Time, txID string, v Verifier) (Exchange, error) {
	if err := req.Validate(); err != nil {
		return Exchange{}, err
	}
	if req.GrantID != g.ID {
		return Exchange{}, codes.Wrap(codes.ErrInvalidArgument, "exchange names grant %s, not %s", req.GrantID, g.ID)
	}
	if err := CheckScope(req, g); err != nil {
		return Exchange{}, codes.Prefix(err, "exchange %s", req.ID)
	}
	if err := g.ValidAt(now); err != nil {
		return Exchange{}, codes.Prefix(err, "exchange %s", req.ID)
	}
	kind, signed := req.SignedForm()
	if err := v.VerifySigned(kind, req.Provider, req.KeyID, now, signed, req.Signature); err != nil {
		return Exchange{}, codes.Prefix(err, "exchange %s", req.ID)
	}
	ts := wire.FormatTime(now)
	return Exchange{SendRequest: req, Item: g.Item, Status: StatusSent, SentAt: ts, SentTxID: txID, UpdatedAt: ts, TxID: txID}, nil
}

// CheckScope checks an exchange against its grant: same provider, same consumer,
// every field among the grant's fields.
func CheckScope(req SendRequest, g Grant) error {
	if req.Provider != g.Provider {
		return codes.Wrap(ErrWrongProvider, "provider %s, grant %s is from %s", req.Provider, g.ID, g.Provider)
	}
	if req.Consumer != g.Consumer {
		return codes.Wrap(ErrWrongConsumer, "consumer %s, grant %s is for %s", req.Consumer, g.ID, g.Consumer)
	}
	if out := outside(req.Fields, g.Fields); len(out) > 0 {
		return codes.Wrap(ErrOutOfScope, "fields %v are not granted by %s", out, g.ID)
	}
	return nil
}

// Answer returns the exchange acknowledged or rejected by the consumer's signed
// answer a at time now; g is the exchange's grant. Only the named consumer may
// answer, over the recorded payload (and envelope) digest, only once. An
// enveloped exchange needs a receipt, and a receipt acknowledging fields
// outside the grant is refused (FORBIDDEN): the consumer rejects it instead,
// which records the fields it received.
func (e Exchange) Answer(a Ack, g Grant, now time.Time, txID string, v Verifier) (Exchange, error) {
	if err := a.Validate(); err != nil {
		return Exchange{}, err
	}
	if a.ExchangeID != e.ID {
		return Exchange{}, codes.Wrap(codes.ErrInvalidArgument, "answer names exchange %s, not %s", a.ExchangeID, e.ID)
	}
	if g.ID != e.GrantID {
		return Exchange{}, codes.Wrap(codes.ErrInvalidArgument, "exchange %s is under grant %s, not %s", e.ID, e.GrantID, g.ID)
	}
	if a.Consumer != e.Consumer {
		return Exchange{}, codes.Prefix(codes.Wrap(ErrWrongConsumer, "the consumer is %s", e.Consumer), "exchange %s answered by %s", e.ID, a.Consumer)
	}
	if e.Status != StatusSent {
		return Exchange{}, codes.Prefix(codes.Wrap(ErrAlreadyAnswered, "it is %s", e.Status), "exchange %s", e.ID)
	}
	if a.PayloadHash != e.PayloadHash {
		return Exchange{}, codes.Wrap(codes.ErrInvalidArgument, "answer is over payload %s, exchange %s recorded %s", a.PayloadHash, e.ID, e.PayloadHash)
	}
	switch {
	case e.Enveloped() && !a.Receipt():
		return Exchange{}, codes.Wrap(codes.ErrInvalidArgument, "exchange %s was delivered as envelope %s: answer with a receipt (envelopeHash, fields received)", e.ID, e.EnvelopeHash)
	case !e.Enveloped() && a.Receipt():
		return Exchange{}, codes.Wrap(codes.ErrInvalidArgument, "exchange %s was not delivered as an envelope: a receipt does not apply", e.ID)
	case a.Receipt() && a.EnvelopeHash != e.EnvelopeHash:
		return Exchange{}, codes.Wrap(codes.ErrInvalidArgument, "receipt is over envelope %s, exchange %s recorded %s", a.EnvelopeHash, e.ID, e.EnvelopeHash)
	}
	if a.Receipt() && a.Decision == DecisionAck {
		if out := outside(a.Fields, g.Fields); len(out) > 0 {
			return Exchange{}, codes.Prefix(codes.Wrap(ErrOutOfScope, "fields %v received are not granted by %s; reject the exchange instead", out, g.ID),
				"acknowledging exchange %s", e.ID)
		}
	}
	kind, signed := a.SignedForm()
	if err := v.VerifySigned(kind, e.Consumer, a.KeyID, now, signed, a.Signature); err != nil {
		return Exchange{}, codes.Prefix(err, "answering exchange %s", e.ID)
	}
	e.Ack = &a
	if a.Decision == DecisionAck {
		e.Status = StatusAcknowledged
	} else {
		e.Status = StatusRejected
	}
	e.UpdatedAt, e.TxID = a.record(now, txID), txID
	return e, nil
}
