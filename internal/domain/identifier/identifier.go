package identifier

import (
	"strconv"
	"strings"
)

// Prefix is the object identifier arc that starts every GB/T 36904 e-certificate
// identifier (1.2.156 = China, 3005 = e-certificates, 2 = certificate identifiers).
const Prefix = "1.2.156.3005.2."

// Lengths of the fixed parts.
const (
	TypeCodeLength = USCCLength + 3 // defining body's USCC + 3-digit sequence
	VersionLength  = 3
	MaxSerial      = 40 // keeps an identifier within the 128-character record id
)

const (
	whatIdentifier = "GB/T 36904 identifier"
	whatTypeCode   = "certificate type code"
	whatSerial     = "serial"
	whatVersion    = "version"
)

// Identifier is a GB/T 36904 e-certificate identifier split into its parts.
type Identifier struct {
	TypeCode   string `json:"typeCode"`   // 21: defining body's USCC + 3-digit sequence
	IssuerCode string `json:"issuerCode"` // 18: issuing organisation's USCC
	Serial     string `json:"serial"`     // the issuing organisation's number, 1-40 of 0-9A-Z
	Version    string `json:"version"`    // 3 digits
	Check      string `json:"check"`      // ISO/IEC 7064 MOD 37,36 over the four parts
}

// String renders the identifier: Prefix + type.issuer.serial.version.check.
func (id Identifier) String() string {
	return Prefix + id.TypeCode + "." + id.IssuerCode + "." + id.Serial + "." + id.Version + "." + id.Check
}

// Looks reports whether s claims to be a GB/T 36904 identifier (starts with
// Prefix). Such a string must then Parse; anything else is a free-form id.
func Looks(s string) bool { return strings.HasPrefix(s, Prefix) }

// CheckTypeCode validates a certificate type code: a valid USCC (the defining
// body's) followed by three digits.
func CheckTypeCode(code string) error {
	if e := checkTypeCode(code); e != nil {
		return e
	}
	return nil
}

func checkTypeCode(code string) *Error {
	if len(code) != TypeCodeLength {
		return malformed(whatTypeCode, code, "want 21 characters: the defining body's 18-character unified social credit code and a 3-digit sequence, got "+itoa(len(code)))
	}
	if !allDigits(code[USCCLength:]) {
		return malformed(whatTypeCode, code, "the last 3 characters (the sequence) must be digits")
	}
	if e := checkUSCC(code[:USCCLength]); e != nil {
		return &Error{What: whatTypeCode, Value: code, Reason: "defining body code " + strconv.Quote(code[:USCCLength]) + ": " + e.Reason, Expected: e.Expected, Err: e.Err}
	}
	return nil
}

// CheckSerial validates a serial: 1-40 characters of 0-9A-Z.
func CheckSerial(serial string) error {
	if e := checkSerial(serial); e != nil {
		return e
	}
	return nil
}

func checkSerial(serial string) *Error {
	if serial == "" || len(serial) > MaxSerial {
		return malformed(whatSerial, serial, "want 1-"+itoa(MaxSerial)+" characters of 0-9 and A-Z, got "+itoa(len(serial)))
	}
	for i := 0; i < len(serial); i++ {
		if strings.IndexByte(Alphabet37, serial[i]) < 0 {
			return malformed(whatSerial, serial, "character "+itoa(i+1)+" "+quoteByte(serial[i])+" is not one of 0-9 and A-Z (upper case)")
		}
	}
	return nil
}

// CheckVersion validates a version: exactly 3 digits.
func CheckVersion(v string) error {
	if len(v) != VersionLength || !allDigits(v) {
		return malformed(whatVersion, v, "want 3 digits, such as 001")
	}
	return nil
}

// New builds the identifier of a certificate from its parts and computes the
// check character. Every part is validated (the codes with their own check).
func New(typeCode, issuerCode, serial, version string) (Identifier, error) {
	if err := CheckTypeCode(typeCode); err != nil {
		return Identifier{}, err
	}
	if e := checkUSCC(issuerCode); e != nil {
		e.What = "issuing organisation code (" + e.What + ")"
		return Identifier{}, e
	}
	if err := CheckSerial(serial); err != nil {
		return Identifier{}, err
	}
	if err := CheckVersion(version); err != nil {
		return Identifier{}, err
	}
	c, _ := CheckChar37(typeCode + issuerCode + serial + version)
	return Identifier{TypeCode: typeCode, IssuerCode: issuerCode, Serial: serial, Version: version, Check: string(c)}, nil
}

// Parse reads and checks a GB/T 36904 identifier. In order: the prefix and the
// five dot-separated parts (shape), the MOD 37,36 check character over type code,
// issuing organisation code, serial and version (a wrong one is named with the
// expected one), then the two unified social credit codes' own check characters.
func Parse(s string) (Identifier, error) {
	if !Looks(s) {
		return Identifier{}, malformed(whatIdentifier, s, "must start with "+Prefix)
	}
	parts := strings.Split(s[len(Prefix):], ".")
	if len(parts) != 5 {
		return Identifier{}, malformed(whatIdentifier, s, "want "+Prefix+"<type code>.<issuing organisation code>.<serial>.<version>.<check>, got "+itoa(len(parts))+" parts after the prefix")
	}
	id := Identifier{TypeCode: parts[0], IssuerCode: parts[1], Serial: parts[2], Version: parts[3], Check: parts[4]}
	switch {
	case len(id.TypeCode) != TypeCodeLength:
		return id, malformed(whatIdentifier, s, "the type code has "+itoa(len(id.TypeCode))+" characters, want 21")
	case len(id.IssuerCode) != USCCLength:
		return id, malformed(whatIdentifier, s, "the issuing organisation code has "+itoa(len(id.IssuerCode))+" characters, want 18")
	case len(id.Check) != 1 || strings.IndexByte(Alphabet37, id.Check[0]) < 0:
		return id, malformed(whatIdentifier, s, "the check part must be one character of 0-9 and A-Z")
	}
	if e := checkSerial(id.Serial); e != nil {
		return id, malformed(whatIdentifier, s, e.Reason+" (serial)")
	}
	if err := CheckVersion(id.Version); err != nil {
		return id, malformed(whatIdentifier, s, "the version must be 3 digits")
	}
	body := id.TypeCode + id.IssuerCode + id.Serial + id.Version
	want, ok := CheckChar37(body)
	if !ok {
		return id, malformed(whatIdentifier, s, "the type and issuing organisation codes must be characters of 0-9 and A-Z (upper case)")
	}
	if id.Check[0] != want {
		return id, wrongCheck(whatIdentifier, s, id.Check[0], want, "ISO/IEC 7064 MOD 37,36")
	}
	// The identifier's own check passed; the codes inside carry theirs.
	if e := checkTypeCode(id.TypeCode); e != nil {
		return id, &Error{What: whatIdentifier, Value: s, Reason: "type code: " + e.Reason, Expected: e.Expected, Err: e.Err}
	}
	if e := checkUSCC(id.IssuerCode); e != nil {
		return id, &Error{What: whatIdentifier, Value: s, Reason: "issuing organisation code " + strconv.Quote(id.IssuerCode) + ": " + e.Reason, Expected: e.Expected, Err: e.Err}
	}
	return id, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func itoa(n int) string { return strconv.Itoa(n) }

func quoteByte(b byte) string {
	if b < 0x20 || b >= 0x7f {
		return strconv.Quote(string([]byte{b}))
	}
	return strconv.QuoteRune(rune(b))
}
