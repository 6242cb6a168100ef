package state

import (
	"os"
	"time"

	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/wire"
)

// MaxSkewEnv names the environment variable that sets the allowed distance
// between a write's transaction timestamp and the endorser clock (a Go duration
// such as "5m" or "30s"). Unset or empty means DefaultMaxSkew.
const MaxSkewEnv = "CERTLEDGER_MAX_SKEW"

// DefaultMaxSkew is the allowed skew when MaxSkewEnv is not set.
const DefaultMaxSkew = 5 * time.Minute

// EndorserClock may be implemented by a stub that brings its own endorser clock
// (the in-memory test ledger does). The real Fabric stub does not, and the
// endorser's wall clock is used.
type EndorserClock interface {
	EndorserNow() time.Time
}

// MaxSkew returns the configured allowed skew. A malformed or non-positive
// CERTLEDGER_MAX_SKEW is an INTERNAL error, so a misconfigured endorser refuses
// every write rather than silently accepting backdated ones.
func MaxSkew() (time.Duration, error) {
	v := os.Getenv(MaxSkewEnv)
	if v == "" {
		return DefaultMaxSkew, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, codes.New(codes.Internal, "%s=%q is not a positive duration", MaxSkewEnv, v)
	}
	return d, nil
}

// CheckSkew refuses to endorse (INVALID_ARGUMENT) a transaction whose timestamp is
// more than MaxSkew away from the endorser clock, in either direction. It is the
// only clock read in the chaincode: it decides whether to endorse, never what is
// written. Call it (or BeginWrite) first in every write transaction.
func CheckSkew(ctx Context) error {
	tx, err := TxTime(ctx)
	if err != nil {
		return err
	}
	max, err := MaxSkew()
	if err != nil {
		return err
	}
	now := time.Now()
	if c, ok := ctx.GetStub().(EndorserClock); ok {
		now = c.EndorserNow()
	}
	d := tx.Sub(now)
	if d > max || d < -max {
		return codes.New(codes.InvalidArgument,
			"transaction timestamp %s is %s from the endorser clock (allowed %s); refusing to endorse",
			wire.FormatTime(tx), d.Round(time.Second), max)
	}
	return nil
}
