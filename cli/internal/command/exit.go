package command

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/certledger/certledger/cli/internal/client"
	"github.com/certledger/certledger/internal/codes"
	"github.com/urfave/cli/v2"
)

// Exit codes.
const (
	ExitOK          = 0 // done, or VALID
	ExitInvalid     = 1 // refused by the ledger, or not valid
	ExitUsage       = 2 // usage, input or I/O error
	ExitUnreachable = 3 // the gateway or the ledger could not be reached
)

// exitError carries an exit code. A nil err prints nothing (the command already
// printed its result, e.g. a NOT VALID verdict).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// Invalid marks err as a refusal or an invalid result (exit 1).
func Invalid(err error) error { return &exitError{code: ExitInvalid, err: err} }

// Invalidf is Invalid(fmt.Errorf(...)).
func Invalidf(format string, a ...any) error { return Invalid(fmt.Errorf(format, a...)) }

// Usagef is a usage or input error (exit 2).
func Usagef(format string, a ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, a...)}
}

// InvalidInput is the usage error (exit 2) for a body that failed its domain
// Validate: "what: field: problem; field: problem", every field named.
func InvalidInput(what string, err error) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf("%s: %s", what, codes.Message(err))}
}

// Silent returns an error that only sets the exit code.
func Silent(code int) error { return &exitError{code: code} }

// ExitCode maps an error to the CLI's exit code.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if errors.Is(err, client.ErrUnreachable) {
		return ExitUnreachable
	}
	var ce *client.Error
	if errors.As(err, &ce) {
		if ce.Status >= 500 {
			return ExitUnreachable
		}
		return ExitInvalid
	}
	if errors.Is(err, context.Canceled) {
		return ExitUsage
	}
	var ec cli.ExitCoder // urfave's own errors: unknown command, help topic
	if errors.As(err, &ec) {
		return ExitUsage
	}
	return ExitUsage
}

// errorLine is the one line printed for err ("" for none).
func errorLine(err error) string {
	if err == nil {
		return ""
	}
	var ee *exitError
	if errors.As(err, &ee) && ee.err == nil {
		return ""
	}
	msg := strings.TrimSpace(err.Error())
	if errors.Is(err, context.Canceled) && !strings.HasPrefix(msg, "interrupted") {
		return "interrupted"
	}
	msg = strings.ReplaceAll(msg, "\n", "; ")
	if errors.Is(err, client.ErrUnreachable) && !strings.Contains(msg, "ledger unreachable") {
		msg += " (ledger unreachable)"
	}
	return msg
}
