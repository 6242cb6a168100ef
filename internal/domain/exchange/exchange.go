package exchange

import (
	"fmt"
	"time"

	"github.com/certledger/certledger/internal/canon"
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
	Signature   string   `json:"signature"`
}

// Validate checks the request's format.
func (r SendRequest) Validate() error {
	for _, c := range []struct{ what, v string }{{"exchange id", r.ID}, {"grantId", r.GrantID}, {"provider", r.Provider}, {"consumer", r.Consumer}} {
		if err := checkID(c.what, c.v); err != nil {
			return err
		}
	}
	if err := CheckFields(r.Fields); err != nil {
		return err
	}
	if err := checkHash("payloadHash", r.PayloadHash); err != nil {
		return err
	}
	if err := checkKeyID(r.KeyID); err != nil {
		return err
	}
	return checkSignature(r.Signature)
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
	Signature   string `json:"signature"`
	At          string `json:"at,omitempty"`
	TxID        string `json:"txId,omitempty"`
}

// Validate checks the answer's format. A rejection needs a reason.
func (a Ack) Validate() error {
	if err := checkID("exchangeId", a.ExchangeID); err != nil {
		return err
	}
	if err := checkID("consumer", a.Consumer); err != nil {
		return err
	}
	if err := checkHash("payloadHash", a.PayloadHash); err != nil {
		return err
	}
	switch a.Decision {
	case DecisionAck:
		if err := checkText("reason", a.Reason, false); err != nil {
			return err
		}
	case DecisionReject:
		if err := checkText("reason", a.Reason, true); err != nil {
			return fmt.Errorf("a rejection needs a reason: %w", err)
		}
	default:
		return fmt.Errorf("%w: decision %q must be %q or %q", ErrInvalid, a.Decision, DecisionAck, DecisionReject)
	}
	if err := checkKeyID(a.KeyID); err != nil {
		return err
	}
	return checkSignature(a.Signature)
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
	TxID      string `json:"txId"` // the last write
}

// NewExchange records what the provider sends under grant g at transaction time
// now. It refuses (ErrForbidden family) when the grant is not valid at now, the
// provider or consumer differ from the grant's, or any field is outside the grant.
func NewExchange(req SendRequest, g Grant, now time.Time, txID string, v Verifier) (Exchange, error) {
	if err := req.Validate(); err != nil {
		return Exchange{}, err
	}
	if req.GrantID != g.ID {
		return Exchange{}, fmt.Errorf("%w: exchange names grant %s, not %s", ErrInvalid, req.GrantID, g.ID)
	}
	if err := CheckScope(req, g); err != nil {
		return Exchange{}, fmt.Errorf("exchange %s: %w", req.ID, err)
	}
	if err := g.ValidAt(now); err != nil {
		return Exchange{}, fmt.Errorf("exchange %s: %w", req.ID, err)
	}
	if err := v.VerifySigned(canon.KindExchange, req.Provider, req.KeyID, now, req, req.Signature); err != nil {
		return Exchange{}, fmt.Errorf("exchange %s: %w", req.ID, err)
	}
	ts := FormatTime(now)
	return Exchange{SendRequest: req, Item: g.Item, Status: StatusSent, SentAt: ts, SentTxID: txID, UpdatedAt: ts, TxID: txID}, nil
}

// CheckScope checks an exchange against its grant: same provider, same consumer,
// every field among the grant's fields.
func CheckScope(req SendRequest, g Grant) error {
	if req.Provider != g.Provider {
		return fmt.Errorf("%w: provider %s, grant %s is from %s", ErrWrongProvider, req.Provider, g.ID, g.Provider)
	}
	if req.Consumer != g.Consumer {
		return fmt.Errorf("%w: consumer %s, grant %s is for %s", ErrWrongConsumer, req.Consumer, g.ID, g.Consumer)
	}
	if out := outside(req.Fields, g.Fields); len(out) > 0 {
		return fmt.Errorf("%w: fields %v are not granted by %s", ErrOutOfScope, out, g.ID)
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
		return Exchange{}, fmt.Errorf("%w: answer names exchange %s, not %s", ErrInvalid, a.ExchangeID, e.ID)
	}
	if a.Consumer != e.Consumer {
		return Exchange{}, fmt.Errorf("exchange %s answered by %s: %w (%s)", e.ID, a.Consumer, ErrWrongConsumer, e.Consumer)
	}
	if e.Status != StatusSent {
		return Exchange{}, fmt.Errorf("exchange %s is %s: %w", e.ID, e.Status, ErrAlreadyAnswered)
	}
	if a.PayloadHash != e.PayloadHash {
		return Exchange{}, fmt.Errorf("%w: answer is over payload %s, exchange %s recorded %s", ErrInvalid, a.PayloadHash, e.ID, e.PayloadHash)
	}
	signed := a
	signed.At, signed.TxID = "", ""
	if err := v.VerifySigned(canon.KindExchangeAck, e.Consumer, a.KeyID, now, signed, a.Signature); err != nil {
		return Exchange{}, fmt.Errorf("answering exchange %s: %w", e.ID, err)
	}
	ts := FormatTime(now)
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
