package stack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/emmansun/gmsm/sm2"

	"github.com/certledger/certledger/gateway/internal/httpapi"
	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/gm"
)

// Response is one HTTP answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v.
func (r *Response) JSON(v any) error { return json.Unmarshal(r.Body, v) }

// Code is the "code" of an error body.
func (r *Response) Code() string {
	var p struct{ Code string }
	_ = json.Unmarshal(r.Body, &p)
	return p.Code
}

// Do sends a request to the gateway; body (if not nil) is JSON-encoded, token (if
// not empty) is a name in Tokens or a raw token.
func (s *Stack) Do(ctx context.Context, c *http.Client, method, path, token string, body any) (*Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.URL+path, rd)
	if err != nil {
		return nil, err
	}
	if token != "" {
		if t, ok := s.Tokens[token]; ok {
			token = t
		}
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = res.Body.Close() }() // response body; close error carries nothing
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	return &Response{Status: res.StatusCode, Header: res.Header, Body: b}, nil
}

// Dept is a registered department with its SM2 signing key.
type Dept struct {
	ID    string
	MSPID string
	Key   *sm2.PrivateKey
	KeyID string
}

// Seed registers dept-a and dept-b (MSPs DeptAMSP, DeptBMSP) with fresh SM2 keys
// through the REST API, as the governance admin.
func (s *Stack) Seed(ctx context.Context, c *http.Client) (map[string]*Dept, error) {
	out := map[string]*Dept{}
	for _, d := range []struct{ id, msp, name string }{
		{"dept-a", "DeptAMSP", "Market Regulation Bureau"}, {"dept-b", "DeptBMSP", "Housing Bureau"},
	} {
		k, err := gm.GenerateKey()
		if err != nil {
			return nil, err
		}
		pemBytes, err := gm.MarshalPublicKeyPEM(&k.PublicKey)
		if err != nil {
			return nil, err
		}
		r, err := s.Do(ctx, c, "POST", "/api/v1/departments", GovAdmin, httpapi.DepartmentInput{
			ID: d.id, Name: d.name, MSPID: d.msp, Categories: []string{"business-licence"}, PublicKeys: []string{string(pemBytes)},
		})
		if err != nil {
			return nil, err
		}
		if r.Status != http.StatusCreated {
			return nil, fmt.Errorf("registering %s: %d %s", d.id, r.Status, r.Body)
		}
		out[d.id] = &Dept{ID: d.id, MSPID: d.msp, Key: k, KeyID: gm.KeyID(&k.PublicKey)}
	}
	return out, nil
}

// NewCertificate builds and signs a certificate record of d for a document.
func NewCertificate(d *Dept, id string, doc []byte, validFrom, validUntil time.Time) (httpapi.CertificateRecord, error) {
	salt, err := gm.NewSalt()
	if err != nil {
		return httpapi.CertificateRecord{}, err
	}
	rec := httpapi.CertificateRecord{
		ID: id, DocHash: gm.SM3Hex(doc), Type: "business-licence", Issuer: d.ID,
		HolderCommitment: gm.Commitment(salt, "91110000ACME"+id),
		ValidFrom:        validFrom.UTC().Format(time.RFC3339), ValidUntil: validUntil.UTC().Format(time.RFC3339),
		KeyID: d.KeyID,
	}
	rec.Signature, err = canon.Sign(d.Key, canon.KindCertificate, rec)
	return rec, err
}

// NewStatusRequest builds and signs a revoke / suspend / reinstate request.
func NewStatusRequest(d *Dept, certID, action, reason, prevTxID string) (httpapi.StatusRequest, error) {
	req := httpapi.StatusRequest{CertificateID: certID, Action: action, Reason: reason, KeyID: d.KeyID, PrevTxID: prevTxID}
	var err error
	req.Signature, err = canon.Sign(d.Key, canon.KindCertificateStatus, req)
	return req, err
}
