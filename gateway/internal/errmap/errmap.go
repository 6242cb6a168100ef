// Package errmap turns every error the gateway meets (its own input checks, chaincode
// errors that crossed Fabric as text, fabric-gateway client errors, gRPC statuses and
// context deadlines) into one HTTP answer. Map is the only place that decides a status.
package errmap

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	grpccodes "google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/wire"
)

// Gateway-only codes, used beside the chaincode codes of internal/codes.
const (
	Unauthenticated = "UNAUTHENTICATED"
	RateLimited     = "RATE_LIMITED"
	TooLarge        = "TOO_LARGE"
	Unavailable     = "UNAVAILABLE"
	Timeout         = "TIMEOUT"
	// MethodNotAllowed answers a known path called with a method it does not serve.
	MethodNotAllowed = "METHOD_NOT_ALLOWED"
)

// RetryAfter is what a client is told to wait after a transient failure.
const RetryAfter = 1 * time.Second

// Fixed messages of the statuses that never carry details.
const (
	msgInternal    = "internal error"
	msgUnavailable = "ledger unavailable, retry later"
	msgConflict    = "ledger busy (concurrent update), retry later"
	msgTimeout     = "ledger did not answer in time"
)

// Problem is the HTTP answer for an error: the status, the body {"code","message"}
// (plus "fields" for a body that failed validation field by field) and, for
// transient failures, a Retry-After.
type Problem struct {
	Status     int               `json:"-"`
	Code       string            `json:"code"`
	Message    string            `json:"message"`
	Fields     []wire.FieldError `json:"fields,omitempty"`
	RetryAfter time.Duration     `json:"-"`
}

// Error is an error the gateway raises itself with a known status (bad input,
// missing token, rate limit, body too large). Its message is shown to the client.
type Error struct {
	Status     int
	Code       string
	Msg        string
	RetryAfter time.Duration
}

func (e *Error) Error() string { return e.Code + ": " + e.Msg }

// New builds an *Error.
func New(status int, code, msg string) *Error { return &Error{Status: status, Code: code, Msg: msg} }

// ErrUnavailable is returned by ledger clients that are not connected (or closed).
var ErrUnavailable = errors.New("ledger unavailable")

// statusOfCode maps the stable chaincode codes to HTTP.
var statusOfCode = map[string]int{
	codes.InvalidArgument:   http.StatusBadRequest,
	codes.BadSignature:      http.StatusBadRequest,
	codes.Forbidden:         http.StatusForbidden,
	codes.NotFound:          http.StatusNotFound,
	codes.Conflict:          http.StatusConflict,
	codes.IllegalTransition: http.StatusConflict,
}

// Map returns the HTTP answer for err. Client-visible messages come only from
// gateway errors and coded chaincode errors; everything else gets a fixed message
// (the caller logs err itself).
func Map(err error) Problem {
	if err == nil {
		return Problem{Status: http.StatusOK}
	}
	var ge *Error
	if errors.As(err, &ge) {
		return Problem{Status: ge.Status, Code: ge.Code, Message: ge.Msg, RetryAfter: ge.RetryAfter}
	}
	// Field errors (a domain Validate or the gateway's own input checks): 400
	// listing every field.
	var fe wire.FieldErrors
	if errors.As(err, &fe) && len(fe) > 0 {
		msg := strings.TrimPrefix(fe.Error(), codes.InvalidArgument+": ")
		return Problem{Status: http.StatusBadRequest, Code: codes.InvalidArgument, Message: msg, Fields: fe}
	}
	if code, msg, ok := ChaincodeCode(err); ok {
		if st, known := statusOfCode[code]; known {
			return Problem{Status: st, Code: code, Message: msg}
		}
		return internal()
	}
	var ce *client.CommitError
	if errors.As(err, &ce) {
		switch ce.Code {
		case peer.TxValidationCode_MVCC_READ_CONFLICT, peer.TxValidationCode_PHANTOM_READ_CONFLICT:
			return Problem{Status: http.StatusServiceUnavailable, Code: Unavailable, Message: msgConflict, RetryAfter: RetryAfter}
		case peer.TxValidationCode_DUPLICATE_TXID:
			return Problem{Status: http.StatusConflict, Code: codes.Conflict, Message: "duplicate transaction id"}
		}
		return internal()
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return Problem{Status: http.StatusGatewayTimeout, Code: Timeout, Message: msgTimeout}
	}
	if errors.Is(err, ErrUnavailable) {
		return Problem{Status: http.StatusServiceUnavailable, Code: Unavailable, Message: msgUnavailable, RetryAfter: RetryAfter}
	}
	if st, ok := status.FromError(err); ok && st.Code() != grpccodes.OK {
		switch st.Code() {
		case grpccodes.DeadlineExceeded:
			return Problem{Status: http.StatusGatewayTimeout, Code: Timeout, Message: msgTimeout}
		case grpccodes.Unavailable, grpccodes.ResourceExhausted, grpccodes.Canceled:
			return Problem{Status: http.StatusServiceUnavailable, Code: Unavailable, Message: msgUnavailable, RetryAfter: RetryAfter}
		}
	}
	if errors.Is(err, context.Canceled) {
		return Problem{Status: http.StatusServiceUnavailable, Code: Unavailable, Message: msgUnavailable, RetryAfter: RetryAfter}
	}
	return internal()
}

func internal() Problem {
	return Problem{Status: http.StatusInternalServerError, Code: codes.Internal, Message: msgInternal}
}

// ChaincodeCode finds the stable code a chaincode put in front of its message. It
// looks, in order, at a *codes.Error in the chain, the peers' messages attached to a
// fabric-gateway error (each endorser answers separately), the gRPC status message,
// and the whole error text. The message stops at the end of its line.
func ChaincodeCode(err error) (code, msg string, ok bool) {
	var ce *codes.Error
	if errors.As(err, &ce) {
		return ce.Code, ce.Msg, true
	}
	if st, isStatus := status.FromError(err); isStatus {
		for _, d := range st.Details() {
			if ed, isDetail := d.(*gateway.ErrorDetail); isDetail {
				if code, msg, ok := codes.Parse(ed.GetMessage()); ok {
					return code, firstLine(msg), true
				}
			}
		}
		if code, msg, ok := codes.Parse(st.Message()); ok {
			return code, firstLine(msg), true
		}
	}
	if code, msg, ok := codes.Parse(err.Error()); ok {
		return code, firstLine(msg), true
	}
	return "", "", false
}

// IsRetryable reports whether a submit that failed with err may be retried as a
// new transaction (an MVCC or phantom read conflict at commit).
func IsRetryable(err error) bool {
	var ce *client.CommitError
	if errors.As(err, &ce) {
		return ce.Code == peer.TxValidationCode_MVCC_READ_CONFLICT || ce.Code == peer.TxValidationCode_PHANTOM_READ_CONFLICT
	}
	return false
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}
