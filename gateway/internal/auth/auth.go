// Package auth tells who is calling: a bearer token (looked up by its SHA-256, the
// only form the configuration keeps) or a client certificate verified by TLS,
// each bound to one department, the organisation it submits as, and a role.
package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/certledger/certledger/gateway/internal/config"
)

// ErrBadCredentials is returned for a token or certificate the gateway does not know.
var ErrBadCredentials = errors.New("unknown credentials")

// Principal is an authenticated caller.
type Principal struct {
	// ID names the credential in logs (a token label, never the token).
	ID         string
	Department string
	Org        string
	Role       string
	// Identity names the caller's own Fabric identity in Org (IdentityName of its
	// configuration; "" when it has none and acts as the org profile's identity).
	Identity string
}

// IdentityName is the name under which the gateway connects a configured
// identity and a principal selects it: its certificate's path (two callers
// configured with one certificate share one identity).
func IdentityName(id *config.Identity) string {
	if id == nil {
		return ""
	}
	return id.Cert
}

// HasRole reports whether the principal holds one of roles (no roles: any).
func (p *Principal) HasRole(roles ...string) bool {
	return len(roles) == 0 || slices.Contains(roles, p.Role)
}

// Authenticator resolves credentials. Immutable after New; safe for concurrent use.
type Authenticator struct {
	tokens       map[string]*Principal // by SHA-256 hex of the token
	fingerprints map[string]*Principal // by SHA-256 hex of the DER certificate
	commonNames  map[string]*Principal
}

// New indexes the tokens and client certificates of a validated config.
func New(c *config.Config) *Authenticator {
	a := &Authenticator{tokens: map[string]*Principal{}, fingerprints: map[string]*Principal{}, commonNames: map[string]*Principal{}}
	for _, t := range c.Tokens {
		a.tokens[t.SHA256] = &Principal{ID: t.ID, Department: t.Department, Org: t.Org, Role: t.Role, Identity: IdentityName(t.Identity)}
	}
	for _, cc := range c.ClientCerts {
		p := &Principal{ID: cc.ID, Department: cc.Department, Org: cc.Org, Role: cc.Role, Identity: IdentityName(cc.Identity)}
		if cc.Fingerprint != "" {
			a.fingerprints[cc.Fingerprint] = p
		} else {
			a.commonNames[cc.CommonName] = p
		}
	}
	return a
}

// Authenticate returns the caller of r: nil and no error for an anonymous request,
// ErrBadCredentials (wrapped) for a malformed or unknown token or certificate.
// A bearer token wins over a client certificate.
func (a *Authenticator) Authenticate(r *http.Request) (*Principal, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
			return nil, fmt.Errorf("%w: authorization header must be \"Bearer <token>\"", ErrBadCredentials)
		}
		sum := sha256.Sum256([]byte(strings.TrimSpace(token)))
		if p, ok := a.tokens[hex.EncodeToString(sum[:])]; ok {
			return p, nil
		}
		return nil, fmt.Errorf("%w: unknown bearer token", ErrBadCredentials)
	}
	if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 && len(r.TLS.VerifiedChains[0]) > 0 {
		leaf := r.TLS.VerifiedChains[0][0]
		sum := sha256.Sum256(leaf.Raw)
		if p, ok := a.fingerprints[hex.EncodeToString(sum[:])]; ok {
			return p, nil
		}
		if p, ok := a.commonNames[leaf.Subject.CommonName]; ok && leaf.Subject.CommonName != "" {
			return p, nil
		}
		return nil, fmt.Errorf("%w: client certificate not mapped to a department", ErrBadCredentials)
	}
	return nil, nil
}
