package httpapi

import "github.com/certledger/certledger/internal/domain/exchange"

// CatalogItemInput is the body of POST /api/v1/catalog (exchange:AddCatalogItem).
type CatalogItemInput = exchange.CatalogInput

// GrantRecord is a grant as its provider signed it (exchange:CreateGrant input).
type GrantRecord = exchange.GrantRequest

// GrantRevocation is the provider's signed revocation (exchange:RevokeGrant input).
type GrantRevocation struct {
	GrantID   string `json:"grantId"`
	Reason    string `json:"reason"`
	KeyID     string `json:"keyId"`
	PrevTxID  string `json:"prevTxId"`
	Operator  string `json:"operator,omitempty"` // signed when set (docs/people.md)
	Signature string `json:"signature"`
}

func (g GrantRevocation) domain() exchange.Revocation {
	return exchange.Revocation{GrantID: g.GrantID, Reason: g.Reason, KeyID: g.KeyID, PrevTxID: g.PrevTxID, Operator: g.Operator, Signature: g.Signature}
}

// ExchangeRecord is an exchange as its provider signed it (exchange:Send input).
type ExchangeRecord = exchange.SendRequest

// ExchangeAnswer is the consumer's signed acknowledgement or rejection
// (exchange:Ack / exchange:Reject input).
type ExchangeAnswer struct {
	ExchangeID  string `json:"exchangeId"`
	Consumer    string `json:"consumer"`
	PayloadHash string `json:"payloadHash"`
	Decision    string `json:"decision"`
	Reason      string `json:"reason"`
	KeyID       string `json:"keyId"`
	Operator    string `json:"operator,omitempty"` // signed when set (docs/people.md)
	Signature   string `json:"signature"`
}

func (a ExchangeAnswer) domain() exchange.Ack {
	return exchange.Ack{ExchangeID: a.ExchangeID, Consumer: a.Consumer, PayloadHash: a.PayloadHash,
		Decision: a.Decision, Reason: a.Reason, KeyID: a.KeyID, Operator: a.Operator, Signature: a.Signature}
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

// verifyInputExchange is the exchange:Verify argument.
type verifyInputExchange = exchange.Query

// exchangeGetFn is the exchange contract's read of each kind of record.
var exchangeGetFn = map[string]string{"grant": "exchange:GetGrant", "exchange": "exchange:GetExchange"}

// Status filters of the list endpoints.
var (
	grantStatuses    = []string{exchange.GrantActive, exchange.GrantRevoked, exchange.GrantExpired, exchange.GrantPending}
	exchangeStatuses = []string{exchange.StatusSent, exchange.StatusAcknowledged, exchange.StatusRejected}
)
