package report_test

import (
	"testing"
	"time"

	"github.com/certledger/certledger/internal/gm"
	"github.com/certledger/certledger/internal/report"
)

// FuzzParse: Parse never panics, and what it accepts re-encodes to a report it
// accepts again with the same hash.
func FuzzParse(f *testing.F) {
	k, _ := gm.GenerateKey()
	r, _ := report.New(report.Query{ID: "c-1"}, "certledger", 3, time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC), []byte(result))
	s, _ := report.Sign(r, "gw-1", k)
	good, _ := s.Marshal()
	f.Add(good)
	f.Add([]byte(`{"report":{},"signature":""}`))
	f.Add([]byte(`{"report":{"format":"certledger/v1/verify-report"},"signature":"x","x":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := report.Parse(data)
		if err != nil {
			return
		}
		out, err := s.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		again, err := report.Parse(out)
		if err != nil {
			t.Fatalf("re-encoded report refused: %v", err)
		}
		h1, _ := s.Hash()
		h2, _ := again.Hash()
		if h1 != h2 {
			t.Fatalf("hash changed on re-encoding")
		}
	})
}

// BenchmarkVerify: parse and check the signature of a report (one SM2 verify).
func BenchmarkVerify(b *testing.B) {
	k, _ := gm.GenerateKey()
	r, _ := report.New(report.Query{DocHash: gm.SM3Hex([]byte("doc"))}, "certledger", 12, time.Now(), []byte(result))
	s, _ := report.Sign(r, "gw-1", k)
	raw, _ := s.Marshal()
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		p, err := report.Parse(raw)
		if err != nil {
			b.Fatal(err)
		}
		if err := p.Verify(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSign: build and sign a report (what POST /api/v1/verify/report adds
// to a verification, besides the ledger height read).
func BenchmarkSign(b *testing.B) {
	k, _ := gm.GenerateKey()
	for b.Loop() {
		r, err := report.New(report.Query{DocHash: gm.SM3Hex([]byte("doc"))}, "certledger", 12, time.Now(), []byte(result))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := report.Sign(r, "gw-1", k); err != nil {
			b.Fatal(err)
		}
	}
}
