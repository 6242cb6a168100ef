package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	domcert "github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/gm"
	"github.com/certledger/certledger/internal/testkit"
)

// TestReadModelBatch: a second gateway with a read model and a trust pin,
// sharing the batch store. A batch issued through it with the CLI is indexed
// from its file: verify by id and by hash answers VALID from the read model,
// step 4 passing with the proof the model computed and step 5 by the header's
// signature; the receipt from GET /api/v1/certificates/{id}/receipt is checked
// offline by `cert verify --receipt --bundle --pin --offline`; a suspension
// shows up, and the answer equals the ledger's (the first gateway has no
// model) but for step 4, which the ledger cannot check without the proof.
func TestReadModelBatch(t *testing.T) {
	e := need(t)
	t.Parallel()
	dir := t.TempDir()
	gov := filepath.Join(dir, "gov.pem")
	if r := e.exec(dir, "keys", "generate", "--out", gov); r.code != 0 {
		t.Fatalf("keys generate: %s", r)
	}
	pin := testkit.KeyFilePin(t, gov)
	cfg := filepath.Join(dir, "gateway-rm.yaml")
	if err := e.writeGatewayConfig(cfg, "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(cfg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, "readModel: {dir: %s, headInterval: 100ms}\ntrust: {pin: %s}\n", filepath.Join(dir, "rm"), pin)
	_ = f.Close()
	gw, err := startGateway(e.bin, cfg, "", filepath.Join(dir, "gateway-rm.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer gw.stop()
	url := "http://" + gw.addr
	as := func(role string, args ...string) []string {
		pre := []string{"--gateway", url}
		if role != "" {
			pre = append(pre, "--token", e.tokens[role])
		}
		return append(pre, args...)
	}

	const n = 60
	tag := testkit.RandomHex(4)
	var m strings.Builder
	m.WriteString("id,doc_hash,type,holder_id,valid_until\n")
	for i := range n {
		fmt.Fprintf(&m, "rmb-%s-%03d,%s,licence,9111000%05d,2031-12-31\n", tag, i, gm.SM3Hex([]byte(tag+fmt.Sprint(i))), i)
	}
	writeDoc(t, dir, "manifest.csv", m.String())
	id := "rmb-" + tag
	if r := e.exec(dir, as(tokA, "cert", "issue", "--manifest", "manifest.csv", "--batch", "--batch-id", id, "--key", e.keys[tokA], "--out-dir", "out")...); r.code != 0 {
		t.Fatalf("cert issue --batch: %s", r)
	}
	cert, hash := fmt.Sprintf("rmb-%s-%03d", tag, 37), gm.SM3Hex([]byte(tag+"37"))

	type answer struct {
		domcert.Result
		Source string `json:"source"`
	}
	verify := func(base, q string) answer {
		t.Helper()
		resp, err := http.Get(base + "/api/v1/verify?" + q)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = resp.Body.Close() }()
		var a answer
		if err := json.NewDecoder(resp.Body).Decode(&a); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("verify %s: %d %v", q, resp.StatusCode, err)
		}
		return a
	}
	var a answer
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if a = verify(url, "id="+cert); a.Source == "readModel" && a.Verdict == "VALID" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a batched certificate not answered by the read model: %s from %s", a.Verdict, a.Source)
		}
	}
	if a.Steps[3].Status != "pass" || a.Steps[4].Status != "pass" || !strings.Contains(a.Steps[4].Detail, "header of batch "+id) {
		t.Fatalf("steps 4, 5: %+v", a.Steps[3:5])
	}
	if h := verify(url, "hash="+hash); h.Source != "readModel" || h.Verdict != "VALID" || len(h.Matches) != 1 || h.Matches[0] != cert {
		t.Fatalf("by hash: %s from %s, %v", h.Verdict, h.Source, h.Matches)
	}

	// The receipt from REST, checked offline by the CLI.
	start := time.Now()
	resp, err := http.Get(url + "/api/v1/certificates/" + cert + "/receipt")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("receipt: %d %s", resp.StatusCode, body)
	}
	t.Logf("receipt of a batched certificate from the read model in %s (%d bytes)", time.Since(start).Round(time.Microsecond), len(body))
	rp := filepath.Join(dir, "receipt.json")
	if err := os.WriteFile(rp, body, 0o600); err != nil {
		t.Fatal(err)
	}
	bundle := filepath.Join(dir, "bundle.json")
	if r := e.exec(dir, as(tokGov, "trust", "export", "--key", gov, "--out", bundle)...); r.code != 0 {
		t.Fatalf("trust export: %s", r)
	}
	r := e.exec(dir, "--gateway", "http://127.0.0.1:1", "cert", "verify", "--receipt", rp, "--bundle", bundle, "--pin", pin, "--offline")
	if r.code != 0 || !strings.Contains(r.stdout, "verdict: VALID") || !strings.Contains(r.stdout, "merkle") {
		t.Fatalf("offline check of the receipt from REST: %s", r)
	}
	// An unknown certificate has no receipt.
	if resp, err := http.Get(url + "/api/v1/certificates/rmb-nope-1/receipt"); err != nil || resp.StatusCode/100 == 2 {
		t.Fatalf("receipt of an unknown certificate: %v %v", resp, err)
	}

	// A suspension (the leaf goes along) shows up; the ledger's answer is the same but for step 4.
	file := filepath.Join(dir, "out", id+".jsonl")
	if r := e.exec(dir, as(tokA, "cert", "suspend", cert, "--reason", "review", "--key", e.keys[tokA], "--batch-file", file)...); r.code != 0 {
		t.Fatalf("suspend: %s", r)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if a = verify(url, "id="+cert); a.Source == "readModel" && a.Verdict == "SUSPENDED" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("suspension not seen: %s from %s", a.Verdict, a.Source)
		}
	}
	l := verify(e.url, "id="+cert)
	if l.Steps[3].Code != domcert.CodeNoProof || a.Steps[3].Status != "pass" {
		t.Fatalf("step 4: read model %+v, ledger %+v", a.Steps[3], l.Steps[3])
	}
	for _, r := range []*domcert.Result{&a.Result, &l.Result} {
		r.Steps[3], r.CheckedAt = domcert.Step{}, ""
		for i := range r.Results {
			r.Results[i].Steps[3], r.Results[i].CheckedAt = domcert.Step{}, ""
		}
	}
	ga, _ := json.Marshal(a.Result)
	gl, _ := json.Marshal(l.Result)
	if string(ga) != string(gl) {
		t.Fatalf("read model\n%s\nledger\n%s", ga, gl)
	}
}
