// Package workload builds certledger transactions (departments, signed certificate
// records, status requests) for the devnet's end-to-end tests, crash test and bench.
package workload

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/hyperledger/fabric-gateway/pkg/client"

	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/gm"
)

// Dept is a department with one SM2 signing key.
type Dept struct {
	ID     string
	MSPID  string
	Key    *sm2.PrivateKey
	KeyID  string
	PubPEM string
}

// NewDept generates a department key.
func NewDept(id, mspID string) (*Dept, error) {
	k, err := gm.GenerateKey()
	if err != nil {
		return nil, err
	}
	pub, err := gm.MarshalPublicKeyPEM(&k.PublicKey)
	if err != nil {
		return nil, err
	}
	return &Dept{ID: id, MSPID: mspID, Key: k, KeyID: gm.KeyID(&k.PublicKey), PubPEM: string(pub)}, nil
}

// Register submits registry:RegisterDepartment through gov (the governance admin's contract).
func (d *Dept) Register(gov *client.Contract) error {
	in, err := json.Marshal(map[string]any{
		"id": d.ID, "name": "Department " + d.ID, "mspId": d.MSPID, "parent": "",
		"categories": []string{}, "publicKeys": []string{d.PubPEM},
	})
	if err != nil {
		return err
	}
	_, err = gov.SubmitTransaction("registry:RegisterDepartment", string(in))
	return err
}

// Certificate returns the signed certificate record (JSON) for a document.
func (d *Dept) Certificate(id string, doc []byte) (string, string, error) {
	rec := map[string]string{
		"id": id, "docHash": gm.SM3Hex(doc), "type": "business-licence", "issuer": d.ID,
		"holderCommitment": gm.SM3Hex([]byte("holder-" + id)),
		"validFrom":        time.Now().UTC().Add(-time.Hour).Format(time.RFC3339),
		"validUntil":       "", "keyId": d.KeyID, "supersedes": "",
	}
	sig, err := canon.Sign(d.Key, canon.KindCertificate, rec)
	if err != nil {
		return "", "", err
	}
	rec["signature"] = sig
	b, err := json.Marshal(rec)
	return string(b), rec["docHash"], err
}

// StatusRequest returns a signed revoke/suspend/reinstate request (JSON).
func (d *Dept) StatusRequest(certID, action, reason, prevTxID string) (string, error) {
	req := map[string]string{
		"certificateId": certID, "action": action, "reason": reason, "keyId": d.KeyID, "prevTxId": prevTxID,
	}
	sig, err := canon.Sign(d.Key, canon.KindCertificateStatus, req)
	if err != nil {
		return "", err
	}
	req["signature"] = sig
	b, err := json.Marshal(req)
	return string(b), err
}

// Verdict extracts the verdict of a certificate:Verify result.
func Verdict(result []byte) (string, error) {
	var v struct {
		Verdict string `json:"verdict"`
	}
	if err := json.Unmarshal(result, &v); err != nil {
		return "", fmt.Errorf("verify result %s: %w", result, err)
	}
	return v.Verdict, nil
}
