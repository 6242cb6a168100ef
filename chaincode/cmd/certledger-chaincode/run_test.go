package main

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certledger/certledger/internal/testkit"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestParse(t *testing.T) {
	id := "certledger_1:" + strings.Repeat("ab", 32)
	for _, tc := range []struct {
		name   string
		args   []string
		env    map[string]string
		errHas string
		wantID string
	}{
		{"env", nil, map[string]string{"CHAINCODE_SERVER_ADDRESS": ":9999", "CHAINCODE_ID": id}, "", id},
		{"CORE_CHAINCODE_ID_NAME fallback", nil, map[string]string{"CHAINCODE_SERVER_ADDRESS": ":9999", "CORE_CHAINCODE_ID_NAME": "x:1"}, "", "x:1"},
		{"CHAINCODE_ID wins", nil, map[string]string{"CHAINCODE_SERVER_ADDRESS": ":9999", "CHAINCODE_ID": id, "CORE_CHAINCODE_ID_NAME": "x:1"}, "", id},
		{"flags", []string{"--address", ":1", "--id", "y:2"}, nil, "", "y:2"},
		{"no address", nil, map[string]string{"CHAINCODE_ID": id}, "CHAINCODE_SERVER_ADDRESS", ""},
		{"no id", nil, map[string]string{"CHAINCODE_SERVER_ADDRESS": ":9999"}, "CHAINCODE_ID", ""},
		{"half TLS", nil, map[string]string{"CHAINCODE_SERVER_ADDRESS": ":9999", "CHAINCODE_ID": id, "CHAINCODE_TLS_CERT": "c.pem"}, "both", ""},
		{"client CA without TLS", nil, map[string]string{"CHAINCODE_SERVER_ADDRESS": ":9999", "CHAINCODE_ID": id, "CHAINCODE_TLS_CLIENT_CA": "ca.pem"}, "needs TLS", ""},
		{"stray argument", []string{"serve"}, map[string]string{"CHAINCODE_SERVER_ADDRESS": ":9999", "CHAINCODE_ID": id}, "unexpected argument", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			cfg, err := parse(tc.args, envOf(tc.env), &out, &errOut)
			if tc.errHas == "" {
				if err != nil || cfg.id != tc.wantID {
					t.Fatalf("parse = %+v, %v", cfg, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.errHas) {
				t.Fatalf("parse error = %v, want one mentioning %q", err, tc.errHas)
			}
		})
	}
}

func TestBadSkewEnv(t *testing.T) {
	t.Setenv("CERTLEDGER_MAX_SKEW", "ten minutes")
	var out, errOut bytes.Buffer
	if _, err := parse(nil, envOf(map[string]string{"CHAINCODE_SERVER_ADDRESS": ":1", "CHAINCODE_ID": "a:b"}), &out, &errOut); err == nil || !strings.Contains(err.Error(), "CERTLEDGER_MAX_SKEW") {
		t.Fatalf("err = %v", err)
	}
}

func TestHelpAndExitCodes(t *testing.T) {
	var out, errOut bytes.Buffer
	if rc := run([]string{"--help"}, envOf(nil), &out, &errOut); rc != 0 || !strings.Contains(out.String(), "CHAINCODE_SERVER_ADDRESS") {
		t.Fatalf("--help: rc %d, %q", rc, out.String())
	}
	out.Reset()
	if rc := run(nil, envOf(nil), &out, &errOut); rc != 2 || !strings.Contains(errOut.String(), "no listen address") {
		t.Fatalf("no config: rc %d, %q", rc, errOut.String())
	}
}

func TestNewServerTLS(t *testing.T) {
	dir := t.TempDir()
	cert, key := testkit.WriteKeyPair(t, dir, "tls", &x509.Certificate{Subject: pkix.Name{CommonName: "cc"}})
	other, _ := testkit.WriteKeyPair(t, t.TempDir(), "tls", &x509.Certificate{Subject: pkix.Name{CommonName: "cc"}})
	s, err := newServer(config{address: ":0", id: "a:b", tlsCert: cert, tlsKey: key, clientCA: cert})
	if err != nil || s.TLSProps.Disabled || len(s.TLSProps.ClientCACerts) == 0 || s.CCID != "a:b" {
		t.Fatalf("newServer = %+v, %v", s, err)
	}
	if s, err := newServer(config{address: ":0", id: "a:b"}); err != nil || !s.TLSProps.Disabled {
		t.Fatalf("plain: %v", err)
	}
	for name, cfg := range map[string]config{
		"missing cert":     {tlsCert: filepath.Join(dir, "none"), tlsKey: key},
		"mismatched pair":  {tlsCert: other, tlsKey: key},
		"client CA is key": {tlsCert: cert, tlsKey: key, clientCA: key},
	} {
		cfg.address, cfg.id = ":0", "a:b"
		if _, err := newServer(cfg); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
