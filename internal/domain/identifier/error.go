// Package identifier holds the code rules of Chinese e-certificates, written once
// for chaincode, gateway, CLI and tests:
//
//   - GB/T 36904 e-certificate identifiers,
//     1.2.156.3005.2.<type code>.<issuing organisation code>.<serial>.<version>.<check>,
//     whose last character is an ISO/IEC 7064 MOD 37,36 check character (GB/T 17710);
//   - GB 32100 unified social credit codes (统一社会信用代码), 18 characters whose last
//     is a MOD 31 check character;
//   - GB 11643 citizen identity numbers (ISO/IEC 7064 MOD 11-2), checked client-side
//     before a holder's number is committed to.
//
// Every failure is an *Error: its text starts with INVALID_ARGUMENT (so it crosses
// Fabric with its code), it wraps ErrMalformed or ErrCheckCharacter, and a wrong
// check character names the expected one. It imports no Fabric package.
package identifier

import (
	"errors"
	"strconv"

	"github.com/certledger/certledger/internal/codes"
)

// Sentinel errors wrapped by *Error.
var (
	// ErrMalformed: the value does not have the shape of its kind.
	ErrMalformed = errors.New("malformed")
	// ErrCheckCharacter: the shape is right but the check character is not the computed one.
	ErrCheckCharacter = errors.New("wrong check character")
)

// Error describes a value that fails its rules.
type Error struct {
	What     string // "identifier", "unified social credit code", ...
	Value    string // the value as given ("" for personal data, which is never echoed)
	Reason   string // what is wrong, for a person
	Expected string // the expected check character, when Err is ErrCheckCharacter
	Err      error  // ErrMalformed or ErrCheckCharacter
}

// Error is "INVALID_ARGUMENT: <what> "<value>": <reason>".
func (e *Error) Error() string {
	if e.Value == "" {
		return codes.InvalidArgument + ": " + e.What + ": " + e.Reason
	}
	return codes.InvalidArgument + ": " + e.What + " " + strconv.Quote(e.Value) + ": " + e.Reason
}

// Unwrap returns ErrMalformed or ErrCheckCharacter.
func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, codes.New(codes.InvalidArgument, "")) match.
func (e *Error) Is(target error) bool {
	var ce *codes.Error
	return errors.As(target, &ce) && ce.Code == codes.InvalidArgument && ce.Msg == ""
}

func malformed(what, value, reason string) *Error {
	return &Error{What: what, Value: value, Reason: reason, Err: ErrMalformed}
}

func wrongCheck(what, value string, got, want byte, scheme string) *Error {
	return &Error{
		What: what, Value: value, Expected: string(want), Err: ErrCheckCharacter,
		Reason: "check character is " + strconv.QuoteRune(rune(got)) + ", expected " + strconv.QuoteRune(rune(want)) + " (" + scheme + ")",
	}
}
