package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type department struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	MSPID      string   `json:"mspId"`
	Parent     string   `json:"parent"`
	Categories []string `json:"categories"`
	Status     string   `json:"status"`
	Keys       []struct {
		KeyID        string `json:"keyId"`
		PublicKey    string `json:"publicKey"`
		ValidFrom    string `json:"validFrom"`
		RotatedAt    string `json:"rotatedAt"`
		RevokedAt    string `json:"revokedAt"`
		RevokeReason string `json:"revokeReason"`
	} `json:"keys"`
	TxID string `json:"txId"`
}

// TestDepartments: dept register (flags and --file), list, show, add-key, rotate-key,
// revoke-key, and the registry's refusals.
func TestDepartments(t *testing.T) {
	e := need(t)
	t.Parallel()
	dir := t.TempDir()
	for _, k := range []string{"r1", "r2", "r3", "s1"} {
		wantExit(t, e.exec(dir, "keys", "generate", "--out", k+".pem", "--pub-out", k+".pub"), 0)
	}
	keyID := func(f string) string {
		r := e.exec(dir, "-o", "json", "keys", "show", f)
		var k struct{ KeyID string }
		jsonOut(t, r, &k)
		return k.KeyID
	}
	id1, id2, id3 := keyID("r1.pub"), keyID("r2.pub"), keyID("r3.pub")

	r := e.cl(t, dir, tokGov, "dept", "register", "--id", "dept-r", "--name", "Registry Test Bureau", "--msp-id", "DeptAMSP",
		"--parent", "dept-a", "--category", "housing", "--category", "property", "--pub", "r1.pub")
	wantExit(t, r, 0, "registered: department dept-r", "block")

	// --file form, with a private key file's public half.
	pub, _ := os.ReadFile(filepath.Join(dir, "s1.pub"))
	body, _ := json.Marshal(map[string]any{"id": "dept-s", "name": "File Bureau", "mspId": "DeptBMSP", "parent": "",
		"categories": []string{"complaints"}, "publicKeys": []string{string(pub)}})
	writeDoc(t, dir, "dept-s.json", string(body))
	wantExit(t, e.cl(t, dir, tokGov, "dept", "register", "--file", "dept-s.json"), 0, "dept-s")

	r = e.ok(t, dir, "", "-o", "json", "dept", "list")
	var all []department
	jsonOut(t, r, &all)
	seen := map[string]bool{}
	for _, d := range all {
		seen[d.ID] = true
	}
	for _, want := range []string{"dept-a", "dept-b", "dept-r", "dept-s"} {
		if !seen[want] {
			t.Errorf("dept list lacks %s", want)
		}
	}
	wantExit(t, e.cl(t, dir, "", "dept", "list"), 0, "ID", "MSP", "dept-r", "Registry Test Bureau")

	show := func() department {
		t.Helper()
		r := e.ok(t, dir, "", "-o", "json", "dept", "show", "dept-r")
		var d department
		jsonOut(t, r, &d)
		return d
	}
	d := show()
	if d.MSPID != "DeptAMSP" || d.Parent != "dept-a" || strings.Join(d.Categories, ",") != "housing,property" ||
		d.Status != "active" || len(d.Keys) != 1 || d.Keys[0].KeyID != id1 {
		t.Fatalf("dept show dept-r: %+v", d)
	}
	wantExit(t, e.cl(t, dir, "", "dept", "show", "dept-r"), 0, id1, "housing")

	// add-key, rotate-key r2 -> r3, revoke-key r1.
	wantExit(t, e.cl(t, dir, tokGov, "dept", "add-key", "dept-r", "--pub", "r2.pem"), 0)
	wantExit(t, e.cl(t, dir, tokGov, "dept", "rotate-key", "dept-r", "--old", id2, "--pub", "r3.pub"), 0)
	wantExit(t, e.cl(t, dir, tokGov, "dept", "revoke-key", "dept-r", "--key-id", id1, "--reason", "retired"), 0)
	d = show()
	keys := map[string]int{}
	for i, k := range d.Keys {
		keys[k.KeyID] = i
	}
	if len(d.Keys) != 3 {
		t.Fatalf("dept-r keys: %+v", d.Keys)
	}
	if k := d.Keys[keys[id1]]; k.RevokedAt == "" || k.RevokeReason != "retired" {
		t.Errorf("r1 after revoke-key: %+v", k)
	}
	if k := d.Keys[keys[id2]]; k.RotatedAt == "" {
		t.Errorf("r2 after rotate-key: %+v", k)
	}
	if k := d.Keys[keys[id3]]; k.RotatedAt != "" || k.RevokedAt != "" || k.ValidFrom == "" {
		t.Errorf("r3 after rotate-key: %+v", k)
	}

	// Refusals.
	wantExit(t, e.cl(t, dir, tokGov, "dept", "register", "--id", "dept-r", "--name", "Again", "--msp-id", "DeptAMSP", "--pub", "r3.pub"), 1, "CONFLICT")
	wantExit(t, e.cl(t, dir, tokGov, "dept", "rotate-key", "dept-r", "--old", id2, "--pub", "r1.pub"), 1)
	wantExit(t, e.cl(t, dir, tokGov, "dept", "add-key", "no-such-dept", "--pub", "r1.pub"), 1, "NOT_FOUND")
	wantExit(t, e.cl(t, dir, "", "dept", "show", "no-such-dept"), 1, "NOT_FOUND")
	wantExit(t, e.cl(t, dir, tokGov, "dept", "register", "--id", "dept-q"), 2)
	wantExit(t, e.cl(t, dir, tokGov, "dept", "revoke-key", "dept-r", "--key-id", id3), 2, "--reason")
	// dept-k's administrator may revoke only dept-k's keys.
	wantExit(t, e.cl(t, dir, tokKAdmin, "dept", "revoke-key", "dept-r", "--key-id", id3, "--reason", "compromised"), 1, "FORBIDDEN")
}
