package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const good = `
listen: ":9090"
publicURL: https://verify.example.gov
governanceDepartment: gov
orgs:
  - name: gov
    profile: profiles/gov.yaml
  - name: dept-a
    profile: /abs/dept-a.yaml
tokens:
  - sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
    department: gov
    org: gov
    role: admin
  - id: a-clerk
    sha256: 60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752
    department: dept-a
    org: dept-a
    role: clerk
timeouts:
  evaluate: 2s
batchDir: batches
readModel: {dir: readmodel, maxLag: 3s, cacheSize: 536870912}
coalesce: {window: 4ms}
`

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "gateway.yaml")
	if err := os.WriteFile(path, []byte(good), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != ":9090" || c.Orgs[0].Profile != filepath.Join(dir, "profiles/gov.yaml") || c.Orgs[1].Profile != "/abs/dept-a.yaml" {
		t.Errorf("paths: %+v", c.Orgs)
	}
	if c.BatchDir != filepath.Join(dir, "batches") {
		t.Errorf("batchDir %q is not resolved against the config's folder", c.BatchDir)
	}
	if c.Timeouts.Evaluate != 2*time.Second || c.Timeouts.Endorse != 15*time.Second {
		t.Errorf("timeouts: %+v", c.Timeouts)
	}
	if c.Tokens[0].ID != "tok-9f86d081" || c.Tokens[1].ID != "a-clerk" || c.Tokens[1].Role != RoleClerk {
		t.Errorf("tokens: %+v", c.Tokens)
	}
	// A commit is waited for at most 10 s (no caller hangs a minute through a
	// Raft leader change), each submission 2 s before it is resent.
	if c.Timeouts.CommitStatus != 10*time.Second || c.Timeouts.CommitWait != 2*time.Second || c.Operations.Listen != "" {
		t.Errorf("commit timeouts / operations: %+v %+v", c.Timeouts, c.Operations)
	}
	if c.ReadModel.Dir != filepath.Join(dir, "readmodel") || c.ReadModel.MaxLag != 3*time.Second || c.ReadModel.CacheSize != 512<<20 || c.Coalesce == nil || c.Coalesce.Window != 4*time.Millisecond {
		t.Errorf("read model / coalesce: %+v %+v", c.ReadModel, c.Coalesce)
	}
	if c.BodyLimit != 1<<20 || c.MVCCRetries != 3 {
		t.Errorf("defaults lost: %+v", c)
	}
}

func TestValidateRefusals(t *testing.T) {
	cases := []struct {
		name, yaml, want string
	}{
		{"unknown field", "listen: x\nlisten2: y\n", "listen2"},
		{"no orgs", "listen: x\n", "orgs is empty"},
		{"dup org", "orgs: [{name: a, profile: p}, {name: a, profile: q}]\n", "duplicate name"},
		{"plaintext token", "orgs: [{name: a, profile: p}]\ntokens: [{sha256: secret, department: d, org: a, role: admin}]\n", "64 lowercase hex"},
		{"unknown org", "orgs: [{name: a, profile: p}]\ntokens: [{sha256: " + strings.Repeat("a", 64) + ", department: d, org: b, role: admin}]\n", `org "b"`},
		{"bad role", "orgs: [{name: a, profile: p}]\ntokens: [{sha256: " + strings.Repeat("a", 64) + ", department: d, org: a, role: root}]\n", "role"},
		{"dup token", "orgs: [{name: a, profile: p}]\ntokens: [{sha256: " + strings.Repeat("a", 64) + ", department: d, org: a, role: admin}, {sha256: " + strings.Repeat("a", 64) + ", department: e, org: a, role: clerk}]\n", "duplicate sha256"},
		{"bad url", "publicURL: ftp://x\norgs: [{name: a, profile: p}]\n", "publicURL"},
		{"certs without CA", "orgs: [{name: a, profile: p}]\nclientCerts: [{commonName: app, department: d, org: a, role: clerk}]\n", "clientCAFile"},
		{"zero timeout", "orgs: [{name: a, profile: p}]\ntimeouts: {endorse: 0s}\n", "endorse"},
		{"bad limit", "orgs: [{name: a, profile: p}]\nbodyLimit: -1\n", "bodyLimit"},
		{"commit wait over budget", "orgs: [{name: a, profile: p}]\ntimeouts: {commitWait: 20s}\n", "commitWait"},
		{"metrics on the public listener", "listen: 127.0.0.1:8080\noperations: {listen: 127.0.0.1:8080}\norgs: [{name: a, profile: p}]\n", "operations.listen"},
		{"bad rate", "orgs: [{name: a, profile: p}]\nrateLimit: {perSecond: 5, burst: 0}\n", "rateLimit"},
		{"negative read model lag", "orgs: [{name: a, profile: p}]\nreadModel: {dir: rm, maxLag: -1s}\n", "readModel.maxLag"},
		{"read model cache too small", "orgs: [{name: a, profile: p}]\nreadModel: {dir: rm, cacheSize: 67108864}\n", "readModel.cacheSize 67108864"},
		{"coalescing window too long", "orgs: [{name: a, profile: p}]\ncoalesce: {window: 2s}\n", "coalesce.window"},
		{"coalescing group too large", "orgs: [{name: a, profile: p}]\ncoalesce: {max: 20000}\n", "coalesce.max"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := Parse([]byte(c.yaml))
			if err == nil {
				err = cfg.Validate()
			}
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want ErrInvalid containing %q", err, c.want)
			}
		})
	}
}

func TestHashToken(t *testing.T) {
	if got := HashToken("test"); got != "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" {
		t.Fatal(got)
	}
}
