// Package receipt is the issuing receipt as the CLI writes and reads it: the signed
// certificate record, the issuer's public key, the ledger coordinates, the holder's
// private salt and, in a v2 receipt (internal/receipt), the anchoring transaction's
// endorsements and the governance fingerprint, with which the receipt verifies
// offline against a trust bundle. A v1 receipt (no endorsements) verifies online.
package receipt

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/certledger/certledger/cli/internal/client"
	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/gm"
	rcpt "github.com/certledger/certledger/internal/receipt"
)

// Version is the format tag of a receipt written before its transaction's
// endorsements are known (a pending receipt, or a gateway without receipt
// evidence); VersionV2 that of a complete one.
const (
	Version   = rcpt.VersionV1
	VersionV2 = rcpt.Version
)

// SaltNote is written next to the holder salt.
const SaltNote = "PRIVATE: the holder salt links the holder's identity to holderCommitment = SM3(salt || holder id). Give it only to the holder; it is not on the ledger."

// ErrBadReceipt is wrapped by every parse or format error.
var ErrBadReceipt = errors.New("bad receipt")

// MaxSize is the largest receipt Parse accepts (a v2 receipt of a grouped
// issue carries the group's whole transaction).
const MaxSize = rcpt.MaxSize

// Receipt is what `cert issue` writes.
type Receipt struct {
	Version   string                   `json:"version"`
	Record    client.CertificateRecord `json:"record"`
	IssuerKey IssuerKey                `json:"issuerKey"`
	Ledger    Ledger                   `json:"ledger"`
	Holder    Holder                   `json:"holder"`
	VerifyURL string                   `json:"verifyUrl"`
	IssuedAt  string                   `json:"issuedAt,omitempty"`
	// Anchor and BundleFingerprint are set in a v2 receipt only.
	Anchor            *rcpt.Anchor `json:"anchor,omitempty"`
	BundleFingerprint string       `json:"bundleFingerprint,omitempty"`
}

// IssuerKey is the public key that signed the record.
type IssuerKey struct {
	DepartmentID string `json:"departmentId"`
	KeyID        string `json:"keyId"`
	PublicKey    string `json:"publicKey"` // PKIX PEM
}

// Ledger holds where the record was written. TxID is empty in a pending receipt
// (written before submission so that a crash never loses the holder salt).
type Ledger struct {
	TxID        string `json:"txId,omitempty"`
	BlockNumber uint64 `json:"blockNumber,omitempty"`
	Channel     string `json:"channel,omitempty"`
}

// Holder is the holder's private part. A v1 record commits to the holder with Salt;
// a v2 record to the holder's name with NameSalt and code with CodeSalt (two salts,
// so that proving the code reveals nothing about the name).
type Holder struct {
	Salt     string `json:"salt,omitempty"`     // base64, >= 16 bytes (v1)
	NameSalt string `json:"nameSalt,omitempty"` // base64, >= 16 bytes (v2)
	CodeSalt string `json:"codeSalt,omitempty"` // base64, >= 16 bytes (v2)
	Note     string `json:"note"`
}

// SaltNoteV2 is written next to the holder salts of a v2 record.
const SaltNoteV2 = "PRIVATE: the holder salts link the holder's name and code to holderNameCommitment = SM3(nameSalt || name) and holderCodeCommitment = SM3(codeSalt || code). Give them only to the holder; they are not on the ledger."

// Parse decodes and checks a receipt. It checks the format of every field but no
// signature (see package verify).
func Parse(b []byte) (*Receipt, error) {
	if len(b) > MaxSize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrBadReceipt, MaxSize)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	var r Receipt
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadReceipt, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the JSON object", ErrBadReceipt)
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if r.Version == VersionV2 {
		// A v2 receipt is also held to the strict format offline verifiers use.
		if _, err := rcpt.Parse(b); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadReceipt, err)
		}
	}
	return &r, nil
}

// Validate checks the format of every field.
func (r *Receipt) Validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrBadReceipt, fmt.Sprintf(format, a...))
	}
	if r.Version != Version && r.Version != VersionV2 {
		return bad("version %q is neither %q nor %q", r.Version, VersionV2, Version)
	}
	if (r.Version == VersionV2) != (r.Anchor != nil) {
		return bad("a %s receipt carries an anchor, a %s one does not", VersionV2, Version)
	}
	rec := r.Record
	if rec.ID == "" || rec.Issuer == "" || rec.Type == "" {
		return bad("record id, issuer and type must be set")
	}
	if err := gm.CheckHash(rec.DocHash); err != nil {
		return bad("record docHash: %v", err)
	}
	if rec.RecordVersion == certificate.RecordV2 {
		if err := rec.Validate(); err != nil {
			return bad("v2 record: %v", err)
		}
	} else if err := gm.CheckHash(rec.HolderCommitment); err != nil {
		return bad("record holderCommitment: %v", err)
	}
	if err := gm.CheckHash(rec.KeyID); err != nil {
		return bad("record keyId: %v", err)
	}
	if rec.Signature == "" {
		return bad("record has no signature")
	}
	if _, err := base64.StdEncoding.Strict().DecodeString(rec.Signature); err != nil {
		return bad("record signature is not base64")
	}
	if r.IssuerKey.KeyID != rec.KeyID {
		return bad("issuerKey.keyId differs from record keyId")
	}
	if !strings.Contains(r.IssuerKey.PublicKey, "PUBLIC KEY") {
		return bad("issuerKey.publicKey is not a PEM public key")
	}
	for name, v := range map[string]string{"salt": r.Holder.Salt, "nameSalt": r.Holder.NameSalt, "codeSalt": r.Holder.CodeSalt} {
		if v == "" {
			continue
		}
		s, err := base64.StdEncoding.Strict().DecodeString(v)
		if err != nil || len(s) < gm.SaltSize {
			return bad("holder %s must be base64 of at least %d bytes", name, gm.SaltSize)
		}
	}
	return nil
}

// Salt returns the decoded holder salt.
func (r *Receipt) Salt() ([]byte, error) {
	return base64.StdEncoding.Strict().DecodeString(r.Holder.Salt)
}

// CheckHolder reports whether holderID is the identifier committed to in the record
// (for a v2 record: the holder's code).
func (r *Receipt) CheckHolder(holderID string) bool {
	if r.Record.RecordVersion == certificate.RecordV2 {
		s, err := base64.StdEncoding.Strict().DecodeString(r.Holder.CodeSalt)
		return err == nil && len(s) > 0 && gm.Commitment(s, holderID) == r.Record.HolderCodeCommitment
	}
	s, err := r.Salt()
	return err == nil && len(s) > 0 && gm.Commitment(s, holderID) == r.Record.HolderCommitment
}

// CheckHolderName reports whether name is the holder name committed to in a v2 record.
func (r *Receipt) CheckHolderName(name string) bool {
	s, err := base64.StdEncoding.Strict().DecodeString(r.Holder.NameSalt)
	return err == nil && len(s) > 0 && r.Record.RecordVersion == certificate.RecordV2 &&
		gm.Commitment(s, name) == r.Record.HolderNameCommitment
}

// Load reads and parses a receipt file.
func Load(path string) (*Receipt, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading receipt: %w", err)
	}
	r, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// Marshal encodes r as indented JSON.
func (r *Receipt) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Save writes r to path atomically with mode 0600 (it holds the holder salt).
func (r *Receipt) Save(path string) error {
	b, err := r.Marshal()
	if err != nil {
		return err
	}
	return WriteFileAtomic(path, b, 0o600)
}

// WriteFileAtomic writes data to a temporary file beside path, syncs it and renames
// it over path.
func WriteFileAtomic(path string, data []byte, mode os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			_ = f.Close()      // cleanup after an earlier error, which is returned
			_ = os.Remove(tmp) // cleanup after an earlier error, which is returned
		}
	}()
	if err := f.Chmod(mode); err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	ok = true
	return nil
}
