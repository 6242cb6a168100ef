package wire

import (
	"regexp"
	"strings"
	"testing"
)

func TestLoopsMatchPatterns(t *testing.T) {
	idRE, hashRE := regexp.MustCompile(IDPattern), regexp.MustCompile(HashPattern)
	cases := []string{"", "a", "A-1", "-a", "a b", "a:b.c_d-e", "é", strings.Repeat("a", 128), strings.Repeat("a", 129), "a\n",
		strings.Repeat("0", 64), strings.Repeat("f", 64), strings.Repeat("F", 64), strings.Repeat("g", 64), strings.Repeat("0", 63), strings.Repeat("0", 65)}
	for _, c := range cases {
		if idShape(c) != idRE.MatchString(c) {
			t.Errorf("idShape(%q) = %v, pattern says %v", c, idShape(c), idRE.MatchString(c))
		}
		if ValidHash(c) != hashRE.MatchString(c) {
			t.Errorf("ValidHash(%q) = %v, pattern says %v", c, ValidHash(c), hashRE.MatchString(c))
		}
	}
}

func FuzzValidID(f *testing.F) {
	idRE, hashRE := regexp.MustCompile(IDPattern), regexp.MustCompile(HashPattern)
	f.Add("a-1")
	f.Add("1.2.156.3005.2.11100000000013338W.001")
	f.Fuzz(func(t *testing.T, s string) {
		if idShape(s) != idRE.MatchString(s) || ValidHash(s) != hashRE.MatchString(s) {
			t.Fatalf("%q: loops and patterns disagree", s)
		}
		if ValidID(s) && !idRE.MatchString(s) {
			t.Fatalf("%q: ValidID accepts what the pattern refuses", s)
		}
	})
}
