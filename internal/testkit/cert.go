package testkit

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/certledger/certledger/internal/gm"
	"github.com/certledger/certledger/internal/trust"
)

// SelfSigned makes a fresh ECDSA P-256 key and a certificate from tmpl signed
// by it (DER). A tmpl without a serial number gets 1; one without a validity
// period is valid from an hour ago to an hour from now.
func SelfSigned(tmpl *x509.Certificate) (der []byte, key *ecdsa.PrivateKey, err error) {
	key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	c := *tmpl
	if c.SerialNumber == nil {
		c.SerialNumber = big.NewInt(1)
	}
	if c.NotBefore.IsZero() && c.NotAfter.IsZero() {
		c.NotBefore, c.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	}
	der, err = x509.CreateCertificate(rand.Reader, &c, &c, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	return der, key, nil
}

// CertPEM is a DER certificate as PEM.
func CertPEM(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// WriteKeyPair writes a self-signed certificate made from tmpl (see SelfSigned)
// to dir/name.crt and its PKCS#8 key to dir/name.key, both PEM, and returns
// their paths; t fails on any error.
func WriteKeyPair(t testing.TB, dir, name string, tmpl *x509.Certificate) (certPath, keyPath string) {
	t.Helper()
	certPath, keyPath = filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	der, key, err := SelfSigned(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certPath, CertPEM(der), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certPath, keyPath
}

// KeyFilePin is the trust pin (trust.Fingerprint) of the unencrypted SM2
// private key in the PEM file path: the pin of a governance key a test made
// with `certledger keys generate`.
func KeyFilePin(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	k, err := gm.ParsePrivateKeyPEM(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	return trust.Fingerprint(&k.PublicKey)
}
