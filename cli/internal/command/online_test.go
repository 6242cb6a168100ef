package command

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certledger/certledger/cli/internal/client"
	"github.com/certledger/certledger/cli/internal/issue"
	"github.com/certledger/certledger/cli/internal/qr"
	"github.com/certledger/certledger/cli/internal/receipt"
	"github.com/certledger/certledger/gateway/gatewaytest"
	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/gm"
)

func TestDept(t *testing.T) {
	e := newEnv(t)
	admin := func(args ...string) Result {
		return run(t, append([]string{"--gateway", e.GW.URL, "--token", adminToken}, args...)...)
	}
	newPub := filepath.Join(e.Dir, "c.pub")
	wantCode(t, run(t, "keys", "generate", "--out", filepath.Join(e.Dir, "c.pem"), "--pub-out", newPub), 0)

	r := admin("dept", "register", "--id", "dept-c", "--name", "Market Supervision", "--msp-id", "OrgCMSP",
		"--parent", "dept-a", "--category", "licence", "--category", "food", "--pub", newPub, "-o", "json")
	wantCode(t, r, 0)
	var wr client.WriteResult[client.Department]
	if err := json.Unmarshal([]byte(r.Stdout), &wr); err != nil {
		t.Fatal(err)
	}
	if wr.TxID == "" || wr.Record.ID != "dept-c" || len(wr.Record.Keys) != 1 || len(wr.Record.Categories) != 2 {
		t.Fatalf("register: %+v", wr)
	}
	// a clerk may not register: refused, exit 1
	r = e.run("dept", "register", "--id", "dept-d", "--name", "D", "--msp-id", "OrgDMSP")
	wantCode(t, r, 1)
	oneLine(t, r, "FORBIDDEN")
	// a second registration of the same id conflicts
	wantCode(t, admin("dept", "register", "--id", "dept-c", "--name", "x", "--msp-id", "y"), 1)
	// missing flags: usage
	wantCode(t, admin("dept", "register", "--id", "dept-e"), 2)
	// the spelling of scripts/up.sh: --msp, --categories a,b, --key PRIVATE.pem
	wantCode(t, run(t, "keys", "generate", "--out", filepath.Join(e.Dir, "g.pem")), 0)
	r = admin("dept", "register", "--id", "dept-g", "--name", "G", "--msp", "OrgGMSP", "--categories", "housing,property", "--key", filepath.Join(e.Dir, "g.pem"), "-o", "json")
	wantCode(t, r, 0)
	var wg client.WriteResult[client.Department]
	if err := json.Unmarshal([]byte(r.Stdout), &wg); err != nil {
		t.Fatal(err)
	}
	if wg.Record.MSPID != "OrgGMSP" || len(wg.Record.Categories) != 2 || len(wg.Record.Keys) != 1 {
		t.Fatalf("up.sh spelling: %+v", wg.Record)
	}
	// from a file (the gateway requires at least one key)
	fPub := filepath.Join(e.Dir, "f.pub")
	wantCode(t, run(t, "keys", "generate", "--out", filepath.Join(e.Dir, "f.pem"), "--pub-out", fPub), 0)
	fPEM, err := os.ReadFile(fPub)
	if err != nil {
		t.Fatal(err)
	}
	fJSON, _ := json.Marshal(map[string]any{"id": "dept-f", "name": "F", "mspId": "OrgFMSP", "parent": "", "categories": []string{}, "publicKeys": []string{string(fPEM)}})
	f := e.file("d.json", string(fJSON))
	wantCode(t, admin("dept", "register", "--file", f), 0)

	r = e.run("dept", "list")
	wantCode(t, r, 0)
	for _, id := range []string{"ID", "dept-a", "dept-c", "dept-f"} {
		if !strings.Contains(r.Stdout, id) {
			t.Fatalf("list lacks %s:\n%s", id, r.Stdout)
		}
	}
	r = e.run("dept", "show", "dept-c")
	wantCode(t, r, 0)
	if !strings.Contains(r.Stdout, "Market Supervision") || !strings.Contains(r.Stdout, wr.Record.Keys[0].KeyID) {
		t.Fatal(r.Stdout)
	}
	r = e.run("dept", "show", "nope")
	wantCode(t, r, 1)
	oneLine(t, r, "NOT_FOUND")

	// keys
	k2 := filepath.Join(e.Dir, "c2.pem")
	wantCode(t, run(t, "keys", "generate", "--out", k2), 0)
	r = admin("dept", "add-key", "dept-c", "--pub", k2, "-o", "json")
	wantCode(t, r, 0)
	k3 := filepath.Join(e.Dir, "c3.pub")
	wantCode(t, run(t, "keys", "generate", "--out", filepath.Join(e.Dir, "c3.pem"), "--pub-out", k3), 0)
	old := wr.Record.Keys[0].KeyID
	r = admin("dept", "rotate-key", "dept-c", "--old", old, "--pub", k3, "-o", "json")
	wantCode(t, r, 0)
	if err := json.Unmarshal([]byte(r.Stdout), &wr); err != nil {
		t.Fatal(err)
	}
	if len(wr.Record.Keys) != 3 || wr.Record.Keys[0].RotatedAt == "" {
		t.Fatalf("rotate: %+v", wr.Record.Keys)
	}
	r = admin("dept", "revoke-key", "dept-c", "--key-id", old, "--reason", "compromised", "--effective-at", "2026-01-02", "-o", "json")
	wantCode(t, r, 0)
	if err := json.Unmarshal([]byte(r.Stdout), &wr); err != nil {
		t.Fatal(err)
	}
	if wr.Record.Keys[0].RevokedAt != "2026-01-02T00:00:00Z" || wr.Record.Keys[0].RevokeReason != "compromised" {
		t.Fatalf("revoke: %+v", wr.Record.Keys[0])
	}
	wantCode(t, admin("dept", "revoke-key", "dept-c", "--key-id", "nope", "--reason", "x"), 1)
	wantCode(t, admin("dept", "add-key", "dept-c", "--pub", filepath.Join(e.Dir, "nope.pub")), 2)

	// unreachable
	r = run(t, "--gateway", deadGateway(t), "dept", "list")
	wantCode(t, r, 3)
	oneLine(t, r, "unreachable")
}

// issueOne issues a certificate of content and returns the receipt path.
func (e *env) issueOne(t *testing.T, name, content, holder string, extra ...string) (string, issue.Result) {
	t.Helper()
	doc := e.file(name, content)
	args := append([]string{"cert", "issue", "--file", doc, "--type", "business-licence", "--holder-id", holder,
		"--valid-until", "2099-12-31", "--key", e.KeyPath, "--out-dir", filepath.Join(e.Dir, "out"), "-o", "json"}, extra...)
	r := e.run(args...)
	wantCode(t, r, 0)
	var res issue.Result
	if err := json.Unmarshal([]byte(r.Stdout), &res); err != nil {
		t.Fatal(err, r.Stdout)
	}
	return res.Receipt, res
}

func TestCertIssueReceiptAndQR(t *testing.T) {
	e := newEnv(t)
	const holder = "110101199003074518"
	rp, res := e.issueOne(t, "licence.pdf", "the licence document", holder)
	if res.TxID == "" || res.BlockNumber == 0 || !strings.HasPrefix(res.Record.ID, "dept-a-") {
		t.Fatalf("result %+v", res)
	}
	// on the ledger
	c, ok := e.certificate(res.Record.ID)
	if !ok || c.DocHash != gm.SM3Hex([]byte("the licence document")) || c.Issuer != "dept-a" {
		t.Fatalf("ledger has %+v", c)
	}
	// receipt contents
	st, err := os.Stat(rp)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("receipt %s: %v %v", rp, err, st)
	}
	raw, _ := os.ReadFile(rp)
	r, err := receipt.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if r.Record != c.Record {
		t.Fatalf("receipt record %+v\nledger %+v", r.Record, c.Record)
	}
	salt, err := base64.StdEncoding.DecodeString(r.Holder.Salt)
	if err != nil || len(salt) != 16 {
		t.Fatalf("salt %q", r.Holder.Salt)
	}
	if gm.Commitment(salt, holder) != r.Record.HolderCommitment || !r.CheckHolder(holder) || r.CheckHolder("someone else") {
		t.Fatal("holder commitment does not open with the salt")
	}
	if !strings.Contains(r.Holder.Note, "PRIVATE") {
		t.Fatal("no privacy note")
	}
	pub, err := gm.ParsePublicKeyPEM([]byte(r.IssuerKey.PublicKey))
	if err != nil || gm.KeyID(pub) != e.KeyID || r.IssuerKey.KeyID != e.KeyID || r.IssuerKey.DepartmentID != "dept-a" {
		t.Fatalf("issuer key %+v", r.IssuerKey)
	}
	if err := canon.Verify(pub, canon.KindCertificate, r.Record, r.Record.Signature); err != nil {
		t.Fatal(err)
	}
	// The gateway's write result names no channel, so the receipt records none.
	if r.Ledger.TxID != res.TxID || r.Ledger.BlockNumber != res.BlockNumber || r.Ledger.Channel != "" {
		t.Fatalf("ledger %+v", r.Ledger)
	}
	// verify URL: only id and hash
	u, err := url.Parse(r.VerifyURL)
	if err != nil || u.Path != "/verify" || !strings.HasPrefix(r.VerifyURL, e.GW.URL) {
		t.Fatalf("verify url %q", r.VerifyURL)
	}
	if q := u.Query(); len(q) != 2 || q.Get("id") != c.ID || q.Get("hash") != c.DocHash {
		t.Fatalf("verify url query %v", u.Query())
	}
	if strings.Contains(r.VerifyURL, holder) || strings.Contains(r.VerifyURL, c.HolderCommitment) || strings.Contains(r.VerifyURL, r.Holder.Salt) {
		t.Fatal("verify URL carries holder data")
	}
	// the PNG is exactly the QR code of the verify URL
	png, _ := os.ReadFile(res.QR)
	want, _ := qr.PNG(r.VerifyURL)
	if !bytes.Equal(png, want) || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatal("QR PNG is not the code of the verify URL")
	}
	// no pending file left; raw holder id appears nowhere in the out dir
	ents, _ := os.ReadDir(filepath.Join(e.Dir, "out"))
	for _, en := range ents {
		if strings.HasSuffix(en.Name(), ".pending.json") {
			t.Fatal("pending receipt left")
		}
		b, _ := os.ReadFile(filepath.Join(e.Dir, "out", en.Name()))
		if bytes.Contains(b, []byte(holder)) {
			t.Fatalf("%s contains the holder id", en.Name())
		}
	}

	// table output, --id, --dept, --verify-base, holder id from a file
	hf := e.file("holder.txt", holder+"\n")
	doc := e.file("b.pdf", "second")
	r2 := e.run("cert", "issue", "--file", doc, "--type", "permit", "--holder-id-file", hf, "--valid-from", "2026-01-01",
		"--valid-until", "2099-01-01T00:00:00+08:00", "--key", e.KeyPath, "--id", "permit-7", "--dept", "dept-a",
		"--out-dir", filepath.Join(e.Dir, "out"), "--verify-base", "https://verify.example.gov/")
	wantCode(t, r2, 0)
	if !strings.Contains(r2.Stdout, "issued certificate permit-7") || !strings.Contains(r2.Stdout, "https://verify.example.gov/verify?hash=") {
		t.Fatal(r2.Stdout)
	}
	c2, _ := e.certificate("permit-7")
	if c2.ValidFrom != "2026-01-01T00:00:00Z" || c2.ValidUntil != "2098-12-31T16:00:00Z" {
		t.Fatalf("times %s %s", c2.ValidFrom, c2.ValidUntil)
	}
	if e.GW.CountCalls("evaluate", "registry:GetKey") != 1 {
		t.Fatalf("key lookups: %d (want 1: --dept skips it)", e.GW.CountCalls("evaluate", "registry:GetKey"))
	}
	// the same id and document again: done, from the receipt this machine holds
	again := e.run("cert", "issue", "--file", doc, "--type", "permit", "--holder-id-file", hf, "--valid-from", "2026-01-01",
		"--valid-until", "2099-01-01T00:00:00+08:00", "--key", e.KeyPath, "--id", "permit-7", "--out-dir", filepath.Join(e.Dir, "out"))
	wantCode(t, again, 0)
	if !strings.Contains(again.Stdout, "already issued certificate permit-7") {
		t.Fatal(again.Stdout)
	}
	// ... but not for another holder, nor without the receipt
	wantCode(t, e.run("cert", "issue", "--file", doc, "--type", "permit", "--holder-id", "someone-else", "--valid-from", "2026-01-01",
		"--valid-until", "2099-01-01T00:00:00+08:00", "--key", e.KeyPath, "--id", "permit-7", "--out-dir", filepath.Join(e.Dir, "out")), 1)
	wantCode(t, e.run("cert", "issue", "--file", doc, "--type", "permit", "--holder-id-file", hf, "--valid-from", "2026-01-01",
		"--valid-until", "2099-01-01T00:00:00+08:00", "--key", e.KeyPath, "--id", "permit-7", "--out-dir", filepath.Join(e.Dir, "elsewhere")), 1)
	// the same id again with another document: refused
	r3 := e.run("cert", "issue", "--file", e.file("c.pdf", "third"), "--type", "permit", "--holder-id", "x",
		"--valid-until", "2099-01-01", "--key", e.KeyPath, "--id", "permit-7", "--out-dir", filepath.Join(e.Dir, "out"))
	wantCode(t, r3, 1)
}

func TestCertIssueRefusals(t *testing.T) {
	e := newEnv(t)
	doc := e.file("d.pdf", "doc")
	base := []string{"cert", "issue", "--file", doc, "--type", "t", "--holder-id", "h", "--valid-until", "2099-01-01", "--out-dir", e.Dir}
	// unregistered key: refused
	other := filepath.Join(e.Dir, "o.pem")
	wantCode(t, run(t, "keys", "generate", "--out", other), 0)
	r := e.run(append(base, "--key", other)...)
	wantCode(t, r, 1)
	oneLine(t, r, "not registered")
	// another department's token: FORBIDDEN
	r = run(t, append([]string{"--gateway", e.GW.URL, "--token", otherToken}, append(base, "--key", e.KeyPath)...)...)
	wantCode(t, r, 1)
	oneLine(t, r, "FORBIDDEN")
	// signing as dept-b with dept-a's key: refused by the ledger
	r = run(t, append([]string{"--gateway", e.GW.URL, "--token", otherToken}, append(base, "--key", e.KeyPath, "--dept", "dept-b")...)...)
	wantCode(t, r, 1)
	// unreachable ledger
	r = run(t, append([]string{"--gateway", deadGateway(t), "--token", clerkToken}, append(base, "--key", e.KeyPath)...)...)
	wantCode(t, r, 3)
	oneLine(t, r, "unreachable")
	// input errors: exit 2, no request sent
	calls := e.issueSubmits()
	for _, args := range [][]string{
		{"cert", "issue", "--file", filepath.Join(e.Dir, "missing"), "--type", "t", "--holder-id", "h", "--valid-until", "2099-01-01", "--key", e.KeyPath},
		{"cert", "issue", "--file", doc, "--type", "t", "--holder-id", "h", "--valid-until", "someday", "--key", e.KeyPath},
		{"cert", "issue", "--file", doc, "--type", "t", "--valid-until", "2099-01-01", "--key", e.KeyPath},
		{"cert", "issue", "--file", doc, "--type", "t", "--holder-id", "h", "--valid-until", "2099-01-01", "--key", e.KeyPath, "--id", "bad id/"},
		{"cert", "issue", "--file", doc, "--type", "t", "--holder-id", "h", "--valid-until", "2020-01-01", "--valid-from", "2021-01-01", "--key", e.KeyPath, "--out-dir", e.Dir},
		{"cert", "issue", "--file", doc, "--type", "t", "--holder-id", "h", "--valid-until", "2099-01-01"},
		{"cert", "issue", "--file", doc, "--type", "t", "--holder-id", "h", "--valid-until", "2099-01-01", "--key", e.PubPath},
	} {
		r := e.run(args...)
		if r.Code != 2 {
			t.Errorf("%v: exit %d, want 2: %s", args, r.Code, r.Stderr)
		}
	}
	if e.issueSubmits() != calls {
		t.Fatal("an input error still sent a request")
	}
}

func TestCertIssueLostAnswerIsRetriedIdempotently(t *testing.T) {
	e := newEnv(t)
	// The first answer is lost after the commit (503, retried by the client).
	e.GW.LoseNext("certificate:Issue", gatewaytest.Unavailable())
	rp, res := e.issueOne(t, "a.pdf", "aaa", "holder-1", "--id", "lost-1")
	if e.certificateCount() != 1 || e.issueSubmits() != 2 {
		t.Fatalf("certs %d, posts %d", e.certificateCount(), e.issueSubmits())
	}
	r, err := receipt.Load(rp)
	if err != nil || r.Ledger.TxID != res.TxID || !r.CheckHolder("holder-1") {
		t.Fatalf("receipt %v %+v", err, r)
	}

	// a hard failure after the write (500) leaves a pending receipt; the rerun reuses it
	e.GW.LoseNext("certificate:Issue", errors.New("connection reset after the commit"))
	doc := e.file("b.pdf", "bbb")
	args := []string{"cert", "issue", "--file", doc, "--type", "t", "--holder-id", "holder-2", "--valid-until", "2099-01-01",
		"--key", e.KeyPath, "--id", "lost-2", "--out-dir", filepath.Join(e.Dir, "out")}
	wantCode(t, e.run(args...), 3)
	pending := filepath.Join(e.Dir, "out", "lost-2.pending.json")
	pr, err := receipt.Load(pending)
	if err != nil {
		t.Fatal("no pending receipt:", err)
	}
	r2 := e.run(append(args, "-o", "json")...)
	wantCode(t, r2, 0)
	final, err := receipt.Load(filepath.Join(e.Dir, "out", "lost-2.receipt.json"))
	if err != nil || final.Record != pr.Record || final.Ledger.TxID == "" {
		t.Fatalf("final receipt %v %+v", err, final)
	}
	if _, err := os.Stat(pending); !os.IsNotExist(err) {
		t.Fatal("pending receipt not removed")
	}
	// a pending receipt for another holder is not reused silently
	e.GW.LoseNext("certificate:Issue", errors.New("connection reset after the commit"))
	args3 := []string{"cert", "issue", "--file", e.file("c.pdf", "ccc"), "--type", "t", "--holder-id", "h3", "--valid-until", "2099-01-01",
		"--key", e.KeyPath, "--id", "lost-3", "--out-dir", filepath.Join(e.Dir, "out")}
	wantCode(t, e.run(args3...), 3)
	args3[7] = "other-holder"
	wantCode(t, e.run(args3...), 2)
}

func TestCertVerify(t *testing.T) {
	e := newEnv(t)
	rp, res := e.issueOne(t, "lic.pdf", "genuine document", "holder-1")
	doc := filepath.Join(e.Dir, "lic.pdf")

	r := e.run("cert", "verify", doc)
	wantCode(t, r, 0)
	for _, want := range []string{"verdict: VALID", "SM3 computed locally", res.Record.ID, "signature"} {
		if !strings.Contains(r.Stdout, want) {
			t.Fatalf("lacks %q:\n%s", want, r.Stdout)
		}
	}
	wantCode(t, e.run("cert", "verify", "--hash", res.Record.DocHash), 0)
	wantCode(t, e.run("cert", "verify", "--id", res.Record.ID), 0)
	wantCode(t, e.run("cert", "verify", "--id", res.Record.ID, doc), 0)
	rc, _ := receipt.Load(rp)
	wantCode(t, e.run("cert", "verify", "--url", rc.VerifyURL), 0)
	wantCode(t, e.run("cert", "verify", "--url", "https://x/verify?id=a&hash=zz"), 2)
	wantCode(t, e.run("cert", "verify", "--url", "https://x/other?id=a"), 2)
	r = e.run("cert", "verify", "--receipt", rp, doc, "-o", "json")
	wantCode(t, r, 0)
	var rep struct {
		Verdict string        `json:"verdict"`
		Online  bool          `json:"online"`
		Steps   []client.Step `json:"steps"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Verdict != "VALID" || !rep.Online || len(rep.Steps) != 8 {
		t.Fatalf("%+v", rep)
	}
	for _, s := range rep.Steps {
		if s.Step == 2 && s.Status != "pass" || s.Step == 5 && s.Status != "pass" || s.Step == 7 && s.Status != "pass" {
			t.Fatalf("step %+v", s)
		}
	}

	// a one-byte change: no certificate matches
	tampered := e.file("lic2.pdf", "genuine documenT")
	r = e.run("cert", "verify", tampered)
	wantCode(t, r, 1)
	if !strings.Contains(r.Stdout, "NOT_FOUND") {
		t.Fatal(r.Stdout)
	}
	r = e.run("cert", "verify", "--receipt", rp, tampered)
	wantCode(t, r, 1)
	if !strings.Contains(r.Stdout, "verdict: HASH_MISMATCH") {
		t.Fatal(r.Stdout)
	}
	wantCode(t, e.run("cert", "verify", "--id", "nope"), 1)

	// a forged receipt: signature over other fields
	raw, _ := os.ReadFile(rp)
	forged := e.file("forged.json", strings.Replace(string(raw), `"business-licence"`, `"business-licencf"`, 1))
	r = e.run("cert", "verify", "--receipt", forged, "--offline")
	wantCode(t, r, 1)
	if !strings.Contains(r.Stdout, "verdict: BAD_SIGNATURE") {
		t.Fatal(r.Stdout)
	}
	r = e.run("cert", "verify", "--receipt", e.file("junk.json", `{"version":"nope"}`))
	wantCode(t, r, 1)
	if !strings.Contains(r.Stdout, "BAD_FORMAT") {
		t.Fatal(r.Stdout)
	}
	wantCode(t, e.run("cert", "verify", "--receipt", filepath.Join(e.Dir, "missing.json")), 2)

	// ledger unreachable: offline checks printed, exit 3; --offline: exit 0
	dead := deadGateway(t)
	r = run(t, "--gateway", dead, "cert", "verify", "--receipt", rp, doc)
	wantCode(t, r, 3)
	if !strings.Contains(r.Stdout, "offline: revocation not checked") || !strings.Contains(r.Stdout, "signature") {
		t.Fatal(r.Stdout)
	}
	// --offline with a v1 receipt (this ledger gives no endorsements): never
	// VALID, its key is only the receipt's claim (issue 14).
	r = run(t, "--gateway", dead, "cert", "verify", "--receipt", rp, "--offline")
	wantCode(t, r, 1)
	if !strings.Contains(r.Stdout, "UNTRUSTED_KEY") || !strings.Contains(r.Stdout, "verdict: KEY_INVALID") {
		t.Fatal(r.Stdout)
	}
	wantCode(t, run(t, "--gateway", dead, "cert", "verify", doc), 3)

	// revoked: the receipt's signature is still good, the ledger says REVOKED
	wantCode(t, e.run("cert", "revoke", res.Record.ID, "--reason", "fraud", "--key", e.KeyPath), 0)
	r = e.run("cert", "verify", "--receipt", rp)
	wantCode(t, r, 1)
	if !strings.Contains(r.Stdout, "verdict: REVOKED") {
		t.Fatal(r.Stdout)
	}
	r = e.run("cert", "verify", doc)
	wantCode(t, r, 1)
	if !strings.Contains(r.Stdout, "REVOKED") {
		t.Fatal(r.Stdout)
	}
}

func TestCertStatusShowHistory(t *testing.T) {
	e := newEnv(t)
	_, res := e.issueOne(t, "d.pdf", "doc", "h", "--id", "c-42")
	id := res.Record.ID

	r := e.run("cert", "suspend", id, "--reason", "audit", "--key", e.KeyPath, "-o", "json")
	wantCode(t, r, 0)
	if c, _ := e.certificate(id); c.Status != "suspended" || c.StatusReason != "audit" {
		t.Fatalf("%+v", c)
	}
	r = e.run("cert", "reinstate", id, "--reason", "cleared", "--key", e.KeyPath)
	wantCode(t, r, 0)
	if !strings.Contains(r.Stdout, "now valid") {
		t.Fatal(r.Stdout)
	}
	// --reason is required for every status change (the chaincode requires it)
	wantCode(t, e.run("cert", "reinstate", id, "--key", e.KeyPath), 2)
	// reinstating a valid certificate is an illegal transition: refused
	r = e.run("cert", "reinstate", id, "--reason", "x", "--key", e.KeyPath)
	wantCode(t, r, 1)
	oneLine(t, r, "ILLEGAL_TRANSITION")
	// another department cannot revoke
	r = run(t, "--gateway", e.GW.URL, "--token", otherToken, "cert", "revoke", id, "--reason", "x", "--key", e.KeyPath)
	wantCode(t, r, 1)
	wantCode(t, e.run("cert", "revoke", id, "--reason", "fraud", "--key", e.KeyPath), 0)
	wantCode(t, e.run("cert", "revoke", "nope", "--reason", "fraud", "--key", e.KeyPath), 1)

	r = e.run("cert", "show", id)
	wantCode(t, r, 0)
	if !strings.Contains(r.Stdout, "revoked (fraud)") || !strings.Contains(r.Stdout, res.Record.DocHash) {
		t.Fatal(r.Stdout)
	}
	r = e.run("cert", "history", id)
	wantCode(t, r, 0)
	if strings.Count(r.Stdout, "\n") != 5 || !strings.Contains(r.Stdout, "suspended") {
		t.Fatalf("history:\n%s", r.Stdout)
	}
	r = e.run("cert", "history", id, "-o", "json")
	var h []client.HistoryEntry
	if err := json.Unmarshal([]byte(r.Stdout), &h); err != nil || len(h) != 4 {
		t.Fatalf("history json: %s", r.Stdout)
	}
	r = e.run("cert", "find", filepath.Join(e.Dir, "d.pdf"))
	wantCode(t, r, 0)
	if !strings.Contains(r.Stdout, "c-42") {
		t.Fatal(r.Stdout)
	}
	wantCode(t, e.run("cert", "show", "nope"), 1)
}

func TestCertSupersede(t *testing.T) {
	e := newEnv(t)
	_, old := e.issueOne(t, "v1.pdf", "version 1", "h", "--id", "lic-1")
	doc := e.file("v2.pdf", "version 2")
	r := e.run("cert", "supersede", "lic-1", "--file", doc, "--holder-id", "h", "--valid-until", "2099-01-01",
		"--key", e.KeyPath, "--id", "lic-2", "--out-dir", filepath.Join(e.Dir, "out"), "-o", "json")
	wantCode(t, r, 0)
	n, _ := e.certificate("lic-2")
	o, _ := e.certificate("lic-1")
	if n.Supersedes != "lic-1" || o.SupersededBy != "lic-2" || o.Status != "superseded" || n.Type != old.Record.Type {
		t.Fatalf("new %+v\nold %+v", n, o)
	}
	rc, err := receipt.Load(filepath.Join(e.Dir, "out", "lic-2.receipt.json"))
	if err != nil || rc.Record.Supersedes != "lic-1" {
		t.Fatal(err)
	}
	r = e.run("cert", "verify", filepath.Join(e.Dir, "v1.pdf"))
	wantCode(t, r, 1)
	if !strings.Contains(r.Stdout, "SUPERSEDED") {
		t.Fatal(r.Stdout)
	}
	wantCode(t, e.run("cert", "supersede", "nope", "--file", doc, "--holder-id", "h", "--valid-until", "2099-01-01", "--key", e.KeyPath), 1)
}
