package client

import (
	"context"
	"net/http"

	"github.com/certledger/certledger/internal/domain/certtype"
)

// CertType is an entry of the certificate type catalogue.
type CertType = certtype.Type

// CertTypeInput is the body of POST /api/v1/cert-types.
type CertTypeInput = certtype.Registration

// ListCertTypes returns the catalogue, ordered by type code.
func (c *Client) ListCertTypes(ctx context.Context) ([]CertType, error) {
	var out []CertType
	return out, c.Do(ctx, http.MethodGet, apiPrefix+"/cert-types", nil, &out)
}

// GetCertType returns one type of the catalogue.
func (c *Client) GetCertType(ctx context.Context, code string) (*CertType, error) {
	var out CertType
	if err := c.Do(ctx, http.MethodGet, apiPrefix+"/cert-types/"+esc(code), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RegisterCertType adds a type to the catalogue (governance administrators only).
func (c *Client) RegisterCertType(ctx context.Context, in CertTypeInput) (*WriteResult[CertType], error) {
	var out WriteResult[CertType]
	if err := c.Do(ctx, http.MethodPost, apiPrefix+"/cert-types", in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GrantCertType lets department deptID issue type code.
func (c *Client) GrantCertType(ctx context.Context, code, deptID string) (*WriteResult[CertType], error) {
	var out WriteResult[CertType]
	body := map[string]string{"department": deptID}
	if err := c.Do(ctx, http.MethodPost, apiPrefix+"/cert-types/"+esc(code)+"/issuers", body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RevokeCertType withdraws department deptID's right to issue type code.
func (c *Client) RevokeCertType(ctx context.Context, code, deptID string) (*WriteResult[CertType], error) {
	var out WriteResult[CertType]
	if err := c.Do(ctx, http.MethodDelete, apiPrefix+"/cert-types/"+esc(code)+"/issuers/"+esc(deptID), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// SetDepartmentCode gives a department its unified social credit code.
func (c *Client) SetDepartmentCode(ctx context.Context, deptID, code string) (*WriteResult[Department], error) {
	var out WriteResult[Department]
	body := map[string]string{"code": code}
	if err := c.Do(ctx, http.MethodPut, apiPrefix+"/departments/"+esc(deptID)+"/code", body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
