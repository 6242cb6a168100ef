package errmap

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	grpccodes "google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/certledger/certledger/internal/codes"
)

// endorseFailure builds the error shape fabric-gateway returns when endorsement
// fails: a gRPC Aborted status whose details carry each peer's message.
func endorseFailure(msgs ...string) error {
	st := status.New(grpccodes.Aborted, "failed to endorse transaction, see attached details for more info")
	var details []*gateway.ErrorDetail
	for i, m := range msgs {
		details = append(details, &gateway.ErrorDetail{Address: fmt.Sprintf("peer%d:7051", i), MspId: "Org1MSP", Message: m})
	}
	for _, d := range details {
		var err error
		st, err = st.WithDetails(d)
		if err != nil {
			panic(err)
		}
	}
	return fmt.Errorf("endorse error: %w", st.Err())
}

func TestMap(t *testing.T) {
	cases := []struct {
		name       string
		err        error
		status     int
		code       string
		msg        string // "" = don't check
		retryAfter bool
	}{
		{"gateway error", New(http.StatusBadRequest, codes.InvalidArgument, "docHash: want 64 lowercase hex"), 400, codes.InvalidArgument, "docHash: want 64 lowercase hex", false},
		{"gateway unauthenticated", New(http.StatusUnauthorized, Unauthenticated, "missing bearer token"), 401, Unauthenticated, "missing bearer token", false},
		{"codes.Error", codes.New(codes.NotFound, "certificate %s", "c-1"), 404, codes.NotFound, "certificate c-1", false},
		{"wrapped codes.Error", fmt.Errorf("get: %w", codes.New(codes.Forbidden, "not yours")), 403, codes.Forbidden, "not yours", false},
		{"evaluate text", status.Error(grpccodes.Unknown, "evaluate call to endorser returned error: chaincode response 500, NOT_FOUND: certificate c-9"), 404, codes.NotFound, "certificate c-9", false},
		{"invalid argument", errors.New("chaincode response 500, INVALID_ARGUMENT: validUntil before validFrom"), 400, codes.InvalidArgument, "validUntil before validFrom", false},
		{"bad signature", errors.New("BAD_SIGNATURE: signature does not verify"), 400, codes.BadSignature, "signature does not verify", false},
		{"forbidden", errors.New("FORBIDDEN: MSP Org2MSP may not issue for dept-a"), 403, codes.Forbidden, "", false},
		{"conflict", errors.New("CONFLICT: certificate c-1 exists"), 409, codes.Conflict, "certificate c-1 exists", false},
		{"illegal transition", errors.New("ILLEGAL_TRANSITION: revoked -> valid"), 409, codes.IllegalTransition, "", false},
		{"chaincode internal", errors.New("INTERNAL: state corrupted at key x"), 500, codes.Internal, msgInternal, false},
		{"endorse details", endorseFailure("chaincode response 500, CONFLICT: certificate c-2 exists"), 409, codes.Conflict, "certificate c-2 exists", false},
		{"endorse details second peer", endorseFailure("connection refused", "chaincode response 500, ILLEGAL_TRANSITION: already revoked"), 409, codes.IllegalTransition, "already revoked", false},
		{"endorse no code", endorseFailure("some peer failure"), 500, codes.Internal, msgInternal, false},
		// A department's chaincode server being restarted: transient, not INTERNAL.
		{"chaincode launch", endorseFailure("error in simulation: failed to execute transaction abc: could not launch chaincode certledger_1.0:9f2c: connection to certledger_1.0:9f2c failed: error cannot create connection for certledger_1.0:9f2c: error creating grpc connection to 127.0.0.1:17210: context deadline exceeded"), 503, Unavailable, msgChaincode, true},
		{"chaincode stream", endorseFailure("error in simulation: chaincode stream terminated"), 503, Unavailable, msgChaincode, true},
		{"no endorsers yet", status.Error(grpccodes.Unavailable, "no combination of peers can be derived which satisfy the endorsement policy"), 503, Unavailable, msgChaincode, true},
		{"coded beats transient", endorseFailure("chaincode stream terminated", "chaincode response 500, NOT_FOUND: certificate c-3"), 404, codes.NotFound, "", false},
		// Sent for ordering, outcome unknown: not "unavailable" (which means nothing was written).
		{"commit unknown", fmt.Errorf("submit: %w", &CommitUnknownError{TxID: "tx9", Err: context.DeadlineExceeded}), 504, CommitUnknown, "transaction tx9 " + msgUnknown, true},
		{"mvcc", &client.CommitError{TransactionID: "tx1", Code: peer.TxValidationCode_MVCC_READ_CONFLICT}, 503, Unavailable, msgConflict, true},
		{"phantom", fmt.Errorf("x: %w", &client.CommitError{TransactionID: "tx1", Code: peer.TxValidationCode_PHANTOM_READ_CONFLICT}), 503, Unavailable, "", true},
		{"duplicate txid", &client.CommitError{TransactionID: "tx1", Code: peer.TxValidationCode_DUPLICATE_TXID}, 409, codes.Conflict, "", false},
		{"endorsement policy", &client.CommitError{TransactionID: "tx1", Code: peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE}, 500, codes.Internal, msgInternal, false},
		{"context deadline", fmt.Errorf("evaluate: %w", context.DeadlineExceeded), 504, Timeout, msgTimeout, false},
		{"grpc deadline", status.Error(grpccodes.DeadlineExceeded, "context deadline exceeded"), 504, Timeout, "", false},
		{"grpc unavailable", status.Error(grpccodes.Unavailable, "connection refused"), 503, Unavailable, msgUnavailable, true},
		{"grpc overload", status.Error(grpccodes.ResourceExhausted, "too many requests"), 503, Unavailable, "", true},
		{"not connected", fmt.Errorf("org gov: %w", ErrUnavailable), 503, Unavailable, "", true},
		{"canceled", context.Canceled, 503, Unavailable, "", true},
		{"plain", errors.New("open /secret/key.pem: permission denied"), 500, codes.Internal, msgInternal, false},
		{"grpc other", status.Error(grpccodes.PermissionDenied, "access denied: creator org unknown"), 500, codes.Internal, msgInternal, false},
		{"code not word start", errors.New("XNOT_FOUND: nothing"), 500, codes.Internal, "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := Map(c.err)
			if p.Status != c.status || p.Code != c.code {
				t.Fatalf("Map(%v) = %d %s, want %d %s", c.err, p.Status, p.Code, c.status, c.code)
			}
			if c.msg != "" && p.Message != c.msg {
				t.Errorf("message %q, want %q", p.Message, c.msg)
			}
			if (p.RetryAfter > 0) != c.retryAfter {
				t.Errorf("retryAfter %v, want set=%v", p.RetryAfter, c.retryAfter)
			}
		})
	}
}

func TestMapNil(t *testing.T) {
	if p := Map(nil); p.Status != http.StatusOK {
		t.Fatalf("Map(nil) = %d", p.Status)
	}
}

func TestIsRetryable(t *testing.T) {
	if !IsRetryable(fmt.Errorf("w: %w", &client.CommitError{Code: peer.TxValidationCode_MVCC_READ_CONFLICT})) {
		t.Error("MVCC not retryable")
	}
	if IsRetryable(errors.New("CONFLICT: x")) || IsRetryable(&client.CommitError{Code: peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE}) {
		t.Error("non-MVCC retryable")
	}
}
