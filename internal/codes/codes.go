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
	err  error // what it wraps: a finer sentinel (Reason) or the error Prefix added context to
}

func (e *Error) Error() string {
	if e.Msg == "" {
		return e.Code // a code's sentinel: fmt.Errorf("%w: ...", ErrNotFound) reads "NOT_FOUND: ..."
	}
	return e.Code + ": " + e.Msg
}

// Unwrap returns the finer sentinel or the error e adds context to, if any.
func (e *Error) Unwrap() error { return e.err }

// Is matches another *Error with the same code and either no message (a code's
// sentinel: errors.Is(err, ErrNotFound)) or the same message.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	return t.Code == e.Code && (t.Msg == "" || t.Msg == e.Msg)
}

// The sentinels, one per code: every coded error matches its code's sentinel
// with errors.Is, wherever it was made and however it was wrapped.
var (
	ErrNotFound          = &Error{Code: NotFound}
	ErrForbidden         = &Error{Code: Forbidden}
	ErrInvalidArgument   = &Error{Code: InvalidArgument}
	ErrConflict          = &Error{Code: Conflict}
	ErrBadSignature      = &Error{Code: BadSignature}
	ErrIllegalTransition = &Error{Code: IllegalTransition}
	ErrInternal          = &Error{Code: Internal}
)

// Reason returns a finer sentinel under a code's sentinel (for example "grant
// revoked" under ErrForbidden). An error made by Wrap(reason, ...) matches both
// the reason and the code's sentinel with errors.Is, and its text starts with
// the reason: "FORBIDDEN: grant revoked: ...".
func Reason(code *Error, text string) *Error {
	return &Error{Code: code.Code, Msg: text}
}

// Wrap returns an error of the sentinel's code with a formatted message:
// Wrap(ErrNotFound, "certificate %s", id) reads "NOT_FOUND: certificate c-1".
// A Reason's text leads the message. The text is all that crosses Fabric.
func Wrap(sentinel *Error, format string, a ...any) *Error {
	msg := fmt.Sprintf(format, a...)
	if sentinel.Msg != "" {
		msg = sentinel.Msg + ": " + msg
	}
	return &Error{Code: sentinel.Code, Msg: msg, err: sentinel}
}

// New builds an *Error with a formatted message; it is Wrap for a code given as a string.
func New(code, format string, a ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, a...)}
}

// Message returns the text of err without its leading code: the message of
// "FORBIDDEN: grant g-1 revoked" is "grant g-1 revoked". Text without a
// leading code is returned whole.
func Message(err error) string {
	if err == nil {
		return ""
	}
	s := err.Error()
	if c, m, ok := Parse(s); ok && strings.HasPrefix(s, c+": ") {
		return m
	}
	return s
}

// Prefix adds context in front of a coded error's message and keeps the code
// in front of the text: Prefix(err, "grant %s", id) turns "FORBIDDEN: x" into
// "FORBIDDEN: grant g-1: x". The result wraps err, so errors.Is still finds
// every sentinel err matches. An error without a code (nor a code at the
// start of its text) gets the INTERNAL code; nil stays nil.
func Prefix(err error, format string, a ...any) error {
	if err == nil {
		return nil
	}
	ctx := fmt.Sprintf(format, a...)
	code, msg := Internal, err.Error()
	if c, m, ok := Parse(msg); ok && strings.HasPrefix(msg, c+": ") {
		code, msg = c, m
	} else if c := Code(err); c != "" {
		code = c
	}
	return &Error{Code: code, Msg: ctx + ": " + msg, err: err}
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
