package certificate

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"

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
