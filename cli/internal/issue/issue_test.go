package issue

import (
	"errors"
	"testing"
)

func TestNormalizeTime(t *testing.T) {
	for in, want := range map[string][2]string{
		"2026-12-31":                {"2026-12-31T00:00:00Z", "2026-12-31T23:59:59Z"},
		"2026-12-31T08:00:00+08:00": {"2026-12-31T00:00:00Z", "2026-12-31T00:00:00Z"},
		"2026-12-31T00:00:00.9Z":    {"2026-12-31T00:00:00Z", "2026-12-31T00:00:00Z"},
	} {
		a, err1 := NormalizeTime(in, false)
		b, err2 := NormalizeTime(in, true)
		if err1 != nil || err2 != nil || a != want[0] || b != want[1] {
			t.Errorf("%s: %s %s %v %v", in, a, b, err1, err2)
		}
	}
	for _, bad := range []string{"", "tomorrow", "2026-13-01", "31/12/2026"} {
		if _, err := NormalizeTime(bad, true); !errors.Is(err, ErrInput) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestIDs(t *testing.T) {
	a := DerivedID("d", "h", "t", "", "2027")
	if a != DerivedID("d", "h", "t", "", "2027") || a == DerivedID("d", "h", "t", "", "2028") || CheckID(a) != nil {
		t.Fatal(a)
	}
	n1, _ := NewID("dept-a")
	n2, _ := NewID("dept-a")
	if n1 == n2 || CheckID(n1) != nil {
		t.Fatal(n1, n2)
	}
	for _, bad := range []string{"", "a b", "a/b", "-x", string(make([]byte, 200))} {
		if CheckID(bad) == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}
