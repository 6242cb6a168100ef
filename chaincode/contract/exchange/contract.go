// Package exchange is the "exchange" contract: a provider department keeps a
// catalogue of data items, grants a consumer department a subset of an item's
// fields for a purpose, a legal basis and a window, records each exchange sent
// under a grant (fields and payload SM3, signed), and the consumer acknowledges
// or rejects it with its own signature. Refused writes write nothing. The rules
// live in internal/domain/exchange; departments and keys come from the registry
// contract's lookups.
package exchange

import (
	"errors"
	"time"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/certledger/certledger/chaincode/contract/registry"
	"github.com/certledger/certledger/chaincode/internal/state"
	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/exchange"
	"github.com/certledger/certledger/internal/domain/wire"
)

// Name is the contract name ("exchange:Function").
const Name = "exchange"

// Event names. Each write emits exactly one, with the written record as payload.
const (
	EventCatalogItemAdded      = "CatalogItemAdded"
	EventCatalogItemUpdated    = "CatalogItemUpdated"
	EventCatalogItemWithdrawn  = "CatalogItemWithdrawn"
	EventGrantDeletionAttested = "GrantDeletionAttested"
	EventGrantCreated          = "GrantCreated"
	EventGrantRevoked          = "GrantRevoked"
	EventExchangeSent          = "ExchangeSent"
	EventExchangeAcknowledged  = "ExchangeAcknowledged"
	EventExchangeRejected      = "ExchangeRejected"
)

// World-state object types (composite keys). Index entries hold one byte; their
// attributes carry the data. Time attributes use sortTime so that keys sort in
// time order; month buckets keep period scans short.
const (
	objItem      = "exchange.item"           // [provider, itemId] -> CatalogItem
	objGrant     = "exchange.grant"          // [grantId] -> Grant
	objGrantProv = "exchange.grant~provider" // [provider, grantId]
	objGrantCons = "exchange.grant~consumer" // [consumer, grantId]
	objRecord    = "exchange.record"         // [exchangeId] -> Exchange
	objRecGrant  = "exchange.record~grant"   // [grantId, month, sortTime, exchangeId]
	objRecProv   = "exchange.record~provider"
	objRecCons   = "exchange.record~consumer"
	objRecTime   = "exchange.record~time" // [month, sortTime, exchangeId]
	objRecHash   = "exchange.record~hash" // [payloadHash, exchangeId]
	monthLayout  = "2006-01"
)

// Contract is the exchange contract. Every transaction takes string arguments
// and returns JSON.
type Contract struct {
	contractapi.Contract
}

// New returns the exchange contract.
func New() *Contract {
	c := &Contract{}
	c.Name = Name
	c.Info.Title = "certledger cross-department exchange proofs"
	c.Info.Version = "1"
	return c
}

// GetEvaluateTransactions marks the read-only functions for the metadata.
func (c *Contract) GetEvaluateTransactions() []string {
	return []string{"ListCatalog", "GetCatalogItem", "CatalogHistory", "GetPolicy", "GetGrant", "ListGrants", "GetExchange", "ListExchanges", "Verify", "History"}
}

// verifier checks department signatures against the registry. The registry's
// errors keep their codes, except that an unknown key or department, or a key
// not valid at the time, is the signer's fault: FORBIDDEN (exchange.ErrKeyInvalid).
func verifier(ctx state.Context) exchange.Verifier {
	return exchange.VerifierFunc(func(kind canon.Kind, dept, keyID string, at time.Time, record any, sig string) error {
		_, err := registry.VerifySignature(ctx, dept, keyID, at, kind, record, sig)
		if errors.Is(err, codes.ErrForbidden) || errors.Is(err, codes.ErrNotFound) {
			return codes.Wrap(exchange.ErrKeyInvalid, "%s", codes.Message(err))
		}
		return err
	})
}

// getRecord reads the record stored under objectType and attrs and returns it with
// its key; what names it in the NOT_FOUND error.
func getRecord[T any](ctx state.Context, what, objectType string, attrs ...string) (T, string, error) {
	var v T
	key, err := state.Key(ctx, objectType, attrs...)
	if err != nil {
		return v, "", err
	}
	found, err := state.GetJSON(ctx, key, &v)
	if err != nil {
		return v, "", err
	}
	if !found {
		return v, "", codes.New(codes.NotFound, "%s", what)
	}
	return v, key, nil
}

func sortTime(s string) string {
	t, err := time.Parse(wire.TimeLayout, s)
	if err != nil {
		return s
	}
	return t.UTC().Format(wire.SortLayout)
}

func month(s string) string {
	t, err := time.Parse(wire.TimeLayout, s)
	if err != nil {
		return s
	}
	return t.UTC().Format(monthLayout)
}
