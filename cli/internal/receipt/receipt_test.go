package receipt

import (
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certledger/certledger/cli/internal/client"
	"github.com/certledger/certledger/internal/gm"
)

func sample(t testing.TB) *Receipt {
	k, err := gm.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := gm.MarshalPublicKeyPEM(&k.PublicKey)
	salt := make([]byte, 16)
	h := gm.SM3Hex([]byte("doc"))
	return &Receipt{
		Version: Version,
		Record: client.CertificateRecord{Fields: client.CertificateFields{ID: "c-1", DocHash: h, Type: "t", Issuer: "d", HolderCommitment: gm.Commitment(salt, "holder"),
			ValidFrom: "2026-01-01T00:00:00Z", ValidUntil: "2027-01-01T00:00:00Z", KeyID: gm.KeyID(&k.PublicKey)}, Signature: "MEQCIA=="},
		IssuerKey: IssuerKey{DepartmentID: "d", KeyID: gm.KeyID(&k.PublicKey), PublicKey: string(pub)},
		Ledger:    Ledger{TxID: "tx", BlockNumber: 3},
		Holder:    Holder{Salt: base64.StdEncoding.EncodeToString(salt), Note: SaltNote},
		VerifyURL: "http://x/verify?id=c-1&hash=" + h,
	}
}

func TestRoundTripAndSave(t *testing.T) {
	r := sample(t)
	b, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(b)
	if err != nil || got.Record != r.Record || got.Ledger != r.Ledger {
		t.Fatalf("%v %+v", err, got)
	}
	if !got.CheckHolder("holder") || got.CheckHolder("other") {
		t.Fatal("CheckHolder")
	}
	p := filepath.Join(t.TempDir(), "r.json")
	if err := r.Save(p); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(p)
	if st.Mode().Perm() != 0o600 {
		t.Fatal(st.Mode())
	}
	if _, err := Load(p); err != nil {
		t.Fatal(err)
	}
}

func TestValidate(t *testing.T) {
	for name, mut := range map[string]func(r *Receipt){
		"version":   func(r *Receipt) { r.Version = "v0" },
		"hash":      func(r *Receipt) { r.Record.DocHash = strings.ToUpper(r.Record.DocHash) },
		"id":        func(r *Receipt) { r.Record.ID = "" },
		"signature": func(r *Receipt) { r.Record.Signature = "!!" },
		"no sig":    func(r *Receipt) { r.Record.Signature = "" },
		"key id":    func(r *Receipt) { r.IssuerKey.KeyID = gm.SM3Hex(nil) },
		"pem":       func(r *Receipt) { r.IssuerKey.PublicKey = "x" },
		"salt":      func(r *Receipt) { r.Holder.Salt = "c2hvcnQ=" },
	} {
		r := sample(t)
		mut(r)
		b, _ := r.Marshal()
		if _, err := Parse(b); !errors.Is(err, ErrBadReceipt) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := Parse([]byte(`{"version":"certledger-receipt/v1"} {}`)); !errors.Is(err, ErrBadReceipt) {
		t.Fatal(err)
	}
}

func FuzzParse(f *testing.F) {
	b, _ := sample(f).Marshal()
	f.Add(b)
	f.Add([]byte(`{"version":"certledger-receipt/v1","record":{}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Parse(data)
		if err != nil {
			if !errors.Is(err, ErrBadReceipt) {
				t.Fatalf("unwrapped error %v", err)
			}
			return
		}
		if gm.CheckHash(r.Record.DocHash) != nil || r.Record.Signature == "" {
			t.Fatalf("accepted bad receipt %+v", r)
		}
		// what parses must survive a round trip
		b, err := r.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Parse(b); err != nil {
			t.Fatalf("round trip: %v", err)
		}
	})
}
