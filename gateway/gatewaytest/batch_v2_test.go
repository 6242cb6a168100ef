package gatewaytest_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"

	"github.com/certledger/certledger/cli/clitest"
	"github.com/certledger/certledger/gateway/gatewaytest"
	"github.com/certledger/certledger/internal/domain/batch"
	"github.com/certledger/certledger/internal/domain/identifier"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/gm"
	"github.com/certledger/certledger/internal/testkit"
)

// TestBatchV2E2E: on a devnet whose type catalogue is in force, `cert issue
// --manifest --batch` with v2 rows builds, signs, anchors and uploads a v2
// batch; a v1 batch, a manifest mixing v1 and v2 rows and a batch of another
// department's type are refused; a receipt of a batched v2 certificate
// verifies offline against an exported trust bundle; the certificate is
// suspended by id with its leaf, verified VALID by id, then revoked.
func TestBatchV2E2E(t *testing.T) {
	s := startStackWith(t, gatewaytest.Options{BatchDir: t.TempDir()})
	ctx, hc, depts := seeded(t, s, 4*time.Minute)
	a := depts["dept-a"]
	cl := newCLIRun(ctx, t, s)
	dir, cli, mustCLI, write := cl.dir, cl.run, cl.must, cl.write
	cl.registerCatalogue()
	keyPEM, err := gm.MarshalPrivateKeyPEM(a.Key, nil)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := write("dept-a.pem", string(keyPEM))
	gov := filepath.Join(dir, "gov.pem")
	mustCLI("", "keys", "generate", "--out", gov)
	pin := testkit.KeyFilePin(t, gov)
	t.Setenv("CERTLEDGER_TRUST_PIN", pin)

	doc := func(i int) string { return fmt.Sprintf("营业执照 No. %d\n", i) }
	const n = 40
	var m strings.Builder
	m.WriteString("doc_hash,type,serial,holder_name,holder_id,KZ_JYCS\n")
	for i := range n {
		fmt.Fprintf(&m, "%s,%s,20261%05d,Company %d Ltd,91350100M000100Y43,路 %d 号\n", gm.SM3Hex([]byte(doc(i))), licenceType, i, i, i)
	}
	manifest := write("v2.csv", m.String())
	outDir := filepath.Join(dir, "out")
	issue := func(token, manifest, id string) clitest.Result {
		return cli(token, "-o", "json", "cert", "issue", "--manifest", manifest, "--batch", "--batch-id", id, "--key", keyFile, "--out-dir", outDir)
	}

	// Refused before anything is anchored: a v1 batch (the catalogue is in force),
	// a manifest mixing the kinds, a type of another department.
	v1 := write("v1.csv", "doc_hash,type,holder_id,valid_until\n"+gm.SM3Hex([]byte("v1"))+",licence,H1,2031-12-31\n")
	if r := issue(gatewaytest.AClerk, v1, "bv1-1"); r.Code != 1 || !strings.Contains(r.Stderr, "FORBIDDEN") || !strings.Contains(r.Stderr, "catalogue is in force") {
		t.Fatalf("v1 batch on a catalogue ledger: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	mixed := write("mixed.csv", "doc_hash,type,serial,holder_name,holder_id,valid_until\n"+
		gm.SM3Hex([]byte("x"))+","+licenceType+",2026900001,X Ltd,91350100M000100Y43,\n"+
		gm.SM3Hex([]byte("y"))+",licence,,,H1,2031-12-31\n")
	if r := issue(gatewaytest.AClerk, mixed, "bmix-1"); r.Code == 0 || !strings.Contains(r.Stderr, "line 3") || !strings.Contains(r.Stderr, "one record kind") {
		t.Fatalf("mixed manifest: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	estate := write("estate.csv", "doc_hash,type,serial,holder_name,holder_id\n"+gm.SM3Hex([]byte("e"))+","+estateType+",2026900002,张三,11010519491231002X\n")
	if r := issue(gatewaytest.AClerk, estate, "best-1"); r.Code == 0 || !strings.Contains(r.Stderr, "may not issue") {
		t.Fatalf("another department's type: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	var head struct{ BatchID string }
	if resp, err := s.Do(ctx, hc, "GET", "/api/v1/batches?department=dept-a", "", nil); err != nil || resp.JSON(&head) != nil || head.BatchID != "" {
		t.Fatalf("a refused batch was anchored: %v %+v", err, head)
	}

	// The v2 batch.
	out := mustCLI(gatewaytest.AClerk, "-o", "json", "cert", "issue", "--manifest", manifest, "--batch", "--batch-id", "bv2-1", "--key", keyFile, "--out-dir", outDir)
	if !strings.Contains(out, `"recordKind": "`+batch.RecordKindV2+`"`) || !strings.Contains(out, `"`+licenceType+`"`) {
		t.Fatalf("cert issue --batch (v2):\n%s", out)
	}
	file := filepath.Join(outDir, "bv2-1.jsonl")
	const pick = 17
	gid, _ := identifier.New(licenceType, codeA, fmt.Sprintf("20261%05d", pick), "001")
	id := gid.String()
	docFile := write("doc.txt", doc(pick))

	// Its receipt, checked offline against the exported trust bundle.
	rp := filepath.Join(dir, "bv2.receipt.json")
	mustCLI("", "batch", "receipt", "--file", file, "--id", id, "--out", rp)
	bundle := filepath.Join(dir, "bundle.json")
	mustCLI(gatewaytest.GovAdmin, "trust", "export", "--key", gov, "--out", bundle)
	out = mustCLI("", "cert", "verify", "--receipt", rp, "--offline", "--bundle", bundle, "--pin", pin, docFile)
	if !strings.Contains(out, "verdict: VALID") || !strings.Contains(out, "merkle     pass") || !strings.Contains(out, "header of batch bv2-1") {
		t.Fatalf("offline check of a batched v2 receipt:\n%s", out)
	}
	if r := cli("", "cert", "verify", "--receipt", rp, "--offline", "--bundle", bundle, "--pin", pin, write("other.txt", doc(pick+1))); r.Code != 1 ||
		!strings.Contains(r.Stdout, "HASH_MISMATCH") {
		t.Fatalf("another document: exit %d\n%s", r.Code, r.Stdout)
	}

	// By id: suspended with its leaf, reinstated, VALID, revoked.
	out = mustCLI(gatewaytest.AClerk, "-o", "json", "cert", "suspend", id, "--reason", "review", "--key", keyFile, "--batch-file", file)
	if !strings.Contains(out, `"suspended"`) || !strings.Contains(out, `"recordVersion": 2`) {
		t.Fatalf("suspend batched v2:\n%s", out)
	}
	mustCLI(gatewaytest.AClerk, "cert", "reinstate", id, "--reason", "review closed", "--key", keyFile)
	out = mustCLI("", "cert", "verify", "--id", id, docFile)
	for _, want := range []string{"verdict: VALID", "header of batch bv2-1", "营业执照", codeA} {
		if !strings.Contains(out, want) {
			t.Errorf("verify a batched v2 certificate by id does not show %q:\n%s", want, out)
		}
	}
	mustCLI(gatewaytest.AClerk, "cert", "revoke", id, "--reason", "fraud", "--key", keyFile)
	if r := cli("", "cert", "verify", "--id", id, docFile); r.Code != 1 || !strings.Contains(r.Stdout, "verdict: REVOKED") {
		t.Fatalf("revoked: exit %d\n%s", r.Code, r.Stdout)
	}

	// A batch made by hand, its line 2 claiming dept-b's code: anchored (the
	// chaincode sees only the header), its file refused by the batch store, and
	// the certificate, once on the ledger by a status change, not VALID.
	forged := forgeBatch(t, file, filepath.Join(outDir, "bv2-2.jsonl"), a.Key, "bv2-1", codeB)
	if resp, err := s.Do(ctx, hc, "POST", "/api/v1/batches", gatewaytest.AClerk, forged); err != nil || resp.Status != 201 {
		t.Fatalf("anchoring a hand-made v2 batch: %v %+v", err, resp)
	}
	r := cli(gatewaytest.AClerk, "batch", "upload", "--file", filepath.Join(outDir, "bv2-2.jsonl"))
	if r.Code == 0 || !strings.Contains(r.Stderr, "line 2 (") || !strings.Contains(r.Stderr, "issuerCode "+codeB) {
		t.Fatalf("upload of a forged v2 batch: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	recs := readRecords(t, filepath.Join(outDir, "bv2-2.jsonl"))
	var got struct {
		Batch batch.Anchored `json:"batch"`
	}
	if resp, err := s.Do(ctx, hc, "GET", "/api/v1/batches/bv2-2", "", nil); err != nil || resp.JSON(&got) != nil || got.Batch.TxID == "" {
		t.Fatalf("reading the anchored batch: %v %+v", err, got)
	}
	hj, _ := json.Marshal(got.Batch) // anchored: the status change names its txId
	write("out/bv2-2.header.json", string(hj))
	mustCLI("", "batch", "index", "--file", filepath.Join(outDir, "bv2-2.jsonl"))
	mustCLI(gatewaytest.AClerk, "cert", "suspend", recs[1].ID, "--reason", "forged", "--key", keyFile, "--batch-file", filepath.Join(outDir, "bv2-2.jsonl"))
	mustCLI(gatewaytest.AClerk, "cert", "reinstate", recs[1].ID, "--reason", "to verify", "--key", keyFile)
	if r := cli("", "cert", "verify", "--id", recs[1].ID); r.Code != 1 || !strings.Contains(r.Stdout, "KEY_INVALID") ||
		!strings.Contains(r.Stdout, "NOT_AUTHORIZED") || !strings.Contains(r.Stdout, "issuerCode "+codeB) {
		t.Fatalf("verify a forged batched v2 certificate: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
}

// forgeBatch writes a v2 batch of dept-a to out from the first three records of
// the honest batch file from, with new serials, record 2 claiming issuing
// organisation code otherCode; signs its header (previous batch previous) with
// key, writes it beside the file for `batch upload` and returns it.
func forgeBatch(t *testing.T, from, out string, key *sm2.PrivateKey, previous, otherCode string) batch.Header {
	t.Helper()
	recs := readRecords(t, from)[:3]
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	w := batch.NewWriter(f, "dept-a", recs[0].KeyID)
	for i := range recs {
		code := recs[i].IssuerCode
		if i == 1 {
			code = otherCode
		}
		gid, err := identifier.New(recs[i].Type, code, fmt.Sprintf("20262%05d", i), "001")
		if err != nil {
			t.Fatal(err)
		}
		recs[i].ID, recs[i].IssuerCode, recs[i].DocHash = gid.String(), code, gm.SM3Hex([]byte(gid.String()))
		if err := w.Add(&recs[i]); err != nil {
			t.Fatal(err)
		}
	}
	sum, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	h := batch.Header{ID: strings.TrimSuffix(filepath.Base(out), ".jsonl"), Issuer: "dept-a", KeyID: recs[0].KeyID, Root: sum.Root, Count: sum.Count,
		FileHash: sum.FileHash, Previous: previous, WindowFrom: wire.FormatTime(now.Add(-5 * time.Minute)), WindowUntil: wire.FormatTime(now.Add(time.Hour)),
		RecordKind: sum.RecordKind, Types: sum.Types}
	p, err := h.Payload()
	if err != nil {
		t.Fatal(err)
	}
	if h.Signature, err = gm.SignBase64(key, p); err != nil {
		t.Fatal(err)
	}
	hj, _ := json.Marshal(batch.Anchored{Header: h})
	if err := os.WriteFile(strings.TrimSuffix(out, ".jsonl")+".header.json", hj, 0o600); err != nil {
		t.Fatal(err)
	}
	return h
}

// readRecords reads every record of a batch file.
func readRecords(t *testing.T, file string) []batch.Record {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var recs []batch.Record
	for _, line := range strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n") {
		r, err := batch.ParseLine([]byte(line))
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	return recs
}
