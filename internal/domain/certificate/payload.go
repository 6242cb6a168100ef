package certificate

import (
	"fmt"

	"github.com/certledger/certledger/internal/canon"
)

// The payload prefixes of the two record kinds (canon.Prefix).
var (
	prefixV1 = canon.Prefix(canon.KindCertificate)
	prefixV2 = canon.Prefix(canon.KindCertificateV2)
)

// Payload returns the canonical bytes r's signature covers (and, without a
// signature, the leaf of a batched record): canon.Payload of r.Signed(), built
// without reflection (verify computes it for every batched certificate's
// Merkle leaf and every signature memo lookup; tests compare it to canon).
func (r Record) Payload() ([]byte, error) {
	p, err := r.AppendPayload(make([]byte, 0, 1024))
	if err != nil {
		// Only a string that is not valid UTF-8 fails here. canon.Payload sees
		// the record through encoding/json, which signs U+FFFD in its place:
		// its bytes are the payload.
		kind, v := r.Signed()
		return canon.Payload(kind, v)
	}
	return p, nil
}

// AppendPayload appends r's payload (Payload) to dst; it fails on a string
// that is not valid UTF-8 (which Payload leaves to canon).
func (r *Record) AppendPayload(dst []byte) ([]byte, error) {
	if r.RecordVersion == RecordV2 {
		dst = append(dst, prefixV2...)
	} else {
		dst = append(dst, prefixV1...)
	}
	return r.AppendSignedJSON(dst)
}

// AppendSignedJSON appends the canonical JSON of r's signed fields (keys
// sorted, no spaces: the payload after its prefix, and a batch file's line) to
// dst; it fails on a string that is not valid UTF-8.
func (r *Record) AppendSignedJSON(dst []byte) ([]byte, error) {
	if r.RecordVersion == RecordV2 {
		f := v2Fields(r)
		return appendFields(dst, r.ID, f[:], &r.Extensions)
	}
	f := v1Fields(r)
	return appendFields(dst, r.ID, f[:], nil)
}

// field is one string field of a payload: its JSON name and value.
type field struct{ name, value string }

// v1Fields and v2Fields are a record's signed string fields in canonical
// (sorted) order; a v2 payload's "extensions" object comes second (after docHash).
func v1Fields(r *Record) [9]field {
	return [...]field{
		{"docHash", r.DocHash}, {"holderCommitment", r.HolderCommitment}, {"id", r.ID}, {"issuer", r.Issuer},
		{"keyId", r.KeyID}, {"supersedes", r.Supersedes}, {"type", r.Type}, {"validFrom", r.ValidFrom}, {"validUntil", r.ValidUntil},
	}
}

func v2Fields(r *Record) [15]field {
	return [...]field{
		{"docHash", r.DocHash}, {"holderCodeCommitment", r.HolderCodeCommitment}, {"holderCodeType", r.HolderCodeType},
		{"holderNameCommitment", r.HolderNameCommitment}, {"id", r.ID}, {"issueDate", r.IssueDate}, {"issuer", r.Issuer},
		{"issuerCode", r.IssuerCode}, {"issuerName", r.IssuerName}, {"keyId", r.KeyID}, {"name", r.Name},
		{"supersedes", r.Supersedes}, {"type", r.Type}, {"validFrom", r.ValidFrom}, {"validUntil", r.ValidUntil},
	}
}

// appendFields writes {"f0":v0,["extensions":{...},]"f1":v1,...}: ext, when
// set, is written after the first field (docHash).
func appendFields(dst []byte, id string, fields []field, ext *Extensions) ([]byte, error) {
	var err error
	dst = append(dst, '{')
	for i, f := range fields {
		if i > 0 {
			dst = append(dst, ',')
		}
		if i == 1 && ext != nil {
			dst = append(dst, `"extensions":`...)
			dst = ext.AppendJSON(dst)
			dst = append(dst, ',')
		}
		dst = append(dst, '"')
		dst = append(dst, f.name...)
		dst = append(dst, '"', ':')
		if dst, err = canon.AppendString(dst, f.value); err != nil {
			return dst, fmt.Errorf("record %s field %s: %w", id, f.name, err)
		}
	}
	return append(dst, '}'), nil
}
