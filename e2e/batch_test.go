package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/internal/domain/batch"
	"github.com/certledger/certledger/internal/gm"
	"github.com/certledger/certledger/internal/testkit"
)

// TestBatchIssue: a manifest of precomputed hashes becomes one Merkle batch —
// built, header signed, anchored, file uploaded to the gateway's store; a
// receipt is taken from the batch file and verifies; the file verifies against
// the ledger and an edited copy does not; a second batch chains on the first;
// a batched certificate is suspended and reinstated by id with its leaf; the
// same header anchored again is answered with its anchoring (a safe retry),
// another header under its id is refused.
func TestBatchIssue(t *testing.T) {
	e := need(t)
	t.Parallel()
	dir := t.TempDir()
	const n = 300
	var m strings.Builder
	m.WriteString("id,doc_hash,type,holder_id,valid_until\n")
	tag := testkit.RandomHex(4)
	for i := range n {
		fmt.Fprintf(&m, "bl-%s-%04d,%s,licence,9111000%05d,2031-12-31\n", tag, i, gm.SM3Hex([]byte(tag+fmt.Sprint(i))), i)
	}
	writeDoc(t, dir, "manifest.csv", m.String())
	issueBatch := func(id string) map[string]any {
		t.Helper()
		r := e.exec(dir, e.with(tokB, "-o", "json", "cert", "issue", "--manifest", "manifest.csv", "--batch", "--batch-id", id,
			"--key", e.keys[tokB], "--out-dir", "out")...)
		if r.code != 0 {
			t.Fatalf("cert issue --batch: %s", r)
		}
		var out map[string]any
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
			t.Fatalf("output %s: %v", r.stdout, err)
		}
		return out
	}
	id1 := "batch-" + tag + "-1"
	issueBatch(id1)
	file := filepath.Join(dir, "out", id1+".jsonl")
	if fi, err := os.Stat(filepath.Join(dir, "out", id1+".salts.jsonl")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("salts file: %v %v", fi, err)
	}

	// The gateway stores the file and says so.
	r := e.exec(dir, e.with("", "-o", "json", "batch", "show", id1)...)
	if r.code != 0 || !strings.Contains(r.stdout, `"stored": true`) {
		t.Fatalf("batch show: %s", r)
	}
	// A receipt from the batch file, checked here against the anchored header.
	certID := fmt.Sprintf("bl-%s-%04d", tag, 123)
	r = e.exec(dir, "batch", "receipt", "--file", file, "--id", certID)
	if r.code != 0 {
		t.Fatalf("batch receipt: %s", r)
	}
	var rc batch.Receipt
	if err := json.Unmarshal([]byte(r.stdout), &rc); err != nil {
		t.Fatal(err)
	}
	if rc.Record.ID != certID || rc.Header.TxID == "" || rc.Proof.Verify(rc.Record, rc.Header.Header) != nil {
		t.Fatalf("receipt %+v", rc)
	}
	// The file rebuilds the anchored header; an edited copy does not.
	if r = e.exec(dir, e.with("", "batch", "verify", "--file", file, "--ledger")...); r.code != 0 {
		t.Fatalf("batch verify: %s", r)
	}
	data, _ := os.ReadFile(file)
	edited := filepath.Join(dir, "out", "edited.jsonl")
	writeDoc(t, filepath.Dir(edited), "edited.jsonl", string(bytes.Replace(data, []byte("2031-12-31"), []byte("2032-12-31"), 1)))
	hdr, _ := os.ReadFile(filepath.Join(dir, "out", id1+".header.json"))
	writeDoc(t, filepath.Dir(edited), "edited.header.json", string(hdr))
	if r = e.exec(dir, "batch", "verify", "--file", edited); r.code != 1 || !strings.Contains(r.stderr, "root") {
		t.Fatalf("edited file verified: %s", r)
	}

	// A second batch names the first as previous.
	id2 := "batch-" + tag + "-2"
	m2 := strings.ReplaceAll(m.String(), "bl-"+tag, "bl2-"+tag)
	writeDoc(t, dir, "manifest.csv", m2)
	out := issueBatch(id2)
	if b, _ := out["batch"].(map[string]any); b["previous"] != id1 {
		t.Fatalf("second batch %v", out["batch"])
	}
	// A batch whose anchoring failed (an auditor's token may not anchor) keeps its
	// signed header; batch anchor finishes the job with a clerk's token.
	id3 := "batch-" + tag + "-3"
	writeDoc(t, dir, "manifest.csv", strings.ReplaceAll(m.String(), "bl-"+tag, "bl3-"+tag))
	r = e.exec(dir, e.with(tokAuditor, "cert", "issue", "--manifest", "manifest.csv", "--batch", "--batch-id", id3,
		"--key", e.keys[tokB], "--out-dir", "out")...)
	if r.code != 1 || !strings.Contains(r.stderr, "batch anchor --file") {
		t.Fatalf("anchoring as an auditor: %s", r)
	}
	file3 := filepath.Join(dir, "out", id3+".jsonl")
	if r = e.exec(dir, e.with(tokB, "-o", "json", "batch", "anchor", "--file", file3)...); r.code != 0 || !strings.Contains(r.stdout, `"previous": "`+id2+`"`) {
		t.Fatalf("batch anchor: %s", r)
	}
	if r = e.exec(dir, e.with(tokB, "batch", "anchor", "--file", file3)...); r.code != 1 {
		t.Fatalf("anchored twice by the CLI: %s", r)
	}

	// The same signed header again (a retry whose answer was lost) is answered
	// with its anchoring; another header under the anchored id is refused.
	var h batch.Anchored
	if err := json.Unmarshal(hdr, &h); err != nil {
		t.Fatal(err)
	}
	anchorAgain := func(hd batch.Header) (int, batch.Anchored, string) {
		body, _ := json.Marshal(hd)
		req, _ := http.NewRequest("POST", e.url+"/api/v1/batches", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+e.tokens[tokB])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = resp.Body.Close() }()
		var wr struct {
			Record batch.Anchored `json:"record"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&wr)
		return resp.StatusCode, wr.Record, resp.Header.Get("Idempotent-Replay")
	}
	if code, a, replay := anchorAgain(h.Header); code != http.StatusOK || replay != "true" || a.TxID != h.TxID {
		t.Fatalf("anchored again: %d %q %+v (first anchoring %s)", code, replay, a, h.TxID)
	}
	changed := h.Header
	changed.Count-- // another header (its signature no longer matches)
	if code, _, _ := anchorAgain(changed); code != http.StatusConflict {
		t.Fatalf("another header under an anchored id: %d", code)
	}

	// Suspend a batched certificate by id (its leaf goes along), then reinstate it.
	r = e.exec(dir, e.with(tokB, "-o", "json", "cert", "suspend", certID, "--reason", "review", "--key", e.keys[tokB], "--batch-file", file)...)
	if r.code != 0 || !strings.Contains(r.stdout, `"suspended"`) {
		t.Fatalf("suspend batched: %s", r)
	}
	r = e.exec(dir, e.with(tokB, "-o", "json", "cert", "reinstate", certID, "--reason", "review-closed", "--key", e.keys[tokB])...)
	if r.code != 0 || !strings.Contains(r.stdout, `"valid"`) {
		t.Fatalf("reinstate batched: %s", r)
	}
	// Verified by id through the gateway: step 5 is the batch header's signature.
	r = e.exec(dir, e.with("", "cert", "verify", "--id", certID)...)
	if r.code != 0 || !strings.Contains(r.stdout, "VALID") || !strings.Contains(r.stdout, "header of batch "+id1) {
		t.Fatalf("verify a batched certificate: %s", r)
	}
	// Another department's clerk cannot touch it.
	other := fmt.Sprintf("bl-%s-%04d", tag, 7)
	r = e.exec(dir, e.with(tokA, "cert", "revoke", other, "--reason", "fraud", "--key", e.keys[tokA], "--batch-file", file)...)
	if r.code != 1 {
		t.Fatalf("revoke by another department: %s", r)
	}
}

// TestBatchMillion measures a large batch end to end against the e2e devnet
// and a gateway with a read model (sharing the stack's batch store): a manifest
// of precomputed hashes → records, salts, tree, index, header signed, file
// staged, anchored, checked and stored by the gateway, and indexed by its read
// model. The clock stops when the read model answers verify of the batch's
// last certificate (source "readModel", VALID). It runs only with
// CERTLEDGER_BATCH_ROWS (e.g. 1000000); figures are printed, never asserted:
//
//	CERTLEDGER_BATCH_ROWS=1000000 go test -run TestBatchMillion -v -timeout 20m ./e2e/
func TestBatchMillion(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("CERTLEDGER_BATCH_ROWS"))
	if n <= 0 {
		t.Skip("set CERTLEDGER_BATCH_ROWS=1000000 to measure a large batch end to end")
	}
	e := need(t)
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "manifest.csv"))
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintln(w, "id,doc_hash,type,holder_id,valid_until")
	tag := testkit.RandomHex(4)
	certID := func(i int) string { return fmt.Sprintf("m-%s-%08d", tag, i) }
	for i := range n {
		fmt.Fprintf(w, "%s,%s,licence,91310000MA%08d,2031-12-31\n", certID(i), gm.SM3Hex([]byte(tag+strconv.Itoa(i))), i)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	_ = f.Close()

	// A gateway with a read model; its log tells how long the store check and
	// the indexing took.
	cfg := filepath.Join(dir, "gateway-rm.yaml")
	if err := e.writeGatewayConfig(cfg, "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	cf, err := os.OpenFile(cfg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(cf, "readModel: {dir: %s, headInterval: 100ms}\n", filepath.Join(dir, "rm"))
	_ = cf.Close()
	gwLog := filepath.Join(dir, "gateway-rm.log")
	gw, err := startGateway(e.bin, cfg, "", gwLog)
	if err != nil {
		t.Fatal(err)
	}
	defer gw.stop()
	url := "http://" + gw.addr
	gwPid := gw.cmd.Process.Pid
	hwm0, cpu0 := vmHWM(gwPid), procCPU(gwPid)

	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(e.bin, "certledger"), "--gateway", url, "--token", e.tokens[tokB], "-o", "json",
		"cert", "issue", "--manifest", "manifest.csv", "--batch", "--batch-id", "million-"+tag, "--key", e.keys[tokB], "--out-dir", "out")
	cmd.Dir = dir
	cmd.Env = cleanEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	t0 := time.Now()
	err = cmd.Run()
	cliDone := time.Since(t0)
	if err != nil {
		t.Fatalf("cert issue --batch: %v\n%s", err, stderr.String())
	}
	// The clock stops when the read model answers for the last certificate.
	last := certID(n - 1)
	var src, verdict string
	for deadline := time.Now().Add(5 * time.Minute); ; time.Sleep(20 * time.Millisecond) {
		src, verdict = verifySource(t, url, last)
		if src == "readModel" && verdict == "VALID" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("certificate %s not answered by the read model: %s from %s", last, verdict, src)
		}
	}
	total := time.Since(t0)
	gwCPU, gwHWM := procCPU(gwPid)-cpu0, vmHWM(gwPid)

	var out struct {
		BuildSeconds  float64 `json:"buildSeconds"`
		UploadSeconds float64 `json:"uploadSeconds"`
		AnchorSeconds float64 `json:"anchorSeconds"`
		StoreSeconds  float64 `json:"storeSeconds"`
	}
	_ = json.Unmarshal(stdout.Bytes(), &out)
	check, index := gatewayLogSeconds(gwLog, "batch file stored", "checkSeconds"), gatewayLogSeconds(gwLog, "read model: batch indexed", "seconds")
	ps := cmd.ProcessState
	t.Logf("%d records, end to end (built, signed, staged, anchored, checked and stored, indexed by the read model) %s; the CLI exited after %s",
		n, total.Round(time.Millisecond), cliDone.Round(time.Millisecond))
	t.Logf("split: build+tree+index+sign %.1fs, upload (staged) %.1fs, anchor %.1fs, store (check + store + index in the request) %.1fs; "+
		"gateway: store check %.1fs, read model indexing %.1fs; after the CLI: %.1fs",
		out.BuildSeconds, out.UploadSeconds, out.AnchorSeconds, out.StoreSeconds, check, index, (total - cliDone).Seconds())
	t.Logf("CLI: %.1f CPU-s (user %.1f, system %.1f), peak RSS %d MiB; gateway with read model: %.1f CPU-s, peak RSS %d MiB (before: %d MiB)",
		(ps.UserTime() + ps.SystemTime()).Seconds(), ps.UserTime().Seconds(), ps.SystemTime().Seconds(), maxRSSKiB(ps)>>10,
		gwCPU.Seconds(), gwHWM>>10, hwm0>>10)
}

// verifySource asks a gateway to verify certificate id: where the answer came
// from (readModel or ledger) and its verdict.
func verifySource(t *testing.T, base, id string) (source, verdict string) {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/verify?id=" + id)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	var a struct {
		Verdict string `json:"verdict"`
		Source  string `json:"source"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&a)
	return a.Source, a.Verdict
}

// gatewayLogSeconds sums attribute attr of the gateway log's lines of message
// msg (JSON lines); 0 when there are none.
func gatewayLogSeconds(path, msg, attr string) float64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	var sum float64
	for _, l := range bytes.Split(b, []byte("\n")) {
		var m map[string]any
		if json.Unmarshal(l, &m) != nil || m["msg"] != msg {
			continue
		}
		if v, ok := m[attr].(float64); ok {
			sum += v
		}
	}
	return sum
}

// procCPU is a process's user + system CPU time (Linux /proc; 0 elsewhere).
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.Atoi(f[11])
	st, _ := strconv.Atoi(f[12])
	return time.Duration(ut+st) * time.Second / 100 // clock ticks (USER_HZ = 100)
}

// vmHWM is a process's peak resident set in KiB (Linux; 0 elsewhere).
func vmHWM(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			v, _ := strconv.Atoi(strings.Fields(l)[1])
			return v
		}
	}
	return 0
}
