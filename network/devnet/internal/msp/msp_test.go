package msp

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/asn1"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"testing"

	mspproto "github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"google.golang.org/protobuf/proto"
)

func TestGenerateAndValidate(t *testing.T) {
	dir := t.TempDir()
	if err := GenerateOrg(dir, OrgSpec{Name: "gov", MSPID: "GovMSP", Orderer: true}); err != nil {
		t.Fatal(err)
	}
	l := OrgLayout{Dir: dir}
	for _, p := range []string{l.CACert(), l.TLSCACert(), filepath.Join(l.MSPDir(), "config.yaml"),
		SignCert(l.UserDir(AdminName)), KeyFile(l.UserDir(UserName)), TLSCert(l.PeerDir()), SignCert(l.OrdererDir())} {
		if _, err := os.Stat(p); err != nil {
			t.Fatal(err)
		}
	}
	ca, _ := os.ReadFile(l.CACert())
	org, err := NewOrg("GovMSP", ca)
	if err != nil {
		t.Fatal(err)
	}
	m := NewManager([]*Org{org})
	for name, role := range map[string]Role{l.UserDir(AdminName): RoleAdmin, l.UserDir(UserName): RoleClient, l.PeerDir(): RolePeer, l.OrdererDir(): RoleOrderer} {
		s, err := LoadSigner("GovMSP", name)
		if err != nil {
			t.Fatal(err)
		}
		id, err := m.Deserialize(s.Serialized())
		if err != nil || id.Role != role {
			t.Fatalf("%s: %v %v", name, id, err)
		}
		sig, _ := s.Sign([]byte("msg"))
		if err := id.Verify([]byte("msg"), sig); err != nil {
			t.Fatal(err)
		}
		if err := id.Verify([]byte("other"), sig); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("wrong message: %v", err)
		}
		// The digest forms are the same signatures over SHA-256(msg).
		msgHash := sha256.Sum256([]byte("msg"))
		if err := id.VerifyDigest(msgHash[:], sig); err != nil {
			t.Fatal(err)
		}
		if dsig, err := s.SignDigest(msgHash[:]); err != nil || id.Verify([]byte("msg"), dsig) != nil {
			t.Fatalf("SignDigest: %v", err)
		}
		// The high-S twin of a valid signature is refused, as Fabric does.
		var es ecdsaSig
		_, _ = asn1.Unmarshal(sig, &es)
		high, _ := asn1.Marshal(ecdsaSig{R: es.R, S: new(big.Int).Sub(s.Key.Params().N, es.S)})
		h := sha256.Sum256([]byte("msg"))
		if !ecdsa.VerifyASN1(&s.Key.PublicKey, h[:], high) {
			t.Fatal("test setup: high-S twin should verify mathematically")
		}
		if err := id.Verify([]byte("msg"), high); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("high S accepted: %v", err)
		}
	}

	// Unknown MSP, a foreign CA, no node OU, two node OUs, malformed bytes.
	admin, _ := LoadSigner("GovMSP", l.UserDir(AdminName))
	other, _ := NewCA("rogue", "GovMSP")
	noOU, _ := other.Issue("x", "", nil)
	mine, _ := LoadCA(l.CACert(), l.CAKey())
	noOUMine, _ := mine.Issue("x", "", nil)
	ser := func(msp string, pem []byte) []byte {
		b, _ := proto.Marshal(&mspproto.SerializedIdentity{Mspid: msp, IdBytes: pem})
		return b
	}
	for _, tc := range []struct {
		name string
		in   []byte
		want error
	}{
		{"unknown MSP", ser("OtherMSP", admin.CertPEM), ErrUnknownMSP},
		{"foreign CA", ser("GovMSP", noOU.CertPEM), ErrInvalidCert},
		{"no node OU", ser("GovMSP", noOUMine.CertPEM), ErrInvalidCert},
		{"not a certificate", ser("GovMSP", []byte("junk")), ErrMalformed},
		{"not an identity", []byte{0xff, 0xff}, ErrMalformed},
	} {
		if _, err := m.Deserialize(tc.in); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
}
