package gatewaycmd

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/certledger/certledger/gateway/gatewaytest/ccledger"
	"github.com/certledger/certledger/gateway/internal/auth"
	"github.com/certledger/certledger/gateway/internal/config"
	"github.com/certledger/certledger/gateway/internal/httpapi"
)

type pki struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func issueCert(t *testing.T, parent *pki, cn string, isCA bool, usage x509.ExtKeyUsage) *pki {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, IsCA: isCA, BasicConstraintsValid: true,
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
	}
	if !isCA {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{usage}
	}
	signer, signKey := tmpl, k
	if parent != nil {
		signer, signKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &k.PublicKey, signKey)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return &pki{cert: c, key: k}
}

func writePEM(t *testing.T, dir, name string, p *pki) (certPath, keyPath string) {
	t.Helper()
	certPath, keyPath = filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	kd, _ := x509.MarshalPKCS8PrivateKey(p.key)
	_ = os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.cert.Raw}), 0o600)
	_ = os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kd}), 0o600)
	return certPath, keyPath
}

// TestMutualTLS serves HTTPS with client certificates: a mapped certificate acts
// as its department, a client without one still reaches public endpoints.
func TestMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ca := issueCert(t, nil, "test CA", true, 0)
	server := issueCert(t, ca, "localhost", false, x509.ExtKeyUsageServerAuth)
	app := issueCert(t, ca, "app.dept-a", false, x509.ExtKeyUsageClientAuth)
	caPath, _ := writePEM(t, dir, "ca", ca)
	srvCert, srvKey := writePEM(t, dir, "server", server)
	fp := sha256.Sum256(app.cert.Raw)

	cfg := config.Defaults()
	cfg.Orgs = []config.Org{{Name: "a", Profile: "x"}}
	cfg.TLS = &config.TLS{CertFile: srvCert, KeyFile: srvKey, ClientCAFile: caPath}
	cfg.ClientCerts = []config.ClientCert{{Fingerprint: hex.EncodeToString(fp[:]), Principal: config.Principal{Department: "dept-a", Org: "a", Role: "auditor"}}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ledger := ccledger.New(t)
	ledger.AddOrg("a", "DeptAMSP")
	api, err := httpapi.New(httpapi.Options{Ledger: ledger, Auth: auth.New(&cfg), DefaultOrg: "a", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	tc, err := serverTLS(cfg.TLS)
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: api.Handler(), TLSConfig: tc, ReadHeaderTimeout: 5 * time.Second}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Serve(ctx, srv, lis, api, 5*time.Second, slog.New(slog.DiscardHandler))
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()

	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	clientFor := func(withCert bool) *http.Client {
		tcfg := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
		if withCert {
			tcfg.Certificates = []tls.Certificate{{Certificate: [][]byte{app.cert.Raw}, PrivateKey: app.key}}
		}
		return &http.Client{Transport: &http.Transport{TLSClientConfig: tcfg}, Timeout: 10 * time.Second}
	}
	get := func(c *http.Client, path string) int {
		t.Helper()
		defer c.CloseIdleConnections()
		res, err := c.Get("https://" + lis.Addr().String() + path)
		if err != nil {
			t.Fatal(err)
		}
		_ = res.Body.Close()
		return res.StatusCode
	}
	// history needs a caller; a known caller gets past authentication to the
	// chaincode, which has no certificate c-1: 404.
	if s := get(clientFor(true), "/api/v1/certificates/c-1/history"); s != 404 {
		t.Fatalf("with client certificate: %d", s)
	}
	if s := get(clientFor(false), "/api/v1/certificates/c-1/history"); s != 401 {
		t.Fatalf("without client certificate: %d", s)
	}
	if s := get(clientFor(false), "/healthz"); s != 200 {
		t.Fatalf("public endpoint without certificate: %d", s)
	}
}
