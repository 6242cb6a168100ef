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

	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/gm"
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
	k, err := gm.GenerateKey()
	if err != nil {
		return nil, err
	}
	pub, err := gm.MarshalPublicKeyPEM(&k.PublicKey)
	if err != nil {
		return nil, err
	}
	return &Signer{Key: k, KeyID: gm.KeyID(&k.PublicKey), PEM: string(pub), DeptID: deptID}, nil
}

// Department is the registry:RegisterDepartment input for the signer's department.
func (s *Signer) Department(name, mspID string) string {
	b, _ := json.Marshal(map[string]any{
		"id": s.DeptID, "name": name, "mspId": mspID, "parent": "",
		"categories": []string{}, "publicKeys": []string{s.PEM},
	})
	return string(b)
}

// Certificate returns a signed certificate record (certificate:Issue input) for a random
// document, valid from a minute ago for a year, and the document's SM3 hash.
func (s *Signer) Certificate(id string) (record map[string]string, err error) {
	doc := make([]byte, 64)
	salt, err := gm.NewSalt()
	if err != nil {
		return nil, err
	}
	if _, err := rand.Read(doc); err != nil {
		return nil, err
	}
	now := time.Now().UTC().Truncate(time.Second)
	r := map[string]string{
		"id":               id,
		"docHash":          gm.SM3Hex(doc),
		"type":             "business-licence",
		"issuer":           s.DeptID,
		"holderCommitment": gm.Commitment(salt, "91310000MA1FL0000X"),
		"validFrom":        now.Add(-time.Minute).Format(time.RFC3339),
		"validUntil":       now.AddDate(1, 0, 0).Format(time.RFC3339),
		"keyId":            s.KeyID,
		"supersedes":       "",
	}
	sig, err := canon.Sign(s.Key, canon.KindCertificate, r)
	if err != nil {
		return nil, err
	}
	r["signature"] = sig
	return r, nil
}

// StatusChange returns a signed certificate-status request (revoke|suspend|reinstate).
func (s *Signer) StatusChange(certID, action, reason, prevTxID string) (map[string]string, error) {
	r := map[string]string{
		"certificateId": certID, "action": action, "reason": reason,
		"keyId": s.KeyID, "prevTxId": prevTxID,
	}
	sig, err := canon.Sign(s.Key, canon.KindCertificateStatus, r)
	if err != nil {
		return nil, err
	}
	r["signature"] = sig
	return r, nil
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
