// Package receipt is certledger's portable proof of issue, format v2: the
// signed certificate record, the ledger coordinates of the transaction that
// wrote it, that transaction's endorsements (the endorsing peers' certificates
// and signatures over the proposal response whose write set holds the record)
// and the fingerprint of the governance key whose trust bundle vouches for the
// issuers' keys and the organisations' CAs.
//
// With a trust bundle (package trust) a verifier checks a receipt with no
// network at all (Check): the document hash, the record, the SM2 signature,
// the key's validity at the issue time per the bundle, the endorsements under
// the bundle's CAs and policy, and that the endorsed write set writes exactly
// this record. What offline cannot know — a status change on the ledger, a key
// revocation registered after the bundle, whether the endorsed transaction was
// committed valid — is stated in every answer.
//
// The package is pure: no network, no clock (the caller passes the time), no
// Fabric SDK beyond the protobuf messages.
package receipt

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/domain/batch"
	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/gm"
)

// Version is the format tag of a v2 receipt; VersionV1 that of the receipts
// written before (record, issuer key, coordinates and salt, no endorsements),
// which verify online only.
const (
	Version   = "certledger-receipt/v2"
	VersionV1 = "certledger-receipt/v1"
)

// MaxSize is the largest receipt Parse accepts. A receipt carries its whole
// transaction: a certificate of a grouped issue (up to 10,000 records in one
// transaction) has all of the group's records in its anchor, about 2.5 KB each.
const MaxSize = 32 << 20

// MaxEndorsements bounds the endorsements a receipt may carry.
const MaxEndorsements = 64

// ErrMalformed is wrapped by every parse or format error.
var ErrMalformed = errors.New("malformed receipt")

// Receipt is a v2 receipt file.
type Receipt struct {
	Version string `json:"version"`
	// Record is the signed record of a certificate issued by a transaction of
	// its own; Batch, instead, holds a batched certificate's leaf, inclusion
	// proof and the signed batch header (exactly one of them is set).
	Record certificate.Record `json:"record,omitzero"`
	Batch  *Batched           `json:"batch,omitempty"`
	// IssuedAt is the anchoring transaction's time, as the ledger wrote it.
	IssuedAt  string    `json:"issuedAt"`
	IssuerKey IssuerKey `json:"issuerKey"`
	Ledger    Ledger    `json:"ledger"`
	Anchor    *Anchor   `json:"anchor"`
	// BundleFingerprint is the governance key (trust bundle pin) the issuer
	// worked under; offline checks use the verifier's own pin.
	BundleFingerprint string `json:"bundleFingerprint"`
	// Holder is the holder's private part (salts); not used by Check.
	Holder    json.RawMessage `json:"holder"`
	VerifyURL string          `json:"verifyUrl"`
}

// Batched is a certificate anchored in a Merkle batch: its record (the leaf,
// no signature of its own), the inclusion proof, and the batch header as the
// ledger stores it (signed header, anchoredAt, txId).
type Batched struct {
	Record batch.Record   `json:"record"`
	Proof  batch.Proof    `json:"proof"`
	Header batch.Anchored `json:"header"`
}

// Certificate returns the record the receipt is about: the signed record, or a
// batched leaf as a certificate record (no signature, its batch id set by the caller).
func (r *Receipt) Certificate() certificate.Record {
	if r.Batch != nil {
		return r.Batch.Record.Certificate()
	}
	return r.Record
}

// IssuerKey is the public key that signed the record, as the issuer states it
// (offline checks take the key from the trust bundle, never from here).
type IssuerKey struct {
	DepartmentID string `json:"departmentId"`
	KeyID        string `json:"keyId"`
	PublicKey    string `json:"publicKey"`
}

// Ledger holds where the record was written.
type Ledger struct {
	TxID        string `json:"txId"`
	BlockNumber uint64 `json:"blockNumber"`
	Channel     string `json:"channel"`
}

func bad(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, a...))
}

// Parse decodes a v2 receipt strictly: at most MaxSize bytes of valid UTF-8
// JSON, one object, no duplicate keys, no unknown fields, no fractional
// numbers, nothing after it, base64 in its standard padded form, and every
// rule of Validate.
func Parse(data []byte) (*Receipt, error) {
	if len(data) > MaxSize {
		return nil, bad("%d bytes, the limit is %d", len(data), MaxSize)
	}
	written, err := canon.Canonicalize(data)
	if err != nil {
		return nil, bad("%v", err)
	}
	var r Receipt
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, bad("%v", err)
	}
	if dec.More() {
		return nil, bad("data after the JSON object")
	}
	// Every value must be what the struct re-encodes (base64 in its one
	// standard form, no field defaulted from a null).
	again, err := json.Marshal(&r)
	if err != nil {
		return nil, bad("%v", err)
	}
	decoded, err := canon.Canonicalize(again)
	if err != nil || !bytes.Equal(written, decoded) {
		return nil, bad("a value is not in its normal form (base64 padding or line breaks, a null, an omitted or extra field)")
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return &r, nil
}

// Validate checks the format of every field; no signature.
func (r *Receipt) Validate() error {
	if r.Version != Version {
		return bad("version %q is not %q", r.Version, Version)
	}
	rec := r.Certificate()
	switch b := r.Batch; {
	case b == nil:
		if err := r.Record.Validate(); err != nil {
			return bad("record: %v", err)
		}
	case r.Record.ID != "" || r.Record.Signature != "":
		return bad("a receipt holds a record or a batch, not both")
	default:
		if err := b.Header.Validate(); err != nil {
			return bad("batch.header: %v", err)
		}
		if b.Record.Kind() != b.Header.RecordKind {
			return bad("batch.record: a %s record in a batch of %s records", b.Record.Kind(), b.Header.RecordKind)
		}
		if err := b.Record.Validate(b.Header.Issuer, b.Header.KeyID); err != nil {
			return bad("batch.record: %v", err)
		}
		if err := b.Proof.Validate(); err != nil {
			return bad("batch.proof: %v", err)
		}
	}
	if _, err := wire.ParseTime(r.IssuedAt); err != nil {
		return bad("issuedAt: %v", err)
	}
	if r.IssuerKey.DepartmentID != rec.Issuer || r.IssuerKey.KeyID != rec.KeyID {
		return bad("issuerKey names %s key %s, the record %s key %s", r.IssuerKey.DepartmentID, r.IssuerKey.KeyID, rec.Issuer, rec.KeyID)
	}
	pub, err := gm.ParsePublicKeyPEM([]byte(r.IssuerKey.PublicKey))
	if err != nil {
		return bad("issuerKey.publicKey: %v", err)
	}
	if gm.KeyID(pub) != r.IssuerKey.KeyID {
		return bad("issuerKey.publicKey is not key %s (its SM3 is %s)", r.IssuerKey.KeyID, gm.KeyID(pub))
	}
	if r.Ledger.TxID == "" || len(r.Ledger.TxID) > 128 || r.Ledger.Channel == "" || !wire.ValidID(r.Ledger.Channel) {
		return bad("ledger: txId and channel are required")
	}
	if !wire.ValidHash(r.BundleFingerprint) {
		return bad("bundleFingerprint must be 64 lowercase hex characters (the SM3 of the governance public key)")
	}
	a := r.Anchor
	if a == nil {
		return bad("no anchor (a v2 receipt carries the transaction's endorsements)")
	}
	if len(a.Header) == 0 || len(a.ProposalPayload) == 0 || len(a.ProposalResponse) == 0 {
		return bad("anchor: header, proposalPayload and proposalResponse are required")
	}
	if len(a.Endorsements) == 0 || len(a.Endorsements) > MaxEndorsements {
		return bad("anchor: 1 to %d endorsements", MaxEndorsements)
	}
	for i, e := range a.Endorsements {
		if len(e.Endorser) == 0 || len(e.Signature) == 0 {
			return bad("anchor.endorsements[%d]: endorser and signature are required", i)
		}
	}
	return nil
}

// Marshal writes r as indented JSON.
func (r *Receipt) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// PeekVersion returns the "version" of a receipt file without parsing the rest.
func PeekVersion(data []byte) string {
	var v struct {
		Version string `json:"version"`
	}
	_ = json.Unmarshal(data, &v) // "" for anything that is not a receipt
	return v.Version
}
