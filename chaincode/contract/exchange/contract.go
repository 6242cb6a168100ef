// Package exchange is the "exchange" contract: a provider department keeps a
// catalogue of data items, grants a consumer department a subset of an item's
// fields for a purpose, a legal basis and a window, records each exchange sent
// under a grant (fields and payload SM3, signed), and the consumer acknowledges
// or rejects it with its own signature. Refused writes write nothing. The rules
// live in chaincode/domain/exchange; departments and keys come from the registry
// contract's lookups.
package exchange

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/certledger/certledger/chaincode/contract/registry"
	"github.com/certledger/certledger/chaincode/internal/state"
	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/exchange"
)

// Name is the contract name ("exchange:Function").
const Name = "exchange"

// Event names. Each write emits exactly one, with the written record as payload.
const (
	EventCatalogItemAdded     = "CatalogItemAdded"
	EventGrantCreated         = "GrantCreated"
	EventGrantRevoked         = "GrantRevoked"
	EventExchangeSent         = "ExchangeSent"
	EventExchangeAcknowledged = "ExchangeAcknowledged"
	EventExchangeRejected     = "ExchangeRejected"
)

// World-state object types (composite keys). Index entries hold one byte; their
// attributes carry the data. Time attributes use sortTime so that keys sort in
// time order; month buckets keep period scans short.
const (
	objItem       = "exchange.item"           // [provider, itemId] -> CatalogItem
	objGrant      = "exchange.grant"          // [grantId] -> Grant
	objGrantProv  = "exchange.grant~provider" // [provider, grantId]
	objGrantCons  = "exchange.grant~consumer" // [consumer, grantId]
	objRecord     = "exchange.record"         // [exchangeId] -> Exchange
	objRecGrant   = "exchange.record~grant"   // [grantId, month, sortTime, exchangeId]
	objRecProv    = "exchange.record~provider"
	objRecCons    = "exchange.record~consumer"
	objRecTime    = "exchange.record~time" // [month, sortTime, exchangeId]
	objRecHash    = "exchange.record~hash" // [payloadHash, exchangeId]
	sortTimeStamp = "2006-01-02T15:04:05.000000000Z"
	monthLayout   = "2006-01"
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
	return []string{"ListCatalog", "GetCatalogItem", "GetGrant", "ListGrants", "GetExchange", "ListExchanges", "Verify", "History"}
}

// verifier checks department signatures against the registry.
func verifier(ctx state.Context) exchange.Verifier {
	return exchange.VerifierFunc(func(kind canon.Kind, dept, keyID string, at time.Time, record any, sig string) error {
		_, err := registry.VerifySignature(ctx, dept, keyID, at, kind, record, sig)
		if err == nil {
			return nil
		}
		msg := err.Error()
		var ce *codes.Error
		if errors.As(err, &ce) {
			msg = ce.Msg
		}
		switch codes.Code(err) {
		case codes.BadSignature:
			return fmt.Errorf("%w: %s", exchange.ErrBadSignature, msg)
		case codes.Forbidden, codes.NotFound:
			return fmt.Errorf("%w: %s", exchange.ErrKeyInvalid, msg)
		case codes.InvalidArgument:
			return fmt.Errorf("%w: %s", exchange.ErrInvalid, msg)
		}
		return err
	})
}

// coded turns a domain error into "CODE: message". Errors that already carry a
// code (from the ledger or registry helpers) keep it.
func coded(err error) error {
	if err == nil {
		return nil
	}
	for _, m := range []struct {
		sentinel error
		code     string
	}{
		{exchange.ErrBadSignature, codes.BadSignature},
		{exchange.ErrKeyInvalid, codes.Forbidden},
		{exchange.ErrForbidden, codes.Forbidden},
		{exchange.ErrConflict, codes.Conflict},
		{exchange.ErrInvalid, codes.InvalidArgument},
	} {
		if errors.Is(err, m.sentinel) {
			// The code says it already: drop the generic sentinel text.
			msg := strings.Replace(err.Error(), m.sentinel.Error()+": ", "", 1)
			return codes.New(m.code, "%s", msg)
		}
	}
	var ce *codes.Error
	if errors.As(err, &ce) {
		msg := err.Error()
		if strings.HasPrefix(msg, ce.Code+": ") {
			return err // already "CODE: message"
		}
		return codes.New(ce.Code, "%s", strings.Replace(msg, ce.Code+": ", "", 1))
	}
	return codes.New(codes.Internal, "%s", err.Error())
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
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	return t.UTC().Format(sortTimeStamp)
}

func month(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	return t.UTC().Format(monthLayout)
}
