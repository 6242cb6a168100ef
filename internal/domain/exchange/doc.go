// Package exchange holds the rules of cross-department data exchange: a provider
// department's catalogue of data items, grants that authorise a consumer department
// for a subset of an item's fields ("on demand, minimum necessary"), exchanges
// recorded under a grant, the consumer's acknowledgement or rejection, and the
// verification of an exchange from its payload hash.
//
// The package never imports the Fabric shim and reads no clock: every operation is
// given the transaction time, and SM2 signatures are checked through an injected
// Verifier that knows the registry (which key belonged to which department, and
// when). Payload contents never appear here; an exchange names its payload by SM3.
package exchange

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/gm"
)

// Sentinel errors. Every error this package returns wraps exactly one of the
// first five, which the contract maps to a stable code (see internal/codes):
// ErrKeyInvalid (a key not the department's, or not valid at the time) to
// FORBIDDEN, the others to the code their comment names.
var (
	ErrInvalid      = errors.New("invalid argument")      // INVALID_ARGUMENT
	ErrForbidden    = errors.New("forbidden")             // FORBIDDEN
	ErrConflict     = errors.New("conflict")              // CONFLICT
	ErrBadSignature = errors.New("bad signature")         // BAD_SIGNATURE
	ErrKeyInvalid   = errors.New("signing key not valid") // FORBIDDEN (the key, not the bytes)

	// Finer reasons, each wrapping one of the above.
	ErrOutOfScope      = reason(ErrForbidden, "outside the grant's scope")
	ErrGrantRevoked    = reason(ErrForbidden, "grant revoked")
	ErrGrantExpired    = reason(ErrForbidden, "grant expired")
	ErrGrantNotYet     = reason(ErrForbidden, "grant not yet valid")
	ErrWrongConsumer   = reason(ErrForbidden, "not the grant's consumer")
	ErrWrongProvider   = reason(ErrForbidden, "not the grant's provider")
	ErrAlreadyAnswered = reason(ErrConflict, "exchange already acknowledged or rejected")
	ErrAlreadyRevoked  = reason(ErrConflict, "grant already revoked")
	ErrStaleTx         = reason(ErrConflict, "prevTxId is not the record's last write")
)

// reasonError is a finer sentinel: its own text, matched by errors.Is against
// its parent too.
type reasonError struct {
	parent error
	msg    string
}

func reason(parent error, msg string) error { return &reasonError{parent, msg} }
func (e *reasonError) Error() string        { return e.msg }
func (e *reasonError) Unwrap() error        { return e.parent }

// Verifier checks one SM2 signature made by a department: sig must be a valid
// signature over the canonical payload of kind for record, made with key keyID,
// which belongs to department dept and was valid at time at. Errors wrap
// ErrBadSignature or ErrKeyInvalid (or ErrInvalid for a malformed request).
type Verifier interface {
	VerifySigned(kind canon.Kind, dept, keyID string, at time.Time, record any, sig string) error
}

// VerifierFunc adapts a function to a Verifier.
type VerifierFunc func(kind canon.Kind, dept, keyID string, at time.Time, record any, sig string) error

// VerifySigned calls f.
func (f VerifierFunc) VerifySigned(kind canon.Kind, dept, keyID string, at time.Time, record any, sig string) error {
	return f(kind, dept, keyID, at, record, sig)
}

// Limits on inputs, so that one record stays small.
const (
	MaxFields  = 256
	MaxTextLen = 1024 // purpose, legal basis, reasons, names
	maxSigLen  = 256  // base64 of a DER SM2 signature is ~96 characters
)

var (
	idRE    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$`)
	fieldRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]{0,63}$`)
	keyIDRE = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// FormatTime is how this package writes times: RFC 3339 in UTC, with the
// fractional seconds of the transaction timestamp when it has any (the same
// layout as chaincode/internal/ledger). Comparisons parse the strings, so a check
// at transaction time and a later re-check of the stored record agree.
func FormatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// ParseTime parses an RFC 3339 time (fractional seconds allowed).
func ParseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: time %q is not RFC 3339", ErrInvalid, s)
	}
	return t.UTC(), nil
}

// mustTime parses a time already validated (or written by FormatTime).
func mustTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

func checkID(what, id string) error {
	if !idRE.MatchString(id) {
		return fmt.Errorf("%w: %s %q must be 1-128 of [A-Za-z0-9._:-], starting with a letter or digit", ErrInvalid, what, id)
	}
	return nil
}

func checkKeyID(id string) error {
	if !keyIDRE.MatchString(id) {
		return fmt.Errorf("%w: keyId %q must be 64 lowercase hex (SM3 of the public key)", ErrInvalid, id)
	}
	return nil
}

func checkText(what, s string, required bool) error {
	if required && s == "" {
		return fmt.Errorf("%w: %s is required", ErrInvalid, what)
	}
	if len(s) > MaxTextLen {
		return fmt.Errorf("%w: %s longer than %d bytes", ErrInvalid, what, MaxTextLen)
	}
	return nil
}

func checkSignature(sig string) error {
	if sig == "" {
		return fmt.Errorf("%w: signature is required", ErrInvalid)
	}
	if len(sig) > maxSigLen {
		return fmt.Errorf("%w: signature longer than %d characters", ErrInvalid, maxSigLen)
	}
	return nil
}

func checkHash(what, h string) error {
	if err := gm.CheckHash(h); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrInvalid, what, err)
	}
	return nil
}

// CheckFields validates a field list: 1..MaxFields names, each a valid field
// name, sorted ascending without duplicates. Sorted order is required so that a
// scope has exactly one signed form; clients sort before signing (SortFields).
func CheckFields(fields []string) error {
	if len(fields) == 0 {
		return fmt.Errorf("%w: fields must name at least one field", ErrInvalid)
	}
	if len(fields) > MaxFields {
		return fmt.Errorf("%w: more than %d fields", ErrInvalid, MaxFields)
	}
	for i, f := range fields {
		if !fieldRE.MatchString(f) {
			return fmt.Errorf("%w: field name %q must match %s", ErrInvalid, f, fieldRE)
		}
		if i > 0 && fields[i-1] >= f {
			return fmt.Errorf("%w: fields must be sorted and unique (%q before %q)", ErrInvalid, fields[i-1], f)
		}
	}
	return nil
}

// SortFields returns a sorted copy of fields without duplicates, the form
// CheckFields accepts. Clients call it before signing.
func SortFields(fields []string) []string {
	out := slices.Clone(fields)
	slices.Sort(out)
	return slices.Compact(out)
}

// outside returns the members of sub (sorted) not in set (sorted).
func outside(sub, set []string) []string {
	var out []string
	for _, f := range sub {
		if _, found := slices.BinarySearch(set, f); !found {
			out = append(out, f)
		}
	}
	return out
}
