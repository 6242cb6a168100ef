// Package certtype holds the rules of the certificate type catalogue (证照类型目录):
// the governance office registers each type — its GB/T 36904 type code, its name in
// Chinese and English, the body that defines it, the holder code type, a default
// validity — and names the departments that may issue it. Issuing a certificate of
// a type outside the catalogue, or of a type the department may not issue, is
// FORBIDDEN. It imports no Fabric package.
package certtype

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/identifier"
	"github.com/certledger/certledger/internal/domain/wire"
)

// MaxIssuers bounds the departments that may issue one type.
const MaxIssuers = 500

// Type is one entry of the catalogue as the ledger stores it.
type Type struct {
	Code             string   `json:"code"`             // 21: defining body's USCC + 3-digit sequence
	Name             string   `json:"name"`             // 证照类型名称, Chinese
	NameEn           string   `json:"nameEn"`           // English name
	DefiningBody     string   `json:"definingBody"`     // 定义机构 name
	DefiningBodyCode string   `json:"definingBodyCode"` // its USCC = Code[:18]
	HolderCodeType   string   `json:"holderCodeType"`   // 持证主体代码类型, 3 digits
	DefaultValidity  string   `json:"defaultValidity"`  // P<n>Y, P<n>M or P<n>D; "" = no end (长期)
	Issuers          []string `json:"issuers"`          // department ids that may issue it, sorted
	CreatedAt        string   `json:"createdAt"`
	UpdatedAt        string   `json:"updatedAt"`
	TxID             string   `json:"txId"`
}

// Registration is the input of certtype:Register.
type Registration struct {
	Code            string   `json:"code"`
	Name            string   `json:"name"`
	NameEn          string   `json:"nameEn"`
	DefiningBody    string   `json:"definingBody"`
	HolderCodeType  string   `json:"holderCodeType"`
	DefaultValidity string   `json:"defaultValidity"`
	Issuers         []string `json:"issuers"`
}

// Holder code types (持证主体代码类型) that have a name here; the catalogue may use
// any other three-digit code.
const (
	HolderCitizenID = "111" // 居民身份证号码, citizen identity number
	HolderUSCC      = "001" // 统一社会信用代码, unified social credit code
)

// HolderCodeTypeName returns the English and Chinese names of a holder code type
// ("" for a code without a name here).
func HolderCodeTypeName(code string) (en, zh string) {
	switch code {
	case HolderCitizenID:
		return "citizen identity number", "居民身份证号码"
	case HolderUSCC:
		return "unified social credit code", "统一社会信用代码"
	}
	return "", ""
}

// CheckHolderCode checks a holder's code against its code type where this package
// knows the rule (GB 11643 for 111, GB 32100 for 001); other types only need a
// printable value. It runs on the issuer's machine: the ledger only ever sees the
// code's salted commitment.
func CheckHolderCode(codeType, code string) error {
	switch codeType {
	case HolderCitizenID:
		return identifier.CheckCitizenID(code)
	case HolderUSCC:
		return identifier.CheckUSCC(code)
	}
	if strings.TrimSpace(code) == "" || strings.IndexFunc(code, unicode.IsControl) >= 0 {
		return codes.Wrap(codes.ErrInvalidArgument, "holder code must be printable and not empty")
	}
	return nil
}

// Validate checks every field of r; the problems are listed field by field.
func (r Registration) Validate() error {
	var fe wire.FieldErrors
	if err := identifier.CheckTypeCode(r.Code); err != nil {
		fe.Add("code", "%s", codes.Message(err))
	}
	fe.Text("name", r.Name, 100)
	fe.Text("nameEn", r.NameEn, 200)
	fe.Text("definingBody", r.DefiningBody, 200)
	if !ValidHolderCodeType(r.HolderCodeType) {
		fe.Add("holderCodeType", "want 3 digits (111 citizen identity number, 001 unified social credit code, ...), got %q", r.HolderCodeType)
	}
	if r.DefaultValidity != "" {
		if _, err := ParseValidity(r.DefaultValidity); err != nil {
			fe.Add("defaultValidity", "%s", codes.Message(err))
		}
	}
	if len(r.Issuers) > MaxIssuers {
		fe.Add("issuers", "at most %d departments", MaxIssuers)
	}
	for i, d := range r.Issuers {
		field := fmt.Sprintf("issuers[%d]", i)
		if fe.DeptID(field, d) && slices.Contains(r.Issuers[:i], d) {
			fe.Add(field, "%q is listed twice", d)
		}
	}
	return fe.Err()
}

// New validates r and returns the type registered at time at by transaction txID.
// The defining body's code is the first 18 characters of the type code.
func New(r Registration, at time.Time, txID string) (Type, error) {
	if err := r.Validate(); err != nil {
		return Type{}, err
	}
	issuers := append([]string{}, r.Issuers...)
	slices.Sort(issuers)
	t := wire.FormatTime(at)
	return Type{
		Code: r.Code, Name: r.Name, NameEn: r.NameEn,
		DefiningBody: r.DefiningBody, DefiningBodyCode: r.Code[:identifier.USCCLength],
		HolderCodeType: r.HolderCodeType, DefaultValidity: r.DefaultValidity,
		Issuers: issuers, CreatedAt: t, UpdatedAt: t, TxID: txID,
	}, nil
}

// MayIssue returns nil when department dept may issue t, else FORBIDDEN.
func (t Type) MayIssue(dept string) error {
	if _, ok := slices.BinarySearch(t.Issuers, dept); ok {
		return nil
	}
	return codes.Wrap(codes.ErrForbidden, "department %s may not issue certificate type %s (%s); the governance office grants it with certtype:Grant", dept, t.Code, t.Name)
}

// Grant lets department dept issue t (CONFLICT when it already may).
func (t *Type) Grant(dept string, at time.Time, txID string) error {
	var fe wire.FieldErrors
	if !fe.DeptID("department", dept) {
		return fe.Err()
	}
	i, ok := slices.BinarySearch(t.Issuers, dept)
	if ok {
		return codes.Wrap(codes.ErrConflict, "department %s may already issue type %s", dept, t.Code)
	}
	if len(t.Issuers) >= MaxIssuers {
		return codes.Wrap(codes.ErrInvalidArgument, "type %s already has %d issuing departments", t.Code, MaxIssuers)
	}
	t.Issuers = slices.Insert(t.Issuers, i, dept)
	t.touch(at, txID)
	return nil
}

// Revoke withdraws department dept's right to issue t (NOT_FOUND when it had
// none). Certificates it issued before stay as they are.
func (t *Type) Revoke(dept string, at time.Time, txID string) error {
	i, ok := slices.BinarySearch(t.Issuers, dept)
	if !ok {
		return codes.Wrap(codes.ErrNotFound, "department %s may not issue type %s", dept, t.Code)
	}
	t.Issuers = slices.Delete(t.Issuers, i, i+1)
	t.touch(at, txID)
	return nil
}

func (t *Type) touch(at time.Time, txID string) {
	t.UpdatedAt = wire.FormatTime(at)
	t.TxID = txID
}

// Validity is a default validity period: years, months or days.
type Validity struct {
	N    int
	Unit byte // 'Y', 'M' or 'D'
}

// ParseValidity reads "P<n>Y", "P<n>M" or "P<n>D" (ISO 8601 durations of one
// unit), 1 <= n <= 100 years, 1200 months or 36500 days.
func ParseValidity(s string) (Validity, error) {
	if len(s) < 3 || s[0] != 'P' {
		return Validity{}, codes.Wrap(codes.ErrInvalidArgument, "validity %q: want P<n>Y, P<n>M or P<n>D (such as P5Y)", s)
	}
	unit := s[len(s)-1]
	n := 0
	for _, c := range s[1 : len(s)-1] {
		if c < '0' || c > '9' || n > 100000 {
			return Validity{}, codes.Wrap(codes.ErrInvalidArgument, "validity %q: want P<n>Y, P<n>M or P<n>D (such as P5Y)", s)
		}
		n = n*10 + int(c-'0')
	}
	max := map[byte]int{'Y': 100, 'M': 1200, 'D': 36500}[unit]
	if max == 0 || n < 1 || n > max {
		return Validity{}, codes.Wrap(codes.ErrInvalidArgument, "validity %q: want P<n>Y (n <= 100), P<n>M (n <= 1200) or P<n>D (n <= 36500)", s)
	}
	return Validity{N: n, Unit: unit}, nil
}

// Until returns the end of a validity starting at from, or false when t has no
// default validity (no end).
func (t Type) Until(from time.Time) (time.Time, bool) {
	if t.DefaultValidity == "" {
		return time.Time{}, false
	}
	v, err := ParseValidity(t.DefaultValidity)
	if err != nil {
		return time.Time{}, false
	}
	switch v.Unit {
	case 'Y':
		return from.AddDate(v.N, 0, 0), true
	case 'M':
		return from.AddDate(0, v.N, 0), true
	default:
		return from.AddDate(0, 0, v.N), true
	}
}

// ValidHolderCodeType reports whether s is a holder code type: 3 digits.
func ValidHolderCodeType(s string) bool {
	return len(s) == 3 && strings.Trim(s, "0123456789") == ""
}

// Info is what a verifier shows of a type: its code, names and defining body.
type Info struct {
	Code             string `json:"code"`
	Name             string `json:"name"`
	NameEn           string `json:"nameEn"`
	DefiningBody     string `json:"definingBody"`
	DefiningBodyCode string `json:"definingBodyCode"`
	HolderCodeType   string `json:"holderCodeType"`
}

// Info returns t's Info.
func (t Type) Info() Info {
	return Info{Code: t.Code, Name: t.Name, NameEn: t.NameEn, DefiningBody: t.DefiningBody,
		DefiningBodyCode: t.DefiningBodyCode, HolderCodeType: t.HolderCodeType}
}
