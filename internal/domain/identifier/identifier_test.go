package identifier

import (
	"errors"
	"strings"
	"testing"

	"github.com/certledger/certledger/internal/codes"
)

// real is an identifier issued by a working platform (a Hunan real-estate
// certificate); its check character is U.
const real = "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U"

func TestRealIdentifier(t *testing.T) {
	id, err := Parse(real)
	if err != nil {
		t.Fatal(err)
	}
	want := Identifier{TypeCode: "11100000000013338W011", IssuerCode: "11430000006122244L", Serial: "20230000403", Version: "001", Check: "U"}
	if id != want {
		t.Fatalf("parts %+v, want %+v", id, want)
	}
	if id.String() != real {
		t.Fatalf("String %s", id.String())
	}
	built, err := New(want.TypeCode, want.IssuerCode, want.Serial, want.Version)
	if err != nil || built != want {
		t.Fatalf("New = %+v, %v", built, err)
	}
}

// Hand-worked MOD 37,36 (P starts at 36; S = (P+v) mod 36, 36 for 0; P = 2S mod 37;
// check c = (37-P) mod 36):
//
//	"0":  S = 36, P = 72 mod 37 = 35; c = 2 -> '2'
//	"A1": A=10: S = 46 mod 36 = 10, P = 20; 1: S = 21, P = 42 mod 37 = 5; c = 32 -> 'W'
//	"Z":  Z=35: S = 71 mod 36 = 35, P = 70 mod 37 = 33; c = 4 -> '4'
//	"00": S = 36, P = 35; S = 35, P = 70 mod 37 = 33; c = 4 -> '4'
func TestCheckChar37HandWorked(t *testing.T) {
	for in, want := range map[string]byte{"0": '2', "A1": 'W', "Z": '4', "00": '4'} {
		got, ok := CheckChar37(in)
		if !ok || got != want {
			t.Errorf("CheckChar37(%q) = %c, %v; want %c", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "a", "A-1", "é"} {
		if _, ok := CheckChar37(bad); ok {
			t.Errorf("CheckChar37(%q) accepted", bad)
		}
	}
}

// The check character makes the whole string (data + check) satisfy the
// MOD 37,36 congruence: the recursion run over it ends with S = 1.
func TestCheckChar37Congruence(t *testing.T) {
	for _, s := range []string{"0", "A1", "11100000000013338W01111430000006122244L20230000403001", "ZZZZ", "9"} {
		c, _ := CheckChar37(s)
		p := 36
		for _, r := range s + string(c) {
			sum := (p + strings.IndexRune(Alphabet37, r)) % 36
			if sum == 0 {
				sum = 36
			}
			p = 2 * sum % 37
		}
		// Over data + check the last S is 1, so the final P is 2.
		if p != 2 {
			t.Errorf("%q + %c: final P = %d, want 2", s, c, p)
		}
	}
}

// Every single-character change of the real identifier is refused. A change of a
// data or check character fails the MOD 37,36 check and the error names the
// expected character; a change of a dot, of the prefix or a letter in the version
// is malformed.
func TestEveryPositionMutated(t *testing.T) {
	body := len(Prefix)
	for i := 0; i < len(real); i++ {
		for _, r := range Alphabet37 + ".-a" {
			if byte(r) == real[i] {
				continue
			}
			m := real[:i] + string(r) + real[i+1:]
			_, err := Parse(m)
			if err == nil {
				t.Fatalf("position %d changed to %c: %s accepted", i, r, m)
			}
			if !errors.Is(err, codes.New(codes.InvalidArgument, "")) || !strings.HasPrefix(err.Error(), "INVALID_ARGUMENT: ") {
				t.Fatalf("position %d: %v is not INVALID_ARGUMENT", i, err)
			}
			inVersion := i >= len(real)-5 && i < len(real)-2
			isData := i >= body && real[i] != '.' && strings.ContainsRune(Alphabet37, r) && (!inVersion || (r >= '0' && r <= '9'))
			if !isData {
				continue
			}
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, ErrCheckCharacter) {
				t.Fatalf("position %d changed to %c: %v does not name a check character", i, r, err)
			}
			if i < len(real)-1 {
				want, _ := CheckChar37(strings.ReplaceAll(m[body:len(m)-2], ".", ""))
				if e.Expected != string(want) || !strings.Contains(err.Error(), "expected '"+string(want)+"'") {
					t.Fatalf("position %d: %v, want expected %c", i, err, want)
				}
			} else if e.Expected != "U" || !strings.Contains(err.Error(), "expected 'U'") {
				t.Fatalf("check position changed to %c: %v does not say expected 'U'", r, err)
			}
		}
	}
}

func TestParseMalformed(t *testing.T) {
	for _, s := range []string{
		"",
		"c-2026-0001",
		"1.2.156.3005.2.",
		"1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001",                       // no check
		"1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U.X",                   // six parts
		"1.2.156.3005.2.11100000000013338W01.11430000006122244L.20230000403.001.U",                      // short type
		"1.2.156.3005.2.11100000000013338W011.11430000006122244L..001.U",                                // empty serial
		"1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.01.U",                      // short version
		"1.2.156.3005.2.11100000000013338w011.11430000006122244L.20230000403.001.U",                     // lower case
		"1.2.156.3005.2.11100000000013338W011.11430000006122244L.2023-0000403.001.U",                    // '-' in serial
		"1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.UU",                    // long check
		"1.2.156.3005.2.11100000000013338W011.11430000006122244L." + strings.Repeat("1", 41) + ".001.U", // long serial
	} {
		if _, err := Parse(s); err == nil {
			t.Errorf("Parse(%q) accepted", s)
		} else if !strings.HasPrefix(err.Error(), "INVALID_ARGUMENT: ") {
			t.Errorf("Parse(%q): %v", s, err)
		}
	}
}

// A well-formed identifier whose MOD 37,36 check holds but whose inner credit code
// does not is refused with the credit code's expected character.
func TestParseInnerUSCC(t *testing.T) {
	typeCode, issuer := "11100000000013338W011", "11430000006122244A" // L is right
	body := typeCode + issuer + "7" + "001"
	c, _ := CheckChar37(body)
	s := Prefix + typeCode + "." + issuer + ".7.001." + string(c)
	_, err := Parse(s)
	var e *Error
	if !errors.As(err, &e) || e.Expected != "L" || !errors.Is(err, ErrCheckCharacter) {
		t.Fatalf("%v", err)
	}
}

func TestNewRefuses(t *testing.T) {
	cases := []struct{ typ, iss, serial, ver string }{
		{"11100000000013338X011", "11430000006122244L", "1", "001"}, // type code USCC check
		{"11100000000013338W0A1", "11430000006122244L", "1", "001"}, // sequence not digits
		{"11100000000013338W011", "11430000006122244M", "1", "001"}, // issuer USCC check
		{"11100000000013338W011", "11430000006122244L", "a1", "001"},
		{"11100000000013338W011", "11430000006122244L", "1", "1"},
	}
	for _, c := range cases {
		if _, err := New(c.typ, c.iss, c.serial, c.ver); err == nil {
			t.Errorf("New(%+v) accepted", c)
		}
	}
	_, err := New("11100000000013338X011", "11430000006122244L", "1", "001")
	var e *Error
	if !errors.As(err, &e) || e.Expected != "W" {
		t.Fatalf("type code error %v does not name W", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(real)
	f.Add("1.2.156.3005.2....")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := Parse(s)
		if err != nil {
			return
		}
		if id.String() != s {
			t.Fatalf("round trip %q -> %q", s, id.String())
		}
		again, err := New(id.TypeCode, id.IssuerCode, id.Serial, id.Version)
		if err != nil || again != id {
			t.Fatalf("New disagrees with Parse on %q: %v", s, err)
		}
	})
}
