package certificate

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"unicode/utf8"

	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/wire"
)

// Bounds of a record's extensions (sector fields, KZ_*).
const (
	MaxExtensions     = 32   // entries
	MaxExtensionValue = 256  // characters per value
	MaxExtensionBytes = 4096 // bytes of the canonical JSON object
)

// ExtensionKeyPattern is the shape of an extension's name: KZ_ and up to 40
// capitals, digits or underscores (扩展字段, as national platforms name them).
const ExtensionKeyPattern = `^KZ_[A-Z0-9_]{1,40}$`

var extKeyRE = regexp.MustCompile(ExtensionKeyPattern)

// Extensions are a certificate's optional sector fields: a map of strings held in
// its canonical JSON form (keys sorted, RFC 8785 style), so the value is immutable
// and comparable, and nil and empty marshal alike as {}. It is signed as part of a
// v2 record. Never put personal data in clear here.
type Extensions struct {
	canonical string // "" when empty, else the canonical JSON object
}

// NewExtensions builds Extensions from m and checks the bounds.
func NewExtensions(m map[string]string) (Extensions, error) {
	if len(m) == 0 {
		return Extensions{}, nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return Extensions{}, codes.Wrap(codes.ErrInvalidArgument, "extensions: %v", err)
	}
	var e Extensions
	if err := e.UnmarshalJSON(b); err != nil {
		return Extensions{}, err
	}
	return e, e.Validate()
}

// ExtensionsFromCanonical returns the Extensions whose canonical JSON object is
// b, and false when b is not exactly that form. An object of strings without
// escapes whose keys are ASCII is recognised in one pass (canonical when its
// keys are distinct and sorted); any other goes through UnmarshalJSON and is
// compared with its canonical form. Bounds are Validate's.
func ExtensionsFromCanonical(b []byte) (Extensions, bool) {
	if string(b) == "{}" {
		return Extensions{}, true
	}
	if canonicalASCII(b) {
		return Extensions{canonical: string(b)}, true
	}
	var e Extensions
	if err := e.UnmarshalJSON(b); err != nil || string(e.AppendJSON(nil)) != string(b) {
		return Extensions{}, false
	}
	return e, true
}

// canonicalASCII reports whether b is {"k":"v",...} with ASCII keys in strictly
// increasing order and strings without escapes, control characters or invalid
// UTF-8: the canonical form of such an object is itself.
func canonicalASCII(b []byte) bool {
	if len(b) < 2 || b[0] != '{' || b[len(b)-1] != '}' {
		return false
	}
	p, prev := b[1:], ""
	for n := 0; ; n++ {
		if n > 0 {
			if p[0] == '}' {
				return len(p) == 1
			}
			if p[0] != ',' {
				return false
			}
			p = p[1:]
		}
		key, rest, ok := plainString(p, true)
		if !ok || (n > 0 && key <= prev) || len(rest) == 0 || rest[0] != ':' {
			return false
		}
		prev = key
		if _, p, ok = plainString(rest[1:], false); !ok || len(p) == 0 {
			return false
		}
	}
}

// plainString reads a JSON string without escapes or control characters (and,
// when ascii, of ASCII only) at the start of p.
func plainString(p []byte, ascii bool) (string, []byte, bool) {
	if len(p) == 0 || p[0] != '"' {
		return "", nil, false
	}
	for j := 1; j < len(p); j++ {
		switch c := p[j]; {
		case c == '"':
			if !ascii && !utf8.Valid(p[1:j]) {
				return "", nil, false
			}
			return string(p[1:j]), p[j+1:], true
		case c == '\\' || c < 0x20 || ascii && c >= 0x80:
			return "", nil, false
		}
	}
	return "", nil, false
}

// Map returns a copy of the fields (nil when there are none).
func (e Extensions) Map() map[string]string {
	if e.canonical == "" {
		return nil
	}
	var m map[string]string
	_ = json.Unmarshal([]byte(e.canonical), &m) // canonical is always an object of strings
	return m
}

// Keys returns the field names, sorted.
func (e Extensions) Keys() []string { return slices.Sorted(maps.Keys(e.Map())) }

// Len is the number of fields.
func (e Extensions) Len() int { return len(e.Map()) }

// IsZero reports whether there are no fields (json omitzero).
func (e Extensions) IsZero() bool { return e.canonical == "" }

// AppendJSON appends the canonical object ({} when empty) to dst: the bytes
// MarshalJSON returns, without an allocation.
func (e Extensions) AppendJSON(dst []byte) []byte {
	if e.canonical == "" {
		return append(dst, '{', '}')
	}
	return append(dst, e.canonical...)
}

// MarshalJSON writes the canonical object ({} when empty).
func (e Extensions) MarshalJSON() ([]byte, error) {
	if e.canonical == "" {
		return []byte("{}"), nil
	}
	return []byte(e.canonical), nil
}

// UnmarshalJSON reads a JSON object of strings (null = empty). Duplicate keys and
// values other than strings are refused, so one signed record has one reading.
func (e *Extensions) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*e = Extensions{}
		return nil
	}
	c, err := canon.Canonicalize(b)
	if err != nil {
		return fmt.Errorf("extensions: %w", err)
	}
	var m map[string]string
	if len(c) == 0 || c[0] != '{' || json.Unmarshal(c, &m) != nil {
		return fmt.Errorf("extensions: want a JSON object of strings")
	}
	if len(m) == 0 {
		*e = Extensions{}
		return nil
	}
	*e = Extensions{canonical: string(c)}
	return nil
}

// Validate checks the bounds: at most MaxExtensions fields named like KZ_XXX,
// values of printable UTF-8 up to MaxExtensionValue characters, MaxExtensionBytes
// in all. It returns every problem found as wire.FieldErrors.
func (e Extensions) Validate() error {
	var fe wire.FieldErrors
	e.check(&fe)
	return fe.Err()
}

// check adds a field error for the whole object ("extensions") or for each bad
// field ("extensions.KZ_X").
func (e Extensions) check(fe *wire.FieldErrors) {
	if len(e.canonical) > MaxExtensionBytes {
		fe.Add("extensions", "%d bytes, at most %d", len(e.canonical), MaxExtensionBytes)
	}
	m := e.Map()
	if len(m) > MaxExtensions {
		fe.Add("extensions", "%d fields, at most %d", len(m), MaxExtensions)
	}
	for _, k := range e.Keys() {
		v := m[k]
		if !extKeyRE.MatchString(k) {
			fe.Add("extensions", "field name %q must match %s", k, ExtensionKeyPattern)
			continue
		}
		fe.Text("extensions."+k, v, MaxExtensionValue)
	}
}
