package certificate_test

import (
	"bytes"
	"testing"

	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/domain/certificate"
)

// canonPayload is the payload as canon builds it through reflection: the
// definition Record.Payload must equal.
func canonPayload(t testing.TB, r certificate.Record) []byte {
	t.Helper()
	kind, v := r.Signed()
	p, err := canon.Payload(kind, v)
	if err != nil {
		t.Fatalf("canon.Payload: %v", err)
	}
	return p
}

// withEveryString returns r with s in each string field in turn (escapes,
// control characters, non-ASCII, U+2028, HTML characters, invalid UTF-8).
func withEveryString(r certificate.Record, s string) []certificate.Record {
	var out []certificate.Record
	for _, set := range []func(*certificate.Record){
		func(r *certificate.Record) { r.ID = s }, func(r *certificate.Record) { r.DocHash = s },
		func(r *certificate.Record) { r.Type = s }, func(r *certificate.Record) { r.Name = s },
		func(r *certificate.Record) { r.Issuer = s }, func(r *certificate.Record) { r.IssuerName = s },
		func(r *certificate.Record) { r.IssuerCode = s }, func(r *certificate.Record) { r.IssueDate = s },
		func(r *certificate.Record) { r.HolderCommitment = s }, func(r *certificate.Record) { r.HolderCodeType = s },
		func(r *certificate.Record) { r.HolderNameCommitment = s }, func(r *certificate.Record) { r.HolderCodeCommitment = s },
		func(r *certificate.Record) { r.ValidFrom = s }, func(r *certificate.Record) { r.ValidUntil = s },
		func(r *certificate.Record) { r.KeyID = s }, func(r *certificate.Record) { r.Supersedes = s },
		func(r *certificate.Record) { r.Signature = s },
	} {
		c := r
		set(&c)
		out = append(out, c)
	}
	return out
}

var payloadStrings = []string{"", "plain", "a\"b\\c", "tab\there\nnl\r\b\f", "\x00\x01\x1f\x7f", "<&>", "张三 岳麓区",
	"\u2028\u2029", "emoji 😀", "bad \xff utf8", "\xc3", "é\u0301"}

// TestPayloadEqualsCanon: the reflection-free payload is canon's, for v1 and
// v2 records, over every field holding strings that need escapes, non-ASCII
// text and invalid UTF-8 (canon's U+FFFD), and for unknown record versions
// (signed as v1).
func TestPayloadEqualsCanon(t *testing.T) {
	v1, v2 := goodRecord(), v2Record()
	odd := goodRecord()
	odd.RecordVersion = 3
	recs := []certificate.Record{v1, v2, odd, {}, {Fields: certificate.Fields{RecordVersion: certificate.RecordV2}}}
	for _, s := range payloadStrings {
		recs = append(recs, withEveryString(v1, s)...)
		recs = append(recs, withEveryString(v2, s)...)
	}
	for i, r := range recs {
		got, err := r.Payload()
		if want := canonPayload(t, r); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("record %d (%+v):\n got %q (%v)\nwant %q", i, r, got, err, want)
		}
	}
}

// FuzzPayload: Record.Payload equals canon.Payload for any field values.
func FuzzPayload(f *testing.F) {
	for _, s := range payloadStrings {
		f.Add(0, s, s, "KZ_A", s)
		f.Add(certificate.RecordV2, s, s, "KZ_ZL", s)
	}
	f.Fuzz(func(t *testing.T, version int, id, name, extKey, extValue string) {
		r := goodRecord()
		if version == certificate.RecordV2 {
			r = v2Record()
		}
		r.RecordVersion = version
		r.ID, r.Name, r.Type = id, name, extValue
		if ext, err := certificate.NewExtensions(map[string]string{extKey: extValue}); err == nil {
			r.Extensions = ext
		}
		got, err := r.Payload()
		if want := canonPayload(t, r); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("got %q (%v)\nwant %q", got, err, want)
		}
	})
}

// BenchmarkPayload compares the reflection-free payload with canon's.
func BenchmarkPayload(b *testing.B) {
	for name, r := range map[string]certificate.Record{"v1": goodRecord(), "v2": v2Record()} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				if _, err := r.Payload(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/canon", func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				canonPayload(b, r)
			}
		})
	}
}
