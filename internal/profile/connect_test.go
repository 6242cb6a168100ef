package profile

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certledger/certledger/internal/testkit"
)

func TestConnect(t *testing.T) {
	dir := t.TempDir()
	certPath, keyPath := testkit.WriteKeyPair(t, dir, "client", &x509.Certificate{Subject: pkix.Name{CommonName: "client"}})
	notPEM := filepath.Join(dir, "empty.pem")
	if err := os.WriteFile(notPEM, []byte("no certificate here\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	good := Profile{Name: "org", MSPID: "OrgMSP", Peer: Peer{Endpoint: "127.0.0.1:1"},
		CertPath: certPath, KeyPath: keyPath, Channel: "ch", Chaincode: "cc"}
	for _, c := range []struct {
		name   string
		change func(*Profile)
		want   string // "" = connects (lazily: nothing listens on the endpoint)
	}{
		{"plaintext peer", func(*Profile) {}, ""},
		{"TLS with the client's own certificate as CA", func(p *Profile) { p.Peer.TLSCACert, p.Peer.ServerName = certPath, "peer0" }, ""},
		{"missing certificate", func(p *Profile) { p.CertPath = filepath.Join(dir, "nope.pem") }, "reading identity certificate"},
		{"key is not a key", func(p *Profile) { p.KeyPath = notPEM }, "parsing identity key"},
		{"TLS CA without certificates", func(p *Profile) { p.Peer.TLSCACert = notPEM }, "no certificate in TLS CA file"},
		{"TLS CA missing", func(p *Profile) { p.Peer.TLSCACert = filepath.Join(dir, "nope.pem") }, "reading TLS CA"},
		{"client TLS pair unreadable", func(p *Profile) { p.Peer.TLSCACert, p.ClientTLSCert, p.ClientTLSKey = certPath, notPEM, keyPath }, "loading client TLS key pair"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := good
			c.change(&p)
			gw, cc, err := p.Connect(DefaultTimeouts.Options()...)
			if c.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if got := gw.Identity().MspID(); got != "OrgMSP" {
					t.Errorf("identity MSP %q", got)
				}
				_ = gw.Close()
				_ = cc.Close()
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to contain %q", err, c.want)
			}
		})
	}
}

func TestConnectLoadsTheProfile(t *testing.T) {
	dir := t.TempDir()
	certPath, keyPath := testkit.WriteKeyPair(t, dir, "client", &x509.Certificate{Subject: pkix.Name{CommonName: "client"}})
	path := filepath.Join(dir, "org.yaml")
	if err := Save(path, &Profile{Name: "org", MSPID: "OrgMSP", Peer: Peer{Endpoint: "127.0.0.1:1"},
		CertPath: filepath.Base(certPath), KeyPath: filepath.Base(keyPath), Channel: "ch", Chaincode: "cc"}); err != nil {
		t.Fatal(err)
	}
	gw, cc, err := Connect(path) // relative paths resolve against the profile's folder
	if err != nil {
		t.Fatal(err)
	}
	_ = gw.Close()
	_ = cc.Close()
	if _, _, err := Connect(filepath.Join(dir, "missing.yaml")); err == nil {
		t.Fatal("a missing profile connected")
	}
}
