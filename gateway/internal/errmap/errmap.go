// Package errmap turns every error the gateway meets (its own input checks, chaincode
// errors that crossed Fabric as text, fabric-gateway client errors, gRPC statuses and
// context deadlines) into one HTTP answer. Map is the only place that decides a status.
package errmap

import (
	"context"
	"errors"
	"fmt"
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
	// CommitUnknown: the write was sent for ordering but its commit could not be
	// confirmed in time. Retrying the same request is safe (and how to learn the outcome).
	CommitUnknown = "COMMIT_UNKNOWN"
)

// RetryAfter is what a client is told to wait after a transient failure.
const RetryAfter = 1 * time.Second

// Fixed messages of the statuses that never carry details.
const (
	msgInternal    = "internal error"
	msgUnavailable = "ledger unavailable, nothing was written; retry later"
	msgChaincode   = "chaincode unavailable (starting or restarting), nothing was written; retry later"
	msgConflict    = "ledger busy (concurrent update), nothing was written; retry later"
	msgTimeout     = "ledger did not answer in time"
	msgUnknown     = "was sent for ordering but its commit could not be confirmed in time; " +
		"retry the same request (same record, same signature): a write that committed is answered " +
		"with its result, never written twice. A new id would issue twice."
)

// CommitUnknownError is returned by a ledger client when a transaction may have
// reached an orderer but its commit status could not be learnt in time.
type CommitUnknownError struct {
	TxID string
	Err  error
}

func (e *CommitUnknownError) Error() string {
	return fmt.Sprintf("commit status of transaction %s unknown: %v", e.TxID, e.Err)
}

func (e *CommitUnknownError) Unwrap() error { return e.Err }

// transientChaincode are texts a Fabric peer puts in an endorsement failure when
// it could not reach or launch the chaincode (a chaincode server being
// restarted), or could not find endorsers yet: worth a retry, elsewhere or later.
var transientChaincode = []string{
	"could not launch chaincode",
	"chaincode registration failed",
	"timeout expired while starting chaincode",
	"chaincode stream terminated",
	"error creating grpc connection",
	"error cannot create connection",
	"no combination of peers can be derived",
}

// ChaincodeUnavailable reports an endorsement that failed because a peer could
// not reach or launch the chaincode (never a chaincode's own coded error).
func ChaincodeUnavailable(err error) bool {
	if err == nil {
		return false
	}
	if _, _, coded := ChaincodeCode(err); coded {
		return false
	}
	texts := []string{err.Error()}
	if st, ok := status.FromError(err); ok {
		texts = append(texts, st.Message())
		for _, d := range st.Details() {
			if ed, isDetail := d.(*gateway.ErrorDetail); isDetail {
				texts = append(texts, ed.GetMessage())
			}
		}
	}
	for _, t := range texts {
		t = strings.ToLower(t)
		for _, m := range transientChaincode {
			if strings.Contains(t, m) {
				return true
			}
		}
	}
	return false
}

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
	var cu *CommitUnknownError
	if errors.As(err, &cu) {
		return Problem{Status: http.StatusGatewayTimeout, Code: CommitUnknown, Message: "transaction " + cu.TxID + " " + msgUnknown, RetryAfter: RetryAfter}
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
	if ChaincodeUnavailable(err) {
		return Problem{Status: http.StatusServiceUnavailable, Code: Unavailable, Message: msgChaincode, RetryAfter: RetryAfter}
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
