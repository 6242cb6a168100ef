package identifier

const whatCitizenID = "citizen identity number"

var citizenWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// CitizenIDCheckChar returns the GB 11643 (ISO/IEC 7064 MOD 11-2) check
// character of the first 17 digits of a citizen identity number: '0'-'9' or 'X'.
func CitizenIDCheckChar(first17 string) (byte, bool) {
	if len(first17) != 17 {
		return 0, false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		d := first17[i]
		if d < '0' || d > '9' {
			return 0, false
		}
		sum += int(d-'0') * citizenWeights[i]
	}
	return "10X98765432"[sum%11], true
}

// CheckCitizenID validates an 18-character citizen identity number (居民身份证号码):
// 17 digits and a GB 11643 check character (a digit or capital X). The CLI checks a
// holder's number with it before committing to it; the number never leaves the
// issuer's machine, and errors never echo it.
func CheckCitizenID(id string) error {
	if len(id) != 18 {
		return malformed(whatCitizenID, "", "want 18 characters, got "+itoa(len(id)))
	}
	for i := 0; i < 17; i++ {
		if id[i] < '0' || id[i] > '9' {
			return malformed(whatCitizenID, "", "character "+itoa(i+1)+" "+quoteByte(id[i])+" is not a digit")
		}
	}
	want, _ := CitizenIDCheckChar(id[:17])
	if id[17] != want {
		return wrongCheck(whatCitizenID, "", id[17], want, "GB 11643, ISO/IEC 7064 MOD 11-2")
	}
	return nil
}
