// Package record builds the transactions the load tool and the end-to-end tests
// send: departments with an SM2 key, signed certificate records (v1, or v2 with
// GB/T 36904 identifiers after Dept.UseV2) and status requests, and synthetic
// work-order tickets. It is the one record builder of the
// tree; production binaries never import it (scripts/check-deps.sh).
package record

import (
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/hyperledger/fabric-gateway/pkg/client"

	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/domain/registry"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/gm"
)

// CertificateType is the (free-form) type of every v1 certificate this package builds.
const CertificateType = "business-licence"

// Dept is a department with one SM2 signing key.
type Dept struct {
	ID     string
	MSPID  string
	Key    *sm2.PrivateKey
	KeyID  string
	PubPEM string
	v2     *V2 // set by UseV2: build v2 records
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

// Registration is the registry:RegisterDepartment input (and the REST body of
// POST /api/v1/departments) for d, with its public key.
func (d *Dept) Registration(name string, categories ...string) registry.Registration {
	if categories == nil {
		categories = []string{}
	}
	r := registry.Registration{ID: d.ID, Name: name, MSPID: d.MSPID, Categories: categories, PublicKeys: []string{d.PubPEM}}
	if d.v2 != nil {
		r.Code = d.v2.Code
	}
	return r
}

// Register submits d's registration through gov (the governance admin's contract).
func (d *Dept) Register(gov *client.Contract) error {
	_, err := gov.SubmitTransaction("registry:RegisterDepartment", JSON(d.Registration("Department "+d.ID)))
	return err
}

// Certificate returns the signed certificate record of a document, valid from
// validFrom until validUntil (zero: no end). The holder commitment is salted with
// fresh random bytes, as the CLI does. After UseV2 it is a v2 record whose id is
// the GB/T 36904 identifier built from id (V2.Identifier).
func (d *Dept) Certificate(id string, doc []byte, validFrom, validUntil time.Time) (certificate.Record, error) {
	if d.v2 != nil {
		return d.certificateV2(id, doc, validFrom, validUntil)
	}
	salt, err := gm.NewSalt()
	if err != nil {
		return certificate.Record{}, err
	}
	rec := certificate.Record{Fields: certificate.Fields{
		ID: id, DocHash: gm.SM3Hex(doc), Type: CertificateType, Issuer: d.ID,
		HolderCommitment: gm.Commitment(salt, "91110000ACME"+id),
		ValidFrom:        wire.FormatTime(validFrom), KeyID: d.KeyID,
	}}
	if !validUntil.IsZero() {
		rec.ValidUntil = wire.FormatTime(validUntil)
	}
	rec.Signature, err = rec.Sign(d.Key)
	return rec, err
}

// StatusRequest returns a signed revoke / suspend / reinstate request.
func (d *Dept) StatusRequest(certID, action, reason, prevTxID string) (certificate.StatusRequest, error) {
	req := certificate.StatusRequest{CertificateID: certID, Action: action, Reason: reason, KeyID: d.KeyID, PrevTxID: prevTxID}
	var err error
	req.Signature, err = canon.Sign(d.Key, canon.KindCertificateStatus, req)
	return req, err
}

// JSON is v as a JSON string (v is one of this package's records: it always encodes).
func JSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("record.JSON: %v", err))
	}
	return string(b)
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

// Certificates returns the signed records of the documents "document <id>" for
// ids fmt.Sprintf(idFormat, first), fmt.Sprintf(idFormat, first+1), ... (n of
// them), valid from an hour ago for five years, signed on every CPU: benchmarks
// sign before their clock starts, signing being the client's work on every path.
func (d *Dept) Certificates(idFormat string, first, n int) ([]certificate.Record, error) {
	now := time.Now()
	out := make([]certificate.Record, n)
	workers := runtime.GOMAXPROCS(0)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n && errs[w] == nil; i += workers {
				id := fmt.Sprintf(idFormat, first+i)
				out[i], errs[w] = d.Certificate(id, []byte("document "+id), now.Add(-time.Hour), now.AddDate(5, 0, 0))
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}
