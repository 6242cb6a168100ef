package testkit

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// EditJSON returns the JSON document file (indented) with the value at path
// replaced by f of it. path is dotted: object keys, and array indexes as one
// digit ("steps.1.code"); numbers keep their text. t fails on a document that
// does not parse.
func EditJSON(t testing.TB, file []byte, path string, f func(any) any) []byte {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(file))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	var cur any = m
	parts := strings.Split(path, ".")
	for _, p := range parts[:len(parts)-1] {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[p]
		case []any:
			cur = c[int(p[0]-'0')]
		}
	}
	last := parts[len(parts)-1]
	switch c := cur.(type) {
	case map[string]any:
		c[last] = f(c[last])
	case []any:
		i := int(last[0] - '0')
		c[i] = f(c[i])
	}
	out, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return out
}
