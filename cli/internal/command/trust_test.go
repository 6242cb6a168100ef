package command

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certledger/certledger/internal/trust"
)

func TestTrustCommands(t *testing.T) {
	e := newEnv(t)
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
	// The gateway pins that governance key; it describes the in-memory channel: its
	// height, a root CA per MSP (CN ca.<org>), MAJORITY of the MSPs.
	e.GW.Trust(t, fp.Fingerprint)
	height := e.GW.Ledger.Block() + 1

	out := filepath.Join(e.Dir, "bundle.json")
	r = admin("trust", "export", "--key", gov, "--out", out, "--gateway-key", "gw-1="+e.PubPath)
	wantCode(t, r, 0)
	if !strings.Contains(r.Stdout, trust.GroupPin(fp.Fingerprint)) || !strings.Contains(r.Stdout, "2 of [DeptAMSP DeptBMSP GovMSP] (MAJORITY)") {
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
	if s.Bundle.Height != height || len(s.Bundle.Departments) != 2 || len(s.Bundle.Gateways) != 1 || s.Bundle.Governance.Department != "gov" {
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
	tampered := e.file("tampered.json", string(bytes.Replace(data, fmt.Appendf(nil, `"height": %d`, height), fmt.Appendf(nil, `"height": %d`, height+1), 1)))
	if bytes.Equal(readFile(t, tampered), data) {
		t.Fatal("the tampered copy is the same")
	}
	wantCode(t, run(t, "trust", "verify", "--pin", fp.Fingerprint, tampered), 1)
	wantCode(t, run(t, "trust", "verify", "--pin", "abc", out), 2)
	wantCode(t, run(t, "trust", "verify", out), 2)
	wantCode(t, run(t, "trust", "verify", "--pin", fp.Fingerprint, filepath.Join(e.Dir, "missing.json")), 2)

	r = run(t, "trust", "show", out)
	wantCode(t, r, 0)
	for _, want := range []string{"dept-a", "dept-b", "CN=ca.dept-a", "gw-1"} {
		if !strings.Contains(r.Stdout, want) {
			t.Fatalf("show lacks %q:\n%s", want, r.Stdout)
		}
	}

	// Publishing: governance only; then verify and show read the gateway's bundle.
	wantCode(t, run(t, "--gateway", e.GW.URL, "--token", clerkToken, "trust", "publish", out), 1)
	wantCode(t, run(t, "--gateway", e.GW.URL, "trust", "verify", "--pin", fp.Fingerprint), 1) // nothing published: NOT_FOUND
	wantCode(t, admin("trust", "publish", out), 0)
	if got := e.GW.Do(t, "GET", "/api/v1/trust", "", nil); got.Status != 200 || !bytes.Equal(got.Body, data) {
		t.Fatalf("published: %d, the bytes differ from the file: %v", got.Status, !bytes.Equal(got.Body, data))
	}
	wantCode(t, run(t, "--gateway", e.GW.URL, "trust", "verify", "--pin", fp.Fingerprint), 0)
	wantCode(t, admin("trust", "publish", "--follow"), 2) // --follow needs --key
	wantCode(t, admin("trust", "publish", tampered+".nope"), 2)
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
