package webtest

import (
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/sm3"
)

// Fixtures are what RunSuite verifies: files the ledger behind the page knows.
type Fixtures struct {
	GenuineFile string // a document with a VALID certificate
	GenuineID   string // that certificate's id
	RevokedFile string // a document whose certificate is REVOKED
}

// RunSuite drives the verify page served at baseURL (e.g. "http://127.0.0.1:8080", the
// page at "/" and the API at "/api/v1") through the cases, as subtests of t:
//   - a genuine file shows VALID, with the SM3 computed in the browser;
//   - the same file with one byte changed shows that no certificate matches it;
//   - the file of a revoked certificate shows REVOKED;
//   - a QR link /verify?id=..&hash=.. verifies by itself and shows VALID;
//   - that QR link plus the changed file shows HASH_MISMATCH.
//
// No case may raise a script exception or a Content-Security-Policy violation.
func RunSuite(t *testing.T, b *Browser, baseURL string, fx Fixtures) {
	t.Helper()
	base := strings.TrimRight(baseURL, "/")
	genuineHash := fileSM3(t, fx.GenuineFile)
	changed := filepath.Join(t.TempDir(), "changed-"+filepath.Base(fx.GenuineFile))
	data, err := os.ReadFile(fx.GenuineFile)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) == 0 {
		t.Fatal("GenuineFile is empty: a one-byte change needs a byte")
	}
	data[len(data)/2] ^= 0x01
	if err := os.WriteFile(changed, data, 0o600); err != nil {
		t.Fatal(err)
	}
	link := base + "/verify?" + url.Values{"id": {fx.GenuineID}, "hash": {genuineHash}}.Encode()

	t.Run("genuine file is VALID", func(t *testing.T) {
		r := b.VerifyFile(t, base+"/", fx.GenuineFile)
		ExpectVerdict(t, r, "VALID")
		if r.ComputedHash != genuineHash {
			t.Errorf("page shows computed hash %q, SM3 of the file is %s", r.ComputedHash, genuineHash)
		}
		ExpectStep(t, r, 2, "pass")
		if fx.GenuineID != "" && r.Certificate["id"] != fx.GenuineID {
			t.Errorf("certificate id shown %q, want %q", r.Certificate["id"], fx.GenuineID)
		}
		if r.Certificate["docHash"] != "" && r.Certificate["docHash"] != genuineHash {
			t.Errorf("certificate docHash shown %q, want %s", r.Certificate["docHash"], genuineHash)
		}
	})
	t.Run("one byte changed matches no certificate", func(t *testing.T) {
		r := b.VerifyFile(t, base+"/", changed)
		ExpectVerdict(t, r, "NOT_FOUND")
		if !strings.Contains(r.Text, "No certificate matches this file") {
			t.Errorf("text %q does not say that no certificate matches this file", r.Text)
		}
		if r.ComputedHash == genuineHash || len(r.ComputedHash) != 64 {
			t.Errorf("computed hash %q", r.ComputedHash)
		}
	})
	t.Run("revoked certificate is REVOKED", func(t *testing.T) {
		r := b.VerifyFile(t, base+"/", fx.RevokedFile)
		ExpectVerdict(t, r, "REVOKED")
		if st, ok := r.StepByNumber(7); !ok || st.Status != "fail" {
			t.Errorf("step 7 (status) = %+v, want fail", st)
		}
	})
	t.Run("QR link verifies by itself", func(t *testing.T) {
		r := b.OpenLink(t, link)
		ExpectVerdict(t, r, "VALID")
		if r.HashInput != genuineHash || r.IDInput != fx.GenuineID {
			t.Errorf("form shows id %q hash %q, want the link's", r.IDInput, r.HashInput)
		}
		ExpectStep(t, r, 2, "skipped")
	})
	t.Run("QR link with a changed file is HASH_MISMATCH", func(t *testing.T) {
		r := b.VerifyFile(t, link, changed)
		ExpectVerdict(t, r, "HASH_MISMATCH")
		ExpectStep(t, r, 2, "fail")
	})
}

// ExpectVerdict fails t unless the page finished with verdict want, without errors,
// script exceptions or CSP violations.
func ExpectVerdict(t testing.TB, r Result, want string) {
	t.Helper()
	if r.State != "done" || r.Verdict != want {
		t.Errorf("page state %q verdict %q (headline %q, error %q), want verdict %s",
			r.State, r.Verdict, r.Headline, r.Error, want)
	}
	if want != "" && !strings.Contains(r.Headline, strings.ReplaceAll(want, "_", " ")) {
		t.Errorf("headline %q does not show %s", r.Headline, want)
	}
	ExpectNoProblems(t, r)
}

// ExpectStep fails t unless pipeline step n is shown with status.
func ExpectStep(t testing.TB, r Result, n int, status string) {
	t.Helper()
	st, ok := r.StepByNumber(n)
	if !ok || st.Status != status {
		t.Errorf("step %d = %+v (found %v), want status %s", n, st, ok, status)
	}
}

// ExpectNoProblems fails t on script exceptions, console errors or CSP violations.
func ExpectNoProblems(t testing.TB, r Result) {
	t.Helper()
	for _, p := range r.Problems {
		t.Errorf("page problem: %s", p)
	}
}

func fileSM3(t testing.TB, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }() // read-only file
	h := sm3.New()
	if _, err := f.WriteTo(h); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// FileSM3 returns the lowercase hex SM3 of a file (a convenience for fixtures).
func FileSM3(t testing.TB, path string) string { return fileSM3(t, path) }
