package e2e

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/internal/testkit"
)

// TestGlobalFlagsFromEnvironment: --gateway, --token and --output fall back to
// CERTLEDGER_GATEWAY, CERTLEDGER_TOKEN and CERTLEDGER_OUTPUT; a flag wins over them.
func TestGlobalFlagsFromEnvironment(t *testing.T) {
	e := need(t)
	t.Parallel()
	dir := t.TempDir()
	doc := uniqueDoc(t, dir, "env.txt")
	run := func(env []string, args ...string) result {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, filepath.Join(e.bin, "certledger"), args...)
		cmd.Dir = dir
		cmd.Env = append(cleanEnv(), env...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		_ = cmd.Run()
		return result{args: append(env, args...), stdout: out.String(), stderr: errb.String(), code: cmd.ProcessState.ExitCode()}
	}
	env := []string{"CERTLEDGER_GATEWAY=" + e.url, "CERTLEDGER_TOKEN=" + e.tokens[tokA], "CERTLEDGER_OUTPUT=json"}
	r := run(env, issueArgs(doc, e.keys["dept-a"])...)
	var res issued
	jsonOut(t, r, &res)
	if r.code != 0 || res.Record.Issuer != "dept-a" {
		t.Fatalf("issue with the environment only:\n%s", r)
	}
	r = run(env, "cert", "verify", doc)
	if r.code != 0 || !strings.Contains(r.stdout, `"verdict": "VALID"`) && !strings.Contains(r.stdout, `"verdict":"VALID"`) {
		t.Fatalf("verify with CERTLEDGER_OUTPUT=json:\n%s", r)
	}
	// Flags win: a table, and a gateway that does not answer (exit 3).
	wantExit(t, run(env, "cert", "verify", doc, "--output", "table"), 0, "verdict: VALID")
	wantExit(t, run(env, "--gateway", "http://"+testkit.DeadAddr(t), "cert", "verify", doc), 3)
	// A wrong token in the environment is refused.
	wantExit(t, run([]string{"CERTLEDGER_GATEWAY=" + e.url, "CERTLEDGER_TOKEN=" + e.tokens[tokB]},
		issueArgs(uniqueDoc(t, dir, "env2.txt"), e.keys["dept-a"])...), 1, "FORBIDDEN")
}

// TestGatewayHTTPSWithCACert: a gateway serving HTTPS with a private CA is reached with
// --ca-cert; without it the TLS failure is "unreachable" (exit 3).
func TestGatewayHTTPSWithCACert(t *testing.T) {
	e := need(t)
	t.Parallel()
	dir := t.TempDir()
	caPEM, certPEM, keyPEM := testTLS(t)
	writeDoc(t, dir, "ca.crt", string(caPEM))
	writeDoc(t, dir, "gw.crt", string(certPEM))
	writeDoc(t, dir, "gw.key", string(keyPEM))
	cfg, err := os.ReadFile(e.gwConfig)
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "gateway-tls.yaml")
	tlsCfg := "tls: {certFile: " + filepath.Join(dir, "gw.crt") + ", keyFile: " + filepath.Join(dir, "gw.key") + "}\n"
	writeDoc(t, dir, "gateway-tls.yaml", string(cfg)+tlsCfg)

	addr := testkit.FreeAddr(t)
	gw, err := startProc("certledger-gateway (https)", filepath.Join(dir, "gateway.log"), func(line string) string {
		if strings.Contains(line, "gateway listening") {
			return addr
		}
		return ""
	}, filepath.Join(e.bin, "certledger-gateway"), "--config", cfgPath, "--listen", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(gw.stop)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 5 * time.Second}
	defer hc.CloseIdleConnections()
	base := "https://" + addr
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := hc.Get(base + "/readyz")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("https gateway not ready: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}

	wantExit(t, e.exec(dir, "--gateway", base, "--ca-cert", "ca.crt", "dept", "list"), 0, "dept-a")
	doc := uniqueDoc(t, dir, "tls.txt")
	r := e.exec(dir, append([]string{"--gateway", base, "--ca-cert", "ca.crt", "--token", e.tokens[tokA], "-o", "json"},
		issueArgs(doc, e.keys["dept-a"])...)...)
	if r.code != 0 {
		t.Fatalf("issue over HTTPS:\n%s", r)
	}
	// The verify link in the receipt uses the https URL.
	var res issued
	jsonOut(t, r, &res)
	if !strings.HasPrefix(res.VerifyURL, base+"/verify?") {
		t.Errorf("verify URL %q, want it under %s", res.VerifyURL, base)
	}
	wantExit(t, e.exec(dir, "--gateway", base, "--ca-cert", "ca.crt", "cert", "verify", doc), 0, "verdict: VALID")
	// Without the CA the gateway's certificate is not trusted: unreachable, exit 3.
	wantExit(t, e.exec(dir, "--gateway", base, "cert", "verify", doc), 3, "certledger:")
	// CERTLEDGER_CA_CERT works as --ca-cert does.
	cmd := exec.Command(filepath.Join(e.bin, "certledger"), "--gateway", base, "cert", "verify", doc)
	cmd.Dir = dir
	cmd.Env = append(cleanEnv(), "CERTLEDGER_CA_CERT="+filepath.Join(dir, "ca.crt"))
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "verdict: VALID") {
		t.Fatalf("with CERTLEDGER_CA_CERT: %v\n%s", err, out)
	}
}

// testTLS makes a CA and a server certificate for 127.0.0.1 (ECDSA P-256).
func testTLS(t *testing.T) (caPEM, certPEM, keyPEM []byte) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "certledger e2e CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}
