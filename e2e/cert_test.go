package e2e

import (
	"encoding/base64"
	"encoding/json"
	"image/png"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/gm"
	"github.com/certledger/certledger/internal/testkit"
)

// receiptFile is the receipt.json cert issue writes.
type receiptFile struct {
	Version   string      `json:"version"`
	Record    certificate `json:"record"`
	IssuerKey struct {
		DepartmentID string `json:"departmentId"`
		KeyID        string `json:"keyId"`
		PublicKey    string `json:"publicKey"`
	} `json:"issuerKey"`
	Ledger struct {
		TxID        string `json:"txId"`
		BlockNumber uint64 `json:"blockNumber"`
	} `json:"ledger"`
	Holder struct {
		Salt string `json:"salt"`
	} `json:"holder"`
	VerifyURL string `json:"verifyUrl"`
}

// decodeQR reads the text of the QR code in a PNG file.
func decodeQR(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("decoding the QR code in %s: %v", path, err)
	}
	return res.GetText()
}

// TestCertificateLifecycle: issue (receipt, QR), verify by file, hash, id, receipt and
// QR link, tamper, show, find, suspend, reinstate, history, supersede, revoke.
func TestCertificateLifecycle(t *testing.T) {
	e := need(t)
	t.Parallel()
	dir := t.TempDir()
	doc := uniqueDoc(t, dir, "licence.txt")
	docHash, _, _ := gm.SM3File(doc)
	const holderID = "91110000ACME"

	res := e.issue(t, dir, tokA, e.keys["dept-a"], "licence.txt", "--out-dir", "receipts")
	id := res.Record.ID
	if !strings.HasPrefix(id, "dept-a-") || res.Record.Issuer != "dept-a" || res.Record.DocHash != docHash {
		t.Fatalf("issued record %+v, want issuer dept-a, id dept-a-..., docHash %s", res.Record, docHash)
	}
	if res.Record.ValidUntil != "2031-12-31T23:59:59Z" {
		t.Fatalf("validUntil %q, want the end of 2031-12-31", res.Record.ValidUntil)
	}

	t.Run("receipt", func(t *testing.T) {
		rp := filepath.Join(dir, "receipts", id+".receipt.json")
		if res.Receipt == "" || !strings.HasSuffix(res.Receipt, id+".receipt.json") {
			t.Fatalf("receipt path %q", res.Receipt)
		}
		st, err := os.Stat(rp)
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("receipt %s: %v (mode %v), want mode 0600", rp, err, st.Mode())
		}
		b, _ := os.ReadFile(rp)
		var rc receiptFile
		if err := json.Unmarshal(b, &rc); err != nil {
			t.Fatalf("receipt is not JSON: %v\n%s", err, b)
		}
		if rc.Record.ID != id || rc.Record.DocHash != docHash || rc.Ledger.TxID != res.TxID || rc.Ledger.BlockNumber == 0 {
			t.Fatalf("receipt %+v does not match the issue result %+v", rc, res)
		}
		if rc.IssuerKey.DepartmentID != "dept-a" || rc.IssuerKey.KeyID != rc.Record.KeyID {
			t.Fatalf("receipt issuer key %+v", rc.IssuerKey)
		}
		// Offline: the record's signature with the receipt's key; the holder's salt
		// opens the commitment; the private key never went into the receipt.
		pub, err := gm.ParsePublicKeyPEM([]byte(rc.IssuerKey.PublicKey))
		if err != nil {
			t.Fatal(err)
		}
		if gm.KeyID(pub) != rc.Record.KeyID {
			t.Fatalf("receipt key id %s is not the id of its public key", rc.Record.KeyID)
		}
		if err := canon.Verify(pub, canon.KindCertificate, rc.Record, rc.Record.Signature); err != nil {
			t.Fatalf("receipt record signature: %v", err)
		}
		salt, err := base64.StdEncoding.DecodeString(rc.Holder.Salt)
		if err != nil || len(salt) < 16 {
			t.Fatalf("holder salt %q: %v (want >= 16 bytes)", rc.Holder.Salt, err)
		}
		if gm.Commitment(salt, holderID) != rc.Record.HolderCommitment {
			t.Fatal("SM3(salt || holder id) is not the record's holderCommitment")
		}
		if strings.Contains(string(b), "PRIVATE KEY") || strings.Contains(string(b), holderID) {
			t.Fatal("receipt contains a private key or the holder id in the clear")
		}
	})

	t.Run("QR code carries only the verify URL", func(t *testing.T) {
		qrPath := filepath.Join(dir, "receipts", id+".qr.png")
		text := decodeQR(t, qrPath)
		u, err := url.Parse(text)
		if err != nil {
			t.Fatalf("QR text %q is not a URL", text)
		}
		if got, want := u.Scheme+"://"+u.Host+u.Path, e.url+"/verify"; got != want {
			t.Fatalf("QR URL %q, want %s?id=..&hash=..", text, want)
		}
		q := u.Query()
		if len(q) != 2 || q.Get("id") != id || q.Get("hash") != docHash || u.Fragment != "" || u.User != nil {
			t.Fatalf("QR URL %q: want exactly id=%s and hash=%s", text, id, docHash)
		}
		if text != res.VerifyURL {
			t.Fatalf("QR URL %q differs from the printed verify URL %q", text, res.VerifyURL)
		}
		// And the link verifies.
		e.wantVerdict(t, dir, "VALID", "--url", text)
	})

	t.Run("verify", func(t *testing.T) {
		rep := e.wantVerdict(t, dir, "VALID", "licence.txt")
		if st, _ := rep.step(2); st != "pass" {
			t.Errorf("step 2 (hash computed here) = %q, want pass", st)
		}
		if rep.Certificate == nil || rep.Certificate.ID != id || len(rep.Steps) != 8 {
			t.Errorf("report certificate %+v, %d steps", rep.Certificate, len(rep.Steps))
		}
		for n := 1; n <= 8; n++ {
			if st, _ := rep.step(n); st != "pass" && st != "skipped" {
				t.Errorf("step %d = %q on a VALID certificate", n, st)
			}
		}
		e.wantVerdict(t, dir, "VALID", "--hash", docHash)
		e.wantVerdict(t, dir, "VALID", "--id", id)
		e.wantVerdict(t, dir, "VALID", "--id", id, "licence.txt")
		e.wantVerdict(t, dir, "VALID", "--receipt", "receipts/"+id+".receipt.json")
		e.wantVerdict(t, dir, "VALID", "--receipt", "receipts/"+id+".receipt.json", "licence.txt")
		// Offline without a trust bundle nothing vouches for the issuer key: never VALID (issue 14).
		rep = e.wantVerdict(t, dir, "KEY_INVALID", "--receipt", "receipts/"+id+".receipt.json", "--offline")
		if rep.Online {
			t.Error("--offline report says it asked the ledger")
		}
		// The table output a person reads.
		r := e.cl(t, dir, "", "cert", "verify", "licence.txt")
		wantExit(t, r, 0, "verdict: VALID", "STEP", "signature", "certificate:  "+id)
	})

	t.Run("tampered file is not valid", func(t *testing.T) {
		b, _ := os.ReadFile(doc)
		b[len(b)/2] ^= 0x01
		writeDoc(t, dir, "tampered.txt", string(b))
		rep := e.wantVerdict(t, dir, "NOT_FOUND", "tampered.txt")
		if st, code := rep.step(3); st != "fail" || code != "NOT_FOUND" {
			t.Errorf("step 3 = %s %s, want fail NOT_FOUND", st, code)
		}
		rep = e.wantVerdict(t, dir, "HASH_MISMATCH", "--id", id, "tampered.txt")
		if st, _ := rep.step(2); st != "fail" {
			t.Errorf("step 2 = %q, want fail", st)
		}
		e.wantVerdict(t, dir, "HASH_MISMATCH", "--receipt", "receipts/"+id+".receipt.json", "tampered.txt")
		r := e.cl(t, dir, "", "cert", "verify", "tampered.txt")
		wantExit(t, r, 1, "verdict: NOT_FOUND")
	})

	t.Run("show and find", func(t *testing.T) {
		r := e.ok(t, dir, "", "-o", "json", "cert", "show", id)
		var c certificate
		jsonOut(t, r, &c)
		if c.ID != id || c.Status != "valid" || c.TxID != res.TxID || c.Signature != res.Record.Signature {
			t.Fatalf("cert show: %+v", c)
		}
		wantExit(t, e.cl(t, dir, "", "cert", "show", id), 0, "status", "valid", id)
		r = e.ok(t, dir, "", "-o", "json", "cert", "find", "licence.txt")
		var found []certificate
		jsonOut(t, r, &found)
		if len(found) != 1 || found[0].ID != id {
			t.Fatalf("cert find: %+v", found)
		}
		r = e.ok(t, dir, "", "-o", "json", "cert", "find", "--hash", docHash)
		jsonOut(t, r, &found)
		if len(found) != 1 || found[0].ID != id {
			t.Fatalf("cert find --hash: %+v", found)
		}
		wantExit(t, e.cl(t, dir, "", "cert", "show", "no-such-certificate"), 1, "NOT_FOUND")
	})

	t.Run("issue is idempotent on the id", func(t *testing.T) {
		// Same id, same document, same holder, where its receipt is: the original
		// result, no second transaction.
		again := e.issue(t, dir, tokA, e.keys["dept-a"], "licence.txt", "--id", id, "--out-dir", "receipts")
		if again.TxID != res.TxID {
			t.Fatalf("reissue of %s gave tx %s, first tx %s", id, again.TxID, res.TxID)
		}
		// Without that receipt at hand the CLI cannot tell the holder is the same: refused.
		r := e.cl(t, dir, tokA, issueArgs("licence.txt", e.keys["dept-a"], "--id", id, "--out-dir", "elsewhere")...)
		wantExit(t, r, 1, "already on the ledger")
		// Same id, another document: CONFLICT.
		writeDoc(t, dir, "other.txt", "another document "+testkit.RandomHex(4))
		r = e.cl(t, dir, tokA, issueArgs("other.txt", e.keys["dept-a"], "--id", id, "--out-dir", "again")...)
		// The CLI finds the id on the ledger first and refuses before submitting
		// (docs/cli.md calls this CONFLICT; the message says what it is).
		wantExit(t, r, 1, "another document")
	})

	t.Run("suspend and reinstate", func(t *testing.T) {
		wantExit(t, e.cl(t, dir, tokA, "cert", "suspend", id, "--reason", "under-review", "--key", e.keys["dept-a"]), 0, "suspended")
		rep := e.wantVerdict(t, dir, "SUSPENDED", "licence.txt")
		if st, code := rep.step(7); st != "fail" || code != "SUSPENDED" {
			t.Errorf("step 7 = %s %s, want fail SUSPENDED", st, code)
		}
		wantExit(t, e.cl(t, dir, tokA, "cert", "reinstate", id, "--reason", "review-closed", "--key", e.keys["dept-a"]), 0, "valid")
		e.wantVerdict(t, dir, "VALID", "licence.txt")
		// Reinstating a valid certificate is an illegal transition.
		wantExit(t, e.cl(t, dir, tokA, "cert", "reinstate", id, "--reason", "again", "--key", e.keys["dept-a"]), 1, "ILLEGAL_TRANSITION")
		// Another department may not touch it.
		wantExit(t, e.cl(t, dir, tokB, "cert", "suspend", id, "--reason", "x", "--key", e.keys["dept-b"]), 1, "FORBIDDEN")
	})

	t.Run("history", func(t *testing.T) {
		r := e.ok(t, dir, tokAuditor, "-o", "json", "cert", "history", id)
		var h []struct {
			TxID      string          `json:"txId"`
			Timestamp string          `json:"timestamp"`
			Record    json.RawMessage `json:"record"`
		}
		jsonOut(t, r, &h)
		// newest first: reinstate, suspend, issue
		var states []string
		for _, x := range h {
			var c certificate
			_ = json.Unmarshal(x.Record, &c)
			states = append(states, c.Status)
		}
		if len(h) != 3 || strings.Join(states, ",") != "valid,suspended,valid" || h[2].TxID != res.TxID {
			t.Fatalf("history states %v (want valid,suspended,valid newest first), entries %+v", states, h)
		}
		wantExit(t, e.cl(t, dir, tokAuditor, "cert", "history", id), 0, "suspended", "under-review")
		wantExit(t, e.cl(t, dir, "", "cert", "history", id), 1, "UNAUTHENTICATED")
	})

	t.Run("supersede", func(t *testing.T) {
		writeDoc(t, dir, "licence-v2.txt", "amended licence "+testkit.RandomHex(8))
		r := e.ok(t, dir, tokA, "-o", "json", "cert", "supersede", id, "--file", "licence-v2.txt",
			"--holder-id", holderID, "--valid-until", "2032-12-31", "--key", e.keys["dept-a"], "--out-dir", "receipts")
		var nw issued
		jsonOut(t, r, &nw)
		if nw.Record.Supersedes != id || nw.Record.Type != "business-licence" || nw.Record.ID == id {
			t.Fatalf("supersede result %+v", nw.Record)
		}
		e.wantVerdict(t, dir, "VALID", "licence-v2.txt")
		rep := e.wantVerdict(t, dir, "SUPERSEDED", "licence.txt")
		if rep.Certificate == nil || rep.Certificate.SupersededBy != nw.Record.ID {
			t.Fatalf("old certificate after supersede: %+v", rep.Certificate)
		}
		if _, err := os.Stat(filepath.Join(dir, "receipts", nw.Record.ID+".receipt.json")); err != nil {
			t.Fatal("no receipt for the new certificate:", err)
		}

		// Revoke the new one: REVOKED, final.
		wantExit(t, e.cl(t, dir, tokA, "cert", "revoke", nw.Record.ID, "--reason", "licence withdrawn", "--key", e.keys["dept-a"]), 0, "revoked")
		rep = e.wantVerdict(t, dir, "REVOKED", "licence-v2.txt")
		if st, code := rep.step(7); st != "fail" || code != "REVOKED" {
			t.Errorf("step 7 = %s %s, want fail REVOKED", st, code)
		}
		e.wantVerdict(t, dir, "REVOKED", "--receipt", "receipts/"+nw.Record.ID+".receipt.json")
		wantExit(t, e.cl(t, dir, tokA, "cert", "reinstate", nw.Record.ID, "--reason", "mistake", "--key", e.keys["dept-a"]), 1, "ILLEGAL_TRANSITION")
		wantExit(t, e.cl(t, dir, tokA, "cert", "revoke", nw.Record.ID, "--reason", "again", "--key", e.keys["dept-a"]), 1)
	})
}
