package wire

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

type qInner struct {
	Name string `json:"name"`
}

type qBase struct {
	ID string `json:"id"`
}

type qBody struct {
	qBase
	DocHash string            `json:"docHash"`
	Fields  []string          `json:"fields"`
	Items   []qInner          `json:"items"`
	Ptr     *qInner           `json:"ptr,omitempty"`
	Labels  map[string]string `json:"labels"`
	Raw     json.RawMessage   `json:"raw"`
	Any     any               `json:"any"`
	Skip    string            `json:"-"`
	Plain   string
}

var qType = reflect.TypeFor[qBody]()

// Body is qBody for the external tests (strictjson_test.go): one body type,
// with an embedded struct, nested, pointer, map, raw, any, skipped and
// untagged fields, serves the quick and the full checks.
type Body = qBody

// TestQuickCheck: quickCheck passes clean input and gives up on everything
// the full scanner refuses (and on escaped or non-ASCII keys, which it leaves
// to the full scanner).
func TestQuickCheck(t *testing.T) {
	pass := []string{
		`{"id":"a","docHash":"h","fields":["x","y"],"items":[{"name":"n"},{}],"ptr":null,"labels":{"a":"1","b":"2"}}`,
		` {"raw":[{"x":{"y":[1,2.5e3,-1,true,false,null]}}],"any":{"k":"v\"\\"}} `, `{}`, `{"Plain":"p","fields":[]}`,
	}
	for _, s := range pass {
		if !quickCheck([]byte(s), qType) {
			t.Errorf("quickCheck gave up on clean %s", s)
		}
		if err := fullCheck([]byte(s), qType); err != nil {
			t.Errorf("full scanner refuses %s: %v", s, err)
		}
	}
	giveUp := []string{
		`{"id":"a","id":"b"}`, `{"ID":"a"}`, `{"nope":1}`, `{"Skip":"x"}`, `{"\u0069d":"a"}`, `{"labels":{"a":"1","a":"2"}}`,
		`{"raw":{"x":1,"x":2}}`, `{"any":[{"k":1,"k":2}]}`, `{"items":[{"name":"a","name":"b"}]}`, `{"items":[{"id":"a"}]}`,
		`{"id":"a"} x`, `{"id":"a"}{}`, `[]`, `null`, `"s"`, `{"id":"a",}`, `{"id" "a"}`, `{"id":"a"`, `{"labels":{"é":"1"}}`,
		`{"raw":` + strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1) + `}`, ``, `{"fields":["a",]}`,
	}
	for _, s := range giveUp {
		if quickCheck([]byte(s), qType) {
			t.Errorf("quickCheck passed %s", s)
		}
	}
	var many strings.Builder
	many.WriteString(`{"labels":{`)
	for i := range maxQuickKeys + 1 {
		if i > 0 {
			many.WriteByte(',')
		}
		many.WriteString(`"k` + strings.Repeat("x", i) + `":"v"`)
	}
	many.WriteString(`}}`)
	if quickCheck([]byte(many.String()), qType) {
		t.Error("quickCheck compared more than maxQuickKeys keys pairwise")
	}
}

// FuzzQuickCheck: whatever quickCheck passes, the full scanner passes too —
// or refuses as a syntax error that encoding/json's decoding refuses as well —
// so skipping it never lets through what it would refuse.
func FuzzQuickCheck(f *testing.F) {
	for _, s := range []string{
		`{"id":"a","docHash":"h","fields":["x"],"items":[{"name":"n"}]}`, `{"ID":"a"}`, `{"id":"a","id":"b"}`,
		`{"labels":{"a":"1"}}`, `[]`, `null`, `{"raw":[{"x":{"y":[1,2]}}]}`, `{"\u0069d":"a"}`, `{"any":{"a":[1,{"b":2}]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if quickCheck(in, qType) {
			var syn *json.SyntaxError
			err := fullCheck(in, qType)
			if err != nil && (!errors.As(err, &syn) || json.Unmarshal(in, new(qBody)) == nil) {
				t.Fatalf("quickCheck passed %q, the full scanner refuses it: %v", in, err)
			}
		}
	})
}
