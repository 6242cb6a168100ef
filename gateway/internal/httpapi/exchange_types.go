package httpapi

import "github.com/certledger/certledger/internal/domain/exchange"

// CatalogItemInput is the body of POST /api/v1/catalog (exchange:AddCatalogItem).
type CatalogItemInput = exchange.CatalogInput

// GrantRecord is a grant as its provider signed it (exchange:CreateGrant input).
type GrantRecord = exchange.GrantRequest

// GrantRevocation is the provider's signed revocation (exchange:RevokeGrant
// input): reason in clear, or reasonHash (the reason kept off-chain).
type GrantRevocation struct {
	GrantID    string `json:"grantId"`
	Reason     string `json:"reason"`
	ReasonHash string `json:"reasonHash,omitempty"`
	KeyID      string `json:"keyId"`
	PrevTxID   string `json:"prevTxId"`
	Operator   string `json:"operator,omitempty"` // signed when set (docs/people.md)
	Signature  string `json:"signature"`
}

func (g GrantRevocation) domain() exchange.Revocation {
	return exchange.Revocation{GrantID: g.GrantID, Reason: g.Reason, ReasonHash: g.ReasonHash, KeyID: g.KeyID, PrevTxID: g.PrevTxID,
		Operator: g.Operator, Signature: g.Signature}
}

func (g GrantRevocation) act() (grantID, signature string, domainErr error) {
	return g.GrantID, g.Signature, g.domain().Validate()
}

// CatalogChange is the body of an item update or withdrawal.
type CatalogChange = exchange.CatalogChange

// DeletionAttestation is the consumer's signed attestation that it deleted a
// grant's data (exchange:AttestDeletion input).
type DeletionAttestation struct {
	GrantID   string `json:"grantId"`
	Consumer  string `json:"consumer"`
	PrevTxID  string `json:"prevTxId"`
	KeyID     string `json:"keyId"`
	Operator  string `json:"operator,omitempty"` // signed when set (docs/people.md)
	Signature string `json:"signature"`
}

func (d DeletionAttestation) domain() exchange.Deletion {
	return exchange.Deletion{GrantID: d.GrantID, Consumer: d.Consumer, PrevTxID: d.PrevTxID, KeyID: d.KeyID, Operator: d.Operator, Signature: d.Signature}
}

func (d DeletionAttestation) act() (grantID, signature string, domainErr error) {
	return d.GrantID, d.Signature, d.domain().Validate()
}

// ExchangeRecord is an exchange as its provider signed it (exchange:Send input).
type ExchangeRecord = exchange.SendRequest

// ExchangeAnswer is the consumer's signed acknowledgement or rejection
// (exchange:Ack / exchange:Reject input): for an enveloped exchange the receipt
// (envelopeHash, the fields received, reasonHash).
type ExchangeAnswer struct {
	ExchangeID   string   `json:"exchangeId"`
	Consumer     string   `json:"consumer"`
	PayloadHash  string   `json:"payloadHash"`
	EnvelopeHash string   `json:"envelopeHash,omitempty"`
	Fields       []string `json:"fields,omitempty"`
	Decision     string   `json:"decision"`
	Reason       string   `json:"reason"`
	ReasonHash   string   `json:"reasonHash,omitempty"`
	KeyID        string   `json:"keyId"`
	Operator     string   `json:"operator,omitempty"` // signed when set (docs/people.md)
	Signature    string   `json:"signature"`
}

func (a ExchangeAnswer) domain() exchange.Ack {
	return exchange.Ack{ExchangeID: a.ExchangeID, Consumer: a.Consumer, PayloadHash: a.PayloadHash, EnvelopeHash: a.EnvelopeHash,
		Fields: a.Fields, Decision: a.Decision, Reason: a.Reason, ReasonHash: a.ReasonHash, KeyID: a.KeyID, Operator: a.Operator, Signature: a.Signature}
}

// storedExchangeGrant and storedExchange are the parts of ledger records the gateway reads.
type storedExchangeGrant struct {
	GrantRecord
	TxID string `json:"txId"`
}

type storedExchange struct {
	ExchangeRecord
	Ack  *ExchangeAnswer `json:"ack"`
	TxID string          `json:"txId"`
}

// storedExchangeParties is what the gateway reads of an exchange to name its
// parties in the access log.
type storedExchangeParties struct {
	GrantID  string `json:"grantId"`
	Provider string `json:"provider"`
	Consumer string `json:"consumer"`
}

// verifyInputExchange is the exchange:Verify argument.
type verifyInputExchange = exchange.Query

// exchangeGetFn is the exchange contract's read of each kind of record.
var exchangeGetFn = map[string]string{"grant": "exchange:GetGrant", "exchange": "exchange:GetExchange"}

// Status filters of the list endpoints.
var (
	grantStatuses    = []string{exchange.GrantActive, exchange.GrantRevoked, exchange.GrantExpired, exchange.GrantPending}
	exchangeStatuses = []string{exchange.StatusSent, exchange.StatusAcknowledged, exchange.StatusRejected}
)
