package command

import (
	"strings"
	"testing"

	"github.com/certledger/certledger/cli/internal/qr"
	"github.com/certledger/certledger/internal/domain/wire"
)

func TestParseVerifyURL(t *testing.T) {
	h := strings.Repeat("ab", 32)
	link, err := qr.VerifyURL("https://verify.example.gov.cn/", "c-1", h)
	if err != nil {
		t.Fatal(err)
	}
	if id, hash, err := parseVerifyURL(link); err != nil || id != "c-1" || hash != h {
		t.Fatalf("%s: %q %q %v", link, id, hash, err)
	}
	for _, bad := range []string{
		"", "https://x/verify", "https://x/other?id=c-1", "https://x/verify?hash=" + h[:63],
		"https://x/verify?id=../../departments", "https://x/verify?id=c%0A1", "https://x/verify?id=" + strings.Repeat("c", 129),
		"https://x/verify?id=%00",
	} {
		if _, _, err := parseVerifyURL(bad); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

// FuzzParseVerifyURL: a link from a scanned QR code is untrusted. What
// parseVerifyURL accepts names a well-formed certificate id and/or SM3 hash;
// a link made by qr.VerifyURL from what it accepts parses back the same.
func FuzzParseVerifyURL(f *testing.F) {
	h := strings.Repeat("ab", 32)
	for _, s := range []string{
		"https://verify.example.gov.cn/verify?id=c-1&hash=" + h, "http://x/verify?id=c-1", "/verify?hash=" + h,
		"https://x/verify?id=c-1&id=c-2", "https://x/a/verify#id=c", "https://x/verify?id=%ZZ", "::", "https://x/verify?id=c%20 1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, hash, err := parseVerifyURL(s)
		if err != nil {
			if ExitCode(err) != ExitUsage {
				t.Fatalf("%q: error %v is not a usage error", s, err)
			}
			return
		}
		if id == "" && hash == "" {
			t.Fatalf("%q: accepted with neither id nor hash", s)
		}
		if id != "" && !wire.ValidID(id) {
			t.Fatalf("%q: accepted id %q", s, id)
		}
		if hash != "" && !wire.ValidHash(hash) {
			t.Fatalf("%q: accepted hash %q", s, hash)
		}
		if id != "" && hash != "" {
			link, err := qr.VerifyURL("https://v.example", id, hash)
			if err != nil {
				t.Fatal(err)
			}
			id2, hash2, err := parseVerifyURL(link)
			if err != nil || id2 != id || hash2 != hash {
				t.Fatalf("round trip of %q/%q through %s: %q %q %v", id, hash, link, id2, hash2, err)
			}
		}
	})
}
