package wire

import "reflect"

// quickCheck reports whether b certainly passes the strict checks of
// DecodeBytes for a value of type t: one JSON value (an object when t is a
// struct) with nothing but white space after it, nested at most MaxDepth deep,
// no key twice in an object, every key of a struct a field's JSON name spelled
// exactly. It reads only the structure and the keys, byte by byte, and gives up
// (false) on a key holding an escape or a non-ASCII byte and on anything it does
// not expect; DecodeBytes then runs the full scanner, whose errors are the ones
// returned. Syntax inside a value (a malformed number, a control character in a
// string) is encoding/json's to refuse: it checks the whole value before it
// decodes. The full scanner walks the input token by token through
// json.Decoder.Token, which costs several times the decoding itself on a
// grouped issue of 500 records; valid input, the common case, skips it.
func quickCheck(b []byte, t reflect.Type) bool {
	q := quick{b: b}
	t = concrete(t)
	q.space()
	if t != nil && t.Kind() == reflect.Struct && (q.i >= len(b) || b[q.i] != '{') {
		return false
	}
	if !q.value(t) {
		return false
	}
	q.space()
	return q.i == len(b)
}

// maxQuickKeys bounds the keys of one object quickCheck compares pairwise.
const maxQuickKeys = 64

type quick struct {
	b     []byte
	i     int
	depth int
}

func (q *quick) space() {
	for q.i < len(q.b) {
		switch q.b[q.i] {
		case ' ', '\t', '\n', '\r':
			q.i++
		default:
			return
		}
	}
}

// value checks one value of type t (nil: unknown) starting at q.i.
func (q *quick) value(t reflect.Type) bool {
	if q.i >= len(q.b) {
		return false
	}
	switch c := q.b[q.i]; {
	case c == '{' || c == '[':
		if q.depth++; q.depth > MaxDepth {
			return false
		}
		defer func() { q.depth-- }()
		if c == '{' {
			return q.object(t)
		}
		return q.array(t)
	case c == '"':
		_, ok := q.str(false)
		return ok
	case c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z':
		// A number or true/false/null: encoding/json checks the spelling.
		for q.i < len(q.b) && (q.b[q.i] == '-' || q.b[q.i] == '+' || q.b[q.i] == '.' ||
			q.b[q.i] >= '0' && q.b[q.i] <= '9' || q.b[q.i] >= 'a' && q.b[q.i] <= 'z' || q.b[q.i] >= 'A' && q.b[q.i] <= 'Z') {
			q.i++
		}
		return true
	}
	return false
}

// str reads a string at q.i; as a key (key true) it gives up on an escape or
// a non-ASCII byte; a control character ends it (encoding/json refuses it).
// It returns the bytes between the quotes.
func (q *quick) str(key bool) ([]byte, bool) {
	start := q.i + 1
	for q.i = start; q.i < len(q.b); q.i++ {
		switch c := q.b[q.i]; {
		case c == '"':
			q.i++
			return q.b[start : q.i-1], true
		case c == '\\':
			if key {
				return nil, false
			}
			q.i++ // the escaped byte; encoding/json checks the escape
		case c < 0x20 || c >= 0x80 && key:
			return nil, false
		}
	}
	return nil, false
}

func (q *quick) array(t reflect.Type) bool {
	var elem reflect.Type
	if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
		elem = concrete(t.Elem())
	}
	q.i++ // '['
	q.space()
	if q.i < len(q.b) && q.b[q.i] == ']' {
		q.i++
		return true
	}
	for {
		q.space()
		if !q.value(elem) {
			return false
		}
		q.space()
		if q.i >= len(q.b) {
			return false
		}
		switch q.b[q.i] {
		case ',':
			q.i++
		case ']':
			q.i++
			return true
		default:
			return false
		}
	}
}

func (q *quick) object(t reflect.Type) bool {
	var info *structInfo
	var elem reflect.Type
	switch {
	case t != nil && t.Kind() == reflect.Struct:
		si := fieldTypes(t)
		info = &si
	case t != nil && t.Kind() == reflect.Map:
		elem = concrete(t.Elem())
	}
	q.i++ // '{'
	q.space()
	if q.i < len(q.b) && q.b[q.i] == '}' {
		q.i++
		return true
	}
	var seen [][]byte
	for {
		q.space()
		if q.i >= len(q.b) || q.b[q.i] != '"' {
			return false
		}
		key, ok := q.str(true)
		if !ok {
			return false
		}
		if len(seen) == maxQuickKeys {
			return false // a large object: the full scanner's map
		}
		for _, k := range seen {
			if string(k) == string(key) {
				return false
			}
		}
		seen = append(seen, key)
		ft := elem
		if info != nil {
			typ, known := info.types[string(key)]
			if !known {
				return false
			}
			ft = concrete(typ)
		}
		q.space()
		if q.i >= len(q.b) || q.b[q.i] != ':' {
			return false
		}
		q.i++
		q.space()
		if !q.value(ft) {
			return false
		}
		q.space()
		if q.i >= len(q.b) {
			return false
		}
		switch q.b[q.i] {
		case ',':
			q.i++
		case '}':
			q.i++
			return true
		default:
			return false
		}
	}
}
