package readmodel

import (
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/domain/registry"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/loadtest/record"
)

// benchModel is a model holding department dept-a with its key and n
// certificates it signed, applied as one block.
func benchModel(tb testing.TB, n int) (*Model, []certificate.Record) {
	tb.Helper()
	d, err := record.NewDept("dept-a", "DeptAMSP")
	if err != nil {
		tb.Fatal(err)
	}
	now := time.Now()
	dep, err := registry.NewDepartment(d.Registration("Department A", "licence"), now.Add(-2*time.Hour), "t0")
	if err != nil {
		tb.Fatal(err)
	}
	depJSON, _ := json.Marshal(dep)
	recs, err := d.Certificates("b-%06d", 0, n)
	if err != nil {
		tb.Fatal(err)
	}
	kvs := map[string]string{"\x00registry.department\x00dept-a\x00": string(depJSON)}
	for _, r := range recs {
		c, err := certificate.New(r, now.Add(-time.Minute), "t1")
		if err != nil {
			tb.Fatal(err)
		}
		b, _ := json.Marshal(c)
		kvs[certKey(r.ID)] = string(b)
		kvs["\x00certificate.hash\x00"+r.DocHash+"\x00"+r.ID+"\x00"] = "\x00"
	}
	m, err := Open(Options{Dir: filepath.Join(tb.TempDir(), "rm"), Namespace: "certledger", MaxLag: time.Hour})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = m.Close() })
	if err := m.Apply(block(0, []peer.TxValidationCode{0}, envelope(tb, common.HeaderType_ENDORSER_TRANSACTION, "t1", "certledger", kvs))); err != nil {
		tb.Fatal(err)
	}
	m.NoteHead(1)
	return m, recs
}

func BenchmarkVerifyJSON(b *testing.B) {
	m, recs := benchModel(b, 1000)
	now := time.Now()
	for _, r := range recs { // the signature memo is warm in a running gateway
		if a, err := m.Verify(certificate.Query{ID: r.ID}, now); err != nil || a.Verdict != wire.VerdictValid {
			b.Fatalf("%+v %v", a, err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	buf := make([]byte, 0, 8<<10) // reused, as the handler's pooled buffer is
	for i := range b.N {
		r := recs[i%len(recs)]
		var err error
		if buf, err = m.AppendVerifyJSON(buf[:0], certificate.Query{ID: r.ID, DocHash: r.DocHash}, now); err != nil {
			b.Fatal(err)
		}
	}
}
