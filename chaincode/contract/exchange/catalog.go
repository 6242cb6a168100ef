package exchange

import (
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/certledger/certledger/chaincode/contract/registry"
	"github.com/certledger/certledger/chaincode/domain/exchange"
	"github.com/certledger/certledger/chaincode/internal/ledger"
	"github.com/certledger/certledger/internal/codes"
)

// AddCatalogItem adds a data item to the provider's catalogue. Input:
// {"provider","id","name","description","fields":[sorted names]}. Only the
// provider department's MSP may submit; an existing item id is a CONFLICT.
// Event CatalogItemAdded with the CatalogItem.
func (c *Contract) AddCatalogItem(ctx contractapi.TransactionContextInterface, input string) (string, error) {
	at, err := ledger.BeginWrite(ctx)
	if err != nil {
		return "", err
	}
	var in exchange.CatalogInput
	if err := ledger.Decode("catalogue item", input, &in); err != nil {
		return "", err
	}
	item, err := exchange.NewCatalogItem(in, at, ledger.TxID(ctx))
	if err != nil {
		return "", coded(err)
	}
	if _, err := registry.RequireSubmitterOf(ctx, item.Provider); err != nil {
		return "", err
	}
	key, err := ledger.NewKey(ctx, codes.New(codes.Conflict, "item %s is already in the catalogue of %s", item.ID, item.Provider),
		objItem, item.Provider, item.ID)
	if err != nil {
		return "", err
	}
	if err := ledger.PutJSON(ctx, key, item); err != nil {
		return "", err
	}
	return ledger.Respond(ctx, EventCatalogItemAdded, item)
}

// GetCatalogItem returns item itemID of provider's catalogue.
func (c *Contract) GetCatalogItem(ctx contractapi.TransactionContextInterface, provider, itemID string) (string, error) {
	item, err := getItem(ctx, provider, itemID)
	if err != nil {
		return "", err
	}
	return ledger.JSON(item)
}

// ListCatalog returns the catalogue of provider ("" = every provider), ordered
// by provider and item id.
func (c *Contract) ListCatalog(ctx contractapi.TransactionContextInterface, provider string) (string, error) {
	var attrs []string
	if provider != "" {
		attrs = []string{provider}
	}
	entries, err := ledger.Scan(ctx, objItem, attrs...)
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
	return ledger.JSON(out)
}

func getItem(ctx ledger.Context, provider, itemID string) (exchange.CatalogItem, error) {
	item, _, err := getRecord[exchange.CatalogItem](ctx, "item "+itemID+" in the catalogue of "+provider, objItem, provider, itemID)
	return item, err
}
