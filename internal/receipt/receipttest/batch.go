package receipttest

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"

	"github.com/certledger/certledger/internal/domain/batch"
	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/domain/certtype"
	"github.com/certledger/certledger/internal/domain/identifier"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/gm"
	"github.com/certledger/certledger/internal/merkle"
	"github.com/certledger/certledger/internal/receipt"
)

// Batch is a Merkle batch of n records of the department, one per document
// docs(i), with its signed header.
type Batch struct {
	Records []batch.Record
	Tree    *merkle.Tree
	Header  batch.Header
}

// NewBatch builds batch id of n v1 records; doc(i) is record i's document.
func (w *World) NewBatch(t testing.TB, id string, n int, doc func(i int) []byte) *Batch {
	t.Helper()
	keyID := gm.KeyID(&w.DeptKey.PublicKey)
	return w.newBatch(t, id, n, batch.RecordKindV1, []string{"business-licence"}, func(i int) batch.Record {
		return batch.Record{ID: fmt.Sprintf("%s-%07d", id, i), DocHash: gm.SM3Hex(doc(i)), Type: "business-licence", Issuer: w.Dept,
			HolderCommitment: gm.SM3Hex([]byte(fmt.Sprint("holder", i))), ValidFrom: wire.FormatTime(w.Now.Add(-time.Hour)),
			ValidUntil: wire.FormatTime(w.Now.Add(5 * 365 * 24 * time.Hour)), KeyID: keyID}
	})
}

// Catalogue values of the v2 records of NewBatchV2.
const (
	LicenceType = "11100000MB0143028R001" // business licence, defined by the market regulator
	DeptCode    = "11330100MB1234567E"    // the department's unified social credit code
)

// NewBatchV2 builds batch id of n v2 records (GB/T 36904 identifiers of type
// LicenceType issued under DeptCode, recordKind certledger/v2/certificate);
// doc(i) is record i's document; odd records carry sector fields.
func (w *World) NewBatchV2(t testing.TB, id string, n int, doc func(i int) []byte) *Batch {
	t.Helper()
	return w.NewBatchV2Edited(t, id, n, doc, nil)
}

// NewBatchV2Edited is NewBatchV2 with every record passed through edit (when
// not nil) before the tree is built and the header signed: a batch the
// department signed whatever its records claim.
func (w *World) NewBatchV2Edited(t testing.TB, id string, n int, doc func(i int) []byte, edit func(i int, r *batch.Record)) *Batch {
	t.Helper()
	keyID := gm.KeyID(&w.DeptKey.PublicKey)
	return w.newBatch(t, id, n, batch.RecordKindV2, []string{LicenceType}, func(i int) batch.Record {
		r := w.recordV2(t, i, keyID, doc)
		if edit != nil {
			edit(i, &r)
		}
		return r
	})
}

// recordV2 is record i of NewBatchV2.
func (w *World) recordV2(t testing.TB, i int, keyID string, doc func(i int) []byte) batch.Record {
	gid, err := identifier.New(LicenceType, DeptCode, fmt.Sprintf("2026%07d", i), "001")
	if err != nil {
		t.Fatal(err)
	}
	var ext certificate.Extensions
	if i%2 == 1 {
		ext, _ = certificate.NewExtensions(map[string]string{"KZ_ZS": fmt.Sprintf("长沙市岳麓区%d号", i)})
	}
	return batch.Record{RecordVersion: certificate.RecordV2, ID: gid.String(), DocHash: gm.SM3Hex(doc(i)), Type: LicenceType,
		Name: "营业执照", Issuer: w.Dept, IssuerName: "市场监督管理局", IssuerCode: DeptCode, IssueDate: w.Now.Format(certificate.DateLayout),
		HolderCodeType:       certtype.HolderUSCC,
		HolderNameCommitment: gm.SM3Hex([]byte(fmt.Sprint("name", i))), HolderCodeCommitment: gm.SM3Hex([]byte(fmt.Sprint("code", i))),
		ValidFrom: wire.FormatTime(w.Now.Add(-time.Hour)), ValidUntil: wire.FormatTime(w.Now.Add(5 * 365 * 24 * time.Hour)),
		Extensions: ext, KeyID: keyID}
}

func (w *World) newBatch(t testing.TB, id string, n int, kind string, types []string, record func(i int) batch.Record) *Batch {
	keyID := gm.KeyID(&w.DeptKey.PublicKey)
	b := &Batch{Records: make([]batch.Record, n)}
	for i := range b.Records {
		b.Records[i] = record(i)
	}
	b.Tree = merkle.BuildFromData(n, func(i int) []byte {
		leaf, err := batch.Leaf(&b.Records[i])
		if err != nil {
			t.Fatal(err)
		}
		return leaf
	})
	root := b.Tree.Root()
	b.Header = batch.Header{ID: id, Issuer: w.Dept, KeyID: keyID, Root: hex.EncodeToString(root[:]), Count: n,
		FileHash: gm.SM3Hex([]byte(id)), WindowFrom: wire.FormatTime(w.Now.Add(-5 * time.Minute)), WindowUntil: wire.FormatTime(w.Now.Add(24 * time.Hour)),
		RecordKind: kind, Types: types}
	p, err := b.Header.Payload()
	if err != nil {
		t.Fatal(err)
	}
	if b.Header.Signature, err = gm.SignBase64(w.DeptKey, p); err != nil {
		t.Fatal(err)
	}
	return b
}

// BatchReceipt builds the v2 receipt of leaf i of b, anchored by a batch:Anchor
// transaction as the batch contract writes it.
func (w *World) BatchReceipt(t testing.TB, b *Batch, i int, tx Tx) *receipt.Receipt {
	t.Helper()
	hj, _ := json.Marshal(b.Header)
	var anchored batch.Anchored
	a, txID := w.Transaction(t, "batch:Anchor", hj, tx, func(txID string, at time.Time) []*kvrwset.KVWrite {
		anchored = batch.Anchored{Header: b.Header, AnchoredAt: wire.FormatTime(at), TxID: txID}
		v := tx.Written
		if v == nil {
			v, _ = json.Marshal(anchored)
		}
		key := tx.Key
		if key == "" {
			key = receipt.BatchKey(b.Header.ID)
		}
		head, _ := json.Marshal(map[string]any{"department": w.Dept, "batchId": b.Header.ID, "count": 1})
		return []*kvrwset.KVWrite{{Key: key, Value: v}, {Key: "\x00batch.head\x00" + w.Dept + "\x00", Value: head}}
	})
	rec := b.Records[i]
	return &receipt.Receipt{
		Version: receipt.Version, Batch: &receipt.Batched{Record: rec, Proof: batch.ProofOf(b.Header.ID, b.Tree, i), Header: anchored},
		IssuedAt:  anchored.AnchoredAt,
		IssuerKey: receipt.IssuerKey{DepartmentID: w.Dept, KeyID: rec.KeyID, PublicKey: w.DeptRegKey().PublicKey},
		Ledger:    receipt.Ledger{TxID: txID, BlockNumber: 9, Channel: w.Channel},
		Anchor:    a, BundleFingerprint: w.Pin, Holder: json.RawMessage(`{}`),
		VerifyURL: "https://gw.example/verify?id=" + rec.ID + "&hash=" + rec.DocHash,
	}
}
