package workorder

import "github.com/certledger/certledger/internal/domain/wire"

// Policy holds the hotline controls the governance office sets (workorder:SetPolicy).
//
//   - AutoEscalate: when the sweep marks a ticket overdue it also escalates it to the
//     assigned department's supervising department (registry parent), or to the
//     governance department when there is none; a ticket already with the governance
//     department is only marked.
//   - AutoCloseDays: a resolved ticket the citizen has not rated within this many
//     working days is closed by the sweep, counted as unrated (0 = never).
//   - MaxTransfers: transfers a ticket may have; a further transfer goes to the
//     governance department instead of the requested one (0 = no limit). The
//     governance department's own transfers are not limited.
type Policy struct {
	AutoEscalate  bool `json:"autoEscalate"`
	AutoCloseDays int  `json:"autoCloseDays"`
	MaxTransfers  int  `json:"maxTransfers"`
}

// DefaultPolicy: escalate on overdue, close unrated after 5 working days, at most
// 2 transfers.
func DefaultPolicy() Policy { return Policy{AutoEscalate: true, AutoCloseDays: 5, MaxTransfers: 2} }

// Policy limits.
const (
	MaxAutoCloseDays = 60
	MaxTransferLimit = 20
)

// Validate checks the limits and returns every problem found as wire.FieldErrors.
func (p Policy) Validate() error {
	var fe wire.FieldErrors
	if p.AutoCloseDays < 0 || p.AutoCloseDays > MaxAutoCloseDays {
		fe.Add("autoCloseDays", "%d (want 0..%d; 0 = never)", p.AutoCloseDays, MaxAutoCloseDays)
	}
	if p.MaxTransfers < 0 || p.MaxTransfers > MaxTransferLimit {
		fe.Add("maxTransfers", "%d (want 0..%d; 0 = no limit)", p.MaxTransfers, MaxTransferLimit)
	}
	return fe.Err()
}
