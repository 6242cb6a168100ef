// Package registry holds the rules of the department registry: departments,
// their Fabric MSP, ticket categories and SM2 public keys with their validity
// windows (added, rotated, revoked). It never imports the Fabric shim.
//
// A key is valid at time t iff validFrom <= t and t is before its rotatedAt and
// its revokedAt (when set). Rotation ends a key at the rotation time, so what it
// signed before stays valid; a revocation for reason "compromised" may date back
// to the compromise time and invalidates what was signed from then on.
package registry

import (
	"crypto/ecdsa"
	"fmt"
	"slices"
	"time"

	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/identifier"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/gm"
)

// StatusActive is the status of a registered department.
const StatusActive = "active"

// ReasonCompromised is the revocation reason that may date back before the
// revoking transaction.
const ReasonCompromised = "compromised"

// CheckID validates one department id (wire.DeptIDPattern).
func CheckID(field, id string) error {
	var fe wire.FieldErrors
	fe.DeptID(field, id)
	return fe.Err()
}

// CheckText validates one human-readable text: valid UTF-8, 1..max runes, no control characters.
func CheckText(field, s string, max int) error {
	var fe wire.FieldErrors
	fe.Text(field, s, max)
	return fe.Err()
}

// CheckMSPID validates one Fabric MSP ID (wire.MSPIDPattern).
func CheckMSPID(field, msp string) error {
	var fe wire.FieldErrors
	fe.MSPID(field, msp)
	return fe.Err()
}

// Key is an SM2 public key of a department with its validity window.
// Empty strings mean "not set".
type Key struct {
	KeyID        string `json:"keyId"`
	PublicKey    string `json:"publicKey"` // PKIX PEM, as re-encoded by gm.MarshalPublicKeyPEM
	ValidFrom    string `json:"validFrom"`
	RotatedAt    string `json:"rotatedAt"`
	RevokedAt    string `json:"revokedAt"`
	RevokeReason string `json:"revokeReason"`
}

// KeyRecord is a key with the department that holds it (the answer of a key
// lookup: registry:GetKey, GET /api/v1/keys/{keyId}).
type KeyRecord struct {
	DepartmentID string `json:"departmentId"`
	Key
}

// Department is the registry record of one department.
type Department struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	Code       string   `json:"code,omitempty"` // unified social credit code (GB 32100); "" = none yet
	MSPID      string   `json:"mspId"`
	Parent     string   `json:"parent"`
	Categories []string `json:"categories"`
	Status     string   `json:"status"`
	Keys       []Key    `json:"keys"`
	CreatedAt  string   `json:"createdAt"`
	UpdatedAt  string   `json:"updatedAt"`
	TxID       string   `json:"txId"`
	// ActorID is the operator id of the identity that made this version (the
	// registration or the last key change; the history holds every earlier one).
	ActorID string `json:"actorId,omitempty"`
}

// Registration is the input of RegisterDepartment.
type Registration struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	Code       string   `json:"code,omitempty"` // unified social credit code, optional
	MSPID      string   `json:"mspId"`
	Parent     string   `json:"parent"`
	Categories []string `json:"categories"`
	PublicKeys []string `json:"publicKeys"`
}

// Validate checks every field of r except that the parent exists (the contract
// does) and that the public keys parse (NewDepartment does). It returns every
// problem found as wire.FieldErrors.
func (r Registration) Validate() error {
	var fe wire.FieldErrors
	fe.DeptID("id", r.ID)
	fe.Text("name", r.Name, 200)
	if r.Code != "" {
		if err := identifier.CheckUSCC(r.Code); err != nil {
			fe.Add("code", "%s", codes.Message(err))
		}
	}
	fe.MSPID("mspId", r.MSPID)
	if r.Parent != "" && fe.DeptID("parent", r.Parent) && r.Parent == r.ID {
		fe.Add("parent", "department %s cannot be its own parent", r.ID)
	}
	if len(r.Categories) > 100 {
		fe.Add("categories", "at most 100 categories")
	}
	for i, c := range r.Categories {
		field := fmt.Sprintf("categories[%d]", i)
		if fe.Text(field, c, 64) && slices.Contains(r.Categories[:i], c) {
			fe.Add(field, "category %q is listed twice", c)
		}
	}
	if len(r.PublicKeys) > 20 {
		fe.Add("publicKeys", "at most 20 public keys")
	}
	return fe.Err()
}

// NewKey parses an SM2 public key PEM and returns the Key valid from at.
func NewKey(publicKeyPEM string, at time.Time) (Key, error) {
	pub, err := gm.ParsePublicKeyPEM([]byte(publicKeyPEM))
	if err != nil {
		return Key{}, codes.Wrap(codes.ErrInvalidArgument, "public key: %v", err)
	}
	norm, err := gm.MarshalPublicKeyPEM(pub)
	if err != nil {
		return Key{}, codes.Wrap(codes.ErrInvalidArgument, "public key: %v", err)
	}
	return Key{KeyID: gm.KeyID(pub), PublicKey: string(norm), ValidFrom: wire.FormatTime(at)}, nil
}

// NewDepartment validates r and returns the new department registered at time at
// by transaction txID, its keys valid from at.
func NewDepartment(r Registration, at time.Time, txID string) (Department, error) {
	if err := r.Validate(); err != nil {
		return Department{}, err
	}
	cats := append([]string{}, r.Categories...)
	d := Department{
		ID: r.ID, Name: r.Name, Code: r.Code, MSPID: r.MSPID, Parent: r.Parent, Categories: cats,
		Status: StatusActive, Keys: []Key{},
		CreatedAt: wire.FormatTime(at), UpdatedAt: wire.FormatTime(at), TxID: txID,
	}
	for _, p := range r.PublicKeys {
		k, err := NewKey(p, at)
		if err != nil {
			return Department{}, err
		}
		if _, dup := d.Key(k.KeyID); dup {
			return Department{}, codes.Wrap(codes.ErrInvalidArgument, "public key %s is listed twice", k.KeyID)
		}
		d.Keys = append(d.Keys, k)
	}
	return d, nil
}

// Key returns the key keyID of d.
func (d Department) Key(keyID string) (Key, bool) {
	for _, k := range d.Keys {
		if k.KeyID == keyID {
			return k, true
		}
	}
	return Key{}, false
}

func (d *Department) index(keyID string) (int, error) {
	for i, k := range d.Keys {
		if k.KeyID == keyID {
			return i, nil
		}
	}
	return -1, codes.Wrap(codes.ErrNotFound, "key %s of department %s", keyID, d.ID)
}

func (d *Department) touch(at time.Time, txID string) {
	d.UpdatedAt = wire.FormatTime(at)
	d.TxID = txID
}

// SetCode gives d its unified social credit code (GB 32100, check character
// verified). Setting the code it already has is a CONFLICT.
func (d *Department) SetCode(code string, at time.Time, txID string) error {
	if err := identifier.CheckUSCC(code); err != nil {
		return wire.FieldErrors{{Field: "code", Message: codes.Message(err)}}
	}
	if d.Code == code {
		return codes.Wrap(codes.ErrConflict, "department %s already has code %s", d.ID, code)
	}
	d.Code = code
	d.touch(at, txID)
	return nil
}

// AddKey adds k (already made by NewKey at time at). A key already on d is a CONFLICT.
func (d *Department) AddKey(k Key, at time.Time, txID string) error {
	if _, ok := d.Key(k.KeyID); ok {
		return codes.Wrap(codes.ErrConflict, "key %s is already registered to department %s", k.KeyID, d.ID)
	}
	if len(d.Keys) >= 100 {
		return codes.Wrap(codes.ErrInvalidArgument, "department %s has too many keys", d.ID)
	}
	d.Keys = append(d.Keys, k)
	d.touch(at, txID)
	return nil
}

// RotateKey ends key oldKeyID at time at and adds newKey (valid from at). The old
// key must be valid at at (ILLEGAL_TRANSITION otherwise).
func (d *Department) RotateKey(oldKeyID string, newKey Key, at time.Time, txID string) error {
	i, err := d.index(oldKeyID)
	if err != nil {
		return err
	}
	if code, detail := d.Keys[i].StateAt(at); code != "" {
		return codes.Wrap(codes.ErrIllegalTransition, "cannot rotate key %s: %s", oldKeyID, detail)
	}
	if err := d.AddKey(newKey, at, txID); err != nil {
		return err
	}
	d.Keys[i].RotatedAt = wire.FormatTime(at)
	return nil
}

// RevokeKey revokes key keyID with reason from effective on; at is the
// transaction time. Only a "compromised" revocation may date back before at.
// A key already revoked can only be revoked again to an earlier time (CONFLICT otherwise).
func (d *Department) RevokeKey(keyID, reason string, effective, at time.Time, txID string) error {
	if err := CheckText("reason", reason, 200); err != nil {
		return err
	}
	i, err := d.index(keyID)
	if err != nil {
		return err
	}
	if effective.Before(at) && reason != ReasonCompromised {
		return codes.Wrap(codes.ErrInvalidArgument, "only a %q revocation may take effect before the transaction time (effectiveAt %s < %s)",
			ReasonCompromised, wire.FormatTime(effective), wire.FormatTime(at))
	}
	k := &d.Keys[i]
	if k.RevokedAt != "" {
		prev, err := wire.ParseTime(k.RevokedAt)
		if err != nil {
			return codes.Wrap(codes.ErrInternal, "stored key %s: %v", keyID, err)
		}
		if !effective.Before(prev) {
			return codes.Wrap(codes.ErrConflict, "key %s is already revoked from %s", keyID, k.RevokedAt)
		}
	}
	k.RevokedAt = wire.FormatTime(effective)
	k.RevokeReason = reason
	d.touch(at, txID)
	return nil
}

// Key state codes returned by StateAt (also the Verify step codes).
const (
	KeyNotYetValid = "KEY_NOT_YET_VALID"
	KeyRotated     = "KEY_ROTATED"
	KeyRevoked     = "KEY_REVOKED"
	KeyCorrupt     = "KEY_CORRUPT"
)

// StateAt returns "" when k is valid at t, else one of the Key* codes and a
// sentence saying why.
func (k Key) StateAt(t time.Time) (code, detail string) {
	from, err := time.Parse(wire.TimeLayout, k.ValidFrom)
	if err != nil {
		return KeyCorrupt, "key " + k.KeyID + " has no valid validFrom"
	}
	if t.Before(from) {
		return KeyNotYetValid, "key " + k.KeyID + " is valid only from " + k.ValidFrom
	}
	if k.RevokedAt != "" {
		rev, err := time.Parse(wire.TimeLayout, k.RevokedAt)
		if err != nil || !t.Before(rev) {
			return KeyRevoked, "key " + k.KeyID + " was revoked (" + k.RevokeReason + ") from " + k.RevokedAt
		}
	}
	if k.RotatedAt != "" {
		rot, err := time.Parse(wire.TimeLayout, k.RotatedAt)
		if err != nil || !t.Before(rot) {
			return KeyRotated, "key " + k.KeyID + " was rotated out at " + k.RotatedAt
		}
	}
	return "", "key " + k.KeyID + " valid at " + wire.FormatTime(t)
}

// ValidAt returns nil when k is valid at t, else a FORBIDDEN error saying why.
func (k Key) ValidAt(t time.Time) error {
	if code, detail := k.StateAt(t); code != "" {
		return codes.Wrap(codes.ErrForbidden, "%s", detail)
	}
	return nil
}

// Public parses k's public key; a key whose PEM does not parse or whose id does not
// match is an INTERNAL error (the registry stores only parsed keys).
func (k Key) Public() (*ecdsa.PublicKey, error) {
	if pub, ok := parsedKeys.get(k.KeyID, k.PublicKey); ok {
		return pub, nil
	}
	pub, err := gm.ParsePublicKeyPEM([]byte(k.PublicKey))
	if err != nil {
		return nil, codes.Wrap(codes.ErrInternal, "stored key %s: %v", k.KeyID, err)
	}
	if gm.KeyID(pub) != k.KeyID {
		return nil, codes.Wrap(codes.ErrInternal, "stored key %s does not match its id", k.KeyID)
	}
	parsedKeys.put(k.KeyID, k.PublicKey, pub)
	return pub, nil
}

// VerifyRecord checks sigB64 over the canonical payload of record (kind) with
// k: BAD_SIGNATURE when it does not verify, INVALID_ARGUMENT when the record
// cannot be made into a payload (a signed field missing).
func VerifyRecord(k Key, kind canon.Kind, record any, sigB64 string) error {
	payload, err := canon.Payload(kind, record)
	if err != nil {
		return codes.Wrap(codes.ErrInvalidArgument, "%s record: %v", kind, err)
	}
	return VerifyPayload(k, kind, payload, sigB64)
}

// VerifyPayload checks sigB64 over payload, the canonical payload of a record
// of kind built by its own encoder (certificate.Record.Payload), with k:
// BAD_SIGNATURE when it does not verify.
func VerifyPayload(k Key, kind canon.Kind, payload []byte, sigB64 string) error {
	pub, err := k.Public()
	if err != nil {
		return err
	}
	if err := gm.VerifyBase64(pub, payload, sigB64); err != nil {
		return codes.Wrap(codes.ErrBadSignature, "%s signature does not verify with key %s: %v", kind, k.KeyID, err)
	}
	return nil
}
