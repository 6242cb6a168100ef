package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/internal/gm"
	"github.com/certledger/certledger/internal/testkit"
)

// bulkSummary is the JSON summary of a bulk issue.
type bulkSummary struct {
	Total           int    `json:"total"`
	Issued          int    `json:"issued"`
	Skipped         int    `json:"skipped"`
	AlreadyOnLedger int    `json:"alreadyOnLedger"`
	Failed          int    `json:"failed"`
	Unreachable     int    `json:"unreachable"`
	NotAttempted    int    `json:"notAttempted"`
	StateFile       string `json:"stateFile"`
	Failures        []struct {
		Line  int    `json:"line"`
		File  string `json:"file"`
		ID    string `json:"id"`
		Error string `json:"error"`
	} `json:"failures"`
}

// writeManifest writes n documents into dir/docs and a manifest naming them; rows
// listed in withID get an explicit id. It returns the documents' SM3 hashes.
func writeManifest(t *testing.T, dir, prefix string, n int, withID map[int]string) []string {
	t.Helper()
	docs := filepath.Join(dir, "docs")
	if err := os.MkdirAll(docs, 0o755); err != nil {
		t.Fatal(err)
	}
	var m strings.Builder
	m.WriteString("# bulk issue of " + prefix + "\nfile,type,holder_id,valid_until,id\n")
	hashes := make([]string, n)
	for i := range n {
		name := fmt.Sprintf("%s-%03d.txt", prefix, i)
		content := fmt.Sprintf("%s document %d %s\n", prefix, i, testkit.RandomHex(8))
		writeDoc(t, docs, name, content)
		hashes[i] = gm.SM3Hex([]byte(content))
		fmt.Fprintf(&m, "%s,business-licence,9111000%05d,2031-12-31,%s\n", name, i, withID[i])
	}
	writeDoc(t, dir, "manifest.csv", m.String())
	return hashes
}

func (s *stack) bulk(t *testing.T, dir, gateway, role string, extra ...string) (bulkSummary, result) {
	t.Helper()
	args := append([]string{"--gateway", gateway, "--token", s.tokens[role], "-o", "json", "cert", "issue",
		"--dir", "docs", "--manifest", "manifest.csv", "--key", s.keys[role], "--out-dir", "receipts"}, extra...)
	r := s.exec(dir, args...)
	var sum bulkSummary
	if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil && r.code != 2 {
		t.Fatalf("bulk output is not a JSON summary (%v):\n%s", err, r)
	}
	return sum, r
}

// findByHash asks the gateway's REST API which certificates have document hash h.
func findByHash(t *testing.T, base, h string) []certificate {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/certificates?hash=" + url.QueryEscape(h))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode == http.StatusNotFound {
		return nil
	}
	var certs []certificate
	if err := json.NewDecoder(resp.Body).Decode(&certs); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET certificates?hash=%s: %d %v", h, resp.StatusCode, err)
	}
	return certs
}

// historyLen returns how many versions the ledger holds of certificate id.
func historyLen(t *testing.T, base, token, id string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/api/v1/certificates/"+url.PathEscape(id)+"/history", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	var h []json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil || resp.StatusCode != 200 {
		t.Fatalf("history of %s: %d %v", id, resp.StatusCode, err)
	}
	return len(h)
}

// TestBulkIssue: a manifest is issued with bounded concurrency; a rerun skips what was
// done; a failed row is reported and retried by the next run; without the state file
// the ids are found on the ledger again.
func TestBulkIssue(t *testing.T) {
	e := need(t)
	t.Parallel()
	dir := t.TempDir()
	const n = 12
	hashes := writeManifest(t, dir, "bulk", n, map[int]string{0: "bulk-lic-" + testkit.RandomHex(4)})

	sum, r := e.bulk(t, dir, e.url, tokB, "--concurrency", "4")
	if r.code != 0 || sum.Total != n || sum.Issued != n || sum.Failed != 0 || sum.Skipped != 0 {
		t.Fatalf("first run: %+v\n%s", sum, r)
	}
	receipts, _ := filepath.Glob(filepath.Join(dir, "receipts", "*.receipt.json"))
	qrs, _ := filepath.Glob(filepath.Join(dir, "receipts", "*.qr.png"))
	if len(receipts) != n || len(qrs) != n {
		t.Fatalf("%d receipts and %d QR codes, want %d each", len(receipts), len(qrs), n)
	}
	for _, h := range hashes {
		if c := findByHash(t, e.url, h); len(c) != 1 || c[0].Issuer != "dept-b" {
			t.Fatalf("hash %s: %+v", h, c)
		}
	}
	e.wantVerdict(t, dir, "VALID", "docs/bulk-005.txt")

	// Rerun: everything skipped, nothing submitted.
	sum, r = e.bulk(t, dir, e.url, tokB)
	if r.code != 0 || sum.Skipped != n || sum.Issued != 0 {
		t.Fatalf("rerun: %+v\n%s", sum, r)
	}

	// A row whose file is missing fails (exit 1) and the others are skipped; once the
	// file is there, the next run issues just it.
	f, _ := os.OpenFile(filepath.Join(dir, "manifest.csv"), os.O_APPEND|os.O_WRONLY, 0)
	fmt.Fprintln(f, "late.txt,business-licence,91110000LATE,2031-12-31,")
	_ = f.Close()
	sum, r = e.bulk(t, dir, e.url, tokB)
	if r.code != 1 || sum.Failed != 1 || sum.Skipped != n || len(sum.Failures) != 1 || sum.Failures[0].File != "late.txt" {
		t.Fatalf("run with a missing file: %+v\n%s", sum, r)
	}
	if !strings.Contains(r.stderr, "rerun") {
		t.Errorf("failure message does not say to rerun:\n%s", r)
	}
	writeDoc(t, filepath.Join(dir, "docs"), "late.txt", "late document "+testkit.RandomHex(8))
	sum, r = e.bulk(t, dir, e.url, tokB)
	if r.code != 0 || sum.Issued != 1 || sum.Skipped != n {
		t.Fatalf("run after adding the file: %+v\n%s", sum, r)
	}

	// The state file lost: every row is found on the ledger, nothing issued twice.
	statePath := sum.StateFile
	if !filepath.IsAbs(statePath) {
		statePath = filepath.Join(dir, statePath)
	}
	if err := os.Remove(statePath); err != nil {
		t.Fatal(err)
	}
	sum, r = e.bulk(t, dir, e.url, tokB)
	if r.code != 0 || sum.AlreadyOnLedger != n+1 || sum.Issued != 0 {
		t.Fatalf("run without state file: %+v\n%s", sum, r)
	}
	for _, h := range hashes {
		if c := findByHash(t, e.url, h); len(c) != 1 {
			t.Fatalf("hash %s on the ledger %d times", h, len(c))
		}
	}

	// A bad manifest is a usage error; nothing is submitted.
	writeDoc(t, dir, "manifest.csv", "file,type\nx.txt,permit\n")
	_, r = e.bulk(t, dir, e.url, tokB)
	wantExit(t, r, 2, "certledger:")
}

// TestBulkGatewayKilled kills a gateway (not the ledger) with SIGKILL in the middle of
// a bulk issue (grouped transactions of 5, so that there is a middle), starts it again
// and reruns the same command: every certificate of the manifest ends up on the ledger
// exactly once.
func TestBulkGatewayKilled(t *testing.T) {
	e := need(t)
	t.Parallel()
	dir := t.TempDir()
	const n = 150
	hashes := writeManifest(t, dir, "crash", n, nil)

	// A gateway of its own, on a fixed address so that it can come back there.
	addr := testkit.FreeAddr(t)
	logPath := filepath.Join(dir, "gateway-killed.log")
	gw, err := startGateway(e.bin, e.gwConfig, addr, logPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gw.stop() })
	base := "http://" + addr

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(e.bin, "certledger"), "--gateway", base, "--token", e.tokens[tokA],
		"-o", "json", "cert", "issue", "--dir", "docs", "--manifest", "manifest.csv", "--key", e.keys["dept-a"],
		"--out-dir", "receipts", "--concurrency", "4", "--group", "5")
	cmd.Dir = dir
	cmd.Env = cleanEnv()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()

	// Kill the gateway once some certificates are done, long before all are.
	state := filepath.Join(dir, "receipts", ".certledger-bulk-state.jsonl")
	killedAt := -1
	deadline := time.Now().Add(60 * time.Second)
	for killedAt < 0 && time.Now().Before(deadline) {
		if c := countLines(state); c >= 10 {
			gw.kill()
			killedAt = c
			break
		}
		select {
		case err := <-waited:
			t.Fatalf("bulk issue ended (%v) before the gateway was killed (state lines %d); stdout:\n%s\nstderr:\n%s", err, countLines(state), out.String(), errb.String())
		case <-time.After(5 * time.Millisecond):
		}
	}
	if killedAt < 0 {
		t.Fatal("the bulk issue made no progress within 60 s")
	}
	err = <-waited
	code := cmd.ProcessState.ExitCode()
	var sum bulkSummary
	_ = json.Unmarshal(out.Bytes(), &sum)
	firstErr := ""
	if len(sum.Failures) > 0 {
		firstErr = sum.Failures[0].Error
	}
	t.Logf("gateway killed after %d state lines; first run: exit %d, issued %d, failed %d (unreachable %d; first error %q); stderr %s",
		killedAt, code, sum.Issued, sum.Failed, sum.Unreachable, firstErr, strings.TrimSpace(errb.String()))
	if code != 3 && code != 1 {
		t.Fatalf("first run: exit %d (%v), want 3 (gateway unreachable) or 1; stderr:\n%s", code, err, errb.String())
	}
	if sum.Failed == 0 || sum.Issued >= n {
		t.Fatalf("first run: issued %d, failed %d: the kill did not interrupt it", sum.Issued, sum.Failed)
	}

	// The gateway comes back on the same address; the same command finishes the job.
	gw2, err := startGateway(e.bin, e.gwConfig, addr, logPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gw2.stop() })
	sum2, r := e.bulk(t, dir, base, tokA, "--concurrency", "4", "--group", "5")
	if r.code != 0 || sum2.Failed != 0 || sum2.Total != n || sum2.Skipped+sum2.Issued+sum2.AlreadyOnLedger != n {
		t.Fatalf("rerun: %+v\n%s", sum2, r)
	}
	t.Logf("rerun: issued %d, skipped %d, already on ledger %d", sum2.Issued, sum2.Skipped, sum2.AlreadyOnLedger)

	// Every document exactly once on the ledger, each certificate written once.
	ids := map[string]bool{}
	for i, h := range hashes {
		c := findByHash(t, base, h)
		if len(c) != 1 {
			t.Fatalf("row %d (hash %s) is on the ledger %d times: %+v", i, h, len(c), c)
		}
		if ids[c[0].ID] {
			t.Fatalf("id %s used twice", c[0].ID)
		}
		ids[c[0].ID] = true
		if hl := historyLen(t, base, e.tokens[tokAuditor], c[0].ID); hl != 1 {
			t.Fatalf("certificate %s has %d versions, want 1 (one issue transaction)", c[0].ID, hl)
		}
	}
	// No pending receipt is left behind; every issued row has its receipt.
	if p, _ := filepath.Glob(filepath.Join(dir, "receipts", "*.pending.json")); len(p) != 0 {
		t.Errorf("pending receipts left: %v", p)
	}
	if rc, _ := filepath.Glob(filepath.Join(dir, "receipts", "*.receipt.json")); len(rc) != n {
		t.Errorf("%d receipts, want %d", len(rc), n)
	}
}

func countLines(path string) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer func() { _ = f.Close() }()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		n++
	}
	return n
}
