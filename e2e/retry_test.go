package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/certledger/certledger/internal/testkit"
)

// TestRetriedIssueAnswersWithTheIssueTx: resending an issued record after the
// certificate changed (here: revoked) is still idempotent, and the answer names the
// transaction that issued it, not the later revoke — a receipt written from it must
// point at the issue.
func TestRetriedIssueAnswersWithTheIssueTx(t *testing.T) {
	e := need(t)
	t.Parallel()
	dir := t.TempDir()
	uniqueDoc(t, dir, "permit.txt")
	res := e.issue(t, dir, tokA, e.keys["dept-a"], "permit.txt", "--out-dir", "r")
	wantExit(t, e.cl(t, dir, tokA, "cert", "revoke", res.Record.ID, "--reason", "error", "--key", e.keys["dept-a"]), 0)

	b, err := os.ReadFile(filepath.Join(dir, "r", res.Record.ID+".receipt.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rc receiptFile
	if err := json.Unmarshal(b, &rc); err != nil {
		t.Fatal(err)
	}
	rec := map[string]string{
		"id": rc.Record.ID, "docHash": rc.Record.DocHash, "type": rc.Record.Type, "issuer": rc.Record.Issuer,
		"holderCommitment": rc.Record.HolderCommitment, "validFrom": rc.Record.ValidFrom,
		"validUntil": rc.Record.ValidUntil, "keyId": rc.Record.KeyID, "supersedes": "", "signature": rc.Record.Signature,
	}
	body, _ := json.Marshal(rec)
	req, _ := http.NewRequest(http.MethodPost, e.url+"/api/v1/certificates", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+e.tokens[tokA])
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	var out struct {
		TxID string `json:"txId"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Idempotent-Replay") != "true" {
		t.Fatalf("retry after revoke: status %d, Idempotent-Replay %q; want 200 and a replay", resp.StatusCode, resp.Header.Get("Idempotent-Replay"))
	}
	if out.TxID != res.TxID {
		t.Fatalf("retry answered tx %s, want the issuing tx %s (not the revoke)", out.TxID, res.TxID)
	}
}

// TestRefusedIssueCanBeRetried: a definitive refusal (an unregistered key) leaves
// nothing behind that blocks a corrected retry with the same id.
func TestRefusedIssueCanBeRetried(t *testing.T) {
	e := need(t)
	t.Parallel()
	dir := t.TempDir()
	uniqueDoc(t, dir, "deed.txt")
	e.ok(t, dir, "", "keys", "generate", "--out", "stray.pem")
	id := "dept-a-retry-" + testkit.RandomHex(4)
	wantExit(t, e.cl(t, dir, tokA, issueArgs("deed.txt", "stray.pem", "--dept", "dept-a", "--id", id)...), 1)
	if m, _ := filepath.Glob(filepath.Join(dir, "*.pending.json")); len(m) != 0 {
		t.Fatalf("a refused issue left %v behind", m)
	}
	wantExit(t, e.cl(t, dir, tokA, issueArgs("deed.txt", e.keys["dept-a"], "--id", id)...), 0)
}
