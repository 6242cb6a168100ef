package identifier

import (
	"errors"
	"strings"
	"testing"
)

func TestUSCCVectors(t *testing.T) {
	valid := []string{
		"11100000000013338W", // defining body of the real identifier's type code
		"11430000006122244L", // issuing organisation of the real identifier
		"91350100M000100Y43", // the worked example of GB 32100-2015
		// Hand-worked: only C1 = 1 is non-zero, Σ = 1·1 = 1, 31 - 1 = 30 -> 'Y'.
		"10000000000000000Y",
		// Hand-worked: C1 = 9, C2 = 1 (W2 = 3): Σ = 9 + 3 = 12, 31 - 12 = 19 -> 'K'.
		"91000000000000000K",
	}
	for _, c := range valid {
		if err := CheckUSCC(c); err != nil {
			t.Errorf("CheckUSCC(%s): %v", c, err)
		}
	}
	// Every position changed to every other character of the alphabet is refused.
	for _, c := range valid {
		for i := 0; i < len(c); i++ {
			for _, r := range USCCAlphabet {
				if byte(r) == c[i] {
					continue
				}
				m := c[:i] + string(r) + c[i+1:]
				if err := CheckUSCC(m); err == nil {
					t.Fatalf("%s (position %d of %s changed) accepted", m, i+1, c)
				}
			}
		}
	}
	err := CheckUSCC("11430000006122244M")
	var e *Error
	if !errors.As(err, &e) || e.Expected != "L" || !strings.Contains(err.Error(), "expected 'L'") {
		t.Fatalf("%v", err)
	}
	for _, bad := range []string{"", "1143000000612224L", "11430000006122244LL", "I1430000006122244L", "01430000006122244L", "Z1430000006122244L", "11430000006122244l"} {
		if err := CheckUSCC(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("CheckUSCC(%q) = %v, want malformed", bad, err)
		}
	}
}

func TestCitizenID(t *testing.T) {
	// GB 11643-1999's own example; hand-worked: Σ Ai·Wi = 167, 167 mod 11 = 2 -> 'X'.
	if err := CheckCitizenID("11010519491231002X"); err != nil {
		t.Fatal(err)
	}
	err := CheckCitizenID("110105194912310021")
	var e *Error
	if !errors.As(err, &e) || e.Expected != "X" {
		t.Fatalf("%v", err)
	}
	if strings.Contains(err.Error(), "1101051949") {
		t.Fatalf("the error echoes the number: %v", err)
	}
	for _, bad := range []string{"", "11010519491231002", "1101051949123100AX"} {
		if CheckCitizenID(bad) == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
