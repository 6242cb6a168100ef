package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/domain/batch"
	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/domain/identifier"
	"github.com/certledger/certledger/internal/gm"
	"github.com/certledger/certledger/internal/merkle"
)

// testBatch is a batch file of dept-a with its signed header and what proves
// its records.
type testBatch struct {
	data   []byte
	header batch.Header
	recs   []batch.Record
	tree   *merkle.Tree
}

// batchFile builds a batch file of n records of dept-a and its header, signed
// with dept-a's key; the window holds the ledger's clock.
func batchFile(t *testing.T, id string, n int) testBatch {
	t.Helper()
	var buf bytes.Buffer
	w := batch.NewWriter(&buf, "dept-a", keyA)
	w.KeepLeaves = true
	b := testBatch{recs: make([]batch.Record, n)}
	for i := range b.recs {
		b.recs[i] = batch.Record{ID: fmt.Sprintf("%s-%03d", id, i), DocHash: gm.SM3Hex([]byte(fmt.Sprint(id, i))), Type: "business-licence", Issuer: "dept-a",
			HolderCommitment: commitA, ValidFrom: "2026-11-28T00:00:00Z", KeyID: keyA}
		if err := w.Add(&b.recs[i]); err != nil {
			t.Fatal(err)
		}
	}
	s, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	b.data, b.tree = buf.Bytes(), merkle.Build(w.Leaves)
	b.header = batch.Header{ID: id, Issuer: "dept-a", KeyID: keyA, Root: s.Root, Count: s.Count, FileHash: s.FileHash,
		WindowFrom: "2026-11-28T11:00:00Z", WindowUntil: "2026-11-29T11:00:00Z", RecordKind: batch.RecordKindV1, Types: s.Types}
	b.header.Signature = sign("dept-a", canon.KindBatchHeader, b.header)
	return b
}

// anchor anchors b's header on the real chaincode as dept-a's clerk; previous
// is dept-a's last batch ("" for its first).
func (e *env) anchor(b *testBatch, previous string) string {
	e.t.Helper()
	if b.header.Previous != previous {
		b.header.Previous = previous
		b.header.Signature = sign("dept-a", canon.KindBatchHeader, b.header)
	}
	r := e.do("POST", "/api/v1/batches", aClerk, b.header)
	if r.status != 201 {
		e.t.Fatalf("anchoring %s: %d %s", b.header.ID, r.status, r.body)
	}
	var wr struct {
		TxID string `json:"txId"`
	}
	if err := json.Unmarshal(r.body, &wr); err != nil || wr.TxID == "" {
		e.t.Fatalf("anchoring %s: %s", b.header.ID, r.body)
	}
	return wr.TxID
}

func rng(start, end, total int) string { return fmt.Sprintf("bytes %d-%d/%d", start, end, total) }

// preparations records what Options.PrepareBatch was given and what became of
// each preparation: "commit <id> <bytes read>" or "discard <id> <bytes read>".
type preparations struct {
	mu     sync.Mutex
	events []string
}

func (p *preparations) prepare(id string, r io.Reader) (func() error, func(), error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, nil, err
	}
	note := func(what string) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.events = append(p.events, fmt.Sprintf("%s %s %d", what, id, len(b)))
	}
	return func() error { note("commit"); return nil }, func() { note("discard") }, nil
}

func (p *preparations) list() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.events)
}

func TestBatchUploadChunkedAndResumed(t *testing.T) {
	var stored []string // what the read model is told
	var prep preparations
	e := newEnv(t, func(o *Options) {
		o.BatchDir = t.TempDir()
		o.BatchStored = func(h string) { stored = append(stored, h) }
		o.PrepareBatch = prep.prepare
	})
	b := batchFile(t, "b-1", 30) // ~11 kB: three chunks under the 4 kB body limit
	e.anchor(&b, "")
	data, total := b.data, len(b.data)
	put := func(start, end int, hdr ...string) resp {
		return e.do("PUT", "/api/v1/batches/b-1/file", aClerk, string(data[start:end+1]), append([]string{"Content-Range", rng(start, end, total)}, hdr...)...)
	}
	if r := e.do("PUT", "/api/v1/batches/b-1/file", aClerk, "x", "Content-Range", "bytes 0-/9"); r.status != 400 || !strings.Contains(string(r.body), "Content-Range") {
		t.Fatalf("malformed Content-Range: %d %s", r.status, r.body)
	}
	if r := put(0, 3999); r.status != 202 || r.header.Get("Upload-Offset") != "4000" {
		t.Fatalf("first chunk: %d %s", r.status, r.body)
	}
	// A resent first chunk is out of step: 409 and where to resume.
	if r := put(0, 3999); r.status != 409 || r.header.Get("Upload-Offset") != "4000" {
		t.Fatalf("stale chunk: %d %s %v", r.status, r.body, r.header)
	}
	if r := e.do("GET", "/api/v1/batches/b-1/upload", aClerk, nil); r.status != 200 || r.json(t)["offset"] != float64(4000) {
		t.Fatalf("upload status: %d %s", r.status, r.body)
	}
	if r := put(4000, 7999); r.status != 202 {
		t.Fatalf("second chunk: %d %s", r.status, r.body)
	}
	r := put(8000, total-1)
	if r.status != 201 || r.json(t)["fileHash"] != b.header.FileHash || len(stored) != 1 || stored[0] != b.header.FileHash {
		t.Fatalf("last chunk: %d %s (told %v)", r.status, r.body, stored)
	}
	// The read model prepared its indexing from the whole file while the store
	// checked it, and committed it once the file was stored.
	if got := prep.list(); !slices.Equal(got, []string{fmt.Sprintf("commit b-1 %d", total)}) {
		t.Fatalf("preparations %v", got)
	}
	// Stored: served back byte for byte to anyone, and GET says so.
	if r := e.do("GET", "/api/v1/batches/b-1/file", "", nil); r.status != 200 || !bytes.Equal(r.body, data) {
		t.Fatalf("download: %d (%d bytes)", r.status, len(r.body))
	}
	if r := e.do("GET", "/api/v1/batches/b-1", "", nil); r.status != 200 || !strings.Contains(string(r.body), `"stored":true`) {
		t.Fatalf("get: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/api/v1/batches?department=dept-a", "", nil); r.status != 200 || r.json(t)["batchId"] != "b-1" {
		t.Fatalf("head: %d %s", r.status, r.body)
	}
}

func TestBatchUploadRefusals(t *testing.T) {
	var prep preparations
	e := newEnv(t, func(o *Options) { o.BatchDir = t.TempDir(); o.PrepareBatch = prep.prepare })
	b := batchFile(t, "b-2", 5)
	e.anchor(&b, "")
	lines := bytes.SplitAfter(b.data, []byte("\n"))
	dropped := bytes.Join(append(append([][]byte{}, lines[:2]...), lines[3:]...), nil)
	r := e.do("PUT", "/api/v1/batches/b-2/file", aClerk, string(dropped), "Content-Range", rng(0, len(dropped)-1, len(dropped)))
	if r.status != 400 || !strings.Contains(string(r.body), "records") {
		t.Fatalf("a record dropped: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/api/v1/batches/b-2/upload", aClerk, nil); r.json(t)["offset"] != float64(0) {
		t.Fatalf("the bad staged file was kept: %s", r.body)
	}
	// What the read model prepared from the refused file is dropped.
	if got := prep.list(); !slices.Equal(got, []string{fmt.Sprintf("discard b-2 %d", len(dropped))}) {
		t.Fatalf("preparations %v", got)
	}
	// Only the issuing department uploads for an anchored batch; an auditor writes nothing.
	for _, tok := range []string{bClerk, aAuditor} {
		if r := e.do("PUT", "/api/v1/batches/b-2/file", tok, string(b.data), "Content-Range", rng(0, len(b.data)-1, len(b.data))); r.status != 403 {
			t.Fatalf("upload with %s: %d %s", tok, r.status, r.body)
		}
	}
	if r := e.do("GET", "/api/v1/batches/b-2/upload", bClerk, nil); r.status != 403 {
		t.Fatalf("upload status by another department: %d %s", r.status, r.body)
	}
	// Not anchored: staged, then finished with "bytes */TOTAL" once it is.
	b3 := batchFile(t, "b-3", 3)
	r = e.do("PUT", "/api/v1/batches/b-3/file", aClerk, string(b3.data), "Content-Range", rng(0, len(b3.data)-1, len(b3.data)))
	if r.status != 404 || !strings.Contains(string(r.body), "not anchored") {
		t.Fatalf("not anchored: %d %s", r.status, r.body)
	}
	// Another department staging under the same id does not disturb it.
	if r := e.do("PUT", "/api/v1/batches/b-3/file", bClerk, "junk", "Content-Range", rng(0, 3, 10)); r.status != 202 {
		t.Fatalf("dept-b staging before the anchoring: %d %s", r.status, r.body)
	}
	e.anchor(&b3, "b-2")
	r = e.do("PUT", "/api/v1/batches/b-3/file", aClerk, "", "Content-Range", fmt.Sprintf("bytes */%d", len(b3.data)))
	if r.status != 201 {
		t.Fatalf("finish after anchoring: %d %s", r.status, r.body)
	}
	// No token: 401. No store configured: 503.
	if r := e.do("PUT", "/api/v1/batches/b-2/file", "", "x", "Content-Range", rng(0, 0, 1)); r.status != 401 {
		t.Fatalf("anonymous upload: %d", r.status)
	}
	e2 := newEnv(t, nil)
	if r := e2.do("PUT", "/api/v1/batches/b-2/file", aClerk, "x", "Content-Range", rng(0, 0, 1)); r.status != 503 {
		t.Fatalf("no store: %d %s", r.status, r.body)
	}
}

func TestAnchorInput(t *testing.T) {
	e := newEnv(t, nil)
	b := batchFile(t, "b-4", 2)
	if r := e.do("POST", "/api/v1/batches", bClerk, b.header); r.status != 403 {
		t.Fatalf("anchor by another department: %d %s", r.status, r.body)
	}
	bad := b.header
	bad.Count, bad.Signature = 0, "not base64"
	r := e.do("POST", "/api/v1/batches", aClerk, bad)
	if r.status != 400 || !strings.Contains(string(r.body), `"field":"count"`) || !strings.Contains(string(r.body), `"field":"signature"`) {
		t.Fatalf("bad header: %d %s", r.status, r.body)
	}
	tx := e.anchor(&b, "")
	// The same signed header again (a retry whose answer was lost): the anchoring.
	r = e.do("POST", "/api/v1/batches", aClerk, b.header)
	if r.status != 200 || r.header.Get("Idempotent-Replay") != "true" || r.json(t)["txId"] != tx {
		t.Fatalf("retried anchoring: %d %s", r.status, r.body)
	}
	// Another header under the same id: CONFLICT.
	other := b.header
	other.WindowUntil = "2026-11-29T10:00:00Z"
	other.Signature = sign("dept-a", canon.KindBatchHeader, other)
	if r := e.do("POST", "/api/v1/batches", aClerk, other); r.status != 409 {
		t.Fatalf("another header, same id: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/api/v1/batches?department=dept:a", "", nil); r.status != 400 {
		t.Fatalf("bad department: %d %s", r.status, r.body)
	}
}

func TestGroupInput(t *testing.T) {
	e := newEnv(t, nil)
	if r := e.do("POST", "/api/v1/certificates/groups", aClerk, map[string]any{"records": []any{}}); r.status != 400 {
		t.Fatalf("empty group: %d %s", r.status, r.body)
	}
	c1, c2 := certRecord("c-1", "dept-a"), certRecord("c-2", "dept-a")
	c2.DocHash = hashB
	c2 = resign(c2)
	r := e.do("POST", "/api/v1/certificates/groups", aClerk, GroupRequest{Records: []CertificateRecord{c1, c2}})
	if r.status != 200 || strings.Count(string(r.body), `"outcome":"issued"`) != 2 {
		t.Fatalf("group: %d %s", r.status, r.body)
	}
	// Retried: both answered as replays, nothing written twice.
	r = e.do("POST", "/api/v1/certificates/groups", aClerk, GroupRequest{Records: []CertificateRecord{c1, c2}})
	if r.status != 200 || strings.Count(string(r.body), `"outcome":"replay"`) != 2 || e.ledger.Count("certificate") != 2 {
		t.Fatalf("retried group: %d %s", r.status, r.body)
	}
	// A malformed record refuses the group with the field named; nothing is submitted.
	bad := certRecord("c-3", "dept-a")
	bad.DocHash = "xyz"
	submits := e.fake.CountCalls("submit", "certificate:IssueGroup")
	r = e.do("POST", "/api/v1/certificates/groups", aClerk, GroupRequest{Records: []CertificateRecord{certRecord("c-4", "dept-a"), bad}})
	if r.status != 400 || !strings.Contains(string(r.body), `"field":"records[1].docHash"`) || e.fake.CountCalls("submit", "certificate:IssueGroup") != submits {
		t.Fatalf("malformed record: %d %s", r.status, r.body)
	}
	// The validity rules of a single issue: UTC, at most 100 years ahead.
	tz := certRecord("c-6", "dept-a")
	tz.ValidFrom = "2026-11-28T08:00:00+08:00"
	far := certRecord("c-7", "dept-a")
	far.ValidUntil = "2200-01-01T00:00:00Z"
	r = e.do("POST", "/api/v1/certificates/groups", aClerk, GroupRequest{Records: []CertificateRecord{resign(tz), resign(far)}})
	if r.status != 400 || !strings.Contains(string(r.body), `"field":"records[0].validFrom"`) || !strings.Contains(string(r.body), "records[1]") {
		t.Fatalf("validity: %d %s", r.status, r.body)
	}
	// A record of another department: 403, nothing submitted.
	r = e.do("POST", "/api/v1/certificates/groups", aClerk, GroupRequest{Records: []CertificateRecord{certRecord("c-5", "dept-b")}})
	if r.status != 403 || e.fake.CountCalls("submit", "certificate:IssueGroup") != submits {
		t.Fatalf("another department's record: %d %s", r.status, r.body)
	}
}

// batchedStatus is dept-a's signed request to change the status of record i of
// b, with its leaf, naming prev.
func batchedStatus(b testBatch, i int, action, prev string) BatchedStatusRequest {
	req := StatusRequest{CertificateID: b.recs[i].ID, Action: action, Reason: "court order", KeyID: keyA, PrevTxID: prev}
	req.Signature = sign("dept-a", canon.KindCertificateStatus, req)
	return BatchedStatusRequest{StatusRequest: req, Batched: BatchedLeaf{Record: b.recs[i], Proof: batch.ProofOf(b.header.ID, b.tree, i)}}
}

func TestBatchedStatusChange(t *testing.T) {
	e := newEnv(t, nil)
	b := batchFile(t, "b-5", 4)
	tx := e.anchor(&b, "")
	id := b.recs[2].ID
	body := batchedStatus(b, 2, "suspend", tx)
	path := "/api/v1/batches/b-5/certificates/" + id + "/suspend"
	if r := e.do("POST", "/api/v1/batches/b-6/certificates/"+id+"/suspend", aClerk, body); r.status != 400 || !strings.Contains(string(r.body), "batched.proof.batchId") {
		t.Fatalf("batch id mismatch: %d %s", r.status, r.body)
	}
	if r := e.do("POST", path, bClerk, body); r.status != 403 {
		t.Fatalf("another department: %d %s", r.status, r.body)
	}
	r := e.do("POST", path, aClerk, body)
	if r.status != 200 || !strings.Contains(string(r.body), `"suspended"`) {
		t.Fatalf("suspend: %d %s", r.status, r.body)
	}
	first := r.json(t)["txId"]
	// Retried after it committed: the same answer, not a stale CONFLICT.
	r = e.do("POST", path, aClerk, body)
	if r.status != 200 || r.header.Get("Idempotent-Replay") != "true" || r.json(t)["txId"] != first {
		t.Fatalf("retried suspend: %d %s", r.status, r.body)
	}
	// Now on the ledger by id: reinstated through the ordinary route.
	if r := e.do("POST", "/api/v1/certificates/"+id+"/reinstate", aClerk, e.statusReq(id, "reinstate")); r.status != 200 {
		t.Fatalf("reinstate: %d %s", r.status, r.body)
	}
	// A leaf that is not in the batch: BAD_SIGNATURE from the chaincode.
	forged := batchedStatus(b, 1, "revoke", tx)
	forged.Batched.Record.HolderCommitment = hashB
	if r := e.do("POST", "/api/v1/batches/b-5/certificates/"+b.recs[1].ID+"/revoke", aClerk, forged); r.status != 400 || r.code() != "BAD_SIGNATURE" {
		t.Fatalf("forged leaf: %d %s", r.status, r.body)
	}
	// Superseded by a new record; retried, the same answer.
	next := certRecord("c-next", "dept-a")
	next.Supersedes = b.recs[3].ID
	next = resign(next)
	sup := BatchedSupersede{Record: next, Batched: BatchedLeaf{Record: b.recs[3], Proof: batch.ProofOf("b-5", b.tree, 3)}}
	supPath := "/api/v1/batches/b-5/certificates/" + b.recs[3].ID + "/supersede"
	if r := e.do("POST", supPath, aClerk, sup); r.status != 201 {
		t.Fatalf("supersede: %d %s", r.status, r.body)
	}
	if r := e.do("POST", supPath, aClerk, sup); r.status != 200 || r.header.Get("Idempotent-Replay") != "true" {
		t.Fatalf("retried supersede: %d %s", r.status, r.body)
	}
	var got struct{ Status string }
	e.ledger.MustEvaluate(&got, "gov", "certificate:Get", id)
	if got.Status != "valid" {
		t.Fatalf("certificate %s: %+v", id, got)
	}
}

// batchFileV2 builds a v2 batch file of n records of dept-a (type typeCode,
// issued under code with the name deptName) whose record i goes through edit,
// and its header signed with dept-a's key.
func batchFileV2(t *testing.T, id string, n int, code, deptName, previous string, edit func(i int, r *batch.Record)) testBatch {
	t.Helper()
	const typeCode = "11100000MB0143028R001"
	var buf bytes.Buffer
	w := batch.NewWriter(&buf, "dept-a", keyA)
	b := testBatch{recs: make([]batch.Record, n)}
	for i := range b.recs {
		gid, err := identifier.New(typeCode, code, fmt.Sprintf("%s%03d", strings.ToUpper(strings.ReplaceAll(id, "-", "")), i), "001")
		if err != nil {
			t.Fatal(err)
		}
		b.recs[i] = batch.Record{RecordVersion: certificate.RecordV2, ID: gid.String(), DocHash: gm.SM3Hex([]byte(fmt.Sprint(id, i))), Type: typeCode,
			Name: "营业执照", Issuer: "dept-a", IssuerName: deptName, IssuerCode: code, IssueDate: "2026-11-28", HolderCodeType: "001",
			HolderNameCommitment: gm.SM3Hex([]byte(fmt.Sprint("name", i))), HolderCodeCommitment: gm.SM3Hex([]byte(fmt.Sprint("code", i))),
			ValidFrom: "2026-11-28T00:00:00Z", ValidUntil: "2046-11-28T00:00:00Z", KeyID: keyA}
		if edit != nil {
			edit(i, &b.recs[i])
		}
		if err := w.Add(&b.recs[i]); err != nil {
			t.Fatal(err)
		}
	}
	s, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	b.data = buf.Bytes()
	b.header = batch.Header{ID: id, Issuer: "dept-a", KeyID: keyA, Root: s.Root, Count: s.Count, FileHash: s.FileHash, Previous: previous,
		WindowFrom: "2026-11-28T11:00:00Z", WindowUntil: "2026-11-29T11:00:00Z", RecordKind: batch.RecordKindV2, Types: s.Types}
	b.header.Signature = sign("dept-a", canon.KindBatchHeader, b.header)
	return b
}

// TestBatchUploadV2RecordsChecked: batch:Anchor checks a v2 header's types but
// never sees the records, so the gateway checks every record of the uploaded
// file against the registry's department and the catalogue's type
// (certificate.AuthorizeFields) before it stores it: an otherwise valid v2
// batch with one line claiming another organisation's issuerCode is refused
// (400 naming the line and the field), nothing stored; the honest batch is
// stored.
func TestBatchUploadV2RecordsChecked(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.BatchDir = t.TempDir() })
	const code, otherCode = "11330100MB1234567E", "11430000006122244L"
	reg := `{"code":"11100000MB0143028R001","name":"营业执照","nameEn":"Business licence","definingBody":"国家市场监督管理总局","holderCodeType":"001","defaultValidity":"P20Y","issuers":["dept-a"]}`
	if r := e.do("POST", "/api/v1/cert-types", govAdmin, reg); r.status != 201 {
		t.Fatalf("register type: %d %s", r.status, r.body)
	}
	if r := e.do("PUT", "/api/v1/departments/dept-a/code", govAdmin, `{"code":"`+code+`"}`); r.status != 200 {
		t.Fatalf("set code: %d %s", r.status, r.body)
	}
	name, _ := e.do("GET", "/api/v1/departments/dept-a", aClerk, nil).json(t)["name"].(string)
	if name == "" {
		t.Fatal("dept-a has no name")
	}
	forged := batchFileV2(t, "bv2-1", 4, code, name, "", func(i int, r *batch.Record) {
		if i == 1 {
			gid, _ := identifier.New(r.Type, otherCode, "BV21999", "001")
			r.ID, r.IssuerCode = gid.String(), otherCode
		}
	})
	e.anchor(&forged, "") // the chaincode sees only the header: its type is dept-a's
	r := e.do("PUT", "/api/v1/batches/bv2-1/file", aClerk, string(forged.data), "Content-Range", rng(0, len(forged.data)-1, len(forged.data)))
	if body := string(r.body); r.status != 400 || !strings.Contains(body, "line 2 (") || !strings.Contains(body, "issuerCode "+otherCode) {
		t.Fatalf("forged issuerCode: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/api/v1/batches/bv2-1/upload", aClerk, nil); r.json(t)["offset"] != float64(0) {
		t.Fatalf("the refused staged file was kept: %s", r.body)
	}
	if r := e.do("GET", "/api/v1/batches/bv2-1/file", "", nil); r.status != 404 {
		t.Fatalf("the refused file is served: %d", r.status)
	}
	wrongName := batchFileV2(t, "bv2-2", 3, code, name+"分局", "bv2-1", nil)
	e.anchor(&wrongName, "bv2-1")
	r = e.do("PUT", "/api/v1/batches/bv2-2/file", aClerk, string(wrongName.data), "Content-Range", rng(0, len(wrongName.data)-1, len(wrongName.data)))
	if body := string(r.body); r.status != 400 || !strings.Contains(body, "line 1 (") || !strings.Contains(body, "issuerName") {
		t.Fatalf("another issuerName: %d %s", r.status, r.body)
	}
	good := batchFileV2(t, "bv2-3", 3, code, name, "bv2-2", nil)
	e.anchor(&good, "bv2-2")
	r = e.do("PUT", "/api/v1/batches/bv2-3/file", aClerk, string(good.data), "Content-Range", rng(0, len(good.data)-1, len(good.data)))
	if r.status != 201 {
		t.Fatalf("honest v2 batch: %d %s", r.status, r.body)
	}
}
