package record

import (
	"fmt"
	"strings"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"

	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/domain/certtype"
	"github.com/certledger/certledger/internal/domain/identifier"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/gm"
)

// V2 is what a department needs to build v2 records (GB/T 36903 metadata, a
// GB/T 36904 identifier as id): its registered name and unified social credit
// code, and the catalogue type it issues.
type V2 struct {
	Name string                // the department's registered name (the records' issuerName)
	Code string                // its unified social credit code (the records' issuerCode)
	Type certtype.Registration // the type its records are of
}

// DemoType is the business licence of the demo catalogue (docs/identifiers.md):
// holder code type 001 (unified social credit code), 20 years by default.
func DemoType() certtype.Registration {
	return certtype.Registration{
		Code: "11100000MB0143028R001", Name: "营业执照", NameEn: "Business licence",
		DefiningBody: "国家市场监督管理总局", HolderCodeType: certtype.HolderUSCC, DefaultValidity: "P20Y",
		Issuers: []string{},
	}
}

// DemoCode is a fictitious unified social credit code with a valid check
// character, for a department of a fresh ledger (make up's dept-a holds it too).
const DemoCode = "11330100MB1234567E"

// CodeFor returns a unified social credit code made from seed (its check
// character computed): a distinct code per department on a ledger that keeps
// its registry between runs. seed's letters and digits are used, upper case.
func CodeFor(seed string) string {
	const n = identifier.USCCLength - 1
	var b strings.Builder
	b.WriteString("91")
	for _, r := range strings.ToUpper(seed) {
		if b.Len() == n {
			break
		}
		if strings.ContainsRune(identifier.USCCAlphabet, r) {
			b.WriteRune(r)
		}
	}
	for b.Len() < n {
		b.WriteByte('0')
	}
	c, _ := identifier.USCCCheckChar(b.String()) // 17 characters of the alphabet
	return b.String() + string(c)
}

// UseV2 makes d build v2 records from now on: Certificate and Certificates return
// records of v.Type with identifiers of v.Code, and Registration carries the code.
func (d *Dept) UseV2(v V2) error {
	if err := identifier.CheckUSCC(v.Code); err != nil {
		return err
	}
	t := v.Type
	t.Issuers = []string{d.ID}
	if err := t.Validate(); err != nil {
		return err
	}
	v.Type = t
	d.v2 = &v
	return nil
}

// TypeRegistration is the certtype:Register input of d's v2 type with d as its
// issuer (nil before UseV2).
func (d *Dept) TypeRegistration() *certtype.Registration {
	if d.v2 == nil {
		return nil
	}
	t := d.v2.Type
	return &t
}

// RegisterV2 registers d (with its code and name) and its type with d as the
// issuer, through gov (the governance admin's contract). The type must not be in
// the catalogue yet. Registering a type puts the catalogue in force on that
// ledger: from then on it refuses v1 records.
func (d *Dept) RegisterV2(gov *client.Contract) error {
	if d.v2 == nil {
		return codes.Wrap(codes.ErrInvalidArgument, "department %s builds v1 records: call UseV2 first", d.ID)
	}
	if _, err := gov.SubmitTransaction("registry:RegisterDepartment", JSON(d.Registration(d.v2.Name))); err != nil {
		return err
	}
	_, err := gov.SubmitTransaction("certtype:Register", JSON(d.TypeRegistration()))
	return err
}

// Serial is the GB/T 36904 serial d's v2 record built for id gets: id's letters
// and digits, upper case, the last 40 of them (where a counter sits).
func Serial(id string) string {
	var b []byte
	for _, r := range strings.ToUpper(id) {
		if r < 128 && strings.ContainsRune(identifier.Alphabet37, r) {
			b = append(b, byte(r))
		}
	}
	if len(b) > 40 {
		b = b[len(b)-40:]
	}
	return string(b)
}

// Identifier returns the GB/T 36904 identifier of the record v builds for id
// (version 001).
func (v V2) Identifier(id string) (string, error) {
	x, err := identifier.New(v.Type.Code, v.Code, Serial(id), "001")
	if err != nil {
		return "", fmt.Errorf("record id %q: %w", id, err)
	}
	return x.String(), nil
}

// certificateV2 is Certificate for a department that builds v2 records: the
// identifier is built from id (Serial), the holder's name and code are committed
// to with two fresh salts, issueDate is validFrom's date in UTC.
func (d *Dept) certificateV2(id string, doc []byte, validFrom, validUntil time.Time) (certificate.Record, error) {
	v := d.v2
	xid, err := v.Identifier(id)
	if err != nil {
		return certificate.Record{}, err
	}
	nameSalt, err := gm.NewSalt()
	if err != nil {
		return certificate.Record{}, err
	}
	codeSalt, err := gm.NewSalt()
	if err != nil {
		return certificate.Record{}, err
	}
	rec := certificate.Record{Fields: certificate.Fields{
		RecordVersion: certificate.RecordV2, ID: xid, DocHash: gm.SM3Hex(doc), Type: v.Type.Code, Name: v.Type.Name,
		Issuer: d.ID, IssuerName: v.Name, IssuerCode: v.Code, IssueDate: validFrom.UTC().Format(certificate.DateLayout),
		HolderCodeType:       v.Type.HolderCodeType,
		HolderNameCommitment: certificate.Commit(nameSalt, "ACME Ltd "+id),
		HolderCodeCommitment: certificate.Commit(codeSalt, "91350100M000100Y43"),
		ValidFrom:            wire.FormatTime(validFrom), KeyID: d.KeyID,
	}}
	if !validUntil.IsZero() {
		rec.ValidUntil = wire.FormatTime(validUntil)
	}
	rec.Signature, err = rec.Sign(d.Key)
	return rec, err
}
