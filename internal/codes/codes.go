// Package codes holds the stable error codes that chaincode, gateway and CLI share.
//
// A chaincode error crosses Fabric only as text, so every error a contract returns
// starts with its code: "NOT_FOUND: certificate c-1". Parse finds the code again in
// whatever text a Fabric peer or the gateway client wrapped around it.
package codes

import (
	"errors"
	"fmt"
	"strings"
)

// The stable codes.
const (
	NotFound          = "NOT_FOUND"
	Forbidden         = "FORBIDDEN"
	InvalidArgument   = "INVALID_ARGUMENT"
	Conflict          = "CONFLICT"
	BadSignature      = "BAD_SIGNATURE"
	IllegalTransition = "ILLEGAL_TRANSITION"
	Internal          = "INTERNAL"
)

// All lists every code, in the order Parse tries them.
var All = []string{NotFound, Forbidden, InvalidArgument, Conflict, BadSignature, IllegalTransition, Internal}

// Error is an error with a stable code. Its text is "CODE: message".
type Error struct {
	Code string
	Msg  string
}

func (e *Error) Error() string { return e.Code + ": " + e.Msg }

// Is matches another *Error with the same code, so errors.Is(err, &Error{Code: NotFound}) works.
func (e *Error) Is(target error) bool {
	var t *Error
	if errors.As(target, &t) {
		return t.Code == e.Code && (t.Msg == "" || t.Msg == e.Msg)
	}
	return false
}

// New builds an *Error with a formatted message.
func New(code, format string, a ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, a...)}
}

// Code returns the code of err: its own if it is (or wraps) an *Error, else the
// first code found in its text, else "".
func Code(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	c, _, _ := Parse(err.Error())
	return c
}

// Parse finds "CODE: msg" anywhere in s (Fabric prefixes chaincode messages with
// text such as "chaincode response 500, "). It returns the earliest code found and
// the message after it.
func Parse(s string) (code, msg string, ok bool) {
	best := -1
	for _, c := range All {
		needle := c + ": "
		from := 0
		for {
			i := strings.Index(s[from:], needle)
			if i < 0 {
				break
			}
			i += from
			// The code must start a word: not preceded by a letter, digit or underscore.
			if i == 0 || !isWordByte(s[i-1]) {
				if best < 0 || i < best {
					best, code = i, c
				}
				break
			}
			from = i + 1
		}
	}
	if best < 0 {
		return "", "", false
	}
	return code, s[best+len(code)+2:], true
}

func isWordByte(b byte) bool {
	return b == '_' || b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9'
}
