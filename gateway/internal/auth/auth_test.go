package auth

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/certledger/certledger/gateway/internal/config"
)

func TestAuthenticate(t *testing.T) {
	leaf := &x509.Certificate{Raw: []byte("der-of-app-a"), Subject: pkix.Name{CommonName: "app-b"}}
	other := &x509.Certificate{Raw: []byte("der-of-stranger"), Subject: pkix.Name{CommonName: "stranger"}}
	fp := sha256.Sum256(leaf.Raw)
	a := New(&config.Config{
		Tokens: []config.Token{{ID: "a-clerk", SHA256: config.HashToken("s3cret"), Principal: config.Principal{Department: "dept-a", Org: "a", Role: "clerk"}}},
		ClientCerts: []config.ClientCert{
			{ID: "fp", Fingerprint: hex.EncodeToString(fp[:]), Principal: config.Principal{Department: "dept-a", Org: "a", Role: "admin"}},
			{ID: "cn", CommonName: "stranger-not", Principal: config.Principal{Department: "dept-b", Org: "b", Role: "clerk"}},
		},
	})
	cases := []struct {
		name    string
		header  string
		cert    *x509.Certificate
		wantID  string
		wantErr bool
	}{
		{"anonymous", "", nil, "", false},
		{"token", "Bearer s3cret", nil, "a-clerk", false},
		{"token lower scheme", "bearer s3cret", nil, "a-clerk", false},
		{"wrong token", "Bearer nope", nil, "", true},
		{"basic", "Basic czNjcmV0", nil, "", true},
		{"empty bearer", "Bearer ", nil, "", true},
		{"cert fingerprint", "", leaf, "fp", false},
		{"token beats cert", "Bearer s3cret", leaf, "a-clerk", false},
		{"unknown cert", "", other, "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			if c.header != "" {
				r.Header.Set("Authorization", c.header)
			}
			if c.cert != nil {
				r.TLS = &tls.ConnectionState{VerifiedChains: [][]*x509.Certificate{{c.cert}}}
			}
			p, err := a.Authenticate(r)
			if c.wantErr {
				if !errors.Is(err, ErrBadCredentials) {
					t.Fatalf("err = %v, want ErrBadCredentials", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if p != nil {
				got = p.ID
			}
			if got != c.wantID {
				t.Fatalf("principal %q, want %q", got, c.wantID)
			}
		})
	}
}

func TestHasRole(t *testing.T) {
	p := &Principal{Role: "clerk"}
	if !p.HasRole() || !p.HasRole("admin", "clerk") || p.HasRole("admin") {
		t.Fatal("HasRole")
	}
}
