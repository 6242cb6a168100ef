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
	return &Contract{Contract: state.Contract(Name, "certledger cross-department exchange proofs")}
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

// decodeRequest begins a write and decodes input (what names it in errors) into
// a request, which pre (when given) may refuse before the request validates its
// own format.
func decodeRequest[T interface{ Validate() error }](ctx state.Context, what, input string, pre func(T) error) (T, time.Time, error) {
	req, at, err := state.BeginDecode[T](ctx, what, input)
	if err != nil {
		return req, at, err
	}
	if pre != nil {
		if err := pre(req); err != nil {
			return req, at, err
		}
	}
	return req, at, req.Validate()
}

// authorize checks that the submitter belongs to department dept (the party the
// record names, whatever the request claims) and returns the operator id to
// record: operator when the request signed one (state.CheckOperator).
func authorize(ctx state.Context, dept, operator string) (string, error) {
	if _, err := registry.RequireSubmitterOf(ctx, dept); err != nil {
		return "", err
	}
	return state.CheckOperator(ctx, operator)
}

// amend lets the party dept of the record stored under key change it: change
// gets the operator id to record and returns the new version, which is written
// and announced with event.
func amend[R any](ctx state.Context, key, dept, operator, event string, change func(actor string) (R, error)) (string, error) {
	actor, err := authorize(ctx, dept, operator)
	if err != nil {
		return "", err
	}
	rec, err := change(actor)
	if err != nil {
		return "", err
	}
	return store(ctx, key, rec, event)
}

// store writes v under key and answers with v as the payload of event.
func store(ctx state.Context, key string, v any, event string) (string, error) {
	if err := state.PutJSON(ctx, key, v); err != nil {
		return "", err
	}
	return state.Respond(ctx, event, v)
}

// list answers one page of a list: the records visit makes of the index
// entries scan walks (see scan; visit also says whether it took the entry and
// whether to stop).
func list[T any](ctx state.Context, objectType string, prefix []string, buckets [][]string, size int, bookmark string,
	visit func(attrs []string) (rec T, took, stop bool, err error)) (string, error) {
	page := Page[T]{Records: []T{}}
	var err error
	page.Bookmark, err = scan(ctx, objectType, prefix, buckets, size, bookmark, func(attrs []string) (bool, bool, error) {
		rec, took, stop, err := visit(attrs)
		if took {
			page.Records = append(page.Records, rec)
		}
		return took, stop, err
	})
	if err != nil {
		return "", err
	}
	page.Count = len(page.Records)
	return state.JSON(page)
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
