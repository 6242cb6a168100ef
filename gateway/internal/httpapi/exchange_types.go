package httpapi

import "github.com/certledger/certledger/internal/domain/exchange"

// CatalogItemInput is the body of POST /api/v1/catalog (exchange:AddCatalogItem).
type CatalogItemInput = exchange.CatalogInput

// GrantRecord is a grant as its provider signed it (exchange:CreateGrant input).
type GrantRecord = exchange.GrantRequest

// GrantRevocation is the provider's signed revocation (exchange:RevokeGrant
// input): reason in clear, or reasonHash (the reason kept off-chain). Request
// bodies are the domain's request types, without the fields only the ledger
// records (at, txId, actorId: a body naming them is refused as unknown fields).
type GrantRevocation = exchange.RevocationRequest

// CatalogChange is the body of an item update or withdrawal.
type CatalogChange = exchange.CatalogChange

// DeletionAttestation is the consumer's signed attestation that it deleted a
// grant's data (exchange:AttestDeletion input).
type DeletionAttestation = exchange.DeletionRequest

// ExchangeRecord is an exchange as its provider signed it (exchange:Send input).
type ExchangeRecord = exchange.SendRequest

// ExchangeAnswer is the consumer's signed acknowledgement or rejection
// (exchange:Ack / exchange:Reject input): for an enveloped exchange the receipt
// (envelopeHash, the fields received, reasonHash).
type ExchangeAnswer = exchange.AckRequest

// verifyInputExchange is the exchange:Verify argument.
type verifyInputExchange = exchange.Query

// exchangeGetFn is the exchange contract's read of each kind of record.
var exchangeGetFn = map[string]string{"grant": "exchange:GetGrant", "exchange": "exchange:GetExchange"}

// Status filters of the list endpoints.
var (
	grantStatuses    = []string{exchange.GrantActive, exchange.GrantRevoked, exchange.GrantExpired, exchange.GrantPending}
	exchangeStatuses = []string{exchange.StatusSent, exchange.StatusAcknowledged, exchange.StatusRejected}
)
