package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/internal/testkit"
)

// issueArgs are the arguments of a single cert issue of file with key.
func issueArgs(file, key string, extra ...string) []string {
	return append([]string{"cert", "issue", "--file", file, "--type", "business-licence",
		"--holder-id", "91110000ACME", "--valid-until", "2031-12-31", "--key", key}, extra...)
}

// TestRefusedWrongDepartment: a department's application may act only as itself.
func TestRefusedWrongDepartment(t *testing.T) {
	e := need(t)
	t.Parallel()
	dir := t.TempDir()
	doc := uniqueDoc(t, dir, "doc.txt")

	// dept-b's token, dept-a's key: the gateway refuses before the ledger sees it.
	r := e.cl(t, dir, tokB, issueArgs(doc, e.keys["dept-a"])...)
	wantExit(t, r, 1, "FORBIDDEN")
	// dept-b's token claiming to issue for dept-a with dept-b's key.
	r = e.cl(t, dir, tokB, issueArgs(doc, e.keys["dept-b"], "--dept", "dept-a")...)
	wantExit(t, r, 1, "FORBIDDEN")
	// Nothing was written.
	e.wantVerdict(t, dir, "NOT_FOUND", doc)
	if m, _ := filepath.Glob(filepath.Join(dir, "*.receipt.json")); len(m) != 0 {
		t.Fatalf("refused issue left receipts %v", m)
	}
	// A clerk may not register departments or manage keys.
	r = e.cl(t, dir, tokA, "dept", "register", "--id", "dept-x", "--name", "X", "--msp-id", "DeptAMSP", "--pub", e.pubs["dept-a"])
	wantExit(t, r, 1, "FORBIDDEN")
	r = e.cl(t, dir, tokA, "dept", "add-key", "dept-a", "--pub", e.pubs["dept-b"])
	wantExit(t, r, 1, "FORBIDDEN")
}

// TestRefusedNoToken: writes need a token; public reads do not.
func TestRefusedNoToken(t *testing.T) {
	e := need(t)
	t.Parallel()
	dir := t.TempDir()
	doc := uniqueDoc(t, dir, "doc.txt")
	r := e.cl(t, dir, "", issueArgs(doc, e.keys["dept-a"])...)
	wantExit(t, r, 1, "UNAUTHENTICATED")
	r = e.exec(dir, "--gateway", e.url, "--token", "not-a-known-token", "dept", "register", "--id", "dept-x",
		"--name", "X", "--msp-id", "DeptAMSP", "--pub", e.pubs["dept-a"])
	wantExit(t, r, 1, "UNAUTHENTICATED")
	e.wantVerdict(t, dir, "NOT_FOUND", doc)
	// Reads that are public work without one.
	wantExit(t, e.cl(t, dir, "", "dept", "list"), 0, "dept-a", "dept-b")
}

// TestRefusedUnregisteredKey: a key the registry does not know cannot issue.
func TestRefusedUnregisteredKey(t *testing.T) {
	e := need(t)
	t.Parallel()
	dir := t.TempDir()
	wantExit(t, e.exec(dir, "keys", "generate", "--out", "stray.pem"), 0)
	doc := uniqueDoc(t, dir, "doc.txt")
	r := e.cl(t, dir, tokA, issueArgs(doc, "stray.pem")...)
	wantExit(t, r, 1, "not registered")
	// Naming the department does not help: the chaincode checks the key.
	r = e.cl(t, dir, tokA, issueArgs(doc, "stray.pem", "--dept", "dept-a")...)
	if r.code != 1 {
		t.Fatalf("want exit 1:\n%s", r)
	}
	e.wantVerdict(t, dir, "NOT_FOUND", doc)
}

// TestTamperedFile: one changed byte, a truncated file, an appended byte: none VALID.
func TestTamperedFile(t *testing.T) {
	e := need(t)
	t.Parallel()
	dir := t.TempDir()
	doc := uniqueDoc(t, dir, "deed.txt")
	res := e.issue(t, dir, tokB, e.keys["dept-b"], doc)
	e.wantVerdict(t, dir, "VALID", doc)
	orig, _ := os.ReadFile(doc)
	for name, b := range map[string][]byte{
		"flipped.txt":   flip(orig, len(orig)/3),
		"truncated.txt": orig[:len(orig)-1],
		"appended.txt":  append(append([]byte{}, orig...), '\n'),
	} {
		p := writeDoc(t, dir, name, string(b))
		r := e.cl(t, dir, "", "cert", "verify", p)
		wantExit(t, r, 1, "verdict: NOT_FOUND")
		e.wantVerdict(t, dir, "HASH_MISMATCH", "--id", res.Record.ID, p)
	}
}

func flip(b []byte, i int) []byte {
	c := append([]byte{}, b...)
	c[i] ^= 0x01
	return c
}

// TestExpiredCertificate: a certificate whose validity ended is EXPIRED (exit 1).
func TestExpiredCertificate(t *testing.T) {
	e := need(t)
	t.Parallel()
	dir := t.TempDir()
	doc := uniqueDoc(t, dir, "permit.txt")
	r := e.cl(t, dir, tokA, "-o", "json", "cert", "issue", "--file", doc, "--type", "permit", "--holder-id", "110101199003074518",
		"--valid-from", "2020-01-01", "--valid-until", "2021-12-31", "--key", e.keys["dept-a"])
	var id string
	if r.code == 0 {
		var res issued
		jsonOut(t, r, &res)
		id = res.Record.ID
	} else {
		// A ledger may refuse to issue what is already expired; then let one expire.
		t.Logf("issuing an already expired certificate was refused (%s); issuing one valid for 3 s", strings.TrimSpace(r.stderr))
		until := time.Now().UTC().Add(3 * time.Second).Format(time.RFC3339)
		res := e.issue(t, dir, tokA, e.keys["dept-a"], doc, "--valid-until", until)
		id = res.Record.ID
		e.wantVerdict(t, dir, "VALID", doc)
		time.Sleep(time.Until(time.Now().Add(4 * time.Second)))
	}
	rep := e.wantVerdict(t, dir, "EXPIRED", doc)
	if st, code := rep.step(8); st != "fail" || code != "EXPIRED" {
		t.Errorf("step 8 = %s %s, want fail EXPIRED", st, code)
	}
	wantExit(t, e.cl(t, dir, "", "cert", "verify", "--id", id), 1, "verdict: EXPIRED")

	// Not yet valid either.
	doc2 := uniqueDoc(t, dir, "future.txt")
	e.issue(t, dir, tokA, e.keys["dept-a"], doc2, "--valid-from", "2030-01-01")
	e.wantVerdict(t, dir, "NOT_YET_VALID", doc2)
}

// TestLedgerUnreachable: a gateway that does not answer is exit 3, for reads and writes.
func TestLedgerUnreachable(t *testing.T) {
	e := need(t)
	t.Parallel()
	dir := t.TempDir()
	closed := "http://" + testkit.DeadAddr(t) // nothing listens there any more
	doc := uniqueDoc(t, dir, "doc.txt")
	base := []string{"--gateway", closed, "--token", e.tokens[tokA], "--timeout", "5s"}
	for _, args := range [][]string{
		{"cert", "verify", doc},
		{"cert", "verify", "--hash", strings.Repeat("ab", 32)},
		{"cert", "show", "c-1"},
		{"dept", "list"},
		issueArgs(doc, e.keys["dept-a"]),
		issueArgs(doc, e.keys["dept-a"], "--dept", "dept-a"),
		{"cert", "revoke", "c-1", "--reason", "x", "--key", e.keys["dept-a"]},
	} {
		r := e.exec(dir, append(base, args...)...)
		wantExit(t, r, 3, "certledger:")
	}

	// A receipt is still checked offline, and says that revocation was not checked.
	res := e.issue(t, dir, tokA, e.keys["dept-a"], doc)
	r := e.exec(dir, append(base, "cert", "verify", "--receipt", res.Receipt, doc)...)
	wantExit(t, r, 3, "offline")
	if !strings.Contains(r.stdout, "VALID") {
		t.Fatalf("offline steps not printed:\n%s", r)
	}
}

// TestCompromisedKeyAndRotation: a key revoked as compromised invalidates what it
// signed from the compromise time on, and cannot issue any more; rotation keeps older
// certificates valid and retires the old key.
func TestCompromisedKeyAndRotation(t *testing.T) {
	e := need(t)
	t.Parallel()
	dir := t.TempDir()
	for _, k := range []string{"k1", "k2", "k3"} {
		wantExit(t, e.exec(dir, "keys", "generate", "--out", k+".pem", "--pub-out", k+".pub"), 0)
	}
	e.ok(t, dir, tokGov, "dept", "register", "--id", "dept-k", "--name", "Key Test Bureau", "--msp-id", "DeptBMSP",
		"--category", "licence", "--category", "business-licence", "--pub", "k1.pub")
	e.ok(t, dir, tokGov, "dept", "add-key", "dept-k", "--pub", "k2.pub")

	before := e.issue(t, dir, tokK, "k1.pem", uniqueDoc(t, dir, "before.txt"))
	issuedAt, err := time.Parse(time.RFC3339Nano, before.Record.IssuedAt)
	if err != nil {
		// the issue result may not carry issuedAt; ask the ledger
		r := e.ok(t, dir, "", "-o", "json", "cert", "show", before.Record.ID)
		var c certificate
		jsonOut(t, r, &c)
		if issuedAt, err = time.Parse(time.RFC3339Nano, c.IssuedAt); err != nil {
			t.Fatalf("issuedAt %q: %v", c.IssuedAt, err)
		}
	}
	// The compromise time: a whole second after the first issue, before the second.
	compromisedAt := issuedAt.Truncate(time.Second).Add(2 * time.Second)
	time.Sleep(time.Until(compromisedAt.Add(200 * time.Millisecond)))
	after := e.issue(t, dir, tokK, "k1.pem", uniqueDoc(t, dir, "after.txt"))
	e.wantVerdict(t, dir, "VALID", "after.txt")

	// dept-k's own administrator reports the key compromised as of compromisedAt.
	r := e.ok(t, dir, tokKAdmin, "dept", "revoke-key", "dept-k", "--key-id", before.Record.KeyID,
		"--reason", "compromised", "--effective-at", compromisedAt.Format(time.RFC3339))
	if !strings.Contains(r.stdout, "dept-k") {
		t.Fatalf("revoke-key output:\n%s", r)
	}
	rep := e.wantVerdict(t, dir, "VALID", "before.txt")
	if st, _ := rep.step(6); st != "pass" {
		t.Errorf("certificate signed before the compromise: step 6 = %q, want pass", st)
	}
	rep = e.wantVerdict(t, dir, "KEY_INVALID", "after.txt")
	if st, _ := rep.step(6); st != "fail" {
		t.Errorf("certificate signed after the compromise: step 6 = %q, want fail", st)
	}
	_ = after
	// The revoked key cannot issue any more.
	r = e.cl(t, dir, tokK, issueArgs(uniqueDoc(t, dir, "late.txt"), "k1.pem")...)
	if r.code != 1 {
		t.Fatalf("issue with a compromised key: want exit 1:\n%s", r)
	}
	e.wantVerdict(t, dir, "NOT_FOUND", "late.txt")

	// Rotation: k2 -> k3. What k2 signed before stays VALID; k2 cannot sign any more.
	withK2 := e.issue(t, dir, tokK, "k2.pem", uniqueDoc(t, dir, "k2.txt"))
	r = e.ok(t, dir, tokGov, "-o", "json", "dept", "rotate-key", "dept-k", "--old", withK2.Record.KeyID, "--pub", "k3.pub")
	e.wantVerdict(t, dir, "VALID", "k2.txt")
	r = e.cl(t, dir, tokK, issueArgs(uniqueDoc(t, dir, "k2-late.txt"), "k2.pem")...)
	if r.code != 1 {
		t.Fatalf("issue with a rotated-out key: want exit 1:\n%s", r)
	}
	e.issue(t, dir, tokK, "k3.pem", uniqueDoc(t, dir, "k3.txt"))
	e.wantVerdict(t, dir, "VALID", "k3.txt")

	// The registry shows it all.
	r = e.ok(t, dir, "", "-o", "json", "dept", "show", "dept-k")
	var d struct {
		Keys []struct {
			KeyID, RotatedAt, RevokedAt, RevokeReason string
		}
	}
	jsonOut(t, r, &d)
	if len(d.Keys) != 3 {
		t.Fatalf("dept-k has %d keys, want 3:\n%s", len(d.Keys), r)
	}
	for _, k := range d.Keys {
		switch k.KeyID {
		case before.Record.KeyID:
			if k.RevokeReason != "compromised" || !strings.HasPrefix(k.RevokedAt, compromisedAt.Format("2006-01-02T15:04:05")) {
				t.Errorf("k1: %+v, want revoked compromised at %s", k, compromisedAt.Format(time.RFC3339))
			}
		case withK2.Record.KeyID:
			if k.RotatedAt == "" || k.RevokedAt != "" {
				t.Errorf("k2: %+v, want rotated", k)
			}
		default:
			if k.RotatedAt != "" || k.RevokedAt != "" {
				t.Errorf("k3: %+v, want current", k)
			}
		}
	}
}

// TestReinstateWithoutReason: the gateway and the chaincode require a reason for
// every status change, so `cert reinstate` without --reason must either supply one
// (exit 0) or refuse up front (exit 2 naming --reason); it once documented the flag
// as optional and then failed with INVALID_ARGUMENT from the gateway after reading
// the certificate.
func TestReinstateWithoutReason(t *testing.T) {
	e := need(t)
	t.Parallel()
	dir := t.TempDir()
	doc := uniqueDoc(t, dir, "suspended.txt")
	res := e.issue(t, dir, tokA, e.keys["dept-a"], doc)
	e.ok(t, dir, tokA, "cert", "suspend", res.Record.ID, "--reason", "under-review", "--key", e.keys["dept-a"])
	r := e.cl(t, dir, tokA, "cert", "reinstate", res.Record.ID, "--key", e.keys["dept-a"])
	switch r.code {
	case 0:
		e.wantVerdict(t, dir, "VALID", doc)
	case 2:
		wantExit(t, r, 2, "--reason")
		e.wantVerdict(t, dir, "SUSPENDED", doc)
	default:
		t.Fatalf("cert reinstate without --reason: want exit 0 (reinstated) or 2 (usage: --reason required), got:\n%s", r)
	}
}

// TestRefusedActions: what a department, an auditor or a forger may not do.
func TestRefusedActions(t *testing.T) {
	e := need(t)
	t.Parallel()
	dir := t.TempDir()
	a := e.issue(t, dir, tokA, e.keys["dept-a"], uniqueDoc(t, dir, "a.txt"))
	writeDoc(t, dir, "v2.txt", "amended "+testkit.RandomHex(8))
	supersede := func(role, id, key string) result {
		return e.cl(t, dir, role, "cert", "supersede", id, "--file", "v2.txt", "--holder-id", "91110000ACME",
			"--valid-until", "2032-12-31", "--key", key)
	}
	// Another department may not supersede or revoke it, even with a key of the issuer's
	// department's neighbour; the issuer may not use another department's key.
	wantExit(t, supersede(tokB, a.Record.ID, e.keys["dept-b"]), 1, "FORBIDDEN")
	wantExit(t, e.cl(t, dir, tokA, "cert", "revoke", a.Record.ID, "--reason", "x", "--key", e.keys["dept-b"]), 1, "FORBIDDEN")
	// An auditor reads, never writes; the governance office does not issue for a department.
	wantExit(t, e.cl(t, dir, tokAuditor, issueArgs(uniqueDoc(t, dir, "b.txt"), e.keys["dept-a"])...), 1, "FORBIDDEN")
	wantExit(t, e.cl(t, dir, tokGov, issueArgs(uniqueDoc(t, dir, "c.txt"), e.keys["dept-a"])...), 1, "FORBIDDEN")
	// Bad validity windows are input errors (exit 2), before anything is sent.
	wantExit(t, e.cl(t, dir, tokA, issueArgs("a.txt", e.keys["dept-a"], "--valid-from", "2032-01-01")...), 2)
	wantExit(t, e.cl(t, dir, tokA, issueArgs("a.txt", e.keys["dept-a"], "--valid-until", "someday")...), 2, "--valid-until")
	wantExit(t, e.cl(t, dir, tokA, issueArgs("missing.txt", e.keys["dept-a"])...), 2)

	// A receipt whose record was edited does not verify (offline or online).
	b, err := os.ReadFile(filepath.Join(dir, a.Receipt))
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(b), `"validUntil": "2031-12-31T23:59:59Z"`, `"validUntil": "2099-12-31T23:59:59Z"`, 1)
	if edited == string(b) {
		edited = strings.Replace(string(b), `"validUntil":"2031-12-31T23:59:59Z"`, `"validUntil":"2099-12-31T23:59:59Z"`, 1)
	}
	if edited == string(b) {
		t.Fatalf("could not find validUntil in the receipt:\n%s", b)
	}
	writeDoc(t, dir, "edited.receipt.json", edited)
	rep := e.wantVerdict(t, dir, "BAD_SIGNATURE", "--receipt", "edited.receipt.json")
	if st, _ := rep.step(5); st != "fail" {
		t.Errorf("step 5 = %q, want fail", st)
	}
	e.wantVerdict(t, dir, "BAD_SIGNATURE", "--receipt", "edited.receipt.json", "--offline")
	writeDoc(t, dir, "garbage.receipt.json", "{not json")
	e.wantVerdict(t, dir, "BAD_FORMAT", "--receipt", "garbage.receipt.json")

	// A revoked certificate cannot be superseded; a suspended one can still be revoked.
	e.ok(t, dir, tokA, "cert", "suspend", a.Record.ID, "--reason", "review", "--key", e.keys["dept-a"])
	e.ok(t, dir, tokA, "cert", "revoke", a.Record.ID, "--reason", "fraud", "--key", e.keys["dept-a"])
	wantExit(t, supersede(tokA, a.Record.ID, e.keys["dept-a"]), 1, "ILLEGAL_TRANSITION")
	wantExit(t, e.cl(t, dir, tokAuditor, "cert", "history", "no-such-certificate"), 1, "NOT_FOUND")
}
