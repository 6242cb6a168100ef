package certificate

import (
	"time"

	"github.com/emmansun/gmsm/sm2"

	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/certtype"
	"github.com/certledger/certledger/internal/domain/identifier"
	"github.com/certledger/certledger/internal/domain/registry"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/gm"
)

// RecordV2 is the RecordVersion of a record with GB/T 36903 metadata.
const RecordV2 = 2

// DateLayout is the layout of issueDate (颁发日期): a calendar date in the issuer's
// time zone.
const DateLayout = "2006-01-02"

// signedV2 is the view of a v2 record that canon.KindCertificateV2 signs: every
// field present, extensions always an object.
type signedV2 struct {
	ID                   string     `json:"id"`
	DocHash              string     `json:"docHash"`
	Type                 string     `json:"type"`
	Name                 string     `json:"name"`
	Issuer               string     `json:"issuer"`
	IssuerName           string     `json:"issuerName"`
	IssuerCode           string     `json:"issuerCode"`
	IssueDate            string     `json:"issueDate"`
	ValidFrom            string     `json:"validFrom"`
	ValidUntil           string     `json:"validUntil"`
	HolderCodeType       string     `json:"holderCodeType"`
	HolderNameCommitment string     `json:"holderNameCommitment"`
	HolderCodeCommitment string     `json:"holderCodeCommitment"`
	Extensions           Extensions `json:"extensions"`
	KeyID                string     `json:"keyId"`
	Supersedes           string     `json:"supersedes"`
}

// Signed returns the canon kind and the value whose payload r's signature covers:
// (KindCertificate, r) for a v1 record, (KindCertificateV2, its v2 view) for a v2 one.
func (r Record) Signed() (canon.Kind, any) {
	if r.RecordVersion != RecordV2 {
		return canon.KindCertificate, r
	}
	return canon.KindCertificateV2, signedV2{
		ID: r.ID, DocHash: r.DocHash, Type: r.Type, Name: r.Name, Issuer: r.Issuer,
		IssuerName: r.IssuerName, IssuerCode: r.IssuerCode, IssueDate: r.IssueDate,
		ValidFrom: r.ValidFrom, ValidUntil: r.ValidUntil, HolderCodeType: r.HolderCodeType,
		HolderNameCommitment: r.HolderNameCommitment, HolderCodeCommitment: r.HolderCodeCommitment,
		Extensions: r.Extensions, KeyID: r.KeyID, Supersedes: r.Supersedes,
	}
}

// Sign returns the base64 SM2 signature of r's payload by k.
func (r Record) Sign(k *sm2.PrivateKey) (string, error) {
	kind, v := r.Signed()
	return canon.Sign(k, kind, v)
}

// VerifySignature checks sig over r's payload with registry key k (the errors of
// registry.VerifyRecord).
func (r Record) VerifySignature(k registry.Key, sig string) error {
	kind, _ := r.Signed()
	payload, err := r.Payload()
	if err != nil {
		return codes.Wrap(codes.ErrInvalidArgument, "%s record: %v", kind, err)
	}
	return registry.VerifyPayload(k, kind, payload, sig)
}

// Identifier returns the parsed GB/T 36904 identifier of r, if its id is one.
func (r Record) Identifier() (identifier.Identifier, bool) {
	if !identifier.Looks(r.ID) {
		return identifier.Identifier{}, false
	}
	id, err := identifier.Parse(r.ID)
	return id, err == nil
}

func (r Record) isV2Shaped() bool {
	return r.Name != "" || r.IssuerName != "" || r.IssuerCode != "" || r.IssueDate != "" ||
		r.HolderCodeType != "" || r.HolderNameCommitment != "" || r.HolderCodeCommitment != "" || !r.Extensions.IsZero()
}

// checkV2 adds the field errors of a v2 record's own fields (Validate checks the
// fields v1 and v2 share): the id is a GB/T 36904 identifier whose type code is
// type and whose issuing organisation code is issuerCode; names are printable;
// issueDate is a date; the holder is present only as two SM3 commitments.
func (r Record) checkV2(fe *wire.FieldErrors) {
	id, idErr := identifier.Parse(r.ID)
	if idErr != nil {
		fe.Add("id", "%s", codes.Message(idErr))
	}
	fe.Hash("docHash", r.DocHash)
	switch {
	case idErr == nil && r.Type != id.TypeCode:
		fe.Add("type", "%q must be the identifier's type code %s", r.Type, id.TypeCode)
	case idErr != nil:
		if err := identifier.CheckTypeCode(r.Type); err != nil {
			fe.Add("type", "%s", codes.Message(err))
		}
	}
	fe.Text("name", r.Name, 100)
	fe.DeptID("issuer", r.Issuer)
	fe.Text("issuerName", r.IssuerName, 200)
	switch {
	case idErr == nil && r.IssuerCode != id.IssuerCode:
		fe.Add("issuerCode", "%q must be the identifier's issuing organisation code %s", r.IssuerCode, id.IssuerCode)
	case idErr != nil:
		if err := identifier.CheckUSCC(r.IssuerCode); err != nil {
			fe.Add("issuerCode", "%s", codes.Message(err))
		}
	}
	if _, err := time.Parse(DateLayout, r.IssueDate); err != nil {
		fe.Add("issueDate", "%q must be a date YYYY-MM-DD", r.IssueDate)
	}
	if r.HolderCommitment != "" {
		fe.Add("holderCommitment", "is a v1 field: a v2 record commits to the holder with holderNameCommitment and holderCodeCommitment")
	}
	if !certtype.ValidHolderCodeType(r.HolderCodeType) {
		fe.Add("holderCodeType", "%q must be 3 digits (111 citizen identity number, 001 unified social credit code, ...)", r.HolderCodeType)
	}
	nameOK := fe.Hash("holderNameCommitment", r.HolderNameCommitment)
	if fe.Hash("holderCodeCommitment", r.HolderCodeCommitment) && nameOK && r.HolderNameCommitment == r.HolderCodeCommitment {
		fe.Add("holderCodeCommitment", "must differ from holderNameCommitment (each has its own salt)")
	}
	r.Extensions.check(fe)
}

// Authorize checks a v2 record against the ledger's view of its issuer and type,
// as issue does before it writes anything:
//   - AuthorizeType: the type is in the catalogue and dept may issue it (FORBIDDEN);
//   - AuthorizeFields: the record's issuer code, name and holder code type are
//     the department's and the type's (FORBIDDEN, INVALID_ARGUMENT).
func Authorize(r Record, t *certtype.Type, dept registry.Department) error {
	if err := AuthorizeType(r.Type, t, dept); err != nil {
		return err
	}
	return AuthorizeFields(r, *t, dept)
}

// AuthorizeType decides whether department dept may issue certificates of
// catalogue type code, whose catalogue entry is t (nil: not in the catalogue).
// It is the per-type rule every issuing path of a v2 record applies — a single
// or grouped issue for its record (through Authorize), batch:Anchor for each
// type of a v2 batch header — and fails with FORBIDDEN when:
//   - the type is not in the catalogue;
//   - the catalogue does not name dept among the type's issuers;
//   - dept has no unified social credit code (it cannot build GB/T 36904 identifiers).
func AuthorizeType(code string, t *certtype.Type, dept registry.Department) error {
	if t == nil {
		return codes.Wrap(codes.ErrForbidden, "certificate type %s is not in the type catalogue (the governance office registers types with certtype:Register)", code)
	}
	if err := t.MayIssue(dept.ID); err != nil {
		return err
	}
	if dept.Code == "" {
		return codes.Wrap(codes.ErrForbidden, "department %s has no unified social credit code in the registry: it cannot issue GB/T 36904 identifiers", dept.ID)
	}
	return nil
}

// AuthorizeFields checks the fields of a v2 record that the registry and the
// catalogue decide, once AuthorizeType allowed its type t for dept:
//   - the record's issuerCode is dept's unified social credit code: FORBIDDEN;
//   - issuerName is the department's registered name: INVALID_ARGUMENT;
//   - holderCodeType is the one the catalogue gives the type: INVALID_ARGUMENT.
//
// The chaincode sees only a batch header's types, so for a batched v2 record
// the gateway's batch store runs it on every line of the file before storing
// it, and verification runs it on the record (Evaluate, step 6); the CLI builds
// batch records from the registry and the catalogue, so they pass it.
func AuthorizeFields(r Record, t certtype.Type, dept registry.Department) error {
	info := t.Info()
	return authorizeFields(r, &info, dept)
}

// authorizeFields is AuthorizeFields with the type's catalogue entry as
// verifiers see it; t nil (no catalogue at hand: offline) leaves holderCodeType
// unchecked.
func authorizeFields(r Record, t *certtype.Info, dept registry.Department) error {
	if r.IssuerCode != dept.Code {
		return codes.Wrap(codes.ErrForbidden, "issuerCode %s is not the code of department %s (%s)", r.IssuerCode, dept.ID, dept.Code)
	}
	var fe wire.FieldErrors
	if r.IssuerName != dept.Name {
		fe.Add("issuerName", "%q must be the registered name of department %s, %q", r.IssuerName, dept.ID, dept.Name)
	}
	if t != nil && r.HolderCodeType != t.HolderCodeType {
		fe.Add("holderCodeType", "%s: type %s (%s) takes holder code type %s", r.HolderCodeType, t.Code, t.Name, t.HolderCodeType)
	}
	return fe.Err()
}

// Commit returns the salted SM3 commitment to a holder's name or code,
// SM3(salt ‖ value) — the same construction as a v1 holderCommitment.
func Commit(salt []byte, value string) string { return gm.Commitment(salt, value) }
