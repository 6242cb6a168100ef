package wire

import (
	"encoding/json"
	"slices"
)

// FieldDiff is one top-level JSON field in which two values differ: its name
// and each side's encoding (empty when the field is absent on that side).
type FieldDiff struct {
	Name string
	A, B json.RawMessage
}

// DiffFields compares a and b through their JSON form and returns the
// top-level fields in which they differ, sorted by name. Every field the
// values' types encode is compared, so a field added to a record type is
// compared without changing the caller. a and b must encode as JSON objects
// (records and headers always do).
func DiffFields(a, b any) []FieldDiff {
	fa, fb := objectFields(a), objectFields(b)
	keys := make([]string, 0, len(fa)+len(fb))
	for k := range fa {
		keys = append(keys, k)
	}
	for k := range fb {
		if _, ok := fa[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var out []FieldDiff
	for _, k := range keys {
		if string(fa[k]) != string(fb[k]) {
			out = append(out, FieldDiff{Name: k, A: fa[k], B: fb[k]})
		}
	}
	return out
}

func objectFields(v any) map[string]json.RawMessage {
	raw, _ := json.Marshal(v) // records and headers always encode
	m := map[string]json.RawMessage{}
	_ = json.Unmarshal(raw, &m)
	return m
}
