package wire

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Validity windows. A record that carries a validity window (a certificate, a
// grant) is signed by its department over the times exactly as written, so the
// ledger cannot rewrite them: a signed time must be RFC 3339 in UTC, written
// with "Z" (the CLI converts local times before signing); any other offset is
// refused, not silently stored as sent. Times that are not signed (a query's
// from/to, a key revocation's effectiveAt) are converted to UTC on input.
//
// The window is bounded to what a real document can need: no time before
// EarliestValidity (1949-10-01T00:00:00Z), none more than MaxYearsAhead (100)
// years after the transaction time. The chaincode checks both at issue (its
// transaction time), the gateway and the CLI check both with their clock first.

// EarliestValidity is the earliest time a validity window may name.
var EarliestValidity = time.Date(1949, 10, 1, 0, 0, 0, 0, time.UTC)

// MaxYearsAhead is how far after the transaction time a validity window may reach.
const MaxYearsAhead = 100

// Errors of the validity rules.
var (
	ErrNotUTC         = errors.New("not a UTC time")
	ErrBeforeEarliest = errors.New("before the earliest validity time")
	ErrTooFarAhead    = errors.New("too far ahead")
)

// ParseUTC parses a time a signed record carries: RFC 3339 ending in "Z".
func ParseUTC(s string) (time.Time, error) {
	t, err := ParseTime(s)
	if err != nil {
		return time.Time{}, err
	}
	if !strings.HasSuffix(s, "Z") {
		return time.Time{}, fmt.Errorf("%w: %q: write it in UTC with Z, such as %s", ErrNotUTC, s, t.Format(time.RFC3339Nano))
	}
	return t, nil
}

// CheckValidityTime checks one time of a validity window: UTC and not before
// EarliestValidity. It returns the parsed time.
func CheckValidityTime(s string) (time.Time, error) {
	t, err := ParseUTC(s)
	if err != nil {
		return time.Time{}, err
	}
	if t.Before(EarliestValidity) {
		return time.Time{}, fmt.Errorf("%w: %s is before %s", ErrBeforeEarliest, s, EarliestValidity.Format(time.RFC3339))
	}
	return t, nil
}

// LatestValidity is the latest time a validity window may name for a
// transaction at now.
func LatestValidity(now time.Time) time.Time { return now.UTC().AddDate(MaxYearsAhead, 0, 0) }

// CheckAhead checks that t is at most MaxYearsAhead years after now.
func CheckAhead(t, now time.Time) error {
	if latest := LatestValidity(now); t.After(latest) {
		return fmt.Errorf("%w: %s is more than %d years after %s", ErrTooFarAhead, FormatTime(t), MaxYearsAhead, FormatTime(now))
	}
	return nil
}

// ValidityTime checks a signed validity time (CheckValidityTime: RFC 3339 UTC,
// not before EarliestValidity) and records a field error when it fails.
func (fe *FieldErrors) ValidityTime(field, v string) (time.Time, bool) {
	t, err := CheckValidityTime(v)
	if err != nil {
		fe.Add(field, "%v", err)
		return time.Time{}, false
	}
	return t, true
}
