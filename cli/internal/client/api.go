package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/certledger/certledger/internal/receipt"
)

const apiPrefix = "/api/v1"

func esc(s string) string { return url.PathEscape(s) }

// ListDepartments returns every department.
func (c *Client) ListDepartments(ctx context.Context) ([]Department, error) {
	var out []Department
	return out, c.Do(ctx, http.MethodGet, apiPrefix+"/departments", nil, &out)
}

// GetDepartment returns one department.
func (c *Client) GetDepartment(ctx context.Context, id string) (*Department, error) {
	var out Department
	if err := c.Do(ctx, http.MethodGet, apiPrefix+"/departments/"+esc(id), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RegisterDepartment registers a department (governance administrators only).
func (c *Client) RegisterDepartment(ctx context.Context, in DepartmentInput) (*WriteResult[Department], error) {
	var out WriteResult[Department]
	if err := c.Do(ctx, http.MethodPost, apiPrefix+"/departments", in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// AddKey adds an SM2 public key (PEM) to a department.
func (c *Client) AddKey(ctx context.Context, deptID, publicKeyPEM string) (*WriteResult[Department], error) {
	var out WriteResult[Department]
	body := map[string]string{"publicKey": publicKeyPEM}
	if err := c.Do(ctx, http.MethodPost, apiPrefix+"/departments/"+esc(deptID)+"/keys", body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RotateKey replaces oldKeyID by a new public key.
func (c *Client) RotateKey(ctx context.Context, deptID, oldKeyID, newPublicKeyPEM string) (*WriteResult[Department], error) {
	var out WriteResult[Department]
	body := map[string]string{"publicKey": newPublicKeyPEM}
	if err := c.Do(ctx, http.MethodPost, apiPrefix+"/departments/"+esc(deptID)+"/keys/"+esc(oldKeyID)+"/rotate", body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RevokeKey revokes a key; effectiveAt "" means the transaction time.
func (c *Client) RevokeKey(ctx context.Context, deptID, keyID, reason, effectiveAt string) (*WriteResult[Department], error) {
	var out WriteResult[Department]
	body := map[string]string{"reason": reason, "effectiveAt": effectiveAt}
	if err := c.Do(ctx, http.MethodPost, apiPrefix+"/departments/"+esc(deptID)+"/keys/"+esc(keyID)+"/revoke", body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetKey looks a key up by its id.
func (c *Client) GetKey(ctx context.Context, keyID string) (*KeyInfo, error) {
	var out KeyInfo
	if err := c.Do(ctx, http.MethodGet, apiPrefix+"/keys/"+esc(keyID), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// IssueCertificate submits a signed certificate record.
func (c *Client) IssueCertificate(ctx context.Context, rec CertificateRecord) (*WriteResult[Certificate], error) {
	var out WriteResult[Certificate]
	if err := c.Do(ctx, http.MethodPost, apiPrefix+"/certificates", rec, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// SupersedeCertificate submits a new signed record that replaces oldID
// (rec.Supersedes must be oldID).
func (c *Client) SupersedeCertificate(ctx context.Context, oldID string, rec CertificateRecord) (*WriteResult[Certificate], error) {
	var out WriteResult[Certificate]
	if err := c.Do(ctx, http.MethodPost, apiPrefix+"/certificates/"+esc(oldID)+"/supersede", rec, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ChangeStatus posts a signed revoke, suspend or reinstate request (req.Action).
func (c *Client) ChangeStatus(ctx context.Context, req StatusRequest) (*WriteResult[Certificate], error) {
	var out WriteResult[Certificate]
	if err := c.Do(ctx, http.MethodPost, apiPrefix+"/certificates/"+esc(req.CertificateID)+"/"+esc(req.Action), req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetCertificate returns one certificate.
func (c *Client) GetCertificate(ctx context.Context, id string) (*Certificate, error) {
	var out Certificate
	if err := c.Do(ctx, http.MethodGet, apiPrefix+"/certificates/"+esc(id), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// FindByHash returns every certificate of a document hash.
func (c *Client) FindByHash(ctx context.Context, docHash string) ([]Certificate, error) {
	var out []Certificate
	return out, c.Do(ctx, http.MethodGet, apiPrefix+"/certificates?hash="+url.QueryEscape(docHash), nil, &out)
}

// History returns every version of a certificate, newest first.
func (c *Client) History(ctx context.Context, id string) ([]HistoryEntry, error) {
	var out []HistoryEntry
	return out, c.Do(ctx, http.MethodGet, apiPrefix+"/certificates/"+esc(id)+"/history", nil, &out)
}

// Anchor returns the transaction that created certificate id and its block.
func (c *Client) Anchor(ctx context.Context, id string) (*Anchor, error) {
	var out Anchor
	if err := c.Do(ctx, http.MethodGet, apiPrefix+"/certificates/"+esc(id)+"/anchor", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ReceiptEvidence returns what a v2 receipt needs from the ledger about
// certificate id: the transaction that wrote it, read from its block, with its
// endorsements (GET /api/v1/certificates/{id}/receipt).
func (c *Client) ReceiptEvidence(ctx context.Context, id string) (*ReceiptEvidence, error) {
	var out ReceiptEvidence
	if err := c.Do(ctx, http.MethodGet, apiPrefix+"/certificates/"+esc(id)+"/receipt", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// BatchReceiptEvidence returns the evidence of batch id's anchoring
// transaction (GET /api/v1/batches/{id}/receipt).
func (c *Client) BatchReceiptEvidence(ctx context.Context, id string) (*receipt.BatchEvidence, error) {
	var out receipt.BatchEvidence
	if err := c.Do(ctx, http.MethodGet, apiPrefix+"/batches/"+esc(id)+"/receipt", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// VerifyReport asks the gateway for a signed report of the verification of
// (id, docHash) and returns the report file as the gateway wrote it.
func (c *Client) VerifyReport(ctx context.Context, id, docHash string) ([]byte, error) {
	var out json.RawMessage
	body := map[string]string{}
	if id != "" {
		body["id"] = id
	}
	if docHash != "" {
		body["hash"] = docHash
	}
	if err := c.Do(ctx, http.MethodPost, apiPrefix+"/verify/report", body, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// Verify runs the ledger's verification pipeline by id, hash or both.
func (c *Client) Verify(ctx context.Context, id, docHash string) (*VerifyResult, error) {
	q := url.Values{}
	if id != "" {
		q.Set("id", id)
	}
	if docHash != "" {
		q.Set("hash", docHash)
	}
	var out VerifyResult
	if err := c.Do(ctx, http.MethodGet, apiPrefix+"/verify?"+q.Encode(), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Whoami is the caller as the gateway maps it (GET /api/v1/whoami).
type Whoami struct {
	ID          string `json:"id"`
	Department  string `json:"department"`
	Org         string `json:"org"`
	Role        string `json:"role"`
	MSPID       string `json:"mspId"`
	Operator    string `json:"operator"`
	OwnIdentity bool   `json:"ownIdentity"`
}

// Whoami asks the gateway who the caller is and which operator id its ledger
// calls sign as.
func (c *Client) Whoami(ctx context.Context) (*Whoami, error) {
	var w Whoami
	if err := c.Do(ctx, http.MethodGet, apiPrefix+"/whoami", nil, &w); err != nil {
		return nil, err
	}
	return &w, nil
}
