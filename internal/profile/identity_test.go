package profile

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func writeNamedIdentity(t *testing.T, dir, name, cn string) (certPath, keyPath string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn, OrganizationalUnit: []string{"client"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPath, keyPath = filepath.Join(dir, name+".pem"), filepath.Join(dir, name+".key")
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certPath, keyPath
}

// TestLoadIdentity: a certificate and its key load (the MSP ID and CN come
// through); a key that is not the certificate's is refused up front, rather
// than at the peer, which would refuse every signature.
func TestLoadIdentity(t *testing.T) {
	dir := t.TempDir()
	c1, k1 := writeNamedIdentity(t, dir, "clerk1", "clerk1@dept-a")
	_, k2 := writeNamedIdentity(t, dir, "clerk2", "clerk2@dept-a")
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
