package readmodel_test

import (
	"bytes"
	"encoding/json"
	"fmt"
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

// TestBatchedOnChainVerify: a certificate of an anchored Merkle batch, written
// on the ledger by its first status change, has no signature of its own; the
// read model answers verify for it as the ledger does — step 5 by the SM2
// signature of its batch's header, read from the header the model stored.
func TestBatchedOnChainVerify(t *testing.T) {
	s := startStack(t, readmodel.Options{Dir: filepath.Join(t.TempDir(), "rm"), MaxLag: time.Minute, HeadInterval: 50 * time.Millisecond})
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
	same(t, "batched certificate on the ledger", got, want)
}
