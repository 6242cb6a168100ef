package exchange

import (
	"time"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/certledger/certledger/chaincode/contract/registry"
	"github.com/certledger/certledger/chaincode/internal/state"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/exchange"
	"github.com/certledger/certledger/internal/domain/wire"
)

// AddCatalogItem adds a data item to the provider's catalogue. Input:
// {"provider","id","name","description","fields":[sorted names]}. Only the
// provider department's MSP may submit; an existing item id is a CONFLICT.
// Event CatalogItemAdded with the CatalogItem.
func (c *Contract) AddCatalogItem(ctx contractapi.TransactionContextInterface, input string) (string, error) {
	at, err := state.BeginWrite(ctx)
	if err != nil {
		return "", err
	}
	var in exchange.CatalogInput
	if err := state.Decode("catalogue item", input, &in); err != nil {
		return "", err
	}
	item, err := exchange.NewCatalogItem(in, at, state.TxID(ctx))
	if err != nil {
		return "", err
	}
	if _, err := registry.RequireSubmitterOf(ctx, item.Provider); err != nil {
		return "", err
	}
	if item.ActorID, err = state.OperatorID(ctx); err != nil {
		return "", err
	}
	key, err := state.NewKey(ctx, codes.New(codes.Conflict, "item %s is already in the catalogue of %s", item.ID, item.Provider),
		objItem, item.Provider, item.ID)
	if err != nil {
		return "", err
	}
	if err := state.PutJSON(ctx, key, item); err != nil {
		return "", err
	}
	return state.Respond(ctx, EventCatalogItemAdded, item)
}

// UpdateCatalogItem changes an item's name, description and fields. Input:
// {"provider","id","name","description","fields","prevTxId"}, prevTxId the
// item's txId. Only the provider's MSP; CONFLICT on a stale prevTxId, FORBIDDEN
// on a withdrawn item. Grants already given keep their own fields. Event
// CatalogItemUpdated with the CatalogItem.
func (c *Contract) UpdateCatalogItem(ctx contractapi.TransactionContextInterface, input string) (string, error) {
	return changeItem(ctx, input, EventCatalogItemUpdated, exchange.CatalogItem.Update)
}

// WithdrawCatalogItem withdraws an item: it takes no new grant. Input:
// {"provider","id","reason","prevTxId"}. Event CatalogItemWithdrawn.
func (c *Contract) WithdrawCatalogItem(ctx contractapi.TransactionContextInterface, input string) (string, error) {
	return changeItem(ctx, input, EventCatalogItemWithdrawn, exchange.CatalogItem.Withdraw)
}

func changeItem(ctx contractapi.TransactionContextInterface, input, event string,
	apply func(exchange.CatalogItem, exchange.CatalogChange, time.Time, string) (exchange.CatalogItem, error)) (string, error) {
	at, err := state.BeginWrite(ctx)
	if err != nil {
		return "", err
	}
	var ch exchange.CatalogChange
	if err := state.Decode("catalogue change", input, &ch); err != nil {
		return "", err
	}
	var fe wire.FieldErrors
	fe.ID("provider", ch.Provider)
	fe.ID("id", ch.ID)
	if err := fe.Err(); err != nil {
		return "", err
	}
	if _, err := registry.RequireSubmitterOf(ctx, ch.Provider); err != nil {
		return "", err
	}
	item, key, err := getRecord[exchange.CatalogItem](ctx, "item "+ch.ID+" in the catalogue of "+ch.Provider, objItem, ch.Provider, ch.ID)
	if err != nil {
		return "", err
	}
	item, err = apply(item, ch, at, state.TxID(ctx))
	if err != nil {
		return "", err
	}
	if item.ActorID, err = state.OperatorID(ctx); err != nil {
		return "", err
	}
	if err := state.PutJSON(ctx, key, item); err != nil {
		return "", err
	}
	return state.Respond(ctx, event, item)
}

// CatalogHistory returns every version of a catalogue item, newest first:
// [{"txId","timestamp","isDelete","record"}].
func (c *Contract) CatalogHistory(ctx contractapi.TransactionContextInterface, provider, itemID string) (string, error) {
	key, err := state.Key(ctx, objItem, provider, itemID)
	if err != nil {
		return "", err
	}
	h, err := state.History(ctx, key)
	if err != nil {
		return "", err
	}
	if len(h) == 0 {
		return "", codes.New(codes.NotFound, "item %s in the catalogue of %s", itemID, provider)
	}
	return state.JSON(h)
}

// GetCatalogItem returns item itemID of provider's catalogue.
func (c *Contract) GetCatalogItem(ctx contractapi.TransactionContextInterface, provider, itemID string) (string, error) {
	item, err := getItem(ctx, provider, itemID)
	if err != nil {
		return "", err
	}
	return state.JSON(item)
}

// ListCatalog returns the catalogue of provider ("" = every provider), ordered
// by provider and item id.
func (c *Contract) ListCatalog(ctx contractapi.TransactionContextInterface, provider string) (string, error) {
	var attrs []string
	if provider != "" {
		attrs = []string{provider}
	}
	entries, err := state.Scan(ctx, objItem, attrs...)
	if err != nil {
		return "", err
	}
	out := make([]exchange.CatalogItem, 0, len(entries))
	for _, e := range entries {
		var item exchange.CatalogItem
		if err := unmarshal(e.Value, &item); err != nil {
			return "", err
		}
		out = append(out, item)
	}
	return state.JSON(out)
}

func getItem(ctx state.Context, provider, itemID string) (exchange.CatalogItem, error) {
	item, _, err := getRecord[exchange.CatalogItem](ctx, "item "+itemID+" in the catalogue of "+provider, objItem, provider, itemID)
	return item, err
}
