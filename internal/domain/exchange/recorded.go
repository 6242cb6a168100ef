package exchange

import (
	"time"

	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/wire"
)

// Recorded is what the ledger adds to a signed answer (an acknowledgement, a
// grant's revocation, a deletion attestation) when it stores it in its exchange
// or grant: when, in which transaction, and the operator id of the identity
// that submitted it. A request leaves it empty.
type Recorded struct {
	At      string `json:"at,omitempty"`
	TxID    string `json:"txId,omitempty"`
	ActorID string `json:"actorId,omitempty"` // operator id of the identity that submitted it
}

// Unset refuses a request that fills in what only the ledger records
// (INVALID_ARGUMENT).
func (r Recorded) Unset() error {
	if r.At != "" || r.TxID != "" || r.ActorID != "" {
		return codes.New(codes.InvalidArgument, "at, txId and actorId are set by the ledger, not the request")
	}
	return nil
}

// record stamps r with the transaction time now and txID and returns the time
// as written.
func (r *Recorded) record(now time.Time, txID string) string {
	r.At, r.TxID = wire.FormatTime(now), txID
	return r.At
}
