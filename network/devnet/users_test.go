package devnet

import (
	"errors"
	"os"
	"testing"

	"github.com/certledger/certledger/network/devnet/internal/msp"
)

// TestAddUser: a named person gets a client identity from the organisation's CA
// (node OU client unless admin is asked for, CN name@org: the operator id), a
// name is issued once, and names the layout reserves or cannot hold are refused.
func TestAddUser(t *testing.T) {
	dir := t.TempDir()
	if err := Init(dir, Config{}); err != nil {
		t.Fatal(err)
	}
	u, err := AddUser(dir, "gov", "auditor", "")
	if err != nil {
		t.Fatal(err)
	}
	if u.Role != "client" || u.Operator != "auditor@gov" || u.MSPID != "GovMSP" {
		t.Fatalf("auditor %+v", u)
	}
	// The certificate chains to the organisation's CA: the devnet's identity
	// check (the one every proposal goes through) accepts it as a client.
	b, err := os.ReadFile(msp.OrgLayout{Dir: orgDir(dir, "gov")}.CACert())
	if err != nil {
		t.Fatal(err)
	}
	org, err := msp.NewOrg("GovMSP", b)
	if err != nil {
		t.Fatal(err)
	}
	s, err := msp.LoadSigner("GovMSP", msp.OrgLayout{Dir: orgDir(dir, "gov")}.UserDir("auditor"))
	if err != nil {
		t.Fatal(err)
	}
	id, err := msp.NewManager([]*msp.Org{org}).Deserialize(s.Serialized())
	if err != nil {
		t.Fatal(err)
	}
	if id.Role != msp.RoleClient {
		t.Fatalf("auditor identity role %s", id.Role)
	}
	if a, err := AddUser(dir, "dept-a", "head", "admin"); err != nil || a.Role != "admin" {
		t.Fatalf("admin user %+v %v", a, err)
	}
	if _, err := AddUser(dir, "gov", "auditor", ""); !errors.Is(err, ErrUserExists) {
		t.Errorf("second auditor: %v", err)
	}
	for _, bad := range []struct{ org, name, role string }{
		{"gov", "Admin", ""}, {"gov", "user1", ""}, {"gov", "Clerk", ""}, {"gov", "../x", ""}, {"gov", "", ""},
		{"gov", "clerk9", "peer"},
	} {
		if _, err := AddUser(dir, bad.org, bad.name, bad.role); !errors.Is(err, ErrUserName) {
			t.Errorf("%+v: got %v, want ErrUserName", bad, err)
		}
	}
	if _, err := AddUser(dir, "dept-x", "clerk1", ""); !errors.Is(err, ErrUnknownOrg) {
		t.Errorf("unknown organisation: %v", err)
	}
	us, err := Users(dir, "gov")
	if err != nil {
		t.Fatal(err)
	}
	if len(us) != 3 || us[0].Name != "Admin" || us[0].Role != "admin" || us[2].Name != "auditor" {
		t.Fatalf("users %+v", us)
	}
}
