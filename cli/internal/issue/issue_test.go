package issue

import (
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"

	"github.com/certledger/certledger/internal/gm"
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

// TestBuildValidityWindow: the CLI refuses, before signing, a validity window the
// ledger would refuse (before 1949-10-01, more than 100 years ahead).
func TestBuildValidityWindow(t *testing.T) {
	key, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSigner(key, "dept-a")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	is := &Issuer{Signer: s, Now: func() time.Time { return now }}
	hash := gm.SM3Hex([]byte("doc"))
	for _, c := range []struct {
		from, until string
		ok          bool
	}{
		{"", "2031-11-28", true},
		{"", "2126-11-28T12:00:00Z", true},
		{"", "2126-11-29", false},
		{"", "9999-12-31", false},
		{"0001-01-01", "2031-11-28", false},
		{"1949-09-30", "2031-11-28", false},
		{"1949-10-01", "2031-11-28", true},
	} {
		_, _, err := is.Build(Request{DocHash: hash, Type: "licence", HolderID: "h-1", ValidFrom: c.from, ValidUntil: c.until})
		if (err == nil) != c.ok || (err != nil && !errors.Is(err, ErrInput)) {
			t.Errorf("from %q until %q: %v, want ok=%v", c.from, c.until, err, c.ok)
		}
	}
}
