// Package wire holds the small value rules that every record on the ledger and
// every API body share: identifiers, SM3 hashes, times, verification verdicts
// and steps, and field errors. Chaincode, gateway and CLI import it as equals;
// each rule is written here once.
package wire

import (
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/identifier"
)

// IDPattern is the shape of a record id (certificate, grant, exchange, ticket):
// a letter or digit, then up to 127 letters, digits, '.', '_', ':' or '-'.
// An id that starts with identifier.Prefix (1.2.156.3005.2.) must moreover be a
// valid GB/T 36904 identifier, check character included (ValidID, FieldErrors.ID).
const IDPattern = `^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$`

// DeptIDPattern is the shape of a department id (no ':' so it can sit in keys).
const DeptIDPattern = `^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`

// HashPattern is an SM3 digest: 64 lowercase hex characters.
const HashPattern = `^[0-9a-f]{64}$`

// MSPIDPattern is the shape of a Fabric MSP ID.
const MSPIDPattern = `^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`

// FieldNamePattern is the shape of a data field name in a catalogue item, a
// grant or an exchange.
const FieldNamePattern = `^[A-Za-z_][A-Za-z0-9_.-]{0,63}$`

var (
	deptIDRE    = regexp.MustCompile(DeptIDPattern)
	mspIDRE     = regexp.MustCompile(MSPIDPattern)
	fieldNameRE = regexp.MustCompile(FieldNamePattern)
)

// ValidID reports whether s is a well-formed record id: it has the shape of
// IDPattern, and an id that starts like a GB/T 36904 identifier is one.
func ValidID(s string) bool {
	if !idShape(s) {
		return false
	}
	return !identifier.Looks(s) || idProblem(s) == ""
}

// idProblem says what is wrong with record id s ("" when nothing is). This is
// the one place where the identifier rule joins the id rule: an id that starts
// with identifier.Prefix must parse as an identifier (the message names the
// expected check character); any other id is free-form within IDPattern.
func idProblem(s string) string {
	if identifier.Looks(s) {
		if _, err := identifier.Parse(s); err != nil {
			return codes.Message(err)
		}
	}
	if !idShape(s) {
		return fmt.Sprintf("%q must be 1-128 characters of [A-Za-z0-9._:-] starting with a letter or digit", s)
	}
	return ""
}

// idShape reports whether s matches IDPattern (a loop, not the regexp, because
// batches check millions of ids; a test keeps them equal).
func idShape(s string) bool {
	if len(s) == 0 || len(s) > 128 || !alnum(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !alnum(c) && c != '.' && c != '_' && c != ':' && c != '-' {
			return false
		}
	}
	return true
}

func alnum(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// ValidDeptID reports whether s is a well-formed department id.
func ValidDeptID(s string) bool { return deptIDRE.MatchString(s) }

// ValidHash reports whether s is a lowercase hex SM3 digest (HashPattern, as a loop).
func ValidHash(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// ValidMSPID reports whether s is a well-formed Fabric MSP ID.
func ValidMSPID(s string) bool { return mspIDRE.MatchString(s) }

// ValidFieldName reports whether s is a well-formed data field name.
func ValidFieldName(s string) bool { return fieldNameRE.MatchString(s) }

// Time layouts. Records carry RFC 3339 UTC times; TimeLayout is what the
// chaincode writes (the transaction timestamp, fractional seconds kept),
// SecondLayout the whole-second form of the work orders (fixed width, so it
// sorts), SortLayout the fixed-width nanosecond form used in index keys that
// must sort in time order.
const (
	TimeLayout   = time.RFC3339Nano
	SecondLayout = "2006-01-02T15:04:05Z"
	SortLayout   = "2006-01-02T15:04:05.000000000Z"
)

// FormatTime renders t as the records carry it: RFC 3339 UTC.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeLayout) }

// FormatSecond renders t as the work orders carry it: UTC, whole seconds
// (SecondLayout), so that the strings sort in time order.
func FormatSecond(t time.Time) string { return t.UTC().Format(SecondLayout) }

// ParseTime reads an RFC 3339 time and returns it in UTC.
func ParseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("not an RFC 3339 time: %q", s)
	}
	return t.UTC(), nil
}

// Verdict is the outcome of a verification.
type Verdict = string

// The verdicts, shared by chaincode, gateway, CLI and web page.
const (
	VerdictValid        Verdict = "VALID"
	VerdictNotFound     Verdict = "NOT_FOUND"
	VerdictBadFormat    Verdict = "BAD_FORMAT"
	VerdictHashMismatch Verdict = "HASH_MISMATCH"
	VerdictBadSignature Verdict = "BAD_SIGNATURE"
	VerdictKeyInvalid   Verdict = "KEY_INVALID"
	VerdictRevoked      Verdict = "REVOKED"
	VerdictSuspended    Verdict = "SUSPENDED"
	VerdictSuperseded   Verdict = "SUPERSEDED"
	VerdictExpired      Verdict = "EXPIRED"
	VerdictNotYetValid  Verdict = "NOT_YET_VALID"
	// VerdictConflicting: several certificates anchor one document and disagree
	// (one is VALID, another revoked, suspended, superseded or forged).
	VerdictConflicting Verdict = "CONFLICTING"
	// VerdictReceiptMismatch: a receipt that checks by itself differs from the
	// ledger (a signed field or the ledger coordinates).
	VerdictReceiptMismatch Verdict = "RECEIPT_MISMATCH"
	// VerdictHolderMismatch: the holder id given does not open the record's
	// holder commitment with the receipt's salt.
	VerdictHolderMismatch Verdict = "HOLDER_MISMATCH"
	// VerdictNotAnchored: offline, a receipt's transaction evidence does not
	// prove that the ledger's endorsers wrote its record (an endorsement from
	// outside the trust bundle, the policy not met, a write set without it).
	VerdictNotAnchored Verdict = "NOT_ANCHORED"
	// VerdictUntrustedBundle: the trust bundle given is not signed by the
	// pinned governance key (or does not verify at all).
	VerdictUntrustedBundle Verdict = "UNTRUSTED_BUNDLE"
)

// Step outcomes in the numbered verification pipeline.
const (
	StepPass    = "pass"
	StepFail    = "fail"
	StepSkipped = "skipped"
)

// FieldError names one field of a body and what is wrong with it.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// FieldErrors is what Validate methods return: every problem found, in field
// order. Its Error text starts with INVALID_ARGUMENT so it crosses Fabric with
// its code; the gateway turns it into a 400 listing the fields.
type FieldErrors []FieldError

// Error joins the field messages after the INVALID_ARGUMENT code.
func (fe FieldErrors) Error() string {
	parts := make([]string, len(fe))
	for i, e := range fe {
		parts[i] = e.Field + ": " + e.Message
	}
	return codes.InvalidArgument + ": " + strings.Join(parts, "; ")
}

// Is makes errors.Is(err, codes.ErrInvalidArgument)-style checks match.
func (fe FieldErrors) Is(target error) bool {
	var ce *codes.Error
	return errors.As(target, &ce) && ce.Code == codes.InvalidArgument && ce.Msg == ""
}

// Add appends a field error.
func (fe *FieldErrors) Add(field, format string, a ...any) {
	*fe = append(*fe, FieldError{Field: field, Message: fmt.Sprintf(format, a...)})
}

// Err returns nil when there are no field errors, else fe.
func (fe FieldErrors) Err() error {
	if len(fe) == 0 {
		return nil
	}
	return fe
}

// The checks below add a field error when a value breaks its rule and report
// whether it was well-formed, so a Validate method lists every problem at once.

// ID checks a record id (IDPattern; a GB/T 36904 identifier when it starts
// like one).
func (fe *FieldErrors) ID(field, v string) bool {
	p := idProblem(v)
	if p == "" {
		return true
	}
	fe.Add(field, "%s", p)
	return false
}

// DeptID checks a department id (DeptIDPattern).
func (fe *FieldErrors) DeptID(field, v string) bool {
	if ValidDeptID(v) {
		return true
	}
	fe.Add(field, "%q must be 1-64 characters of [A-Za-z0-9._-] starting with a letter or digit", v)
	return false
}

// MSPID checks a Fabric MSP ID (MSPIDPattern).
func (fe *FieldErrors) MSPID(field, v string) bool {
	if ValidMSPID(v) {
		return true
	}
	fe.Add(field, "%q must be 1-128 characters of [A-Za-z0-9._-]", v)
	return false
}

// Hash checks an SM3 digest (HashPattern).
func (fe *FieldErrors) Hash(field, v string) bool {
	if ValidHash(v) {
		return true
	}
	fe.Add(field, "%q must be 64 lowercase hex characters (SM3)", v)
	return false
}

// Text checks a required human-readable text: valid UTF-8, 1..max runes, no
// control characters.
func (fe *FieldErrors) Text(field, v string, max int) bool {
	if v == "" {
		fe.Add(field, "is required")
		return false
	}
	if !utf8.ValidString(v) || utf8.RuneCountInString(v) > max || strings.IndexFunc(v, unicode.IsControl) >= 0 {
		fe.Add(field, "must be at most %d characters of printable UTF-8", max)
		return false
	}
	return true
}

// Time checks an RFC 3339 time and returns it in UTC.
func (fe *FieldErrors) Time(field, v string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		fe.Add(field, "%q is not an RFC 3339 time", v)
		return time.Time{}, false
	}
	return t.UTC(), true
}

// Signature checks that a base64 SM2 signature is present and not oversized
// (whether it verifies is the verifier's business).
func (fe *FieldErrors) Signature(field, v string) bool {
	if v == "" || len(v) > MaxSignatureLen {
		fe.Add(field, "must be a base64 SM2 signature")
		return false
	}
	return true
}

// MaxSignatureLen bounds a base64 signature: a DER SM2 signature is ~96 characters.
const MaxSignatureLen = 256

// OperatorID is the operator id of a Fabric identity whose X.509 certificate has
// subject: its common name (for example "clerk1@dept-a"), or the whole subject
// when it has none. Chaincode and gateway name a person with this one rule.
func OperatorID(subject pkix.Name) string {
	if subject.CommonName != "" {
		return subject.CommonName
	}
	return subject.String()
}

// MaxOperatorLen bounds an operator id (the subject common name of a Fabric
// identity, docs/people.md).
const MaxOperatorLen = 256

// Operator checks an optional operator id: empty, or 1..MaxOperatorLen runes of
// printable UTF-8.
func (fe *FieldErrors) Operator(field, v string) bool {
	if v == "" {
		return true
	}
	return fe.Text(field, v, MaxOperatorLen)
}
