// Package report is the signed verification report: a gateway's statement of
// what it answered to one verification — the query, every step, the verdict,
// the ledger height the answer reflects and the time — signed with the
// gateway's own SM2 key, the key a trust bundle lists under "gateways". A
// holder of the report, the trust bundle and the governance fingerprint checks
// it offline (Verify, then Trusted); HTML renders it as a printable page with a
// QR code of its hash.
package report

import (
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/emmansun/gmsm/sm2"

	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/gm"
	"github.com/certledger/certledger/internal/trust"
)

// Format is the format tag of a report; PayloadPrefix starts what is signed.
const (
	Format        = "certledger/v1/verify-report"
	PayloadPrefix = Format + "\n"
)

// MaxSize is the largest report Parse accepts.
const MaxSize = 4 << 20

// Errors (wrapped) of this package.
var (
	ErrMalformed    = errors.New("malformed verification report")
	ErrBadSignature = errors.New("verification report signature does not verify")
	ErrUntrusted    = errors.New("verification report key not trusted")
)

// Gateway names the gateway that signed and its report key.
type Gateway struct {
	ID        string `json:"id"`
	KeyID     string `json:"keyId"`
	PublicKey string `json:"publicKey"` // PKIX PEM
}

// Query is what was asked: a certificate id and/or a document hash.
type Query struct {
	ID      string `json:"id"`
	DocHash string `json:"docHash"`
}

// Report is the signed statement. Result is the verification answer exactly as
// the ledger gave it (verdict, message, steps, the certificate(s) and their
// issuers); Verdict repeats its verdict so a reader need not open it.
type Report struct {
	Format    string          `json:"format"`
	Gateway   Gateway         `json:"gateway"`
	Channel   string          `json:"channel"`
	Height    uint64          `json:"height"` // ledger height read before the query: the answer reflects blocks 0..height-1 at least
	CreatedAt string          `json:"createdAt"`
	Query     Query           `json:"query"`
	Verdict   string          `json:"verdict"`
	Result    json.RawMessage `json:"result"`
}

// Signed is a report file: the report and the gateway's signature over its payload.
type Signed struct {
	Report    Report `json:"report"`
	Signature string `json:"signature"` // base64 DER SM2, default user id
}

// document is the report file: what is signed and how a file parses.
var document = canon.Document{
	Prefix:    PayloadPrefix,
	Name:      "verification report",
	Body:      "report",
	MaxSize:   MaxSize,
	Malformed: ErrMalformed,
	Unknown:   "the report has fields this version does not know",
}

// Payload is what the gateway signs: PayloadPrefix and the canonical JSON of r.
func Payload(r *Report) ([]byte, error) { return document.Payload(r) }

// New builds the report of one answer. result is the ledger's JSON answer; its
// verdict is copied to Verdict.
func New(q Query, channel string, height uint64, at time.Time, result []byte) (Report, error) {
	var head struct {
		Verdict string `json:"verdict"`
	}
	if err := json.Unmarshal(result, &head); err != nil || head.Verdict == "" {
		return Report{}, fmt.Errorf("%w: the verification answer has no verdict", ErrMalformed)
	}
	c, err := canon.Canonicalize(result)
	if err != nil {
		return Report{}, fmt.Errorf("%w: verification answer: %w", ErrMalformed, err)
	}
	return Report{Format: Format, Channel: channel, Height: height, CreatedAt: wire.FormatTime(at),
		Query: q, Verdict: head.Verdict, Result: c}, nil
}

// Sign sets r's gateway to id and key's public half and signs it.
func Sign(r Report, id string, key *sm2.PrivateKey) (*Signed, error) {
	if key == nil || id == "" {
		return nil, fmt.Errorf("%w: a report needs a gateway id and key", gm.ErrBadKey)
	}
	p, err := gm.MarshalPublicKeyPEM(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	r.Format = Format
	r.Gateway = Gateway{ID: id, KeyID: gm.KeyID(&key.PublicKey), PublicKey: string(p)}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	sig, err := document.Sign(key, &r)
	if err != nil {
		return nil, err
	}
	return &Signed{Report: r, Signature: sig}, nil
}

// Validate checks the format of every field (not the signature).
func (r *Report) Validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, a...))
	}
	switch {
	case r.Format != Format:
		return bad("format %q is not %q", r.Format, Format)
	case r.Gateway.ID == "" || !wire.ValidHash(r.Gateway.KeyID):
		return bad("gateway id and keyId are required")
	case r.Query.ID == "" && r.Query.DocHash == "":
		return bad("the query names neither an id nor a document hash")
	case r.Query.ID != "" && !wire.ValidID(r.Query.ID):
		return bad("query id %q is not a certificate id", r.Query.ID)
	case r.Query.DocHash != "" && !wire.ValidHash(r.Query.DocHash):
		return bad("query docHash is not an SM3 hex digest")
	case r.Verdict == "" || len(r.Result) == 0:
		return bad("verdict and result are required")
	}
	if _, err := wire.ParseTime(r.CreatedAt); err != nil {
		return bad("createdAt: %v", err)
	}
	pub, err := gm.ParsePublicKeyPEM([]byte(r.Gateway.PublicKey))
	if err != nil {
		return bad("gateway public key: %v", err)
	}
	if gm.KeyID(pub) != r.Gateway.KeyID {
		return bad("gateway keyId is not the SM3 of its public key")
	}
	var head struct {
		Verdict string `json:"verdict"`
	}
	if json.Unmarshal(r.Result, &head) != nil || head.Verdict != r.Verdict {
		return bad("verdict %q is not the result's verdict %q", r.Verdict, head.Verdict)
	}
	return nil
}

// Marshal writes s as indented JSON (what the CLI writes with --report).
func (s *Signed) Marshal() ([]byte, error) { return canon.MarshalFile(s) }

// Parse decodes a report file strictly (one JSON object, no duplicate or
// unknown keys, Validate) without checking the signature.
func Parse(data []byte) (*Signed, error) {
	s := &Signed{}
	sig, err := document.Parse(data, &s.Report)
	if err != nil {
		return nil, err
	}
	s.Signature = sig
	if err := s.Report.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}

// Hash is the SM3 hex of the signed payload: what the printed page's QR code
// carries and `certledger report verify` prints.
func (s *Signed) Hash() (string, error) {
	p, err := Payload(&s.Report)
	if err != nil {
		return "", err
	}
	return gm.SM3Hex(p), nil
}

// Verify checks the signature with the key the report names. It says nothing
// about whether that key is a gateway's: Trusted does.
func (s *Signed) Verify() error {
	pub, err := s.publicKey()
	if err != nil {
		return err
	}
	p, err := Payload(&s.Report)
	if err != nil {
		return err
	}
	if err := gm.VerifyBase64(pub, p, s.Signature); err != nil {
		return fmt.Errorf("%w: %w", ErrBadSignature, err)
	}
	return nil
}

func (s *Signed) publicKey() (*ecdsa.PublicKey, error) {
	pub, err := gm.ParsePublicKeyPEM([]byte(s.Report.Gateway.PublicKey))
	if err != nil {
		return nil, fmt.Errorf("%w: gateway public key: %w", ErrMalformed, err)
	}
	return pub, nil
}

// Trusted checks that the report's key is a gateway key b lists, valid when the
// report was made, with the same public key and gateway id. Call Verify first.
func (s *Signed) Trusted(b *trust.Bundle) (*trust.GatewayKey, error) {
	at, err := wire.ParseTime(s.Report.CreatedAt)
	if err != nil {
		return nil, fmt.Errorf("%w: createdAt: %w", ErrMalformed, err)
	}
	g, err := b.GatewayKeyValidAt(s.Report.Gateway.KeyID, at)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUntrusted, err)
	}
	if g.ID != s.Report.Gateway.ID {
		return nil, fmt.Errorf("%w: key %s is gateway %s's in the bundle, the report says %s", ErrUntrusted, g.KeyID, g.ID, s.Report.Gateway.ID)
	}
	return g, nil
}
