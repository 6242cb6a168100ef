// Package batch holds the rules of Merkle batches: up to a million certificate
// records anchored by one signed header. It is pure (no shim, no files): the
// record a batch carries and its canonical line, the header and its signed
// payload (canon kind "batch-header"), their validation, and the inclusion
// proof a receipt carries.
//
// A batch file is JSON Lines: line i is the canonical JSON of record i's signed
// fields (exactly the bytes after the prefix of its canonical payload), ended by
// "\n". Leaf i of the Merkle tree is that payload: header.recordKind + "\n" +
// line i, so a leaf is "the canonical record": the bytes the record's SM2
// signature would cover, certificate.Record.Payload of the record without a
// signature — for RecordKindV1 canon.Payload(canon.KindCertificate, record),
// for RecordKindV2 the v2 signed view (canon.KindCertificateV2). One batch
// holds records of one kind, which its header names.
package batch

import (
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/domain/registry"
	"github.com/certledger/certledger/internal/domain/wire"
)

// RecordKindV1 is the record format of v1 certificates (the canonical payload
// prefix without its newline).
const RecordKindV1 = "certledger/v1/certificate"

// RecordKindV2 is the record format of v2 certificates (GB/T 36903 metadata,
// GB/T 36904 identifiers): a line is the canonical signed view of a v2
// certificate.Record, and a leaf its certificate.Record.Payload.
const RecordKindV2 = "certledger/v2/certificate"

// MaxRecords is the largest batch (leaf count) a header may announce.
const MaxRecords = 4_000_000

// Record is a certificate as a batch carries it: the signed fields of
// certificate.Record, without a per-record signature (the header's signature
// over the root vouches for every leaf). RecordVersion says which kind it is
// (0: v1, RecordKindV1; certificate.RecordV2: RecordKindV2); it is not in the
// line (the header's recordKind says it) but it is in the JSON a receipt or a
// status change carries, and the fields marked v2 are absent from a v1
// record's JSON, so a v1 record reads as it always did.
type Record certificate.Fields

// Kind returns r's record kind: RecordKindV2 for a v2 record, else RecordKindV1.
func (r *Record) Kind() string {
	if r.RecordVersion == certificate.RecordV2 {
		return RecordKindV2
	}
	return RecordKindV1
}

// Certificate returns r as a certificate record (empty signature).
func (r Record) Certificate() certificate.Record {
	return certificate.Record{Fields: certificate.Fields(r)}
}

// FromCertificate returns the batch record of c (its signature dropped).
func FromCertificate(c certificate.Record) Record {
	return Record(c.Fields)
}

// Validate checks r's fields and that it belongs to a batch of issuer issuer
// signed with key keyID. Supersedes is not allowed in a batch (a replacement
// names what it replaces in its own signed transaction).
//
// A v2 record's own fields follow certificate.Record's rules for a v2 record
// (a GB/T 36904 identifier whose type code and issuing organisation code are
// the record's, holder commitments, extensions).
func (r Record) Validate(issuer, keyID string) error {
	var fe wire.FieldErrors
	if r.RecordVersion != 0 {
		r.Certificate().CheckFields(&fe)
		r.checkBatch(&fe, issuer, keyID)
		return fe.Err()
	}
	if r.Name+r.IssuerName+r.IssuerCode+r.IssueDate+r.HolderCodeType+r.HolderNameCommitment+r.HolderCodeCommitment != "" || !r.Extensions.IsZero() {
		fe.Add("recordVersion", "the record has v2 fields (name, issuerCode, ...) but no recordVersion 2")
	}
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

// checkBatch adds the rules of a v2 record that belongs to a batch of issuer
// signed with keyID (v1 records check the same in Validate).
func (r Record) checkBatch(fe *wire.FieldErrors, issuer, keyID string) {
	if r.Issuer != issuer {
		fe.Add("issuer", "%q is not the batch's issuer %q", r.Issuer, issuer)
	}
	if r.KeyID != keyID {
		fe.Add("keyId", "%q is not the batch's key %q", r.KeyID, keyID)
	}
	if r.Supersedes != "" {
		fe.Add("supersedes", "a batched record cannot supersede; use certificate:Supersede")
	}
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
// keys sorted, no newline) to dst: r.Certificate().AppendSignedJSON, the part
// of its Payload after its prefix — canon.Payload(canon.KindCertificate, r) for
// a v1 record, the signed view of canon.KindCertificateV2 for a v2 one (tests
// check both) — which costs no reflection.
func AppendLine(dst []byte, r *Record) ([]byte, error) {
	if r.RecordVersion != 0 && r.RecordVersion != certificate.RecordV2 {
		return dst, fmt.Errorf("record %s: recordVersion %d is not a batch record kind (v1 or %d)", r.ID, r.RecordVersion, certificate.RecordV2)
	}
	c := r.Certificate()
	return c.AppendSignedJSON(dst)
}

// lineFields are the JSON names of a v1 line's fields in canonical (sorted)
// order; lineFieldsV2 a v2 line's, "extensions" (an object) second.
var (
	lineFields   = [...]string{"docHash", "holderCommitment", "id", "issuer", "keyId", "supersedes", "type", "validFrom", "validUntil"}
	lineFieldsV2 = [...]string{"docHash", "extensions", "holderCodeCommitment", "holderCodeType", "holderNameCommitment", "id", "issueDate",
		"issuer", "issuerCode", "issuerName", "keyId", "name", "supersedes", "type", "validFrom", "validUntil"}
)

// ParseLine decodes one batch file line (without its newline) and checks that
// it is canonical: re-encoding it gives the same bytes. The line says its kind
// (a v1 and a v2 line have different fields; the result's RecordVersion is 0 or
// certificate.RecordV2); the caller checks it is the header's. A line without
// escapes is read in one pass (the canonical form is unique, so reading the
// fields in their one possible order is the same check); others go through
// encoding/json.
func ParseLine(line []byte) (Record, error) {
	var r Record
	if parseCanonical(line, &r) || parseCanonicalV2(line, &r) {
		return r, nil
	}
	return parseSlow(line)
}

// parseCanonical reads a canonical v1 line with no escapes; false means "use
// the slow path" (an escape, or a line that is not canonical v1).
func parseCanonical(line []byte, r *Record) bool {
	dst := [...]*string{&r.DocHash, &r.HolderCommitment, &r.ID, &r.Issuer, &r.KeyID, &r.Supersedes, &r.Type, &r.ValidFrom, &r.ValidUntil}
	p, ok := openObject(line)
	for i := 0; ok && i < len(lineFields); i++ {
		p, ok = readField(p, i, lineFields[i], dst[i])
	}
	return ok && len(p) == 1 && p[0] == '}'
}

// parseCanonicalV2 reads a canonical v2 line whose strings have no escapes.
func parseCanonicalV2(line []byte, r *Record) bool {
	var v Record
	dst := [...]*string{&v.DocHash, nil, &v.HolderCodeCommitment, &v.HolderCodeType, &v.HolderNameCommitment, &v.ID, &v.IssueDate,
		&v.Issuer, &v.IssuerCode, &v.IssuerName, &v.KeyID, &v.Name, &v.Supersedes, &v.Type, &v.ValidFrom, &v.ValidUntil}
	p, ok := openObject(line)
	for i := 0; ok && i < len(lineFieldsV2); i++ {
		if dst[i] == nil {
			p, ok = readExtensions(p, &v.Extensions)
			continue
		}
		p, ok = readField(p, i, lineFieldsV2[i], dst[i])
	}
	if !ok || len(p) != 1 || p[0] != '}' {
		return false
	}
	v.RecordVersion = certificate.RecordV2
	*r = v
	return true
}

func openObject(line []byte) ([]byte, bool) {
	if len(line) == 0 || line[0] != '{' {
		return nil, false
	}
	return line[1:], true
}

// readField reads `,"name":"value"` (no comma for field 0) into *dst.
func readField(p []byte, i int, name string, dst *string) ([]byte, bool) {
	p, ok := readKey(p, i, name)
	if !ok {
		return nil, false
	}
	s, p, ok := readString(p)
	if ok {
		*dst = s
	}
	return p, ok
}

// readKey reads `,"name":` (no comma for field 0).
func readKey(p []byte, i int, name string) ([]byte, bool) {
	if i > 0 {
		if len(p) == 0 || p[0] != ',' {
			return nil, false
		}
		p = p[1:]
	}
	if len(p) < len(name)+3 || p[0] != '"' || string(p[1:1+len(name)]) != name || p[1+len(name)] != '"' || p[2+len(name)] != ':' {
		return nil, false
	}
	return p[3+len(name):], true
}

// readString reads a JSON string without escapes or control characters.
func readString(p []byte) (string, []byte, bool) {
	if len(p) == 0 || p[0] != '"' {
		return "", nil, false
	}
	for j := 1; j < len(p); j++ {
		c := p[j]
		if c == '"' {
			if !utf8.Valid(p[1:j]) {
				return "", nil, false
			}
			return string(p[1:j]), p[j+1:], true
		}
		if c == '\\' || c < 0x20 {
			return "", nil, false
		}
	}
	return "", nil, false
}

// readExtensions reads `,"extensions":{"K":"V",...}` whose strings have no
// escapes, and keeps it only when it is the canonical object (keys sorted,
// distinct, bounds aside: certificate.ExtensionsFromCanonical): what the slow
// path's re-encoding would give.
func readExtensions(p []byte, e *certificate.Extensions) ([]byte, bool) {
	p, ok := readKey(p, 1, "extensions")
	if !ok || len(p) == 0 || p[0] != '{' {
		return nil, false
	}
	obj := p
	p = p[1:]
	for n := 0; len(p) > 0 && p[0] != '}'; n++ {
		if n > 0 {
			if p[0] != ',' {
				return nil, false
			}
			p = p[1:]
		}
		if _, p, ok = readString(p); !ok || len(p) == 0 || p[0] != ':' {
			return nil, false
		}
		if _, p, ok = readString(p[1:]); !ok {
			return nil, false
		}
	}
	if len(p) == 0 {
		return nil, false
	}
	if *e, ok = certificate.ExtensionsFromCanonical(obj[:len(obj)-len(p)+1]); !ok {
		return nil, false
	}
	return p[1:], true
}

// parseSlow decodes a line with encoding/json and keeps it only when it is the
// canonical line of a v1 or of a v2 record.
func parseSlow(line []byte) (Record, error) {
	var r Record
	if err := json.Unmarshal(line, &r); err != nil {
		return r, fmt.Errorf("not a JSON record: %w", err)
	}
	for _, v := range [...]int{0, certificate.RecordV2} {
		r.RecordVersion = v
		again, err := AppendLine(make([]byte, 0, len(line)), &r)
		if err != nil {
			return r, err
		}
		if string(again) == string(line) {
			return r, nil
		}
	}
	r.RecordVersion = 0
	return r, fmt.Errorf("record %s is not in canonical form (a v1 or v2 record: keys sorted, every field present, no spaces)", r.ID)
}

// LeafData returns the Merkle leaf of a line: recordKind + "\n" + line.
func LeafData(dst []byte, recordKind string, line []byte) []byte {
	dst = append(dst, recordKind...)
	dst = append(dst, '\n')
	return append(dst, line...)
}

// Leaf returns r's Merkle leaf, r.Kind() + "\n" + its line: the payload its
// certificate's signature would cover (certificate.Record.Payload).
func Leaf(r *Record) ([]byte, error) {
	line, err := AppendLine(make([]byte, 0, 768), r)
	if err != nil {
		return nil, err
	}
	return LeafData(make([]byte, 0, len(line)+len(RecordKindV2)+1), r.Kind(), line), nil
}

// CertificatePayload returns the bytes c's SM2 signature covers,
// c.Payload() — also the batch leaf of c's record — built without reflection
// (a grouped issue checks hundreds per transaction; tests compare it to canon).
func CertificatePayload(c certificate.Record) ([]byte, error) {
	r := FromCertificate(c)
	return Leaf(&r)
}
