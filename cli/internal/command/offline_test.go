package command

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/gm"
	"github.com/urfave/cli/v2"
)

func TestKeysGenerateAndShow(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "k.pem")
	pub := filepath.Join(dir, "k.pub")
	r := run(t, "keys", "generate", "--out", key, "--pub-out", pub, "--output", "json")
	wantCode(t, r, 0)
	var v keyView
	if err := json.Unmarshal([]byte(r.Stdout), &v); err != nil {
		t.Fatal(err, r.Stdout)
	}
	if gm.CheckHash(v.KeyID) != nil || !strings.Contains(v.PublicKey, "PUBLIC KEY") {
		t.Fatalf("bad view %+v", v)
	}
	st, _ := os.Stat(key)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", st.Mode().Perm())
	}

	// refuses to overwrite, then --force
	before, _ := os.ReadFile(key)
	r = run(t, "keys", "generate", "--out", key)
	wantCode(t, r, 2)
	oneLine(t, r, "--force")
	after, _ := os.ReadFile(key)
	if string(before) != string(after) {
		t.Fatal("key overwritten without --force")
	}
	wantCode(t, run(t, "keys", "generate", "--out", key, "--pub-out", pub, "--force"), 0)

	// show works on the private and the public file and gives the same id
	r1 := run(t, "keys", "show", key, "-o", "json")
	r2 := run(t, "keys", "show", pub, "-o", "json")
	wantCode(t, r1, 0)
	wantCode(t, r2, 0)
	var v1, v2 keyView
	if err := json.Unmarshal([]byte(r1.Stdout), &v1); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(r2.Stdout), &v2); err != nil {
		t.Fatal(err)
	}
	if v1.KeyID != v2.KeyID || v1.Kind != "private" || v2.Kind != "public" {
		t.Fatalf("show: %+v %+v", v1, v2)
	}
	if r := run(t, "keys", "show", pub); !strings.Contains(r.Stdout, v1.KeyID) {
		t.Fatalf("table output lacks key id: %s", r.Stdout)
	}
}

func TestKeysPasswordAndBadFiles(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "e.pem")
	pw := writeFile(t, dir, "pw", []byte("correct horse\n"))
	bad := writeFile(t, dir, "bad", []byte("wrong\n"))
	wantCode(t, run(t, "keys", "generate", "--out", key, "--password-file", pw), 0)
	b, _ := os.ReadFile(key)
	if !strings.Contains(string(b), "ENCRYPTED PRIVATE KEY") {
		t.Fatal("key not encrypted")
	}
	wantCode(t, run(t, "keys", "show", key, "--password-file", pw), 0)

	cases := []struct {
		name string
		args []string
		want string
	}{
		{"wrong password", []string{"keys", "show", key, "--password-file", bad}, "wrong password"},
		{"no password", []string{"keys", "show", key}, "encrypted"},
		{"missing file", []string{"keys", "show", filepath.Join(dir, "nope.pem")}, "no such file"},
		{"malformed PEM", []string{"keys", "show", pw}, "PEM"},
		{"missing password file", []string{"keys", "generate", "--out", filepath.Join(dir, "x.pem"), "--password-file", filepath.Join(dir, "nope")}, "no such file"},
		{"sign with wrong password", []string{"sign", "--key", key, "--password-file", bad, pw}, "wrong password"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := run(t, c.args...)
			wantCode(t, r, 2)
			oneLine(t, r, c.want)
		})
	}
}

func TestHash(t *testing.T) {
	dir := t.TempDir()
	f := writeFile(t, dir, "abc.txt", []byte("abc"))
	const abc = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
	r := runIn(t, "abc", "hash", f, "-")
	wantCode(t, r, 0)
	if r.Stdout != abc+"  "+f+"\n"+abc+"  -\n" {
		t.Fatalf("stdout %q", r.Stdout)
	}
	r = run(t, "hash", "-o", "json", f)
	var vs []hashView
	if err := json.Unmarshal([]byte(r.Stdout), &vs); err != nil || len(vs) != 1 || vs[0].SM3 != abc || vs[0].Size != 3 {
		t.Fatalf("json %s %v", r.Stdout, err)
	}
	r = run(t, "hash", f, filepath.Join(dir, "missing"))
	wantCode(t, r, 2)
	oneLine(t, r, "missing")
	if !strings.Contains(r.Stdout, abc) {
		t.Fatal("the good file was not hashed")
	}
	wantCode(t, run(t, "hash"), 2)
	wantCode(t, run(t, "hash", dir), 2)
}

func certRecordJSON() string {
	return `{"id":"c-1","docHash":"66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0","type":"licence","issuer":"dept-a",` +
		`"holderCommitment":"66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0","validFrom":"2026-01-01T00:00:00Z",` +
		`"validUntil":"2027-01-01T00:00:00Z","supersedes":"","extra":12345678901234}`
}

func TestSignAndVerifySignature(t *testing.T) {
	e := newEnv(t)
	rec := e.file("rec.json", certRecordJSON())
	r := run(t, "sign", "--kind", "certificate", "--key", e.KeyPath, rec, "--explain")
	wantCode(t, r, 0)
	if !strings.HasPrefix(strings.SplitN(r.Stderr, "\n", 2)[1], "certledger/v1/certificate\n{") {
		t.Fatalf("--explain: %q", r.Stderr)
	}
	var signed map[string]any
	if err := json.Unmarshal([]byte(r.Stdout), &signed); err != nil {
		t.Fatal(err)
	}
	if signed["keyId"] != e.KeyID || signed["signature"] == "" {
		t.Fatalf("signed record %v", signed)
	}
	if !strings.Contains(r.Stdout, "12345678901234") {
		t.Fatal("integer not kept exactly")
	}
	// the signature verifies with the library directly
	pubPEM, _ := os.ReadFile(e.PubPath)
	pub, _ := gm.ParsePublicKeyPEM(pubPEM)
	if err := canon.Verify(pub, canon.KindCertificate, signed, signed["signature"].(string)); err != nil {
		t.Fatal(err)
	}
	sp := e.file("signed.json", r.Stdout)
	r = run(t, "verify-signature", "--kind", "certificate", "--pub", e.PubPath, sp)
	wantCode(t, r, 0)
	if !strings.Contains(r.Stdout, "VALID") {
		t.Fatal(r.Stdout)
	}
	// from stdin, with the private key file as --pub
	wantCode(t, runIn(t, r.Stdout, "verify-signature", "--pub", e.KeyPath, "-"), 2) // not JSON: input error
	b, _ := os.ReadFile(sp)
	wantCode(t, runIn(t, string(b), "verify-signature", "--pub", e.KeyPath, "-"), 0)

	// a changed signed field fails; an unsigned field does not matter
	tampered := e.file("t.json", strings.Replace(string(b), `"licence"`, `"licencf"`, 1))
	r = run(t, "verify-signature", "--pub", e.PubPath, tampered)
	wantCode(t, r, 1)
	if !strings.Contains(r.Stdout, "INVALID") {
		t.Fatal(r.Stdout)
	}
	extra := e.file("x.json", strings.Replace(string(b), `12345678901234`, `1`, 1))
	wantCode(t, run(t, "verify-signature", "--pub", e.PubPath, extra), 0)

	// another key
	other := filepath.Join(e.Dir, "o.pem")
	wantCode(t, run(t, "keys", "generate", "--out", other), 0)
	r = run(t, "verify-signature", "--pub", other, sp, "-o", "json")
	wantCode(t, r, 1)
	if !strings.Contains(r.Stdout, `"valid": false`) {
		t.Fatal(r.Stdout)
	}
	r = run(t, "sign", "--key", other, sp)
	wantCode(t, r, 1) // keyId names another key
	oneLine(t, r, "keyId")

	// another signature field name
	r = run(t, "sign", "--key", e.KeyPath, "--signature-field", "providerSignature", rec)
	wantCode(t, r, 0)
	if !strings.Contains(r.Stdout, `"providerSignature"`) || strings.Contains(r.Stdout, `"signature"`) {
		t.Fatal(r.Stdout)
	}
	ps := e.file("ps.json", r.Stdout)
	wantCode(t, run(t, "verify-signature", "--pub", e.PubPath, "--signature-field", "providerSignature", ps), 0)
	wantCode(t, run(t, "verify-signature", "--pub", e.PubPath, ps), 1)
	wantCode(t, run(t, "sign", "--key", e.KeyPath, "--signature-field", "keyId", rec), 2)

	// usage and input errors
	wantCode(t, run(t, "sign", "--key", e.KeyPath, "--kind", "nope", rec), 2)
	wantCode(t, run(t, "sign", "--key", e.KeyPath, e.file("bad.json", "{")), 2)
	wantCode(t, run(t, "sign", "--key", e.KeyPath, e.file("arr.json", "[1]")), 2)
	wantCode(t, run(t, "sign", "--key", e.KeyPath, e.file("missing.json", `{"id":"x"}`)), 2)
	wantCode(t, run(t, "sign", rec), 2)
	wantCode(t, run(t, "verify-signature", "--pub", e.PubPath, rec), 1) // no signature
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"bogus"},
		{"cert", "bogus"},
		{"keys", "generate", "--bogus"},
		{"keys", "generate"},
		{"cert", "revoke", "X"},
		{"--output", "xml", "hash", "-"},
		{"--timeout", "soon", "cert", "show", "x"},
		{"--gateway", "ftp://x", "cert", "show", "x"},
		{"cert", "verify"},
		{"cert", "verify", "--hash", "ABC"},
	} {
		r := run(t, args...)
		if r.Code != 2 {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", args, r.Code, r.Stderr)
		}
		if strings.Count(strings.TrimRight(r.Stderr, "\n"), "\n") != 0 || r.Stderr == "" {
			t.Errorf("%v: stderr %q: want one line", args, r.Stderr)
		}
	}
}

// TestHelpEverywhere runs --help on every command.
func TestHelpEverywhere(t *testing.T) {
	var walk func(path []string, cmds []*cli.Command)
	n := 0
	walk = func(path []string, cmds []*cli.Command) {
		for _, c := range cmds {
			p := append(append([]string{}, path...), c.Name)
			r := run(t, append(p, "--help")...)
			n++
			if r.Code != 0 || !strings.Contains(r.Stdout, "USAGE") {
				t.Errorf("%v --help: exit %d\n%s%s", p, r.Code, r.Stdout, r.Stderr)
			}
			walk(p, c.Subcommands)
		}
	}
	walk(nil, commandGroups())
	if n < 20 {
		t.Fatalf("only %d commands", n)
	}
	if r := run(t, "--help"); r.Code != 0 || !strings.Contains(r.Stdout, "cert") {
		t.Fatal(r)
	}
}

func TestInterspersedFlags(t *testing.T) {
	a := New(nil, nil, nil)
	for _, c := range a.Commands {
		addGlobalsToLeaves(c)
	}
	got := strings.Join(interspersed(a, strings.Fields("certledger -o json cert revoke ID --reason r --key k.pem --gateway http://x")), " ")
	want := "certledger -o json cert revoke --reason r --key k.pem --gateway http://x -- ID"
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	got = strings.Join(interspersed(a, []string{"certledger", "hash", "-", "--", "-x"}), " ")
	if got != "certledger hash -- - -- -x" {
		t.Fatalf("got %s", got)
	}
	got = strings.Join(interspersed(a, []string{"certledger", "sign", "--explain", "r.json", "--key=k"}), " ")
	if got != "certledger sign --explain --key=k -- r.json" {
		t.Fatalf("got %s", got)
	}
}

func TestGlobalFlagPrecedence(t *testing.T) {
	dead := deadGateway(t)
	e := newEnv(t)
	t.Setenv("CERTLEDGER_GATEWAY", dead)
	// env only: unreachable
	wantCode(t, run(t, "dept", "list"), 3)
	// before the command beats env
	wantCode(t, run(t, "--gateway", e.GW.URL, "dept", "list"), 0)
	// after the command beats before
	wantCode(t, run(t, "--gateway", dead, "dept", "list", "--gateway", e.GW.URL), 0)
	t.Setenv("CERTLEDGER_GATEWAY", e.GW.URL)
	wantCode(t, run(t, "dept", "list"), 0)
	t.Setenv("CERTLEDGER_OUTPUT", "json")
	if r := run(t, "dept", "list"); !strings.HasPrefix(r.Stdout, "[") {
		t.Fatalf("CERTLEDGER_OUTPUT ignored: %s", r.Stdout)
	}
}
