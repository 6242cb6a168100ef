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

// SendRequest is the provider's signed exchange record: exactly the signed fields
// of canon.KindExchange plus the signature.
type SendRequest struct {
	ID          string   `json:"id"`
	GrantID     string   `json:"grantId"`
	Provider    string   `json:"provider"`
	Consumer    string   `json:"consumer"`
	Fields      []string `json:"fields"`
	PayloadHash string   `json:"payloadHash"`
	KeyID       string   `json:"keyId"`
	// Operator is the operator id of the person the provider vouches acted
	// (optional; signed when set, and then it must be the submitting identity's).
	Operator  string `json:"operator,omitempty"`
	Signature string `json:"signature"`
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
	fe.Hash("keyId", r.KeyID)
	fe.Operator("operator", r.Operator)
	fe.Signature("signature", r.Signature)
	return fe.Err()
}

// Ack is the consumer's signed answer to an exchange (canon.KindExchangeAck), as
// stored in the exchange with when and by which transaction it was recorded.
type Ack struct {
	ExchangeID  string `json:"exchangeId"`
	Consumer    string `json:"consumer"`
	PayloadHash string `json:"payloadHash"`
	Decision    string `json:"decision"`
	Reason      string `json:"reason"`
	KeyID       string `json:"keyId"`
	Operator    string `json:"operator,omitempty"` // signed when set (canon.OptionalFields)
	Signature   string `json:"signature"`
	At          string `json:"at,omitempty"`
	TxID        string `json:"txId,omitempty"`
	ActorID     string `json:"actorId,omitempty"` // operator id of the identity that submitted it
}

// Validate checks the answer's format and returns every problem found as
// wire.FieldErrors. A rejection needs a reason.
func (a Ack) Validate() error {
	var fe wire.FieldErrors
	fe.ID("exchangeId", a.ExchangeID)
	fe.ID("consumer", a.Consumer)
	fe.Hash("payloadHash", a.PayloadHash)
	switch a.Decision {
	case DecisionAck:
		text(&fe, "reason", a.Reason, false)
	case DecisionReject:
		if a.Reason == "" {
			fe.Add("reason", "is required: a rejection needs a reason")
		}
		text(&fe, "reason", a.Reason, false)
	default:
		fe.Add("decision", "%q must be %q or %q", a.Decision, DecisionAck, DecisionReject)
	}
	fe.Hash("keyId", a.KeyID)
	fe.Operator("operator", a.Operator)
	fe.Signature("signature", a.Signature)
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
	if err := v.VerifySigned(canon.KindExchange, req.Provider, req.KeyID, now, req, req.Signature); err != nil {
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
// answer a at time now. Only the named consumer may answer, over the recorded
// payload hash, and only once.
func (e Exchange) Answer(a Ack, now time.Time, txID string, v Verifier) (Exchange, error) {
	if err := a.Validate(); err != nil {
		return Exchange{}, err
	}
	if a.ExchangeID != e.ID {
		return Exchange{}, codes.Wrap(codes.ErrInvalidArgument, "answer names exchange %s, not %s", a.ExchangeID, e.ID)
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
	signed := a
	signed.At, signed.TxID, signed.ActorID = "", "", ""
	if err := v.VerifySigned(canon.KindExchangeAck, e.Consumer, a.KeyID, now, signed, a.Signature); err != nil {
		return Exchange{}, codes.Prefix(err, "answering exchange %s", e.ID)
	}
	ts := wire.FormatTime(now)
	a.At, a.TxID = ts, txID
	e.Ack = &a
	if a.Decision == DecisionAck {
		e.Status = StatusAcknowledged
	} else {
		e.Status = StatusRejected
	}
	e.UpdatedAt = ts
	e.TxID = txID
	return e, nil
}
