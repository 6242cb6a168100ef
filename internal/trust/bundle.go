// Package trust holds certledger's trust bundle: what an offline verifier needs to
// know about the ledger, signed (SM2) by the governance office and pinned by the
// fingerprint of the governance public key.
//
// A bundle states the channel, the ledger height and block time it reflects, every
// registered department (id, full names, categories, status) with every SM2 key and
// its validity window and revocation, the Fabric organisations' root CAs, the
// chaincode's endorsement policy and the gateways' report keys. The signed payload
// is the ASCII prefix "certledger/v1/trust-bundle\n" followed by the bundle as
// canonical JSON (package canon). The fingerprint is the SM3 hex of the governance
// public key's DER (the same as its key id): verifiers pin it, and Verify refuses a
// bundle signed by any other key.
//
// Height semantics: a bundle of height H contains every registry change committed
// in blocks 0..H-1; it may contain later ones too (the registry was read after the
// height was observed). Key validity is decided by times (registry.Key.StateAt), so
// a later change that slipped in never makes an answer wrong, only fresher.
package trust

import (
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/identifier"
	"github.com/certledger/certledger/internal/domain/registry"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/gm"
)

// Format names this bundle format; it is also the signed payload's kind.
const Format = "certledger/v1/trust-bundle"

// PayloadPrefix is the domain-separation prefix of the signed payload.
const PayloadPrefix = Format + "\n"

// MaxSize is the largest bundle file Parse accepts.
const MaxSize = 32 << 20

// Errors returned (wrapped) by this package.
var (
	// ErrMalformed: the bundle does not parse or breaks a rule of the format.
	ErrMalformed = errors.New("malformed trust bundle")
	// ErrUntrusted: the bundle is signed by a key other than the pinned one.
	ErrUntrusted = errors.New("trust bundle not signed by the pinned governance key")
	// ErrBadSignature: the governance signature does not verify.
	ErrBadSignature = errors.New("trust bundle signature does not verify")
	// ErrBadPin: a fingerprint that is not 64 hex digits.
	ErrBadPin = errors.New("bad fingerprint")
)

// Bundle is the signed content.
type Bundle struct {
	Format string `json:"format"`
	// Channel and Chaincode name the ledger the bundle describes.
	Channel   string `json:"channel"`
	Chaincode string `json:"chaincode"`
	// Height is the ledger height (number of blocks) observed before the registry
	// was read; BlockTime the time of block Height-1 (RFC 3339 UTC).
	Height    uint64 `json:"height"`
	BlockTime string `json:"blockTime"`
	// IssuedAt is when the governance office signed the bundle.
	IssuedAt string `json:"issuedAt"`
	// Governance is the key that signs the bundle; its KeyID is the fingerprint.
	Governance  Governance   `json:"governance"`
	Departments []Department `json:"departments"`
	Orgs        []Org        `json:"orgs"`
	Policy      Policy       `json:"endorsementPolicy"`
	Gateways    []GatewayKey `json:"gateways"`
}

// Governance is the governance office's SM2 public key.
type Governance struct {
	// Department is the governance department's id in the registry ("" if none).
	Department string `json:"department"`
	KeyID      string `json:"keyId"`
	PublicKey  string `json:"publicKey"` // PKIX PEM
}

// Department is one registered department as the bundle states it.
type Department struct {
	ID string `json:"id"`
	// Name is the full name as registered (Chinese); NameEn the English one, "" if
	// the registry holds none.
	Name   string `json:"name"`
	NameEn string `json:"nameEn"`
	// Code is the unified social credit code, "" if the registry holds none.
	Code       string         `json:"code"`
	MSPID      string         `json:"mspId"`
	Parent     string         `json:"parent"`
	Categories []string       `json:"categories"`
	Status     string         `json:"status"`
	Keys       []registry.Key `json:"keys"`
}

// Org is one Fabric organisation: its MSP and the CAs its identities chain to.
type Org struct {
	MSPID             string   `json:"mspId"`
	RootCerts         []string `json:"rootCerts"`         // PEM, one certificate each
	IntermediateCerts []string `json:"intermediateCerts"` // PEM, one certificate each
}

// GatewayKey is a gateway's SM2 key for signed verification reports.
type GatewayKey struct {
	ID         string `json:"id"`
	KeyID      string `json:"keyId"`
	PublicKey  string `json:"publicKey"` // PKIX PEM
	ValidFrom  string `json:"validFrom"`
	ValidUntil string `json:"validUntil"` // "" = open
}

// Signed is a bundle file: the bundle and the governance signature over its payload.
type Signed struct {
	Bundle    Bundle `json:"bundle"`
	Signature string `json:"signature"` // base64 DER SM2
}

// Fingerprint is the bundle's pin: the governance key id.
func (b *Bundle) Fingerprint() string { return b.Governance.KeyID }

// Department returns the department id.
func (b *Bundle) Department(id string) (*Department, bool) {
	for i := range b.Departments {
		if b.Departments[i].ID == id {
			return &b.Departments[i], true
		}
	}
	return nil, false
}

// Org returns the organisation with MSP id msp.
func (b *Bundle) Org(msp string) (*Org, bool) {
	for i := range b.Orgs {
		if b.Orgs[i].MSPID == msp {
			return &b.Orgs[i], true
		}
	}
	return nil, false
}

// Time returns BlockTime parsed.
func (b *Bundle) Time() time.Time {
	t, _ := wire.ParseTime(b.BlockTime)
	return t
}

const maxSafeInt = 1<<53 - 1

// Validate checks every rule of the format; the first broken one is returned,
// wrapping ErrMalformed.
func (b *Bundle) Validate() error {
	for _, check := range []func() error{b.validateHeader, b.validateDepartments, b.validateOrgs, b.validatePolicy, b.validateGateways} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

// bad is a format error wrapping ErrMalformed.
func bad(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, a...))
}

func (b *Bundle) validateHeader() error {
	if b.Format != Format {
		return bad("format %q, want %q", b.Format, Format)
	}
	if b.Channel == "" || !wire.ValidID(b.Channel) {
		return bad("channel %q is not a valid name", b.Channel)
	}
	if b.Chaincode == "" || !wire.ValidID(b.Chaincode) {
		return bad("chaincode %q is not a valid name", b.Chaincode)
	}
	if b.Height == 0 || b.Height > maxSafeInt {
		return bad("height %d is out of range", b.Height)
	}
	for _, f := range []struct{ name, v string }{{"blockTime", b.BlockTime}, {"issuedAt", b.IssuedAt}} {
		if _, err := wire.ParseTime(f.v); err != nil {
			return bad("%s %q is not an RFC 3339 time", f.name, f.v)
		}
	}
	if err := checkKey("governance", b.Governance.KeyID, b.Governance.PublicKey); err != nil {
		return err
	}
	if d := b.Governance.Department; d != "" && !wire.ValidDeptID(d) {
		return bad("governance.department %q is not a department id", d)
	}
	return nil
}

func (b *Bundle) validateDepartments() error {
	keyOwner := map[string]string{}
	for i := range b.Departments {
		d := &b.Departments[i]
		where := fmt.Sprintf("departments[%d]", i)
		if !wire.ValidDeptID(d.ID) {
			return bad("%s.id %q is not a department id", where, d.ID)
		}
		if i > 0 && b.Departments[i-1].ID >= d.ID {
			return bad("%s: departments must be sorted by id without duplicates (%s after %s)", where, d.ID, b.Departments[i-1].ID)
		}
		if err := registry.CheckText(where+".name", d.Name, 200); err != nil {
			return bad("%v", err)
		}
		if d.NameEn != "" {
			if err := registry.CheckText(where+".nameEn", d.NameEn, 200); err != nil {
				return bad("%v", err)
			}
		}
		if d.Code != "" {
			if err := identifier.CheckUSCC(d.Code); err != nil {
				return bad("%s.code: %s", where, codes.Message(err))
			}
		}
		if err := registry.CheckMSPID(where+".mspId", d.MSPID); err != nil {
			return bad("%v", err)
		}
		if d.Parent != "" && !wire.ValidDeptID(d.Parent) {
			return bad("%s.parent %q is not a department id", where, d.Parent)
		}
		if d.Categories == nil || d.Keys == nil {
			return bad("%s: categories and keys must be lists", where)
		}
		for j, c := range d.Categories {
			if err := registry.CheckText(fmt.Sprintf("%s.categories[%d]", where, j), c, 64); err != nil {
				return bad("%v", err)
			}
			if slices.Contains(d.Categories[:j], c) {
				return bad("%s: category %q listed twice", where, c)
			}
		}
		if d.Status == "" {
			return bad("%s.status is empty", where)
		}
		if err := validateKeys(where, d.Keys, keyOwner, d.ID); err != nil {
			return err
		}
	}
	return nil
}

// validateKeys checks one department's keys; keyOwner maps every key id seen so
// far to its department, so a key listed twice anywhere is refused.
func validateKeys(where string, keys []registry.Key, keyOwner map[string]string, dept string) error {
	for j, k := range keys {
		kw := fmt.Sprintf("%s.keys[%d]", where, j)
		if err := checkKey(kw, k.KeyID, k.PublicKey); err != nil {
			return err
		}
		if owner, dup := keyOwner[k.KeyID]; dup {
			return bad("%s: key %s is also listed under %s", kw, k.KeyID, owner)
		}
		keyOwner[k.KeyID] = dept
		if _, err := wire.ParseTime(k.ValidFrom); err != nil {
			return bad("%s.validFrom %q is not an RFC 3339 time", kw, k.ValidFrom)
		}
		for _, f := range []struct{ name, v string }{{"rotatedAt", k.RotatedAt}, {"revokedAt", k.RevokedAt}} {
			if f.v == "" {
				continue
			}
			if _, err := wire.ParseTime(f.v); err != nil {
				return bad("%s.%s %q is not an RFC 3339 time", kw, f.name, f.v)
			}
		}
		if (k.RevokedAt == "") != (k.RevokeReason == "") {
			return bad("%s: revokedAt and revokeReason go together", kw)
		}
	}
	return nil
}

func (b *Bundle) validateOrgs() error {
	if len(b.Orgs) == 0 {
		return bad("no organisations")
	}
	for i := range b.Orgs {
		o := &b.Orgs[i]
		where := fmt.Sprintf("orgs[%d]", i)
		if err := registry.CheckMSPID(where+".mspId", o.MSPID); err != nil {
			return bad("%v", err)
		}
		if i > 0 && b.Orgs[i-1].MSPID >= o.MSPID {
			return bad("%s: orgs must be sorted by mspId without duplicates", where)
		}
		if len(o.RootCerts) == 0 {
			return bad("%s: no root certificate", where)
		}
		if o.IntermediateCerts == nil {
			return bad("%s: intermediateCerts must be a list", where)
		}
		for j, c := range o.RootCerts {
			if _, err := ParseCertPEM(c); err != nil {
				return bad("%s.rootCerts[%d]: %v", where, j, err)
			}
		}
		for j, c := range o.IntermediateCerts {
			if _, err := ParseCertPEM(c); err != nil {
				return bad("%s.intermediateCerts[%d]: %v", where, j, err)
			}
		}
	}
	return nil
}

func (b *Bundle) validatePolicy() error {
	if err := b.Policy.validate(b); err != nil {
		return bad("endorsementPolicy: %v", err)
	}
	return nil
}

func (b *Bundle) validateGateways() error {
	if b.Gateways == nil {
		return bad("gateways must be a list")
	}
	for i, g := range b.Gateways {
		where := fmt.Sprintf("gateways[%d]", i)
		if !wire.ValidID(g.ID) {
			return bad("%s.id %q is not a valid id", where, g.ID)
		}
		if i > 0 && b.Gateways[i-1].ID >= g.ID {
			return bad("%s: gateways must be sorted by id without duplicates", where)
		}
		if err := checkKey(where, g.KeyID, g.PublicKey); err != nil {
			return err
		}
		from, err := wire.ParseTime(g.ValidFrom)
		if err != nil {
			return bad("%s.validFrom %q is not an RFC 3339 time", where, g.ValidFrom)
		}
		if g.ValidUntil != "" {
			until, err := wire.ParseTime(g.ValidUntil)
			if err != nil || !until.After(from) {
				return bad("%s.validUntil %q is not an RFC 3339 time after validFrom", where, g.ValidUntil)
			}
		}
	}
	return nil
}

// checkKey checks that pemText is an SM2 public key whose id is keyID, and that
// pemText is in the normalised form gm.MarshalPublicKeyPEM writes.
func checkKey(where, keyID, pemText string) error {
	pub, err := gm.ParsePublicKeyPEM([]byte(pemText))
	if err != nil {
		return fmt.Errorf("%w: %s.publicKey: %w", ErrMalformed, where, err)
	}
	if id := gm.KeyID(pub); id != keyID {
		return fmt.Errorf("%w: %s.keyId %q is not the SM3 of the public key (%s)", ErrMalformed, where, keyID, id)
	}
	norm, _ := gm.MarshalPublicKeyPEM(pub)
	if string(norm) != pemText {
		return fmt.Errorf("%w: %s.publicKey is not in normal PEM form", ErrMalformed, where)
	}
	return nil
}

// ParseCertPEM decodes exactly one PEM CERTIFICATE (ECDSA or SM2) that is a CA.
func ParseCertPEM(s string) (*smx509.Certificate, error) {
	block, rest := pem.Decode([]byte(s))
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("not a PEM CERTIFICATE")
	}
	if strings.TrimSpace(string(rest)) != "" {
		return nil, errors.New("data after the certificate")
	}
	c, err := smx509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("certificate: %w", err)
	}
	if !c.IsCA {
		return nil, fmt.Errorf("certificate %q is not a CA", c.Subject.String())
	}
	return c, nil
}
