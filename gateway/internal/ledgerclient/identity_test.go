package ledgerclient

import (
	"context"
	"errors"
	"testing"

	"github.com/certledger/certledger/internal/profile"
	"github.com/certledger/certledger/network/devnet"
)

// TestIdentities: callers' identities connect next to the profile's (gRPC dials
// lazily, so no ledger runs here); a call's context selects one, and Operator
// says whom it signs as. Unnamed or repeated names and a key that is not the
// certificate's are refused at Connect.
func TestIdentities(t *testing.T) {
	dir := t.TempDir()
	if err := devnet.Init(dir, devnet.Config{}); err != nil {
		t.Fatal(err)
	}
	p, err := profile.Load(devnet.ProfilePath(dir, "dept-a"))
	if err != nil {
		t.Fatal(err)
	}
	c1, err := devnet.AddUser(dir, "dept-a", "clerk1", "")
	if err != nil {
		t.Fatal(err)
	}
	c2, err := devnet.AddUser(dir, "dept-a", "clerk2", "")
	if err != nil {
		t.Fatal(err)
	}
	id1 := Identity{Name: "clerk1", CertPath: c1.Cert, KeyPath: c1.Key}
	id2 := Identity{Name: "clerk2", CertPath: c2.Cert, KeyPath: c2.Key}

	f, err := Connect([]Org{{Name: "dept-a", Profile: p, Identities: []Identity{id1, id2}}}, Timeouts{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	for _, c := range []struct {
		ctx  context.Context
		want string
	}{
		{context.Background(), "Admin@dept-a.certledger.local"},
		{WithIdentity(context.Background(), "clerk1"), "clerk1@dept-a"},
		{WithIdentity(context.Background(), "clerk2"), "clerk2@dept-a"},
		{WithIdentity(context.Background(), "someone-else"), "Admin@dept-a.certledger.local"},
	} {
		msp, op, err := f.Operator(c.ctx, "dept-a")
		if err != nil || msp != "DeptAMSP" || op != c.want {
			t.Errorf("identity %q: %s %s %v, want %s", IdentityOf(c.ctx), msp, op, err, c.want)
		}
	}
	// Each identity has its own client over the organisation's connections.
	oc := f.orgs["dept-a"]
	g1, g2 := oc.gateways(WithIdentity(context.Background(), "clerk1")), oc.gateways(WithIdentity(context.Background(), "clerk2"))
	if len(g1) != len(oc.conns) || g1[0] == g2[0] || g1[0] == oc.gws[0] {
		t.Fatalf("gateways per identity: %d for %d connections", len(g1), len(oc.conns))
	}
	if _, _, err := f.Operator(context.Background(), "nope"); !errors.Is(err, ErrUnknownOrg) {
		t.Errorf("unknown organisation: %v", err)
	}

	for name, ids := range map[string][]Identity{
		"repeated name": {id1, {Name: "clerk1", CertPath: c2.Cert, KeyPath: c2.Key}},
		"no name":       {{CertPath: c1.Cert, KeyPath: c1.Key}},
	} {
		if _, err := Connect([]Org{{Name: "dept-a", Profile: p, Identities: ids}}, Timeouts{}); !errors.Is(err, ErrIdentityName) {
			t.Errorf("%s: %v", name, err)
		}
	}
	crossed := Identity{Name: "crossed", CertPath: c1.Cert, KeyPath: c2.Key}
	if _, err := Connect([]Org{{Name: "dept-a", Profile: p, Identities: []Identity{crossed}}}, Timeouts{}); !errors.Is(err, profile.ErrInvalid) {
		t.Errorf("another person's key: %v", err)
	}
}
