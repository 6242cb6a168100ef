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
	"slices"
	"time"

	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/wire"
)

// Errors. Every error this package returns is a coded error (internal/codes)
// whose text starts with its code, so it crosses Fabric as is; the finer
// reasons below are codes.Reason sentinels that errors.Is matches together with
// their code's sentinel (codes.ErrForbidden, codes.ErrConflict).
var (
	// ErrKeyInvalid: a key that is not the department's, or not valid at the
	// time (FORBIDDEN: the key, not the bytes, is at fault).
	ErrKeyInvalid = codes.Reason(codes.ErrForbidden, "signing key not valid")

	ErrOutOfScope      = codes.Reason(codes.ErrForbidden, "outside the grant's scope")
	ErrGrantRevoked    = codes.Reason(codes.ErrForbidden, "grant revoked")
	ErrGrantExpired    = codes.Reason(codes.ErrForbidden, "grant expired")
	ErrGrantNotYet     = codes.Reason(codes.ErrForbidden, "grant not yet valid")
	ErrWrongConsumer   = codes.Reason(codes.ErrForbidden, "not the grant's consumer")
	ErrWrongProvider   = codes.Reason(codes.ErrForbidden, "not the grant's provider")
	ErrAlreadyAnswered = codes.Reason(codes.ErrConflict, "exchange already acknowledged or rejected")
	ErrAlreadyRevoked  = codes.Reason(codes.ErrConflict, "grant already revoked")
	ErrStaleTx         = codes.Reason(codes.ErrConflict, "prevTxId is not the record's last write")
	ErrAlreadyAttested = codes.Reason(codes.ErrConflict, "deletion already attested")
	ErrGrantNotEnded   = codes.Reason(codes.ErrConflict, "grant has not ended")
	ErrItemWithdrawn   = codes.Reason(codes.ErrForbidden, "catalogue item withdrawn")
)

// Verifier checks one SM2 signature made by a department: sig must be a valid
// signature over the canonical payload of kind for record, made with key keyID,
// which belongs to department dept and was valid at time at. Errors match
// codes.ErrBadSignature or ErrKeyInvalid (or codes.ErrInvalidArgument for a
// malformed request).
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
)

// mustTime parses a time already validated (or written by wire.FormatTime).
func mustTime(s string) time.Time {
	t, _ := time.Parse(wire.TimeLayout, s)
	return t
}

// signer checks the fields that say who signed a record: the key id, the
// optional operator id and the signature.
func signer(fe *wire.FieldErrors, keyID, operator, signature string) {
	fe.Hash("keyId", keyID)
	fe.Operator("operator", operator)
	fe.Signature("signature", signature)
}

// text checks a text of at most MaxTextLen bytes, required or not.
func text(fe *wire.FieldErrors, field, s string, required bool) {
	switch {
	case required && s == "":
		fe.Add(field, "is required")
	case len(s) > MaxTextLen:
		fe.Add(field, "longer than %d bytes", MaxTextLen)
	}
}

// CheckFields validates a field list: 1..MaxFields names, each a valid field
// name (wire.FieldNamePattern), sorted ascending without duplicates. Sorted
// order is required so that a scope has exactly one signed form; clients sort
// before signing (SortFields).
func CheckFields(fields []string) error {
	var fe wire.FieldErrors
	checkFields(&fe, "fields", fields)
	return fe.Err()
}

func checkFields(fe *wire.FieldErrors, field string, fields []string) {
	if len(fields) == 0 {
		fe.Add(field, "must name at least one field")
		return
	}
	if len(fields) > MaxFields {
		fe.Add(field, "more than %d fields", MaxFields)
		return
	}
	for i, f := range fields {
		if !wire.ValidFieldName(f) {
			fe.Add(field, "field name %q must match %s", f, wire.FieldNamePattern)
			return
		}
		if i > 0 && fields[i-1] >= f {
			fe.Add(field, "must be sorted and unique (%q before %q)", fields[i-1], f)
			return
		}
	}
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
