package wire_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/certledger/certledger/internal/domain/wire"
)

// body is the decoded type of these tests (quickcheck_internal_test.go).
type body = wire.Body

func TestDecodeStrict(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     error // nil: accepted
		msg      string
	}{
		{"exact keys", `{"id":"a","docHash":"h","fields":["x"],"items":[{"name":"n"}],"ptr":{"name":"p"},"labels":{"A":"1","a":"2"},"raw":{"x":1},"Plain":"p"}`, nil, ""},
		{"escaped key is the same key", `{"\u0069d":"a"}`, nil, ""},
		{"upper-case keys", `{"ID":"a","DOCHASH":"h"}`, wire.ErrUnknownField, `"ID" (field names are case-sensitive: want "id")`},
		{"mixed case", `{"id":"a","docHASH":"h"}`, wire.ErrUnknownField, `want "docHash"`},
		{"case in nested struct", `{"items":[{"Name":"n"}]}`, wire.ErrUnknownField, `"items[0].Name"`},
		{"case in pointer struct", `{"ptr":{"NAME":"n"}}`, wire.ErrUnknownField, `"ptr.NAME"`},
		{"case of an untagged field", `{"plain":"p"}`, wire.ErrUnknownField, `want "Plain"`},
		{"dash-tagged field", `{"Skip":"s"}`, wire.ErrUnknownField, `"Skip"`},
		{"duplicate key", `{"id":"a","id":"b"}`, wire.ErrDuplicateKey, `"id"`},
		{"duplicate via escape", `{"id":"a","\u0069d":"b"}`, wire.ErrDuplicateKey, `"id"`},
		{"duplicate in nested", `{"items":[{"name":"a","name":"b"}]}`, wire.ErrDuplicateKey, `"items[0].name"`},
		{"duplicate in map", `{"labels":{"a":"1","a":"2"}}`, wire.ErrDuplicateKey, `"labels.a"`},
		{"duplicate in raw", `{"raw":{"x":1,"x":2}}`, wire.ErrDuplicateKey, `"raw.x"`},
		{"unknown field", `{"id":"a","extra":1}`, nil, "unknown field"},
		{"trailing object", `{"id":"a"}{"id":"b"}`, wire.ErrTrailingData, ""},
		{"trailing junk", `{"id":"a"} x`, wire.ErrTrailingData, ""},
		{"null", `null`, wire.ErrNotObject, ""},
		{"empty", ` `, wire.ErrEmpty, ""},
		{"nested 64 deep", `{"raw":` + strings.Repeat("[", 63) + strings.Repeat("]", 63) + `}`, nil, ""},
		{"nested 65 deep", `{"raw":` + strings.Repeat("[", 64) + strings.Repeat("]", 64) + `}`, wire.ErrTooDeep, ""},
		{"a million brackets", strings.Repeat("[", 1000000), wire.ErrTooDeep, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b body
			err := wire.DecodeBytes([]byte(tc.in), &b)
			if tc.want == nil && tc.msg == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted %s", tc.in)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("error %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not contain %q", err, tc.msg)
			}
		})
	}
}

// TestDecodeTypeErrorPath: a value of the wrong type is named by its JSON path,
// without the Go names of the embedded structs encoding/json puts in it.
func TestDecodeTypeErrorPath(t *testing.T) {
	type inner struct {
		ID    string `json:"id"`
		Items []struct {
			N int `json:"n"`
		} `json:"items"`
	}
	type outer struct {
		inner
		Signature string `json:"signature"`
	}
	for in, want := range map[string]string{
		`{"id":1}`:                "id",
		`{"items":[{"n":"x"}]}`:   "items.n",
		`{"signature":false}`:     "signature",
		`{"id":"a","items":true}`: "items",
	} {
		var v outer
		err := wire.DecodeBytes([]byte(in), &v)
		typ, ok := errors.AsType[*json.UnmarshalTypeError](err)
		if !ok {
			t.Errorf("%s: error %v, want a type error", in, err)
			continue
		}
		if typ.Field != want {
			t.Errorf("%s: field %q, want %q", in, typ.Field, want)
		}
	}
}

func TestDecodeLimit(t *testing.T) {
	var b body
	in := `{"id":"` + strings.Repeat("a", 100) + `"}`
	if err := wire.Decode(strings.NewReader(in), int64(len(in)), &b); err != nil {
		t.Fatalf("at the limit: %v", err)
	}
	if err := wire.Decode(strings.NewReader(in), int64(len(in)-1), &b); !errors.Is(err, wire.ErrTooLarge) {
		t.Fatalf("over the limit: %v", err)
	}
}

// FuzzDecode: whatever the input, Decode does not panic, and what it accepts
// encoding/json accepts with the same result, and holds no key that is not a
// field name spelled exactly.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"id":"a","docHash":"h","fields":["x"],"items":[{"name":"n"}]}`,
		`{"ID":"a"}`, `{"id":"a","id":"b"}`, `{"labels":{"a":"1"}}`, `[]`, `null`, `{"raw":[{"x":{"y":[1,2]}}]}`,
		`{"\u0069d":"a"}`, `{"ptr":null}`, `{"items":null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var strict body
		if err := wire.DecodeBytes(in, &strict); err != nil {
			return
		}
		var loose body
		if err := json.Unmarshal(in, &loose); err != nil {
			t.Fatalf("strict accepted what encoding/json refuses: %q: %v", in, err)
		}
		a, _ := json.Marshal(strict)
		b, _ := json.Marshal(loose)
		if string(a) != string(b) {
			t.Fatalf("strict and loose differ on %q: %s vs %s", in, a, b)
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(in, &m) == nil {
			for k := range m {
				switch k {
				case "id", "docHash", "fields", "items", "ptr", "labels", "raw", "any", "Plain":
				default:
					t.Fatalf("accepted key %q in %q", k, in)
				}
			}
		}
	})
}
