package receipttest

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"

	"github.com/certledger/certledger/internal/domain/batch"
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

// NewBatch builds batch id of n records; doc(i) is record i's document.
func (w *World) NewBatch(t testing.TB, id string, n int, doc func(i int) []byte) *Batch {
	t.Helper()
	keyID := gm.KeyID(&w.DeptKey.PublicKey)
	b := &Batch{Records: make([]batch.Record, n)}
	for i := range b.Records {
		b.Records[i] = batch.Record{ID: fmt.Sprintf("%s-%07d", id, i), DocHash: gm.SM3Hex(doc(i)), Type: "business-licence", Issuer: w.Dept,
			HolderCommitment: gm.SM3Hex([]byte(fmt.Sprint("holder", i))), ValidFrom: wire.FormatTime(w.Now.Add(-time.Hour)),
			ValidUntil: wire.FormatTime(w.Now.Add(5 * 365 * 24 * time.Hour)), KeyID: keyID}
	}
	b.Tree = merkle.BuildFromData(n, func(i int) []byte {
		line, err := batch.AppendLine(nil, &b.Records[i])
		if err != nil {
			t.Fatal(err)
		}
		return batch.LeafData(nil, batch.RecordKindV1, line)
	})
	root := b.Tree.Root()
	b.Header = batch.Header{ID: id, Issuer: w.Dept, KeyID: keyID, Root: hex.EncodeToString(root[:]), Count: n,
		FileHash: gm.SM3Hex([]byte(id)), WindowFrom: wire.FormatTime(w.Now.Add(-5 * time.Minute)), WindowUntil: wire.FormatTime(w.Now.Add(24 * time.Hour)),
		RecordKind: batch.RecordKindV1, Types: []string{"business-licence"}}
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
