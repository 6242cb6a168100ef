// Package batch holds the rules of Merkle batches: up to a million certificate
// records anchored by one signed header. It is pure (no shim, no files): the
// record a batch carries and its canonical line, the header and its signed
// payload (canon kind "batch-header"), their validation, and the inclusion
// proof a receipt carries.
//
// A batch file is JSON Lines: line i is the canonical JSON of record i's signed
// fields (exactly the bytes after the prefix of its canonical payload), ended by
// "\n". Leaf i of the Merkle tree is that payload: header.recordKind + "\n" +
// line i, so a leaf is "the canonical record" and a v1 leaf equals
// canon.Payload(canon.KindCertificate, record). A later record version only
// changes recordKind and the line's fields.
package batch

import (
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/domain/registry"
	"github.com/certledger/certledger/internal/domain/wire"
)

// RecordKindV1 is the record format of v1 certificates (the canonical payload
// prefix without its newline).
const RecordKindV1 = "certledger/v1/certificate"

// MaxRecords is the largest batch (leaf count) a header may announce.
const MaxRecords = 4_000_000

// Record is a certificate as a batch carries it: the signed fields of
// certificate.Record, without a per-record signature (the header's signature
// over the root vouches for every leaf).
type Record struct {
	ID               string `json:"id"`
	DocHash          string `json:"docHash"`
	Type             string `json:"type"`
	Issuer           string `json:"issuer"`
	HolderCommitment string `json:"holderCommitment"`
	ValidFrom        string `json:"validFrom"`
	ValidUntil       string `json:"validUntil"`
	KeyID            string `json:"keyId"`
	Supersedes       string `json:"supersedes"`
}

// Certificate returns r as a certificate record (empty signature).
func (r Record) Certificate() certificate.Record {
	return certificate.Record{
		ID: r.ID, DocHash: r.DocHash, Type: r.Type, Issuer: r.Issuer, HolderCommitment: r.HolderCommitment,
		ValidFrom: r.ValidFrom, ValidUntil: r.ValidUntil, KeyID: r.KeyID, Supersedes: r.Supersedes,
	}
}

// FromCertificate returns the batch record of c (its signature dropped).
func FromCertificate(c certificate.Record) Record {
	return Record{
		ID: c.ID, DocHash: c.DocHash, Type: c.Type, Issuer: c.Issuer, HolderCommitment: c.HolderCommitment,
		ValidFrom: c.ValidFrom, ValidUntil: c.ValidUntil, KeyID: c.KeyID, Supersedes: c.Supersedes,
	}
}

// Validate checks r's fields and that it belongs to a batch of issuer issuer
// signed with key keyID. Supersedes is not allowed in a batch (a replacement
// names what it replaces in its own signed transaction).
func (r Record) Validate(issuer, keyID string) error {
	var fe wire.FieldErrors
	if !wire.ValidID(r.ID) {
		fe.Add("id", "%q must be 1-128 characters of [A-Za-z0-9._:-] starting with a letter or digit", r.ID)
	}
	if !wire.ValidHash(r.DocHash) {
		fe.Add("docHash", "must be 64 lowercase hex characters (SM3)")
	}
	if registry.CheckText("type", r.Type, 64) != nil {
		fe.Add("type", "%q must be 1-64 printable characters", r.Type)
	}
	if r.Issuer != issuer {
		fe.Add("issuer", "%q is not the batch's issuer %q", r.Issuer, issuer)
	}
	if !wire.ValidHash(r.HolderCommitment) {
		fe.Add("holderCommitment", "must be 64 lowercase hex characters (SM3)")
	}
	// The validity rules of every signed window (wire: RFC 3339 UTC, not before
	// wire.EarliestValidity); the bound ahead is ValidateAt's.
	from, fromOK := fe.ValidityTime("validFrom", r.ValidFrom)
	if r.ValidUntil != "" {
		if until, ok := fe.ValidityTime("validUntil", r.ValidUntil); ok && fromOK && !until.After(from) {
			fe.Add("validUntil", "%s must be after validFrom %s", r.ValidUntil, r.ValidFrom)
		}
	}
	if r.KeyID != keyID {
		fe.Add("keyId", "%q is not the batch's key %q", r.KeyID, keyID)
	}
	if r.Supersedes != "" {
		fe.Add("supersedes", "a batched record cannot supersede; use certificate:Supersede")
	}
	return fe.Err()
}

// ValidateAt is Validate plus the bound that depends on the transaction that
// vouches for the record, its batch's anchoring at anchoredAt: the validity
// window reaches at most wire.MaxYearsAhead years after it (as
// certificate.Record.ValidateAt bounds a single issue by its transaction).
func (r Record) ValidateAt(issuer, keyID string, anchoredAt time.Time) error {
	if err := r.Validate(issuer, keyID); err != nil {
		return err
	}
	for _, f := range []struct{ name, v string }{{"validFrom", r.ValidFrom}, {"validUntil", r.ValidUntil}} {
		if f.v == "" {
			continue
		}
		t, _ := wire.ParseUTC(f.v) // checked by Validate
		if err := wire.CheckAhead(t, anchoredAt); err != nil {
			return codes.Wrap(codes.ErrInvalidArgument, "%s: %v", f.name, err)
		}
	}
	return nil
}

// AppendLine appends r's canonical line (canonical JSON of its signed fields,
// keys sorted, no newline) to dst. It equals the part of
// canon.Payload(canon.KindCertificate, r) after the prefix (a test checks it)
// and costs no reflection.
func AppendLine(dst []byte, r *Record) ([]byte, error) {
	fields := [...]struct {
		name, value string
	}{ // sorted by name
		{"docHash", r.DocHash}, {"holderCommitment", r.HolderCommitment}, {"id", r.ID}, {"issuer", r.Issuer},
		{"keyId", r.KeyID}, {"supersedes", r.Supersedes}, {"type", r.Type}, {"validFrom", r.ValidFrom}, {"validUntil", r.ValidUntil},
	}
	var err error
	dst = append(dst, '{')
	for i, f := range fields {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '"')
		dst = append(dst, f.name...)
		dst = append(dst, '"', ':')
		if dst, err = canon.AppendString(dst, f.value); err != nil {
			return dst, fmt.Errorf("record %s field %s: %w", r.ID, f.name, err)
		}
	}
	return append(dst, '}'), nil
}

// lineFields are the JSON names of a line's fields in canonical (sorted) order.
var lineFields = [...]string{"docHash", "holderCommitment", "id", "issuer", "keyId", "supersedes", "type", "validFrom", "validUntil"}

// ParseLine decodes one batch file line (without its newline) and checks that
// it is canonical: re-encoding it gives the same bytes. A line without escapes
// is read in one pass (the canonical form is unique, so reading the fields in
// their one possible order is the same check); others go through encoding/json.
func ParseLine(line []byte) (Record, error) {
	var r Record
	if parseCanonical(line, &r) {
		return r, nil
	}
	return parseSlow(line)
}

// parseCanonical reads a canonical line with no escapes; false means "use the
// slow path" (an escape, or a line that is not canonical).
func parseCanonical(line []byte, r *Record) bool {
	dst := [...]*string{&r.DocHash, &r.HolderCommitment, &r.ID, &r.Issuer, &r.KeyID, &r.Supersedes, &r.Type, &r.ValidFrom, &r.ValidUntil}
	p := line
	if len(p) == 0 || p[0] != '{' {
		return false
	}
	p = p[1:]
	for i, name := range lineFields {
		if i > 0 {
			if len(p) == 0 || p[0] != ',' {
				return false
			}
			p = p[1:]
		}
		if len(p) < len(name)+3 || p[0] != '"' || string(p[1:1+len(name)]) != name || p[1+len(name)] != '"' || p[2+len(name)] != ':' {
			return false
		}
		p = p[3+len(name):]
		if len(p) == 0 || p[0] != '"' {
			return false
		}
		end := -1
		for j := 1; j < len(p); j++ {
			c := p[j]
			if c == '"' {
				end = j
				break
			}
			if c == '\\' || c < 0x20 {
				return false
			}
		}
		if end < 0 || !utf8.Valid(p[1:end]) {
			return false
		}
		*dst[i] = string(p[1:end])
		p = p[end+1:]
	}
	return len(p) == 1 && p[0] == '}'
}

func parseSlow(line []byte) (Record, error) {
	var r Record
	if err := json.Unmarshal(line, &r); err != nil {
		return r, fmt.Errorf("not a JSON record: %w", err)
	}
	again, err := AppendLine(make([]byte, 0, len(line)), &r)
	if err != nil {
		return r, err
	}
	if string(again) != string(line) {
		return r, fmt.Errorf("record %s is not in canonical form (keys sorted, every field present, no spaces)", r.ID)
	}
	return r, nil
}

// LeafData returns the Merkle leaf of a line: recordKind + "\n" + line.
func LeafData(dst []byte, recordKind string, line []byte) []byte {
	dst = append(dst, recordKind...)
	dst = append(dst, '\n')
	return append(dst, line...)
}

// CertificatePayload returns the bytes c's SM2 signature covers: for a v1
// record canon.Payload(canon.KindCertificate, c) — also a v1 batch leaf — built
// without reflection (a grouped issue checks hundreds per transaction); for a
// v2 record c.Payload().
func CertificatePayload(c certificate.Record) ([]byte, error) {
	if c.RecordVersion == certificate.RecordV2 {
		return c.Payload()
	}
	r := FromCertificate(c)
	line, err := AppendLine(make([]byte, 0, 512), &r)
	if err != nil {
		return nil, err
	}
	return LeafData(make([]byte, 0, len(line)+len(RecordKindV1)+1), RecordKindV1, line), nil
}
