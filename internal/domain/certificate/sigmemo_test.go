package certificate

import (
	"testing"
	"time"

	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/domain/registry"
	"github.com/certledger/certledger/internal/gm"
)

// TestVerifyRecordMemo checks that the memo returns exactly what
// registry.VerifyRecord returns, on first and repeated calls, for a good
// signature and for inputs that differ from it in one part only.
func TestVerifyRecordMemo(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	mk := func() (registry.Key, Record) {
		sk, err := gm.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		p, _ := gm.MarshalPublicKeyPEM(&sk.PublicKey)
		k, err := registry.NewKey(string(p), t0)
		if err != nil {
			t.Fatal(err)
		}
		r := Record{Fields: Fields{ID: "c-1", DocHash: gm.SM3Hex([]byte("doc")), Type: "licence", Issuer: "market",
			HolderCommitment: gm.SM3Hex([]byte("h")), ValidFrom: "2026-01-01T00:00:00Z", KeyID: k.KeyID}}
		if r.Signature, err = canon.Sign(sk, canon.KindCertificate, r); err != nil {
			t.Fatal(err)
		}
		return k, r
	}
	k, r := mk()
	k2, r2 := mk()
	changedField := r
	changedField.Type = "permit"
	otherSig := r
	otherSig.Signature = r2.Signature
	badB64 := r
	badB64.Signature = "!!"
	wrongID := k
	wrongID.KeyID = k2.KeyID
	for _, tc := range []struct {
		name string
		k    registry.Key
		r    Record
		ok   bool
	}{
		{"good", k, r, true},
		{"good, other key", k2, r2, true},
		{"field changed", k, changedField, false},
		{"other record's signature", k, otherSig, false},
		{"signature not base64", k, badB64, false},
		{"other key", k2, r, false},
		{"key id does not match the key", wrongID, r, false},
	} {
		for i := range 3 {
			want := registry.VerifyRecord(tc.k, canon.KindCertificate, tc.r, tc.r.Signature)
			got := verifyRecordMemo(&tc.k, tc.r, tc.r.Signature)
			if (got == nil) != tc.ok || (want == nil) != tc.ok {
				t.Fatalf("%s (call %d): memo %v, VerifyRecord %v, want ok=%v", tc.name, i, got, want, tc.ok)
			}
			if got != nil && got.Error() != want.Error() {
				t.Fatalf("%s (call %d): memo says %q, VerifyRecord %q", tc.name, i, got, want)
			}
		}
	}
}

func BenchmarkSignatureStep(b *testing.B) {
	sk, _ := gm.GenerateKey()
	p, _ := gm.MarshalPublicKeyPEM(&sk.PublicKey)
	k, _ := registry.NewKey(string(p), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	r := Record{Fields: Fields{ID: "c-1", DocHash: gm.SM3Hex([]byte("doc")), Type: "licence", Issuer: "market",
		HolderCommitment: gm.SM3Hex([]byte("h")), ValidFrom: "2026-01-01T00:00:00Z", KeyID: k.KeyID}}
	r.Signature, _ = canon.Sign(sk, canon.KindCertificate, r)
	b.Run("VerifyRecord", func(b *testing.B) {
		for b.Loop() {
			if registry.VerifyRecord(k, canon.KindCertificate, r, r.Signature) != nil {
				b.Fatal("bad")
			}
		}
	})
	b.Run("memo-hit", func(b *testing.B) {
		for b.Loop() {
			if verifyRecordMemo(&k, r, r.Signature) != nil {
				b.Fatal("bad")
			}
		}
	})
}
