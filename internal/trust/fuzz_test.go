package trust_test

import (
	"bytes"
	"testing"

	"github.com/certledger/certledger/internal/trust"
)

// FuzzParse: Parse never panics; whatever it accepts re-encodes to a file that
// parses to the same signed payload, and verification of it is decided by the
// signature alone.
func FuzzParse(f *testing.F) {
	fx := newFixture(f, 2)
	_, file := fx.signed(f)
	pin := trust.Fingerprint(&fx.gov.PublicKey)
	f.Add(file)
	f.Add(bytes.Replace(file, []byte(`"height": 42`), []byte(`"height": 4.2e1`), 1))
	f.Add(bytes.Replace(file, []byte(`"gateways": []`), []byte(`"gateways": null`), 1))
	f.Add([]byte(`{"bundle":{},"signature":""}`))
	f.Add([]byte(`{"bundle":{"format":"certledger/v1/trust-bundle","height":1e400}}`))
	f.Add([]byte("\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := trust.Parse(data)
		if err != nil {
			return
		}
		again, err := s.Marshal()
		if err != nil {
			t.Fatalf("Marshal of a parsed bundle: %v", err)
		}
		s2, err := trust.Parse(again)
		if err != nil {
			t.Fatalf("re-encoded bundle does not parse: %v", err)
		}
		p1, _ := trust.Payload(&s.Bundle)
		p2, _ := trust.Payload(&s2.Bundle)
		if !bytes.Equal(p1, p2) || s.Signature != s2.Signature {
			t.Fatal("payload changed through Marshal/Parse")
		}
		if err1, err2 := trust.VerifySigned(s, pin), trust.VerifySigned(s2, pin); (err1 == nil) != (err2 == nil) {
			t.Fatalf("verification differs: %v / %v", err1, err2)
		}
	})
}
