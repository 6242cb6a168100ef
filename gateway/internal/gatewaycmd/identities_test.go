package gatewaycmd

import (
	"testing"

	"github.com/certledger/certledger/gateway/internal/config"
)

// TestIdentities: the ledger client connects each caller identity of an
// organisation once, named as auth names it (its certificate), tokens and client
// certificates alike; callers without one add nothing.
func TestIdentities(t *testing.T) {
	id := func(cert string) *config.Identity { return &config.Identity{Cert: cert, Key: cert + ".key"} }
	cfg := &config.Config{
		Tokens: []config.Token{
			{Principal: config.Principal{Org: "dept-a", Identity: id("/c/clerk1.pem")}},
			{Principal: config.Principal{Org: "dept-a"}},
			{Principal: config.Principal{Org: "dept-b", Identity: id("/c/b.pem")}},
			{Principal: config.Principal{Org: "dept-a", Identity: id("/c/clerk1.pem")}}, // the same person, another token
		},
		ClientCerts: []config.ClientCert{{Principal: config.Principal{Org: "dept-a", Identity: id("/c/clerk2.pem")}}},
	}
	got := identities(cfg, "dept-a")
	if len(got) != 2 || got[0].Name != "/c/clerk1.pem" || got[0].KeyPath != "/c/clerk1.pem.key" || got[1].Name != "/c/clerk2.pem" {
		t.Fatalf("dept-a identities %+v", got)
	}
	if got := identities(cfg, "gov"); len(got) != 0 {
		t.Fatalf("gov identities %+v", got)
	}
}
