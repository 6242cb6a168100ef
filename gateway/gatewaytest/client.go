package gatewaytest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/certledger/certledger/loadtest/record"
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

// Seed registers dept-a and dept-b (MSPs DeptAMSP, DeptBMSP) with fresh SM2 keys
// through the REST API, as the governance admin.
func (s *Stack) Seed(ctx context.Context, c *http.Client) (map[string]*record.Dept, error) {
	out := map[string]*record.Dept{}
	for _, d := range []struct{ id, msp, name string }{
		{"dept-a", "DeptAMSP", "Market Regulation Bureau"}, {"dept-b", "DeptBMSP", "Housing Bureau"},
	} {
		dept, err := record.NewDept(d.id, d.msp)
		if err != nil {
			return nil, err
		}
		r, err := s.Do(ctx, c, "POST", "/api/v1/departments", GovAdmin, dept.Registration(d.name, record.CertificateType))
		if err != nil {
			return nil, err
		}
		if r.Status != http.StatusCreated {
			return nil, fmt.Errorf("registering %s: %d %s", d.id, r.Status, r.Body)
		}
		out[d.id] = dept
	}
	return out, nil
}
