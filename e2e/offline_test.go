package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/gm"
)

var keyIDLine = regexp.MustCompile(`key id:\s+([0-9a-f]{64})`)

// TestKeys: keys generate and keys show, plain and password-encrypted, and their refusals.
func TestKeys(t *testing.T) {
	e := need(t)
	t.Parallel()
	dir := t.TempDir()

	r := e.exec(dir, "keys", "generate", "--out", "k.pem", "--pub-out", "k.pub")
	wantExit(t, r, 0, "private key:", "k.pem", "-----BEGIN PUBLIC KEY-----")
	m := keyIDLine.FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("no key id printed:\n%s", r)
	}
	id := m[1]
	if st, err := os.Stat(filepath.Join(dir, "k.pem")); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("private key file: %v %v, want mode 0600", st.Mode(), err)
	}
	// The key id is SM3 of the DER public key, as internal/gm computes it.
	pemBytes, _ := os.ReadFile(filepath.Join(dir, "k.pub"))
	pub, err := gm.ParsePublicKeyPEM(pemBytes)
	if err != nil {
		t.Fatal(err)
	}
	if gm.KeyID(pub) != id {
		t.Fatalf("printed key id %s, gm.KeyID of k.pub %s", id, gm.KeyID(pub))
	}
	for _, f := range []string{"k.pem", "k.pub"} {
		r := e.exec(dir, "keys", "show", f)
		wantExit(t, r, 0, id)
	}
	r = e.exec(dir, "-o", "json", "keys", "show", "k.pem")
	var shown struct{ KeyID string }
	jsonOut(t, r, &shown)
	if shown.KeyID != id {
		t.Fatalf("keys show -o json: key id %q, want %s", shown.KeyID, id)
	}

	// No silent overwrite.
	r = e.exec(dir, "keys", "generate", "--out", "k.pem")
	wantExit(t, r, 2, "certledger:")
	if b, _ := os.ReadFile(filepath.Join(dir, "k.pub")); string(b) != string(pemBytes) {
		t.Fatal("k.pub changed")
	}

	// Password-encrypted: the right password opens it, a wrong one is an input error.
	writeDoc(t, dir, "pw.txt", "correct horse battery staple\n")
	writeDoc(t, dir, "wrong.txt", "Tr0ub4dor&3\n")
	wantExit(t, e.exec(dir, "keys", "generate", "--out", "enc.pem", "--password-file", "pw.txt"), 0, "encrypted")
	b, _ := os.ReadFile(filepath.Join(dir, "enc.pem"))
	if !strings.Contains(string(b), "ENCRYPTED PRIVATE KEY") {
		t.Fatalf("enc.pem is not an encrypted PKCS#8 PEM:\n%s", b)
	}
	wantExit(t, e.exec(dir, "keys", "show", "enc.pem", "--password-file", "pw.txt"), 0, "key id:")
	wantExit(t, e.exec(dir, "keys", "show", "enc.pem", "--password-file", "wrong.txt"), 2, "wrong password")
	wantExit(t, e.exec(dir, "keys", "show", "missing.pem"), 2, "certledger:")
	wantExit(t, e.exec(dir, "keys", "frobnicate"), 2)
}

// TestHash: SM3 of files and stdin, sha256sum style; a missing file is exit 2.
func TestHash(t *testing.T) {
	e := need(t)
	t.Parallel()
	dir := t.TempDir()
	writeDoc(t, dir, "abc.txt", "abc")
	const abc = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0" // GB/T 32905 example
	wantExit(t, e.exec(dir, "hash", "abc.txt"), 0, abc+"  abc.txt")
	r := e.execIn(dir, strings.NewReader("abc"), "hash", "-")
	wantExit(t, r, 0, abc+"  -")
	r = e.exec(dir, "hash", "abc.txt", "nope.txt")
	wantExit(t, r, 2, abc, "nope.txt")
	r = e.exec(dir, "-o", "json", "hash", "abc.txt")
	if r.code != 0 || !strings.Contains(r.stdout, abc) || !strings.Contains(r.stdout, `"size"`) {
		t.Fatalf("hash -o json:\n%s", r)
	}
}

// TestSignVerifySignature: offline signing of a canonical payload, checked both by the
// CLI and by internal/canon directly; any change to a signed field breaks it.
func TestSignVerifySignature(t *testing.T) {
	e := need(t)
	t.Parallel()
	dir := t.TempDir()
	wantExit(t, e.exec(dir, "keys", "generate", "--out", "k.pem", "--pub-out", "k.pub"), 0)
	wantExit(t, e.exec(dir, "keys", "generate", "--out", "other.pem"), 0)
	rec := map[string]string{
		"id": "c-offline-1", "docHash": gm.SM3Hex([]byte("doc")), "type": "business-licence", "issuer": "dept-a",
		"holderCommitment": gm.SM3Hex([]byte("holder")), "validFrom": "2026-01-01T00:00:00Z",
		"validUntil": "2031-12-31T23:59:59Z", "keyId": "", "supersedes": "",
	}
	raw, _ := json.Marshal(rec)
	writeDoc(t, dir, "record.json", string(raw))

	r := e.exec(dir, "sign", "--kind", "certificate", "--key", "k.pem", "--explain", "record.json")
	wantExit(t, r, 0, "certledger/v1/certificate")
	var signed map[string]any
	jsonOut(t, r, &signed)
	sig, _ := signed["signature"].(string)
	if sig == "" {
		t.Fatalf("no signature in:\n%s", r)
	}
	writeDoc(t, dir, "signed.json", r.stdout)

	// An independent check with the shared packages.
	pemBytes, _ := os.ReadFile(filepath.Join(dir, "k.pub"))
	pub, err := gm.ParsePublicKeyPEM(pemBytes)
	if err != nil {
		t.Fatal(err)
	}
	if signed["keyId"] != gm.KeyID(pub) {
		t.Fatalf("keyId %v, want the key's id %s", signed["keyId"], gm.KeyID(pub))
	}
	if err := canon.Verify(pub, canon.KindCertificate, signed, sig); err != nil {
		t.Fatalf("canon.Verify of the CLI's signature: %v", err)
	}

	wantExit(t, e.exec(dir, "verify-signature", "--kind", "certificate", "--pub", "k.pub", "signed.json"), 0, "signature VALID")
	wantExit(t, e.execIn(dir, strings.NewReader(r.stdout), "verify-signature", "--kind", "certificate", "--pub", "k.pem", "-"), 0, "signature VALID")
	// Another key, a changed signed field: INVALID, exit 1.
	wantExit(t, e.exec(dir, "verify-signature", "--kind", "certificate", "--pub", "other.pem", "signed.json"), 1, "signature INVALID")
	signed["validUntil"] = "2099-12-31T23:59:59Z"
	changed, _ := json.Marshal(signed)
	writeDoc(t, dir, "changed.json", string(changed))
	wantExit(t, e.exec(dir, "verify-signature", "--kind", "certificate", "--pub", "k.pub", "changed.json"), 1, "signature INVALID")
	// A missing signed field is an input error.
	delete(rec, "supersedes")
	raw, _ = json.Marshal(rec)
	writeDoc(t, dir, "short.json", string(raw))
	wantExit(t, e.exec(dir, "sign", "--kind", "certificate", "--key", "k.pem", "short.json"), 2, "supersedes")
}
