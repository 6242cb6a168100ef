package readmodel

import (
	"fmt"
	"os"
	"path/filepath"
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
