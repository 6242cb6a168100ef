package profile

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"path/filepath"
	"testing"

	"github.com/certledger/certledger/internal/testkit"
)

// TestLoadIdentity: a certificate and its key load (the MSP ID and CN come
// through); a key that is not the certificate's is refused up front, rather
// than at the peer, which would refuse every signature.
func TestLoadIdentity(t *testing.T) {
	dir := t.TempDir()
	c1, k1 := testkit.WriteKeyPair(t, dir, "clerk1", &x509.Certificate{Subject: pkix.Name{CommonName: "clerk1@dept-a", OrganizationalUnit: []string{"client"}}})
	_, k2 := testkit.WriteKeyPair(t, dir, "clerk2", &x509.Certificate{Subject: pkix.Name{CommonName: "clerk2@dept-a", OrganizationalUnit: []string{"client"}}})
	id, sign, cert, err := LoadIdentity("DeptAMSP", c1, k1)
	if err != nil {
		t.Fatal(err)
	}
	if id.MspID() != "DeptAMSP" || cert.Subject.CommonName != "clerk1@dept-a" || sign == nil {
		t.Fatalf("identity %s %s", id.MspID(), cert.Subject)
	}
	if _, _, _, err := LoadIdentity("DeptAMSP", c1, k2); !errors.Is(err, ErrInvalid) {
		t.Fatalf("another person's key: got %v, want ErrInvalid", err)
	}
	if _, _, _, err := LoadIdentity("DeptAMSP", filepath.Join(dir, "missing.pem"), k1); err == nil {
		t.Fatal("a missing certificate loaded")
	}
}
