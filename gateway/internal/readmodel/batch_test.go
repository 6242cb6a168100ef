package readmodel

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/certledger/certledger/internal/domain/batch"
	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/gm"
	"github.com/certledger/certledger/internal/merkle"
)

// batchFile writes a batch file of n records and returns its SM3 and the lines.
func batchFile(t *testing.T, dir string, n int) (string, []string) {
	t.Helper()
	var b strings.Builder
	var lines []string
	for i := range n {
		l := fmt.Sprintf(`{"docHash":"%064x","holderCommitment":"%s","id":"bt-%03d","issuer":"dept-a","keyId":"%s","supersedes":"","type":"licence","validFrom":"2026-01-01T00:00:00Z","validUntil":""}`,
			i, hash64, i, hash64)
		lines = append(lines, l)
		b.WriteString(l + "\n")
	}
	h := gm.SM3Hex([]byte(b.String()))
	if err := os.WriteFile(filepath.Join(dir, h+".jsonl"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return h, lines
}

// linesRoot is the Merkle root (hex) of a v1 batch file's lines.
func linesRoot(lines []string) string {
	var s merkle.Stream
	for _, l := range lines {
		s.Add(batch.LeafData(nil, batch.RecordKindV1, []byte(l)))
	}
	r := s.Root()
	return hex.EncodeToString(r[:])
}

func anchorBlock(t *testing.T, num uint64, id, fileHash, root string, count int) *common.Block {
	a := fmt.Sprintf(`{"id":%q,"issuer":"dept-a","keyId":%q,"root":%q,"count":%d,"fileHash":%q,"previous":"","windowFrom":"","windowUntil":"","recordKind":"certledger/v1/certificate","types":["licence"],"signature":"","anchoredAt":"2026-12-01T00:00:00Z","txId":"anchor-tx"}`,
		id, hash64, root, count, fileHash)
	return block(num, []peer.TxValidationCode{0}, envelope(t, common.HeaderType_ENDORSER_TRANSACTION, "anchor-tx", "certledger", map[string]string{"\x00batch\x00" + id + "\x00": a}))
}

func TestBatchFilesIndexed(t *testing.T) {
	files := t.TempDir()
	m, err := Open(Options{Dir: filepath.Join(t.TempDir(), "rm"), Namespace: "certledger", Batches: Dir(files), MaxLag: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = m.Close() }()
	// Anchored before its file arrived: pending, then indexed when it comes.
	h, lines := batchFile(t, t.TempDir(), 5)
	if err := m.Apply(anchorBlock(t, 0, "b-1", h, linesRoot(lines), 5)); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := m.Certificate("bt-001"); ok {
		t.Fatal("indexed without a file")
	}
	if p, err := m.PendingBatches(); err != nil || len(p) != 1 || p[0] != (Pending{BatchID: "b-1", FileHash: h, Block: 0}) {
		t.Fatalf("pending = %+v, %v", p, err)
	}
	if _, err := batchFileIn(t, files, lines); err != nil {
		t.Fatal(err)
	}
	if n, err := m.IndexPending(); err != nil || n != 1 {
		t.Fatalf("IndexPending = %d, %v", n, err)
	}
	if p, _ := m.PendingBatches(); len(p) != 0 {
		t.Fatalf("still pending: %+v", p)
	}
	c, ok, err := m.Certificate("bt-001")
	if err != nil || !ok || c.BatchID != "b-1" || c.Status != certificate.StatusValid || c.TxID != "anchor-tx" || c.DocHash != fmt.Sprintf("%064x", 1) {
		t.Fatalf("batched = %+v, %t, %v", c, ok, err)
	}
	if ids, _ := m.IDsByHash(fmt.Sprintf("%064x", 3)); len(ids) != 1 || ids[0] != "bt-003" {
		t.Fatalf("by hash: %v", ids)
	}
	m.NoteHead(1)
	// Step 4 passes with the proof the model computes (the key is not in
	// the registry here: step 6 fails).
	if a, err := m.Verify(certificate.Query{ID: "bt-002"}, time.Now()); err != nil || a.Steps[3].Status != wire.StepPass {
		t.Fatalf("verify batched: %+v, %v", a, err)
	}
	if a, ok, err := m.AnchorOf("bt-002"); err != nil || !ok || a.TxID != "anchor-tx" || a.BlockNumber != 0 || len(a.Endorsements) != 1 {
		t.Fatalf("anchor = %+v, %t, %v", a, ok, err)
	}
	// Its first status change puts it on chain: the on-chain record wins, the
	// anchor stays the batch's.
	onChain := strings.Replace(strings.Replace(certJSON, `"c-1"`, `"bt-002"`, 1), `"batchId":""`, `"batchId":"b-1"`, 1)
	onChain = strings.Replace(onChain, `"status":"valid"`, `"status":"revoked"`, 1)
	if err := m.Apply(block(1, []peer.TxValidationCode{0}, envelope(t, common.HeaderType_ENDORSER_TRANSACTION, "revoke-tx", "certledger", map[string]string{certKey("bt-002"): onChain}))); err != nil {
		t.Fatal(err)
	}
	if c, _, _ := m.Certificate("bt-002"); c.Status != certificate.StatusRevoked {
		t.Fatalf("after the status change: %+v", c)
	}
	if a, _, _ := m.AnchorOf("bt-002"); a.TxID != "anchor-tx" || a.LastBlock != 1 {
		t.Fatalf("anchor after the change = %+v", a)
	}
	// A file whose count disagrees with the header is not indexed.
	h2, lines2 := batchFile(t, files, 3)
	if err := m.Apply(anchorBlock(t, 2, "b-2", h2, linesRoot(lines2), 4)); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := m.Certificate("bt-000"); !ok {
		t.Fatal("b-1 lost")
	}
	if n, err := m.IndexPending(); err == nil || n != 0 {
		t.Fatalf("short file: %d, %v", n, err)
	}
	// A file that does not rebuild its header's root puts nothing in the store:
	// neither its certificates nor their document hashes, and it stays pending.
	_, lines3 := batchFile(t, t.TempDir(), 5)
	for i := range lines3 {
		lines3[i] = strings.Replace(lines3[i], `"bt-`, `"bx-`, 1)
	}
	h3, err := batchFileIn(t, files, lines3)
	if err != nil {
		t.Fatal(err)
	}
	swapped := append([]string{lines3[1], lines3[0]}, lines3[2:]...)
	if err := m.Apply(anchorBlock(t, 3, "b-3", h3, linesRoot(swapped), 5)); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := m.Certificate("bx-004"); ok || err != nil {
		t.Fatalf("a certificate of a file that does not rebuild its root: %t, %v", ok, err)
	}
	if ids, err := m.IDsByHash(fmt.Sprintf("%064x", 4)); err != nil || slices.Contains(ids, "bx-004") {
		t.Fatalf("its document hash: %v, %v", ids, err)
	}
	if p, _ := m.PendingBatches(); len(p) != 2 {
		t.Fatalf("pending after a bad root: %+v", p)
	}
	if m.Height() != 4 {
		t.Fatalf("height %d", m.Height())
	}
}

// batchFileIn writes lines as a batch file into dir (the store receiving it).
func batchFileIn(t *testing.T, dir string, lines []string) (string, error) {
	t.Helper()
	body := strings.Join(lines, "\n") + "\n"
	h := gm.SM3Hex([]byte(body))
	return h, os.WriteFile(filepath.Join(dir, h+".jsonl"), []byte(body), 0o644)
}

// TestPrepareBatch: a batch file read while the batch store checks it is
// prepared without touching the store; a file that does not rebuild the root
// is not prepared; a discarded preparation leaves nothing, a committed one
// indexes the batch, and a batch the model does not know is not prepared.
func TestPrepareBatch(t *testing.T) {
	dir, files := filepath.Join(t.TempDir(), "rm"), t.TempDir()
	m, err := Open(Options{Dir: dir, Namespace: "certledger", Batches: Dir(files), MaxLag: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = m.Close() }()
	h, lines := batchFile(t, t.TempDir(), 9)
	body := strings.Join(lines, "\n") + "\n"
	if _, err := m.PrepareBatch("b-p", strings.NewReader(body)); !errors.Is(err, ErrNoFile) {
		t.Fatalf("not anchored: %v", err)
	}
	if err := m.Apply(anchorBlock(t, 0, "b-p", h, linesRoot(lines), 9)); err != nil {
		t.Fatal(err)
	}
	swapped := strings.Join(append([]string{lines[1], lines[0]}, lines[2:]...), "\n") + "\n"
	if _, err := m.PrepareBatch("b-p", strings.NewReader(swapped)); err == nil || !strings.Contains(err.Error(), "root") {
		t.Fatalf("two records swapped: %v", err)
	}
	p, err := m.PrepareBatch("b-p", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := m.Certificate("bt-004"); ok {
		t.Fatal("visible before the commit")
	}
	p.Discard()
	if _, ok, _ := m.Certificate("bt-004"); ok {
		t.Fatal("visible after a discard")
	}
	if p, err = m.PrepareBatch("b-p", strings.NewReader(body)); err != nil {
		t.Fatal(err)
	}
	if _, err := batchFileIn(t, files, lines); err != nil { // the store accepted it
		t.Fatal(err)
	}
	// The file in the store is left to the preparation, not indexed twice.
	if n, err := m.IndexPending(); n != 0 || err != nil {
		t.Fatalf("IndexPending during the preparation: %d, %v", n, err)
	}
	if err := p.Commit(); err != nil {
		t.Fatal(err)
	}
	if c, ok, err := m.Certificate("bt-004"); err != nil || !ok || c.BatchID != "b-p" {
		t.Fatalf("after the commit: %+v %t %v", c, ok, err)
	}
	if pend, _ := m.PendingBatches(); len(pend) != 0 {
		t.Fatalf("pending %+v", pend)
	}
	// No ingest folder is left behind.
	if left, _ := filepath.Glob(filepath.Join(dir, ingestPrefix+"*")); len(left) != 0 {
		t.Fatalf("left %v", left)
	}
}

func TestLineKeys(t *testing.T) {
	_, lines := batchFile(t, t.TempDir(), 1)
	var r batchLine
	if !lineKeys([]byte(lines[0]), &r) || r.ID != "bt-000" || r.DocHash != fmt.Sprintf("%064x", 0) {
		t.Fatalf("canonical line: %+v", r)
	}
	for _, bad := range []string{`{"id":"x"}`, strings.Replace(lines[0], `"bt-000"`, `"bt\u0030"`, 1), strings.Replace(lines[0], `"id":"bt-000"`, `"id":"bad id"`, 1), lines[0][:40]} {
		if lineKeys([]byte(bad), &r) {
			t.Fatalf("lineKeys(%s) = true", bad)
		}
	}
}

// A v2 batch (recordKind certledger/v2/certificate) is indexed and its
// certificates come back as v2 records, GB/T 36903 fields and all, with step 4
// passing on the proof the model computes from the v2 leaves.
func TestV2BatchIndexed(t *testing.T) {
	files := t.TempDir()
	m, err := Open(Options{Dir: filepath.Join(t.TempDir(), "rm"), Namespace: "certledger", Batches: Dir(files), MaxLag: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = m.Close() }()
	const typeCode = "11100000MB0143028R001"
	var body strings.Builder
	var s merkle.Stream
	ext, err := certificate.NewExtensions(map[string]string{"KZ_JYCS": "示范市西湖路 1 号"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		r := batch.Record{RecordVersion: certificate.RecordV2, ID: fmt.Sprintf("v2-%03d", i), DocHash: fmt.Sprintf("%064x", 100+i),
			Type: typeCode, Name: "营业执照", Issuer: "dept-a", IssuerName: "市场监督管理局", IssuerCode: "11330100MB1234567E",
			IssueDate: "2026-12-01", HolderCodeType: "001", HolderNameCommitment: hash64, HolderCodeCommitment: hash64,
			ValidFrom: "2026-12-01T00:00:00Z", Extensions: ext, KeyID: hash64}
		line, err := batch.AppendLine(nil, &r)
		if err != nil {
			t.Fatal(err)
		}
		s.Add(batch.LeafData(nil, batch.RecordKindV2, line))
		body.Write(line)
		body.WriteByte('\n')
	}
	h := gm.SM3Hex([]byte(body.String()))
	if err := os.WriteFile(filepath.Join(files, h+".jsonl"), []byte(body.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	root := s.Root()
	a := fmt.Sprintf(`{"id":"b-v2","issuer":"dept-a","keyId":%q,"root":"%x","count":6,"fileHash":%q,"previous":"","windowFrom":"","windowUntil":"","recordKind":%q,"types":[%q],"signature":"","anchoredAt":"2026-12-01T00:00:00Z","txId":"anchor-v2"}`,
		hash64, root[:], h, batch.RecordKindV2, typeCode)
	if err := m.Apply(block(0, []peer.TxValidationCode{0}, envelope(t, common.HeaderType_ENDORSER_TRANSACTION, "anchor-v2", "certledger", map[string]string{"\x00batch\x00b-v2\x00": a}))); err != nil {
		t.Fatal(err)
	}
	if _, err := m.IndexPending(); err != nil {
		t.Fatal(err)
	}
	c, ok, err := m.Certificate("v2-004")
	if err != nil || !ok || c.RecordVersion != certificate.RecordV2 || c.Name != "营业执照" || c.IssuerCode != "11330100MB1234567E" ||
		c.Extensions.Map()["KZ_JYCS"] != "示范市西湖路 1 号" || c.BatchID != "b-v2" {
		t.Fatalf("v2 batched certificate = %+v, %t, %v", c, ok, err)
	}
	m.NoteHead(1)
	if a, err := m.Verify(certificate.Query{ID: "v2-004"}, time.Now()); err != nil || a.Steps[3].Status != wire.StepPass {
		t.Fatalf("verify v2 batched: %+v, %v", a, err)
	}
}
