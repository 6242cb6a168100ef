package issue

import (
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/certledger/certledger/cli/internal/client"
	"github.com/certledger/certledger/cli/internal/receipt"
	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/domain/certtype"
	"github.com/certledger/certledger/internal/domain/identifier"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/gm"
)

// DefaultVersion is the identifier version of a first issue.
const DefaultVersion = "001"

// V2 is what a v2 certificate (GB/T 36903 metadata, GB/T 36904 identifier) needs
// beyond a Request: the catalogue's type and the issuing department's registered
// code and name (both read from the ledger), the department's serial, and the
// holder's name (Request.HolderID is the holder's code).
type V2 struct {
	Type       certtype.Type
	DeptCode   string // the issuing department's unified social credit code
	DeptName   string // its registered full name (the record's issuerName)
	Serial     string
	Version    string            // "" = DefaultVersion
	Name       string            // certificate name; "" = the type's name
	HolderName string            // committed to with its own salt, never sent
	IssueDate  string            // YYYY-MM-DD; "" = today in Loc
	Extensions map[string]string // KZ_* sector fields
	Loc        *time.Location    // the issuer's time zone (issue date); nil = Asia/Shanghai
}

// Identifier returns the GB/T 36904 identifier v builds (check character computed).
func (v *V2) Identifier() (string, error) {
	ver := v.Version
	if ver == "" {
		ver = DefaultVersion
	}
	id, err := identifier.New(v.Type.Code, v.DeptCode, v.Serial, ver)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrInput, err)
	}
	return id.String(), nil
}

func (v *V2) loc() *time.Location {
	if v.Loc != nil {
		return v.Loc
	}
	if l, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return l
	}
	return time.FixedZone("CST", 8*3600)
}

// window returns the validity of a v2 record issued at now: --valid-from (else
// now) until --valid-until (else the type's default validity, else no end), both
// RFC 3339 UTC, checked against the ledger's bounds (CheckWindow) before signing.
func (v *V2) window(req Request, now time.Time) (from, until string, err error) {
	start := now.UTC().Truncate(time.Second)
	if req.ValidFrom != "" {
		s, err := NormalizeTime(req.ValidFrom, false)
		if err != nil {
			return "", "", err
		}
		start, _ = time.Parse(time.RFC3339, s) // NormalizeTime wrote it
	}
	switch {
	case req.ValidUntil != "":
		if until, err = NormalizeTime(req.ValidUntil, true); err != nil {
			return "", "", err
		}
	default:
		if t, ok := v.Type.Until(start); ok {
			until = wire.FormatSecond(t)
		}
	}
	from = wire.FormatSecond(start)
	if err := CheckWindow(from, until, now); err != nil {
		return "", "", err
	}
	return from, until, nil
}

// Unsigned builds, without a signature, the v2 record of req (document hash
// docHash) that department dept issues at now with key keyID, the holder's
// name and code committed to with nameSalt and codeSalt: its GB/T 36904
// identifier (req.ID, when set, must be it), validity window, issue date (in
// v.Loc), name and extensions. A single issue signs it; a batch carries it as
// a line (batch.FromCertificate).
func (v *V2) Unsigned(req Request, docHash, dept, keyID string, now time.Time, nameSalt, codeSalt []byte) (client.CertificateRecord, error) {
	var rec client.CertificateRecord
	if err := gm.CheckHash(docHash); err != nil {
		return rec, fmt.Errorf("%w: %w", ErrInput, err)
	}
	id, err := v.Identifier()
	if err != nil {
		return rec, err
	}
	if req.ID != "" && req.ID != id {
		return rec, fmt.Errorf("%w: --id %s is not the identifier %s built from the type, the department's code and the serial", ErrInput, req.ID, id)
	}
	if strings.TrimSpace(v.HolderName) == "" {
		return rec, fmt.Errorf("%w: the holder's name is empty", ErrInput)
	}
	if err := certtype.CheckHolderCode(v.Type.HolderCodeType, req.HolderID); err != nil {
		return rec, fmt.Errorf("%w: holder code (type %s): %w", ErrInput, v.Type.HolderCodeType, err)
	}
	now = now.In(v.loc())
	from, until, err := v.window(req, now)
	if err != nil {
		return rec, err
	}
	issueDate := v.IssueDate
	if issueDate == "" {
		issueDate = now.Format(certificate.DateLayout)
	}
	name := v.Name
	if name == "" {
		name = v.Type.Name
	}
	ext, err := certificate.NewExtensions(v.Extensions)
	if err != nil {
		return rec, fmt.Errorf("%w: %w", ErrInput, err)
	}
	return client.CertificateRecord{Fields: client.CertificateFields{
		RecordVersion: certificate.RecordV2, ID: id, DocHash: docHash, Type: v.Type.Code, Name: name,
		Issuer: dept, IssuerName: v.DeptName, IssuerCode: v.DeptCode, IssueDate: issueDate,
		HolderCodeType:       v.Type.HolderCodeType,
		HolderNameCommitment: certificate.Commit(nameSalt, v.HolderName),
		HolderCodeCommitment: certificate.Commit(codeSalt, req.HolderID),
		ValidFrom:            from, ValidUntil: until,
		Extensions: ext, KeyID: keyID, Supersedes: req.Supersedes,
	}}, nil
}

// buildV2 hashes the file, draws the two holder salts, signs the v2 record and
// returns its (pending) receipt.
func (is *Issuer) buildV2(req Request) (*receipt.Receipt, error) {
	docHash := req.DocHash
	if docHash == "" {
		h, _, err := gm.SM3File(req.File)
		if err != nil {
			return nil, fmt.Errorf("hashing document: %w", err)
		}
		docHash = h
	}
	nameSalt, err := gm.NewSalt()
	if err != nil {
		return nil, err
	}
	codeSalt, err := gm.NewSalt()
	if err != nil {
		return nil, err
	}
	rec, err := req.V2.Unsigned(req, docHash, is.Signer.Dept, is.Signer.KeyID, is.now(), nameSalt, codeSalt)
	if err != nil {
		return nil, err
	}
	if rec.Signature, err = rec.Sign(is.Signer.Key); err != nil {
		return nil, fmt.Errorf("signing record: %w", err)
	}
	if err := rec.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInput, err)
	}
	return is.receiptOf(rec, receipt.Holder{
		NameSalt: base64.StdEncoding.EncodeToString(nameSalt),
		CodeSalt: base64.StdEncoding.EncodeToString(codeSalt),
		Note:     receipt.SaltNoteV2,
	})
}
