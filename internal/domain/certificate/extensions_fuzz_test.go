package certificate_test

import (
	"encoding/json"
	"testing"

	"github.com/certledger/certledger/internal/domain/certificate"
)

// FuzzExtensions: whatever decodes re-encodes to a fixed point, and two decodings
// of one input are equal (one signed record has one reading).
func FuzzExtensions(f *testing.F) {
	f.Add([]byte(`{"KZ_B":"2","KZ_A":"1"}`))
	f.Add([]byte(`{"KZ_ZL":"岳麓区麓山路1号"}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"KZ_A":"1","KZ_A":"2"}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		var e certificate.Extensions
		if err := json.Unmarshal(in, &e); err != nil {
			return
		}
		out, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		var again certificate.Extensions
		if err := json.Unmarshal(out, &again); err != nil || again != e {
			t.Fatalf("%q -> %q -> %v (%v)", in, out, again, err)
		}
		if out2, _ := json.Marshal(again); string(out2) != string(out) {
			t.Fatalf("not a fixed point: %q %q", out, out2)
		}
	})
}

// FuzzExtensionsFromCanonical: the one-pass recogniser agrees with decoding
// and re-encoding (same Extensions, or both say "not canonical").
func FuzzExtensionsFromCanonical(f *testing.F) {
	for _, s := range []string{`{}`, `{"KZ_A":"1","KZ_B":"路"}`, `{"KZ_B":"1","KZ_A":"2"}`, `{"KZ_A":"1","KZ_A":"2"}`, `{"KZ_A":"a\"b"}`,
		`{"é":"1","z":"2"}`, `{"KZ_A":1}`, `{ "KZ_A":"1"}`, `{"":""}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, ok := certificate.ExtensionsFromCanonical(b)
		var want certificate.Extensions
		err := want.UnmarshalJSON(b)
		wantOK := err == nil && string(want.AppendJSON(nil)) == string(b)
		if ok != wantOK || (ok && got != want) {
			t.Fatalf("%q: got %v %q, decoding says %v %q", b, ok, got.AppendJSON(nil), wantOK, want.AppendJSON(nil))
		}
	})
}
