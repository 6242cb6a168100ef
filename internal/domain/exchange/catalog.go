package exchange

import (
	"time"

	"github.com/certledger/certledger/internal/domain/wire"
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
	ActorID     string   `json:"actorId,omitempty"` // operator id of the identity that added it
}

// CatalogInput is what a provider submits to add an item.
type CatalogInput struct {
	Provider    string   `json:"provider"`
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Fields      []string `json:"fields"`
}

// Validate checks the input's format and returns every problem found as
// wire.FieldErrors.
func (in CatalogInput) Validate() error {
	var fe wire.FieldErrors
	fe.ID("provider", in.Provider)
	fe.ID("id", in.ID)
	text(&fe, "name", in.Name, false)
	text(&fe, "description", in.Description, false)
	checkFields(&fe, "fields", in.Fields)
	return fe.Err()
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
		CreatedAt:   wire.FormatTime(now),
		TxID:        txID,
	}, nil
}
