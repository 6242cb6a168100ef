package exchange

import (
	"fmt"
	"time"
)

// CatalogItem is one data item a provider department offers: its id (unique per
// provider) and the fields a grant may name. Catalogue entries are not signed;
// only the provider's Fabric organisation may write them.
type CatalogItem struct {
	Provider    string   `json:"provider"`
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Fields      []string `json:"fields"`
	CreatedAt   string   `json:"createdAt"`
	TxID        string   `json:"txId"`
}

// CatalogInput is what a provider submits to add an item.
type CatalogInput struct {
	Provider    string   `json:"provider"`
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Fields      []string `json:"fields"`
}

// Validate checks the input's format.
func (in CatalogInput) Validate() error {
	if err := checkID("provider", in.Provider); err != nil {
		return err
	}
	if err := checkID("item id", in.ID); err != nil {
		return err
	}
	if err := checkText("name", in.Name, false); err != nil {
		return err
	}
	if err := checkText("description", in.Description, false); err != nil {
		return err
	}
	if err := CheckFields(in.Fields); err != nil {
		return fmt.Errorf("catalogue item %s: %w", in.ID, err)
	}
	return nil
}

// NewCatalogItem builds the item recorded at transaction time now by txID.
func NewCatalogItem(in CatalogInput, now time.Time, txID string) (CatalogItem, error) {
	if err := in.Validate(); err != nil {
		return CatalogItem{}, err
	}
	return CatalogItem{
		Provider:    in.Provider,
		ID:          in.ID,
		Name:        in.Name,
		Description: in.Description,
		Fields:      in.Fields,
		CreatedAt:   FormatTime(now),
		TxID:        txID,
	}, nil
}
