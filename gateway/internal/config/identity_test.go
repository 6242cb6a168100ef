package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPrincipalIdentity: a caller's own Fabric identity is read with its paths
// resolved against the config's folder; one without cert or key is refused.
func TestPrincipalIdentity(t *testing.T) {
	const withIdentity = `
orgs:
  - {name: dept-a, profile: dept-a.yaml}
tokens:
  - id: clerk1
    sha256: 60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752
    department: dept-a
    org: dept-a
    role: clerk
    identity: {cert: users/clerk1/cert.pem, key: /abs/clerk1.key}
  - id: clerk2
    sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
    department: dept-a
    org: dept-a
    role: clerk
`
	dir := t.TempDir()
	path := filepath.Join(dir, "gateway.yaml")
	if err := os.WriteFile(path, []byte(withIdentity), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	id := c.Tokens[0].Identity
	if id == nil || id.Cert != filepath.Join(dir, "users/clerk1/cert.pem") || id.Key != "/abs/clerk1.key" {
		t.Fatalf("identity %+v", id)
	}
	if c.Tokens[1].Identity != nil {
		t.Fatalf("a caller without identity got %+v", c.Tokens[1].Identity)
	}
	for _, bad := range []string{"identity: {cert: c.pem}", "identity: {key: k.pem}", "identity: {}"} {
		y := strings.Replace(withIdentity, "identity: {cert: users/clerk1/cert.pem, key: /abs/clerk1.key}", bad, 1)
		c, err := Parse([]byte(y))
		if err == nil {
			err = c.Validate()
		}
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "identity needs cert and key") {
			t.Errorf("%s: got %v", bad, err)
		}
	}
}
