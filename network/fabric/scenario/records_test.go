package scenario

import (
	"errors"
	"fmt"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	grpccodes "google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/gm"
)

func TestErrorCode(t *testing.T) {
	withDetail, err := status.New(grpccodes.Aborted, "failed to endorse transaction, see attached details").
		WithDetails(&gateway.ErrorDetail{Address: "peer0:7051", MspId: "DeptAMSP",
			Message: "chaincode response 500, FORBIDDEN: only the governance organisation may register departments"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, ""},
		{errors.New("NOT_FOUND: certificate c-1"), "NOT_FOUND"},
		{status.Error(grpccodes.Unknown, "evaluate call to endorser returned error: chaincode response 500, CONFLICT: x"), "CONFLICT"},
		{fmt.Errorf("submitting: %w", withDetail.Err()), "FORBIDDEN"},
		{errors.New("connection refused"), ""},
	} {
		if got := ErrorCode(tc.err); got != tc.want {
			t.Errorf("ErrorCode(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

func TestSignedRecordsVerify(t *testing.T) {
	s, err := NewSigner("dept-a")
	if err != nil {
		t.Fatal(err)
	}
	pub, err := gm.ParsePublicKeyPEM([]byte(s.PEM))
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.Certificate("cert-1")
	if err != nil {
		t.Fatal(err)
	}
	if err := canon.Verify(pub, canon.KindCertificate, c, c["signature"]); err != nil {
		t.Fatalf("certificate signature: %v", err)
	}
	if err := gm.CheckHash(c["docHash"]); err != nil {
		t.Fatal(err)
	}
	st, err := s.StatusChange("cert-1", "revoke", "withdrawn", "tx1")
	if err != nil {
		t.Fatal(err)
	}
	if err := canon.Verify(pub, canon.KindCertificateStatus, st, st["signature"]); err != nil {
		t.Fatalf("status signature: %v", err)
	}
}
