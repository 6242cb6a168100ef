// Package ledgerclient is the gateway's only door to the ledger: a small interface
// (Evaluate, Submit, Events, TxBlock) that HTTP handlers depend on, and Fabric, its
// implementation over the official fabric-gateway client. The same code talks to a
// Fabric peer and to the devnet; only the connection profile differs.
package ledgerclient

import (
	"context"
	"errors"
)

// ErrUnknownOrg is returned when a call names an organisation the gateway has no
// profile for (a configuration error).
var ErrUnknownOrg = errors.New("unknown organisation")

// Result is the outcome of a committed transaction.
type Result struct {
	// Payload is the chaincode's return value (JSON).
	Payload []byte
	// TxID is the Fabric transaction id.
	TxID string
	// BlockNumber is the block the transaction committed in.
	BlockNumber uint64
}

// Event is one chaincode event.
type Event struct {
	BlockNumber uint64
	TxID        string
	Name        string
	Payload     []byte
}

// Ledger is what the HTTP layer needs from the ledger. fn is the qualified
// chaincode function, "contract:Function"; org names the organisation (connection
// profile) whose identity signs.
type Ledger interface {
	// Evaluate runs a query on one peer; nothing is written.
	Evaluate(ctx context.Context, org, fn string, args ...string) ([]byte, error)
	// Submit endorses, orders and waits for the commit of a transaction. A commit
	// that fails validation returns a *client.CommitError (MVCC conflicts included).
	Submit(ctx context.Context, org, fn string, args ...string) (*Result, error)
	// Events streams chaincode events from block start (start < 0: from the next
	// commit). The channel closes when ctx ends or the stream breaks.
	Events(ctx context.Context, org string, start int64) (<-chan Event, error)
	// TxBlock returns the block number of a committed transaction, if it can find it.
	TxBlock(ctx context.Context, org, txID string) (uint64, bool)
}

// BlockReader is implemented by ledgers that can hand out the block of a
// committed transaction (Fabric does, through qscc; in-memory fakes may not).
// Receipts take the transaction's endorsements from it.
type BlockReader interface {
	// TxBlockBytes returns the common.Block bytes holding transaction txID.
	TxBlockBytes(ctx context.Context, org, txID string) ([]byte, error)
	// Channel is the channel the organisation's identity transacts on.
	Channel(org string) (string, error)
}
