package command

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certledger/certledger/internal/trust"
)

// trustRoutes adds to the fake gateway what `certledger trust` uses: the channel
// description and a bundle slot (PUT stores, GET serves).
func trustRoutes(t *testing.T, e *env) (published func() []byte) {
	t.Helper()
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "ca.org-a"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(5, 0, 0),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	ca := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	ci := trust.ChannelInfo{Channel: "certledger", Chaincode: "certledger", Height: 12, BlockTime: "2026-12-01T08:00:00Z",
		Orgs:   []trust.Org{{MSPID: "OrgAMSP", RootCerts: []string{ca}}, {MSPID: "OrgBMSP", RootCerts: []string{ca}}},
		Policy: trust.Policy{Rule: "MAJORITY", N: 2, MSPs: []string{"OrgAMSP", "OrgBMSP"}}}
	e.GW.Handle("GET /api/v1/ledger/channel", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(ci)
	})
	var mu sync.Mutex
	var stored []byte
	e.GW.Handle("PUT /api/v1/trust", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+adminToken {
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`{"code":"FORBIDDEN","message":"governance only"}`))
			return
		}
		b, _ := io.ReadAll(r.Body)
		if _, err := trust.Parse(b); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"code":"INVALID_ARGUMENT","message":"bad bundle"}`))
			return
		}
		mu.Lock()
		stored = b
		mu.Unlock()
		_, _ = w.Write([]byte(`{}`))
	})
	e.GW.Handle("GET /api/v1/trust", func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if stored == nil {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"code":"NOT_FOUND","message":"no trust bundle published yet"}`))
			return
		}
		_, _ = w.Write(stored)
	})
	return func() []byte { mu.Lock(); defer mu.Unlock(); return stored }
}

func TestTrustCommands(t *testing.T) {
	e := newEnv(t)
	published := trustRoutes(t, e)
	admin := func(args ...string) Result {
		return run(t, append([]string{"--gateway", e.GW.URL, "--token", adminToken}, args...)...)
	}
	gov := filepath.Join(e.Dir, "gov.pem")
	wantCode(t, run(t, "keys", "generate", "--out", gov), 0)
	r := run(t, "trust", "fingerprint", gov, "-o", "json")
	wantCode(t, r, 0)
	var fp struct{ Fingerprint string }
	if err := json.Unmarshal([]byte(r.Stdout), &fp); err != nil || len(fp.Fingerprint) != 64 {
		t.Fatalf("fingerprint: %q %v", r.Stdout, err)
	}

	out := filepath.Join(e.Dir, "bundle.json")
	r = admin("trust", "export", "--key", gov, "--out", out, "--gateway-key", "gw-1="+e.PubPath)
	wantCode(t, r, 0)
	if !strings.Contains(r.Stdout, trust.GroupPin(fp.Fingerprint)) || !strings.Contains(r.Stdout, "2 of [OrgAMSP OrgBMSP] (MAJORITY)") {
		t.Fatalf("export summary:\n%s", r.Stdout)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	s, err := trust.Verify(data, fp.Fingerprint)
	if err != nil {
		t.Fatal(err)
	}
	if s.Bundle.Height != 12 || len(s.Bundle.Departments) != 2 || len(s.Bundle.Gateways) != 1 || s.Bundle.Governance.Department != "gov" {
		t.Fatalf("exported bundle: %+v", s.Bundle)
	}
	// An existing file is not overwritten without --force.
	wantCode(t, admin("trust", "export", "--key", gov, "--out", out), 2)

	wantCode(t, run(t, "trust", "verify", "--pin", fp.Fingerprint, out), 0)
	r = run(t, "trust", "verify", "--pin", fp.Fingerprint, out, "--dept", "dept-a", "--key-id", e.KeyID)
	wantCode(t, r, 0)
	if !strings.Contains(r.Stdout, "KEY_VALID") {
		t.Fatalf("key answer:\n%s", r.Stdout)
	}
	r = run(t, "trust", "verify", "--pin", fp.Fingerprint, out, "--dept", "dept-a", "--key-id", e.KeyID, "--at", "2000-01-01T00:00:00Z")
	wantCode(t, r, 1)
	if !strings.Contains(r.Stdout, "KEY_NOT_YET_VALID") {
		t.Fatalf("early key answer:\n%s", r.Stdout)
	}
	wantCode(t, run(t, "trust", "verify", "--pin", fp.Fingerprint, out, "--dept", "dept-b", "--key-id", e.KeyID), 1)

	// Refusals: another pin, a tampered file, a malformed pin, no pin.
	other := strings.Repeat("0", 64)
	oneLine(t, run(t, "trust", "verify", "--pin", other, out), "not signed by the pinned governance key")
	wantCode(t, run(t, "trust", "verify", "--pin", other, out), 1)
	tampered := e.file("tampered.json", string(bytes.Replace(data, []byte(`"height": 12`), []byte(`"height": 13`), 1)))
	wantCode(t, run(t, "trust", "verify", "--pin", fp.Fingerprint, tampered), 1)
	wantCode(t, run(t, "trust", "verify", "--pin", "abc", out), 2)
	wantCode(t, run(t, "trust", "verify", out), 2)
	wantCode(t, run(t, "trust", "verify", "--pin", fp.Fingerprint, filepath.Join(e.Dir, "missing.json")), 2)

	r = run(t, "trust", "show", out)
	wantCode(t, r, 0)
	for _, want := range []string{"dept-a", "dept-b", "CN=ca.org-a", "gw-1"} {
		if !strings.Contains(r.Stdout, want) {
			t.Fatalf("show lacks %q:\n%s", want, r.Stdout)
		}
	}

	// Publishing: governance only; then verify and show read the gateway's bundle.
	wantCode(t, run(t, "--gateway", e.GW.URL, "--token", clerkToken, "trust", "publish", out), 1)
	wantCode(t, run(t, "--gateway", e.GW.URL, "trust", "verify", "--pin", fp.Fingerprint), 1) // nothing published: NOT_FOUND
	wantCode(t, admin("trust", "publish", out), 0)
	if !bytes.Equal(published(), data) {
		t.Fatal("published bytes differ from the file")
	}
	wantCode(t, run(t, "--gateway", e.GW.URL, "trust", "verify", "--pin", fp.Fingerprint), 0)
	wantCode(t, admin("trust", "publish", "--follow"), 2) // --follow needs --key
	wantCode(t, admin("trust", "publish", tampered+".nope"), 2)
}
