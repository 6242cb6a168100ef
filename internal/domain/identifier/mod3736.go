package identifier

import "strings"

// Alphabet37 is the alphabet of ISO/IEC 7064 MOD 37,36: the digits, then A to Z.
const Alphabet37 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

// CheckChar37 returns the ISO/IEC 7064 MOD 37,36 (hybrid system, M = 36) check
// character of s, which must be one or more characters of Alphabet37.
//
// With P = 36 at the start, each character of value v does
// S = (P + v) mod 36 (36 when that is 0), P = 2S mod 37; the check character is
// the one whose value c makes (P + c) mod 36 = 1, c = (37 - P) mod 36.
func CheckChar37(s string) (byte, bool) {
	if s == "" {
		return 0, false
	}
	p := 36
	for i := 0; i < len(s); i++ {
		v := strings.IndexByte(Alphabet37, s[i])
		if v < 0 {
			return 0, false
		}
		sum := (p + v) % 36
		if sum == 0 {
			sum = 36
		}
		p = 2 * sum % 37
	}
	return Alphabet37[(37-p)%36], true
}
