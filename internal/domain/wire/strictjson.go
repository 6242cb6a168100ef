package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"sync"
)

// Strict JSON. Every JSON body and chaincode argument is decoded by Decode, so
// the gateway, the chaincode and the CLI refuse the same inputs. Go's
// encoding/json alone matches object keys to struct fields case-insensitively
// ({"ID": ...} fills the field "id") and lets a repeated key overwrite the
// earlier value; a signed record must mean exactly what its bytes say, so here:
//
//   - a key must name a field exactly as its JSON name is spelled;
//   - a key may appear only once in an object (after unescaping, so "\u0069d"
//     repeats "id");
//   - unknown fields are refused;
//   - the input holds exactly one JSON value, an object when v is a struct;
//   - at most limit bytes are read (limit <= 0: no limit beyond the reader's).

// Errors of Decode, wrapped with the offending key or detail.
var (
	ErrUnknownField = errors.New("unknown field")
	ErrDuplicateKey = errors.New("duplicate key")
	ErrTrailingData = errors.New("data after the JSON value")
	ErrNotObject    = errors.New("not a JSON object")
	ErrEmpty        = errors.New("empty input")
	ErrTooLarge     = errors.New("input too large")
	ErrTooDeep      = errors.New("JSON nested too deeply")
)

// MaxDepth is how deeply objects and arrays may nest. Records are a few levels
// deep; the key check walks the input recursively, so a body of a million '['
// must stop here rather than grow the stack.
const MaxDepth = 64

// Decode reads one JSON value from r into v under the strict rules above.
// Reader errors (an *http.MaxBytesError, say) are returned wrapped; JSON syntax
// and type errors are encoding/json's (*json.SyntaxError, *json.UnmarshalTypeError).
func Decode(r io.Reader, limit int64, v any) error {
	if limit > 0 {
		r = io.LimitReader(r, limit+1)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("reading JSON: %w", err)
	}
	if limit > 0 && int64(len(b)) > limit {
		return fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
	}
	return DecodeBytes(b, v)
}

// DecodeBytes is Decode of a byte slice already in memory.
func DecodeBytes(b []byte, v any) error {
	if len(bytes.TrimSpace(b)) == 0 {
		return ErrEmpty
	}
	t := reflect.TypeOf(v)
	if t == nil || t.Kind() != reflect.Pointer {
		return fmt.Errorf("wire.Decode needs a pointer, got %T", v)
	}
	// Check the keys as they are written, then decode. Input that quickCheck
	// passes would pass the scanner: skip its token-by-token walk.
	if !quickCheck(b, t.Elem()) {
		if err := fullCheck(b, t.Elem()); err != nil {
			return err
		}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if typ, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		typ.Field = jsonPath(t.Elem(), typ.Field)
	}
	return err
}

// jsonPath drops from the path of an *json.UnmarshalTypeError the Go names of
// the embedded structs it passes through ("Fields.id" for a certificate's id):
// a client knows the JSON names only.
func jsonPath(t reflect.Type, path string) string {
	segs := strings.Split(path, ".")
	out := segs[:0]
	for _, seg := range segs {
		for t != nil && (t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map) {
			t = t.Elem()
		}
		if t == nil || t.Kind() != reflect.Struct {
			t = nil
			out = append(out, seg)
			continue
		}
		if f, ok := t.FieldByName(seg); ok && f.Anonymous && f.Tag.Get("json") == "" {
			t = f.Type
			continue
		}
		t = fieldTypes(t).types[seg]
		out = append(out, seg)
	}
	return strings.Join(out, ".")
}

// fullCheck walks b token by token under the strict rules for a value of type
// t and names what breaks them.
func fullCheck(b []byte, t reflect.Type) error {
	s := scanner{dec: json.NewDecoder(bytes.NewReader(b))}
	s.dec.UseNumber()
	if err := s.value(t, "", true); err != nil {
		return err
	}
	if _, err := s.dec.Token(); !errors.Is(err, io.EOF) {
		return ErrTrailingData
	}
	return nil
}

type scanner struct {
	dec   *json.Decoder
	depth int
}

// token is the next token; the input is not empty, so an end here is early.
func (s *scanner) token() (json.Token, error) {
	tok, err := s.dec.Token()
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return tok, err
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// value walks one JSON value whose Go type is t (nil: unknown, only duplicate
// keys are checked below it). path names the value in errors.
func (s *scanner) value(t reflect.Type, path string, top bool) error {
	tok, err := s.token()
	if err != nil {
		return err
	}
	t = concrete(t)
	if tok == json.Delim('{') || tok == json.Delim('[') {
		if s.depth++; s.depth > MaxDepth {
			return fmt.Errorf("%w: more than %d levels at %q", ErrTooDeep, MaxDepth, path)
		}
		defer func() { s.depth-- }()
	}
	switch tok {
	case json.Delim('{'):
		return s.object(t, path)
	case json.Delim('['):
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for i := 0; s.dec.More(); i++ {
			if err := s.value(elem, fmt.Sprintf("%s[%d]", path, i), false); err != nil {
				return err
			}
		}
		_, err := s.token() // ']'
		return err
	}
	if top && t != nil && t.Kind() == reflect.Struct {
		return fmt.Errorf("%w: got %v", ErrNotObject, tok)
	}
	return nil
}

func (s *scanner) object(t reflect.Type, path string) error {
	var fields map[string]bool
	if t != nil && t.Kind() == reflect.Struct {
		fields = jsonFields(t)
	}
	seen := map[string]bool{}
	for s.dec.More() {
		tok, err := s.token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		name := join(path, key)
		if seen[key] {
			return fmt.Errorf("%w %q", ErrDuplicateKey, name)
		}
		seen[key] = true
		var ft reflect.Type
		switch {
		case fields != nil:
			if !fields[key] {
				if alt := caseMatch(fields, key); alt != "" {
					return fmt.Errorf("%w %q (field names are case-sensitive: want %q)", ErrUnknownField, name, join(path, alt))
				}
				return fmt.Errorf("%w %q", ErrUnknownField, name)
			}
			ft = fieldType(t, key)
		case t != nil && t.Kind() == reflect.Map:
			ft = t.Elem()
		}
		if err := s.value(ft, name, false); err != nil {
			return err
		}
	}
	_, err := s.token() // '}'
	return err
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// concrete dereferences pointers; a type that decodes itself is unknown (nil).
func concrete(t reflect.Type) reflect.Type {
	for t != nil {
		if t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType) {
			return nil
		}
		if t.Kind() != reflect.Pointer {
			return t
		}
		t = t.Elem()
	}
	return nil
}

func caseMatch(fields map[string]bool, key string) string {
	for f := range fields {
		if strings.EqualFold(f, key) {
			return f
		}
	}
	return ""
}

// jsonFields returns the JSON names of t's fields as encoding/json sees them
// (tag name or Go name; embedded structs promoted; "-" and unexported skipped).
func jsonFields(t reflect.Type) map[string]bool {
	return fieldTypes(t).names
}

func fieldType(t reflect.Type, key string) reflect.Type { return fieldTypes(t).types[key] }

type structInfo struct {
	names map[string]bool
	types map[string]reflect.Type
}

var structCache sync.Map // reflect.Type -> structInfo

func fieldTypes(t reflect.Type) structInfo {
	if v, ok := structCache.Load(t); ok {
		return v.(structInfo)
	}
	info := structInfo{names: map[string]bool{}, types: map[string]reflect.Type{}}
	collect(t, info, 0)
	structCache.Store(t, info)
	return info
}

func collect(t reflect.Type, info structInfo, depth int) {
	if depth > 8 {
		return
	}
	var embedded []reflect.Type
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			et := f.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				embedded = append(embedded, et)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if _, dup := info.types[name]; !dup {
			info.names[name] = true
			info.types[name] = f.Type
		}
	}
	// Promoted fields after the struct's own: shallower fields win.
	for _, et := range embedded {
		collect(et, info, depth+1)
	}
}
