package identifier

import "strings"

// USCCAlphabet is the alphabet of GB 32100 unified social credit codes: digits and
// the capital letters without I, O, S, V and Z. A character's value is its index.
const USCCAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// USCCLength is the length of a unified social credit code.
const USCCLength = 18

var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

const whatUSCC = "unified social credit code"

// USCCCheckChar returns the GB 32100 check character of the first 17 characters
// of a unified social credit code: C18 = 31 - (Σ Ci·Wi mod 31), 0 when that is 31,
// with Wi = 3^(i-1) mod 31.
func USCCCheckChar(first17 string) (byte, bool) {
	if len(first17) != USCCLength-1 {
		return 0, false
	}
	sum := 0
	for i := 0; i < len(first17); i++ {
		v := strings.IndexByte(USCCAlphabet, first17[i])
		if v < 0 {
			return 0, false
		}
		sum += v * usccWeights[i]
	}
	c := 31 - sum%31
	if c == 31 {
		c = 0
	}
	return USCCAlphabet[c], true
}

// CheckUSCC validates a unified social credit code (统一社会信用代码): 18
// characters of USCCAlphabet, the first (registration authority) a digit 1-9 or a
// letter A-N or Y, the last its GB 32100 check character.
func CheckUSCC(code string) error {
	if e := checkUSCC(code); e != nil {
		return e
	}
	return nil
}

func checkUSCC(code string) *Error {
	if len(code) != USCCLength {
		return malformed(whatUSCC, code, "want 18 characters (统一社会信用代码), got "+itoa(len(code)))
	}
	for i := 0; i < len(code); i++ {
		if strings.IndexByte(USCCAlphabet, code[i]) < 0 {
			return malformed(whatUSCC, code, "character "+itoa(i+1)+" "+quoteByte(code[i])+
				" is not one of 0-9 and the capitals A-Y without I, O, S, V, Z")
		}
	}
	if c := code[0]; c == '0' || c > 'N' && c != 'Y' {
		return malformed(whatUSCC, code, "the registration authority code (first character) must be 1-9, A-N or Y")
	}
	want, _ := USCCCheckChar(code[:17])
	if code[17] != want {
		return wrongCheck(whatUSCC, code, code[17], want, "GB 32100")
	}
	return nil
}
