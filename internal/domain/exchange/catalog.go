package exchange

import (
	"time"

	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/wire"
)

// Catalogue item statuses.
const (
	ItemActive    = "active"
	ItemWithdrawn = "withdrawn"
)

// CatalogItem is one data item a provider department offers: its id (unique per
// provider) and the fields a grant may name. Catalogue entries are not signed;
// only the provider's Fabric organisation may write them. An item is updated
// (version + 1) and withdrawn in place; every version stays in the key's history.
// A withdrawn item takes no new grants; grants already given keep their own
// field list and are unchanged.
type CatalogItem struct {
	CatalogInput                    // as added, with the last update's name, description and fields
	Status       string             `json:"status,omitempty"` // "" in items written before versions: active
	Version      int                `json:"version,omitempty"`
	Withdrawal   *CatalogWithdrawal `json:"withdrawal,omitempty"`
	CreatedAt    string             `json:"createdAt"`
	UpdatedAt    string             `json:"updatedAt,omitempty"`
	TxID         string             `json:"txId"`              // the last write; an update or withdrawal names it as prevTxId
	ActorID      string             `json:"actorId,omitempty"` // operator id of the identity that wrote it last
}

// CatalogWithdrawal is when and why an item was withdrawn.
type CatalogWithdrawal struct {
	Reason string `json:"reason"`
	At     string `json:"at"`
	TxID   string `json:"txId"`
}

// Withdrawn reports whether the item was withdrawn.
func (it CatalogItem) Withdrawn() bool { return it.Status == ItemWithdrawn }

// CatalogChange is what a provider submits to update an item (name,
// description, fields) or to withdraw it (reason), naming the item's last
// write as prevTxId.
type CatalogChange struct {
	Provider    string   `json:"provider"`
	ID          string   `json:"id"`
	Name        string   `json:"name,omitempty"`
	Description string   `json:"description,omitempty"`
	Fields      []string `json:"fields,omitempty"`
	Reason      string   `json:"reason,omitempty"`
	PrevTxID    string   `json:"prevTxId"`
}

// ValidateUpdate checks an update's format.
func (c CatalogChange) ValidateUpdate() error {
	var fe wire.FieldErrors
	// The item as updated obeys the rules of an item added.
	CatalogInput{Provider: c.Provider, ID: c.ID, Name: c.Name, Description: c.Description, Fields: c.Fields}.check(&fe)
	if c.Reason != "" {
		fe.Add("reason", "an update has no reason (withdraw takes one)")
	}
	if c.PrevTxID == "" {
		fe.Add("prevTxId", "is required")
	}
	return fe.Err()
}

// ValidateWithdraw checks a withdrawal's format.
func (c CatalogChange) ValidateWithdraw() error {
	var fe wire.FieldErrors
	fe.ID("provider", c.Provider)
	fe.ID("id", c.ID)
	text(&fe, "reason", c.Reason, true)
	if c.Name != "" || c.Description != "" || len(c.Fields) > 0 {
		fe.Add("fields", "a withdrawal changes nothing but the status")
	}
	if c.PrevTxID == "" {
		fe.Add("prevTxId", "is required")
	}
	return fe.Err()
}

func (it CatalogItem) checkChange(c CatalogChange) error {
	if c.Provider != it.Provider || c.ID != it.ID {
		return codes.Wrap(codes.ErrInvalidArgument, "change names item %s of %s, not %s of %s", c.ID, c.Provider, it.ID, it.Provider)
	}
	if it.Withdrawn() {
		return codes.Wrap(ErrItemWithdrawn, "item %s of %s was withdrawn at %s", it.ID, it.Provider, it.Withdrawal.At)
	}
	if c.PrevTxID != it.TxID {
		return codes.Wrap(ErrStaleTx, "item %s: got %s, last write %s", it.ID, c.PrevTxID, it.TxID)
	}
	return nil
}

func (it CatalogItem) version() int {
	if it.Version == 0 {
		return 1
	}
	return it.Version
}

// Update returns the item with c's name, description and fields, one version on.
func (it CatalogItem) Update(c CatalogChange, now time.Time, txID string) (CatalogItem, error) {
	if err := c.ValidateUpdate(); err != nil {
		return CatalogItem{}, err
	}
	if err := it.checkChange(c); err != nil {
		return CatalogItem{}, err
	}
	it.Name, it.Description, it.Fields = c.Name, c.Description, c.Fields
	it.Status, it.Version = ItemActive, it.version()+1
	it.UpdatedAt, it.TxID = wire.FormatTime(now), txID
	return it, nil
}

// Withdraw returns the item withdrawn for c's reason.
func (it CatalogItem) Withdraw(c CatalogChange, now time.Time, txID string) (CatalogItem, error) {
	if err := c.ValidateWithdraw(); err != nil {
		return CatalogItem{}, err
	}
	if err := it.checkChange(c); err != nil {
		return CatalogItem{}, err
	}
	ts := wire.FormatTime(now)
	it.Status, it.Version = ItemWithdrawn, it.version()+1
	it.Withdrawal = &CatalogWithdrawal{Reason: c.Reason, At: ts, TxID: txID}
	it.UpdatedAt, it.TxID = ts, txID
	return it, nil
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
	in.check(&fe)
	return fe.Err()
}

// check adds the problems of the item's fields to fe.
func (in CatalogInput) check(fe *wire.FieldErrors) {
	fe.ID("provider", in.Provider)
	fe.ID("id", in.ID)
	text(fe, "name", in.Name, false)
	text(fe, "description", in.Description, false)
	checkFields(fe, "fields", in.Fields)
}

// NewCatalogItem builds the item recorded at transaction time now by txID.
func NewCatalogItem(in CatalogInput, now time.Time, txID string) (CatalogItem, error) {
	if err := in.Validate(); err != nil {
		return CatalogItem{}, err
	}
	return CatalogItem{
		CatalogInput: in,
		Status:       ItemActive,
		Version:      1,
		CreatedAt:    wire.FormatTime(now),
		TxID:         txID,
	}, nil
}
