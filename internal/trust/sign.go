package trust

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"strings"

	"github.com/emmansun/gmsm/sm2"

	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/gm"
)

// document is the trust bundle file: what is signed and how a file parses.
var document = canon.Document{
	Prefix:    PayloadPrefix,
	Name:      "trust bundle",
	Body:      "bundle",
	MaxSize:   MaxSize,
	Malformed: ErrMalformed,
	Unknown:   "the bundle has fields this version does not know, or nulls where lists belong",
}

// Payload returns the bytes the governance office signs for b.
func Payload(b *Bundle) ([]byte, error) { return document.Payload(b) }

// Sign sets b's governance key to key's public half, checks b and signs it.
func Sign(b Bundle, key *sm2.PrivateKey) (*Signed, error) {
	if key == nil {
		return nil, fmt.Errorf("%w: no governance key", gm.ErrBadKey)
	}
	pemPub, err := gm.MarshalPublicKeyPEM(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	b.Format = Format
	b.Governance.KeyID = gm.KeyID(&key.PublicKey)
	b.Governance.PublicKey = string(pemPub)
	if err := b.Validate(); err != nil {
		return nil, err
	}
	sig, err := document.Sign(key, &b)
	if err != nil {
		return nil, err
	}
	return &Signed{Bundle: b, Signature: sig}, nil
}

// Marshal writes s as indented JSON (what `certledger trust export` writes).
func (s *Signed) Marshal() ([]byte, error) { return canon.MarshalFile(s) }

// Parse decodes a bundle file strictly — one JSON object, no duplicate or unknown
// keys, every rule of Validate — without checking the signature (use Verify).
func Parse(data []byte) (*Signed, error) {
	var s Signed
	sig, err := document.Parse(data, &s.Bundle)
	if err != nil {
		return nil, err
	}
	s.Signature = sig
	if err := s.Bundle.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

// NormalizePin accepts a fingerprint as 64 hex digits, in either case, optionally
// grouped by spaces or colons, and returns it as lowercase hex.
func NormalizePin(pin string) (string, error) {
	p := strings.ToLower(strings.NewReplacer(" ", "", ":", "", "-", "").Replace(strings.TrimSpace(pin)))
	if !wire.ValidHash(p) {
		return "", fmt.Errorf("%w: %q is not 64 hex digits (the SM3 of the governance public key)", ErrBadPin, pin)
	}
	return p, nil
}

// GroupPin writes a fingerprint in groups of four for people to compare.
func GroupPin(fp string) string {
	var b strings.Builder
	for i := 0; i < len(fp); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(fp[i:min(i+4, len(fp))])
	}
	return b.String()
}

// Fingerprint returns the pin of a governance public key.
func Fingerprint(pub *ecdsa.PublicKey) string { return gm.KeyID(pub) }

// VerifySigned checks that s is signed by the governance key whose fingerprint is pin.
func VerifySigned(s *Signed, pin string) error {
	p, err := NormalizePin(pin)
	if err != nil {
		return err
	}
	if s.Bundle.Governance.KeyID != p {
		return fmt.Errorf("%w: signed by %s, pinned %s", ErrUntrusted, s.Bundle.Governance.KeyID, p)
	}
	pub, err := gm.ParsePublicKeyPEM([]byte(s.Bundle.Governance.PublicKey))
	if err != nil {
		return fmt.Errorf("%w: governance key: %w", ErrMalformed, err)
	}
	if gm.KeyID(pub) != p {
		return fmt.Errorf("%w: the governance public key does not match its key id", ErrUntrusted)
	}
	payload, err := Payload(&s.Bundle)
	if err != nil {
		return err
	}
	if err := gm.VerifyBase64(pub, payload, s.Signature); err != nil {
		if errors.Is(err, gm.ErrBadSignature) {
			return fmt.Errorf("%w: %w", ErrBadSignature, err)
		}
		return err
	}
	return nil
}

// Verify parses a bundle file and checks its signature against the pinned fingerprint.
func Verify(data []byte, pin string) (*Signed, error) {
	s, err := Parse(data)
	if err != nil {
		return nil, err
	}
	if err := VerifySigned(s, pin); err != nil {
		return nil, err
	}
	return s, nil
}
