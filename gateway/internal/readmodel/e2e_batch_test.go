package readmodel_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/certledger/certledger/gateway/internal/readmodel"
	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/domain/batch"
	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/gm"
	"github.com/certledger/certledger/internal/merkle"
	"github.com/certledger/certledger/loadtest/record"
)

// TestBatchedOnChainVerify: a certificate of an anchored Merkle batch has no
// signature of its own. Known only from the batch file, the read model answers
// verify for it (the ledger cannot: NOT_FOUND) — VALID, step 4 by the proof the
// model computed from the batch's tree, step 5 by the SM2 signature of the
// header it stored — and builds its receipt. Written on the ledger by its
// first status change, the answer equals the ledger's but for step 4 (the
// ledger has no proof: NO_PROOF).
func TestBatchedOnChainVerify(t *testing.T) {
	files := t.TempDir()
	s := startStack(t, readmodel.Options{Dir: filepath.Join(t.TempDir(), "rm"), MaxLag: time.Minute, HeadInterval: 50 * time.Millisecond, Batches: readmodel.Dir(files)})
	var file bytes.Buffer
	w := batch.NewWriter(&file, s.dept.ID, s.dept.KeyID)
	w.KeepLeaves = true
	recs := make([]batch.Record, 4)
	for i := range recs {
		recs[i] = batch.Record{ID: fmt.Sprintf("rmb-%d", i), DocHash: gm.SM3Hex([]byte(fmt.Sprint("rmb", i))), Type: record.CertificateType,
			Issuer: s.dept.ID, HolderCommitment: gm.SM3Hex([]byte(fmt.Sprint("holder", i))), ValidFrom: "2026-01-01T00:00:00Z", KeyID: s.dept.KeyID}
		if err := w.Add(&recs[i]); err != nil {
			t.Fatal(err)
		}
	}
	sum, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	h := batch.Header{ID: "rmb", Issuer: s.dept.ID, KeyID: s.dept.KeyID, Root: sum.Root, Count: sum.Count, FileHash: sum.FileHash,
		WindowFrom: wire.FormatSecond(now.Add(-time.Hour)), WindowUntil: wire.FormatSecond(now.Add(time.Hour)), RecordKind: batch.RecordKindV1, Types: sum.Types}
	if h.Signature, err = canon.Sign(s.dept.Key, canon.KindBatchHeader, h); err != nil {
		t.Fatal(err)
	}
	anchorTx, _, _ := s.submit("dept-a", "batch:Anchor", record.JSON(h))
	if err := os.WriteFile(filepath.Join(files, sum.FileHash+".jsonl"), file.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	waitHeight(t, s.Model, s.Stack)
	if _, err := s.Model.IndexPending(); err != nil { // (or the follower found it first)
		t.Fatal(err)
	}
	if p, err := s.Model.PendingBatches(); err != nil || len(p) != 0 {
		t.Fatalf("pending: %+v %v", p, err)
	}
	for _, q := range []string{"id=" + recs[1].ID, "hash=" + recs[1].DocHash, "id=" + recs[1].ID + "&hash=" + recs[1].DocHash} {
		got := s.verify(s.URL, q)
		if got.Source != readmodel.SourceReadModel || got.Verdict != wire.VerdictValid || got.Steps[3].Status != wire.StepPass ||
			got.Steps[4].Status != wire.StepPass || got.Certificate == nil || got.Certificate.BatchID != "rmb" || got.Certificate.TxID != anchorTx {
			t.Fatalf("batch-only %s: %+v", q, got)
		}
		if l := s.verify(s.LedgerURL, q); l.Verdict != wire.VerdictNotFound {
			t.Fatalf("the ledger knows a batch-only certificate: %s", l.Verdict)
		}
	}
	rc, found, err := s.Model.BatchReceipt(recs[1].ID)
	if err != nil || !found || rc.Batch.Record != recs[1] || rc.Ledger.TxID != anchorTx || rc.Batch.Proof.Verify(rc.Batch.Record, rc.Batch.Header.Header) != nil {
		t.Fatalf("receipt: %+v, %t, %v", rc, found, err)
	}
	if tx, err := rc.Anchor.Decode(); err != nil || tx.TxID != anchorTx {
		t.Fatalf("receipt anchor: %v", err)
	}
	if _, found, err := s.Model.BatchReceipt("rmb-nope"); found || err != nil {
		t.Fatalf("receipt of an unknown id: %t %v", found, err)
	}

	req, err := s.dept.StatusRequest(recs[2].ID, certificate.ActionSuspend, "review", anchorTx)
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(record.JSON(req)), &body); err != nil {
		t.Fatal(err)
	}
	body["batched"] = map[string]any{"record": recs[2], "proof": batch.ProofOf(h.ID, merkle.Build(w.Leaves), 2)}
	s.submit("dept-a", "certificate:Suspend", record.JSON(body))
	waitHeight(t, s.Model, s.Stack)

	got, want := s.verify(s.URL, "id="+recs[2].ID), s.verify(s.LedgerURL, "id="+recs[2].ID)
	if got.Source != readmodel.SourceReadModel || want.Verdict != wire.VerdictSuspended || want.Steps[4].Status != wire.StepPass {
		t.Fatalf("model %s from %s; ledger %s, step 5 %+v", got.Verdict, got.Source, want.Verdict, want.Steps[4])
	}
	if got.Steps[3].Status != wire.StepPass || want.Steps[3].Code != certificate.CodeNoProof {
		t.Fatalf("step 4: model %+v, ledger %+v", got.Steps[3], want.Steps[3])
	}
	for _, a := range []*answer{&got, &want} {
		a.Steps[3] = certificate.Step{}
		for i := range a.Results {
			a.Results[i].Steps[3] = certificate.Step{}
		}
	}
	same(t, "batched certificate on the ledger", got, want)
	// Its receipt is still the batch's.
	if rc, found, err := s.Model.BatchReceipt(recs[2].ID); err != nil || !found || rc.Batch.Proof.Index != 2 {
		t.Fatalf("receipt after the status change: %+v, %t, %v", rc, found, err)
	}
}
