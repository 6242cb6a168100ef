package scenario

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"google.golang.org/grpc/status"

	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/loadtest/record"
)

// Signer is a department's SM2 key as the CLI would hold it.
type Signer struct {
	Key    *sm2.PrivateKey
	KeyID  string
	PEM    string // PKIX public key
	DeptID string
}

// NewSigner makes a fresh SM2 key for department deptID.
func NewSigner(deptID string) (*Signer, error) {
	d, err := record.NewDept(deptID, "")
	if err != nil {
		return nil, err
	}
	return &Signer{Key: d.Key, KeyID: d.KeyID, PEM: d.PubPEM, DeptID: deptID}, nil
}

// dept is the signer as a loadtest/record department of MSP mspID: the records
// are built and signed there.
func (s *Signer) dept(mspID string) *record.Dept {
	return &record.Dept{ID: s.DeptID, MSPID: mspID, Key: s.Key, KeyID: s.KeyID, PubPEM: s.PEM}
}

// Department is the registry:RegisterDepartment input for the signer's department.
func (s *Signer) Department(name, mspID string) string {
	return record.JSON(s.dept(mspID).Registration(name))
}

// Certificate returns a signed certificate record (certificate:Issue input) for a random
// document, valid from a minute ago for a year.
func (s *Signer) Certificate(id string) (map[string]string, error) {
	doc := make([]byte, 64)
	if _, err := rand.Read(doc); err != nil {
		return nil, err
	}
	now := time.Now().UTC().Truncate(time.Second)
	rec, err := s.dept("").Certificate(id, doc, now.Add(-time.Minute), now.AddDate(1, 0, 0))
	if err != nil {
		return nil, err
	}
	return flatMap(rec)
}

// StatusChange returns a signed certificate-status request (revoke|suspend|reinstate).
func (s *Signer) StatusChange(certID, action, reason, prevTxID string) (map[string]string, error) {
	req, err := s.dept("").StatusRequest(certID, action, reason, prevTxID)
	if err != nil {
		return nil, err
	}
	return flatMap(req)
}

// flatMap is a record of string fields as the map the scenario edits (forged and
// tampered copies).
func flatMap(v any) (map[string]string, error) {
	var m map[string]string
	err := json.Unmarshal([]byte(record.JSON(v)), &m)
	return m, err
}

// JSON marshals v (records are flat maps of strings and never fail).
func JSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// RandomID returns prefix-<8 random hex>, so a scenario can run again on the same ledger.
func RandomID(prefix string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

// ErrorCode finds the certledger error code (NOT_FOUND, FORBIDDEN, ...) in a Fabric
// gateway error: in its text (evaluate) or in its endorsement details (submit).
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	if c, _, ok := codes.Parse(err.Error()); ok {
		return c
	}
	// Gateway errors (EndorseError, SubmitError, evaluate errors) carry a gRPC status whose
	// details name each endorser's failure.
	if st, ok := status.FromError(err); ok {
		return codeInDetails(st)
	}
	return ""
}

func codeInDetails(st *status.Status) string {
	if st == nil {
		return ""
	}
	if c, _, ok := codes.Parse(st.Message()); ok {
		return c
	}
	for _, d := range st.Details() {
		if ed, ok := d.(*gateway.ErrorDetail); ok {
			if c, _, ok := codes.Parse(ed.GetMessage()); ok {
				return c
			}
		}
	}
	return ""
}

// Describe renders an error with its endorsement details, for test logs.
func Describe(err error) string {
	if err == nil {
		return "<nil>"
	}
	s := err.Error()
	if st, ok := status.FromError(err); ok {
		for _, d := range st.Details() {
			if ed, ok := d.(*gateway.ErrorDetail); ok {
				s += fmt.Sprintf("\n  %s (%s): %s", ed.GetAddress(), ed.GetMspId(), ed.GetMessage())
			}
		}
	}
	return s
}
