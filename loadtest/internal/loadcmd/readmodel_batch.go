package loadcmd

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/certledger/certledger/gateway/gatewaytest"
	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/domain/batch"
	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/gm"
	"github.com/certledger/certledger/loadtest/internal/driver"
	"github.com/certledger/certledger/loadtest/internal/proc"
	"github.com/certledger/certledger/loadtest/internal/table"
	"github.com/certledger/certledger/loadtest/record"
)

// batchBench is the batched part of the readmodel scenario: a Merkle batch
// anchored on the devnet whose certificates the read model knows only from
// the batch file.
type batchBench struct {
	recs     []certificate.Record
	index    time.Duration // anchoring block seen to batch indexed
	indexCPU time.Duration
	verify   driver.Result
	receipts []time.Duration // Model.BatchReceipt, one at a time
}

// modelOptions is the read model of the scenario in r.dir/name, reading the
// batch files of r.dir/batches.
func (r *readModelRun) modelOptions(name string) gatewaytest.ReadModelOptions {
	return gatewaytest.ReadModelOptions{Dir: filepath.Join(r.dir, name), CacheSize: r.cacheSize,
		Batches: gatewaytest.ReadModelBatchDir(filepath.Join(r.dir, "batches"))}
}

// anchorBatch builds a batch of n records of dept-a, writes its file to the
// batch store, signs and anchors its header, and waits until the read model
// has indexed it.
func (r *readModelRun) anchorBatch(n int) error {
	if n <= 0 {
		return nil
	}
	dept, err := r.seededDept()
	if err != nil {
		return err
	}
	store := filepath.Join(r.dir, "batches")
	if err := os.MkdirAll(store, 0o755); err != nil {
		return err
	}
	tmp := filepath.Join(store, "building.part")
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	w := batch.NewWriter(bw, dept.ID, dept.KeyID)
	r.bench.recs = make([]certificate.Record, n)
	for i := range n {
		rec := batch.Record{ID: fmt.Sprintf("rmb-%07d", i), DocHash: gm.SM3Hex(fmt.Appendf(nil, "batched document %d", i)), Type: record.CertificateType,
			Issuer: dept.ID, HolderCommitment: gm.SM3Hex(fmt.Appendf(nil, "holder %d", i)), ValidFrom: "2026-01-01T00:00:00Z", KeyID: dept.KeyID}
		if err := w.Add(&rec); err != nil {
			_ = f.Close()
			return err
		}
		r.bench.recs[i] = rec.Certificate()
	}
	sum, err := w.Close()
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(store, sum.FileHash+".jsonl")); err != nil {
		return err
	}
	now := time.Now().UTC()
	h := batch.Header{ID: "rmb-load", Issuer: dept.ID, KeyID: dept.KeyID, Root: sum.Root, Count: sum.Count, FileHash: sum.FileHash,
		WindowFrom: wire.FormatSecond(now.Add(-time.Hour)), WindowUntil: wire.FormatSecond(now.Add(time.Hour)), RecordKind: batch.RecordKindV1, Types: sum.Types}
	if h.Signature, err = canon.Sign(dept.Key, canon.KindBatchHeader, h); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(r.c.Context, time.Minute)
	defer cancel()
	res, err := r.s.Fabric.Submit(ctx, "dept-a", "batch:Anchor", record.JSON(h))
	if err != nil {
		return fmt.Errorf("batch:Anchor: %w", err)
	}
	// Apply indexes the file right after it applies the anchoring block.
	cpu0, start := proc.SelfCPU(), time.Now()
	for deadline := start.Add(5 * time.Minute); ; {
		p, err := r.s.Model.PendingBatches()
		if err != nil {
			return err
		}
		if r.s.Model.Height() > res.BlockNumber && len(p) == 0 {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("batch not indexed after %s: pending %+v", time.Since(start), p)
		}
		select {
		case <-r.c.Done():
			return r.c.Err()
		case <-time.After(2 * time.Millisecond):
		}
	}
	r.bench.index, r.bench.indexCPU = time.Since(start), proc.SelfCPU()-cpu0
	return nil
}

// seededDept is dept-a as Seed registered it (its key signs the batch).
func (r *readModelRun) seededDept() (*record.Dept, error) {
	if r.dept == nil {
		return nil, fmt.Errorf("no seeded department")
	}
	return r.dept, nil
}

// timeReceipts times Model.BatchReceipt for a sample of batched certificates.
func (r *readModelRun) timeReceipts() error {
	n := len(r.bench.recs)
	for i := 0; i < min(n, 2000); i++ {
		id := r.bench.recs[(i*7919)%n].ID
		start := time.Now()
		rc, found, err := r.s.Model.BatchReceipt(id)
		if err != nil || !found || rc.Batch.Record.ID != id {
			return fmt.Errorf("receipt of %s: %t, %w", id, found, err)
		}
		r.bench.receipts = append(r.bench.receipts, time.Since(start))
	}
	return nil
}

func (r *readModelRun) reportBatch(t *table.Table) {
	b := r.bench
	if len(b.recs) == 0 {
		return
	}
	t.Add("verify batched from the read model", table.Rate(b.verify.PerSecond())+" requests/s", fmt.Sprintf("%d certificates known only from the batch file, p50 %s p99 %s; CPU %s per request (step 4 proof + step 5 header signature, memoised)",
		len(b.recs), table.Ms(b.verify.Percentile(50)), table.Ms(b.verify.Percentile(99)), table.Ms(b.verify.CPUPerOp(cpuParent))))
	t.Add("batch indexed", table.Dur(b.index), fmt.Sprintf("%d records: records, hash index, tree tiles; CPU %s", len(b.recs), table.Dur(b.indexCPU)))
	if len(b.receipts) > 0 {
		s := slices.Clone(b.receipts)
		slices.Sort(s)
		t.Add("receipt of a batched certificate", table.Ms(s[len(s)/2]), fmt.Sprintf("Model.BatchReceipt (the REST answer's work), median of %d, p99 %s (aim <= 10 ms)", len(s), table.Ms(s[len(s)*99/100])))
	}
}
