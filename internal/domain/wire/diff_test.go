package wire_test

import (
	"reflect"
	"testing"

	"github.com/certledger/certledger/internal/domain/wire"
)

func TestDiffFields(t *testing.T) {
	type rec struct {
		ID    string `json:"id"`
		Name  string `json:"name"`
		Note  string `json:"note,omitempty"`
		Count int    `json:"count"`
	}
	a := rec{ID: "c-1", Name: "Ann", Count: 1}
	if d := wire.DiffFields(a, a); d != nil {
		t.Fatalf("same value: %v", d)
	}
	b := rec{ID: "c-1", Name: "Bob", Note: "x", Count: 2}
	want := []wire.FieldDiff{
		{Name: "count", A: []byte(`1`), B: []byte(`2`)},
		{Name: "name", A: []byte(`"Ann"`), B: []byte(`"Bob"`)},
		{Name: "note", B: []byte(`"x"`)},
	}
	got := wire.DiffFields(a, b)
	if len(got) != len(want) {
		t.Fatalf("got %d diffs %v, want %d", len(got), got, len(want))
	}
	for i := range want {
		if got[i].Name != want[i].Name || string(got[i].A) != string(want[i].A) || string(got[i].B) != string(want[i].B) {
			t.Errorf("diff %d: got %s %s %s, want %s %s %s", i, got[i].Name, got[i].A, got[i].B, want[i].Name, want[i].A, want[i].B)
		}
	}
	// Different types compare by their JSON names.
	other := map[string]any{"id": "c-1", "name": "Ann", "count": 1}
	if d := wire.DiffFields(a, other); !reflect.DeepEqual(d, []wire.FieldDiff(nil)) {
		t.Fatalf("map with the same fields: %v", d)
	}
}
