package httpapi

import (
	"bytes"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/certledger/certledger/gateway/internal/errmap"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/wire"
)

// Input validation. A request body is checked by its domain type's Validate()
// (internal/domain/*, the same rules the chaincode and the CLI apply); the
// gateway adds only what the domain cannot know (the path names the record the
// body must name, the endpoint fixes the action) and the encoding of a signature.
// Query and path parameters are checked with the shared rules of
// internal/domain/wire. Every problem found becomes one field of a 400
// {code: INVALID_ARGUMENT, message, fields: [{field, message}]} (errmap.Map).

// checks gathers the gateway's own field errors.
type checks struct{ fe wire.FieldErrors }

func (c *checks) add(field, format string, a ...any) { c.fe.Add(field, format, a...) }

func (c *checks) err() error { return c.fe.Err() }

// id checks a record id (certificate, grant, exchange, ticket, category).
func (c *checks) id(field, v string, required bool) {
	switch v {
	case "":
		if required {
			c.add(field, "is required")
		}
	default:
		c.fe.ID(field, v) // wire's rule: a GB/T 36904 identifier's check character is named
	}
}

// dept checks a department id.
func (c *checks) dept(field, v string, required bool) {
	switch {
	case v == "":
		if required {
			c.add(field, "is required")
		}
	case !wire.ValidDeptID(v):
		c.add(field, "want 1-64 characters of letters, digits, '.', '_' or '-', starting with a letter or digit")
	}
}

// hash checks an SM3 digest (64 lowercase hex digits).
func (c *checks) hash(field, v string, required bool) {
	switch {
	case v == "":
		if required {
			c.add(field, "is required (64 lowercase hex digits)")
		}
	case !wire.ValidHash(v):
		c.add(field, "want 64 lowercase hex digits (SM3), got %d characters", len(v))
	}
}

func (c *checks) required(field, v string) {
	if strings.TrimSpace(v) == "" {
		c.add(field, "is required")
	}
}

// time checks an optional RFC 3339 time.
func (c *checks) time(field, v string) {
	if v == "" {
		return
	}
	if _, err := wire.ParseTime(v); err != nil {
		c.add(field, "want an RFC 3339 time such as 2026-11-28T12:00:00Z")
	}
}

// signature checks the encoding of an SM2 signature: standard padded base64 of an
// ASN.1 DER SEQUENCE of a plausible length. The chaincode verifies the signature.
func (c *checks) signature(field, v string) {
	if v == "" {
		c.add(field, "is required (base64)")
		return
	}
	b, err := base64.StdEncoding.Strict().DecodeString(v)
	if err != nil {
		c.add(field, "not valid base64 (standard alphabet, padded): %v", err)
		return
	}
	if len(b) < 8 || len(b) > 80 || b[0] != 0x30 {
		c.add(field, "want a DER-encoded SM2 signature (ASN.1 SEQUENCE of r and s)")
	}
}

// publicKey checks the shape of a public key: one PEM block "PUBLIC KEY". The
// chaincode parses the key (registry.NewKey).
func (c *checks) publicKey(field, v string) {
	if v == "" {
		c.add(field, "is required (PEM public key)")
		return
	}
	block, rest := pem.Decode([]byte(v))
	if block == nil || block.Type != "PUBLIC KEY" {
		c.add(field, "want a PEM block \"PUBLIC KEY\" (PKIX SM2 public key)")
		return
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		c.add(field, "data after the PEM block")
	}
}

func (c *checks) oneOf(field, v string, allowed ...string) {
	for _, a := range allowed {
		if v == a {
			return
		}
	}
	c.add(field, "want one of %s", strings.Join(allowed, ", "))
}

// samePath checks that a body names the record of the path.
func (c *checks) samePath(field, body, path, what string) {
	if body != path {
		c.add(field, "must equal the %s in the path (%s)", what, path)
	}
}

// invalid joins a domain Validate() result and the gateway's own checks into the
// error of a 400. Field errors from both are listed together; a domain error that
// is not a wire.FieldErrors is answered with its message (and the gateway's
// fields, if any, after it).
func invalid(domainErr error, c *checks) error {
	if domainErr == nil {
		return c.err()
	}
	var fe wire.FieldErrors
	if errors.As(domainErr, &fe) {
		return append(append(wire.FieldErrors{}, fe...), c.fe...).Err()
	}
	msg := domainMessage(domainErr)
	if len(c.fe) > 0 {
		msg += "; " + strings.TrimPrefix(c.fe.Error(), codes.InvalidArgument+": ")
	}
	return badRequest("%s", msg)
}

// domainMessage is a domain error's text without its INVALID_ARGUMENT code.
func domainMessage(err error) string {
	if code, msg, ok := codes.Parse(err.Error()); ok && code == codes.InvalidArgument {
		return msg
	}
	return err.Error()
}

// badRequest is a 400 INVALID_ARGUMENT with a message for the client.
func badRequest(format string, a ...any) error {
	return errmap.New(http.StatusBadRequest, codes.InvalidArgument, fmt.Sprintf(format, a...))
}

func forbidden(format string, a ...any) error {
	return errmap.New(http.StatusForbidden, codes.Forbidden, fmt.Sprintf(format, a...))
}

// pathID validates a record id path parameter.
func pathID(r *http.Request, name string) (string, error) {
	v := r.PathValue(name)
	var c checks
	c.id(name, v, true)
	return v, c.err()
}

// pathDept validates a department id path parameter.
func pathDept(r *http.Request, name string) (string, error) {
	v := r.PathValue(name)
	var c checks
	c.dept(name, v, true)
	return v, c.err()
}

// pathIDAndBody validates the path parameter "id", then decodes the body into v.
func pathIDAndBody(r *http.Request, v any) (string, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return "", err
	}
	return id, decodeJSON(r, v)
}

func pathHash(r *http.Request, name string) (string, error) {
	v := r.PathValue(name)
	var c checks
	c.hash(name, v, true)
	return v, c.err()
}
