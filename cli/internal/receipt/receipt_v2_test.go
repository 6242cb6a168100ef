package receipt

import (
	"encoding/base64"
	"errors"
	"testing"

	"github.com/certledger/certledger/cli/internal/client"
	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/gm"
)

// A v2 receipt carries two salts: the holder proves the code and the name
// separately; a malformed v2 record or salt is refused.
func TestV2Receipt(t *testing.T) {
	k, _ := gm.GenerateKey()
	pub, _ := gm.MarshalPublicKeyPEM(&k.PublicKey)
	nameSalt, codeSalt := []byte("0123456789abcdef"), []byte("fedcba9876543210")
	rec := client.CertificateRecord{Fields: client.CertificateFields{
		RecordVersion: certificate.RecordV2,
		ID:            "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U",
		DocHash:       gm.SM3Hex([]byte("deed")), Type: "11100000000013338W011", Name: "不动产权证书",
		Issuer: "housing", IssuerName: "市住房和城乡建设局", IssuerCode: "11430000006122244L", IssueDate: "2023-06-01",
		HolderCodeType:       "111",
		HolderNameCommitment: gm.Commitment(nameSalt, "张三"),
		HolderCodeCommitment: gm.Commitment(codeSalt, "11010519491231002X"),
		ValidFrom:            "2023-06-01T00:00:00Z", KeyID: gm.KeyID(&k.PublicKey),
	}}
	var err error
	if rec.Signature, err = rec.Sign(k); err != nil {
		t.Fatal(err)
	}
	r := &Receipt{
		Version: Version, Record: rec,
		IssuerKey: IssuerKey{DepartmentID: "housing", KeyID: rec.KeyID, PublicKey: string(pub)},
		Holder:    Holder{NameSalt: base64.StdEncoding.EncodeToString(nameSalt), CodeSalt: base64.StdEncoding.EncodeToString(codeSalt), Note: SaltNoteV2},
	}
	b, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(b)
	if err != nil || got.Record != rec {
		t.Fatalf("%v %+v", err, got)
	}
	if !got.CheckHolder("11010519491231002X") || got.CheckHolder("张三") || !got.CheckHolderName("张三") || got.CheckHolderName("李四") {
		t.Fatal("holder checks")
	}
	bad := *r
	bad.Record.ID = rec.ID[:len(rec.ID)-1] + "V"
	if err := bad.Validate(); !errors.Is(err, ErrBadReceipt) {
		t.Fatalf("wrong check character accepted: %v", err)
	}
	bad = *r
	bad.Holder.CodeSalt = "c2hvcnQ="
	if err := bad.Validate(); !errors.Is(err, ErrBadReceipt) {
		t.Fatalf("short salt accepted: %v", err)
	}
}
