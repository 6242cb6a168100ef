package readmodel

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/emmansun/gmsm/sm3"

	"github.com/certledger/certledger/internal/domain/batch"
	"github.com/certledger/certledger/internal/merkle"
)

// TestIndexLargeBatch measures indexing a large batch file (records of the
// v1 line size) into the read model: CERTLEDGER_READMODEL_BATCH_ROWS=1000000
// go test -run TestIndexLargeBatch -v ./gateway/internal/readmodel/
func TestIndexLargeBatch(t *testing.T) {
	rows, _ := strconv.Atoi(os.Getenv("CERTLEDGER_READMODEL_BATCH_ROWS"))
	if rows <= 0 {
		t.Skip("set CERTLEDGER_READMODEL_BATCH_ROWS to measure indexing a batch file of that many records")
	}
	files := t.TempDir()
	tmp := filepath.Join(files, "staging")
	f, err := os.Create(tmp)
	if err != nil {
		t.Fatal(err)
	}
	h := sm3.New()
	var tree merkle.Stream
	w := bufio.NewWriterSize(f, 1<<20)
	for i := range rows {
		l := fmt.Sprintf(`{"docHash":"%064x","holderCommitment":"%s","id":"lic-%08d","issuer":"dept-a","keyId":"%s","supersedes":"","type":"business-licence","validFrom":"2026-12-03T10:00:00Z","validUntil":"2031-12-31T23:59:59Z"}`+"\n",
			i*7919, hash64, i, hash64)
		_, _ = w.WriteString(l)
		h.Write([]byte(l))
		tree.Add(batch.LeafData(nil, batch.RecordKindV1, []byte(l[:len(l)-1])))
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	_ = f.Close()
	fileHash := fmt.Sprintf("%x", h.Sum(nil))
	root := tree.Root()
	if err := os.Rename(tmp, filepath.Join(files, fileHash+".jsonl")); err != nil {
		t.Fatal(err)
	}
	m, err := Open(Options{Dir: filepath.Join(t.TempDir(), "rm"), Namespace: "certledger", Batches: Dir(files), MaxLag: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = m.Close() }()
	var ru0, ru1 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	start := time.Now()
	if err := m.Apply(anchorBlock(t, 0, "big-1", fileHash, fmt.Sprintf("%x", root), rows)); err != nil {
		t.Fatal(err)
	}
	el := time.Since(start)
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := time.Duration(syscall.TimevalToNsec(ru1.Utime)-syscall.TimevalToNsec(ru0.Utime)) + time.Duration(syscall.TimevalToNsec(ru1.Stime)-syscall.TimevalToNsec(ru0.Stime))
	if c, ok, err := m.Certificate(fmt.Sprintf("lic-%08d", rows-1)); err != nil || !ok || c.BatchID != "big-1" {
		t.Fatalf("last record: %+v, %t, %v", c, ok, err)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("indexed %d batched records in %s (%.0f records/s), CPU %s, peak RSS %d MiB, Go heap in use %d MiB",
		rows, el.Round(time.Millisecond), float64(rows)/el.Seconds(), cpu.Round(time.Millisecond), ru1.Maxrss/1024, ms.HeapInuse>>20)
	// Step 4's proofs: every 1000th certificate, cold (file group read, tiles).
	m.NoteHead(1)
	start = time.Now()
	k := 0
	for i := 0; i < rows; i += 1000 {
		e, ok, err := m.readEntry(fmt.Sprintf("lic-%08d", i))
		if err != nil || !ok || e.inc == nil || e.inc.Index != i {
			t.Fatalf("proof of %d: %v", i, err)
		}
		k++
	}
	perProof := time.Since(start) / time.Duration(k)
	// The load's pattern (loadtest readmodel): distinct certificates, stride
	// 7919, with the store's block cache warming up as it goes.
	const reads = 100_000
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	start = time.Now()
	for j := range reads {
		i := (j * 7919) % rows
		if _, ok, err := m.readEntry(fmt.Sprintf("lic-%08d", i)); err != nil || !ok {
			t.Fatalf("record %d: %v", i, err)
		}
	}
	wall := time.Since(start) / reads
	bc := m.db.Metrics().BlockCache
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu = time.Duration(syscall.TimevalToNsec(ru1.Utime)-syscall.TimevalToNsec(ru0.Utime)) + time.Duration(syscall.TimevalToNsec(ru1.Stime)-syscall.TimevalToNsec(ru0.Stime))
	t.Logf("%d distinct records with their proofs (stride 7919): %s wall, %s CPU each; block cache %d MiB, hit rate %.1f %%; peak RSS %d MiB",
		reads, wall.Round(100*time.Nanosecond), (cpu / reads).Round(100*time.Nanosecond), bc.Size>>20, 100*float64(bc.Hits)/float64(max(1, bc.Hits+bc.Misses)), ru1.Maxrss/1024)
	var tiles int
	it, err := m.db.NewIter(&pebble.IterOptions{LowerBound: key(kindTile), UpperBound: prefixEnd(key(kindTile))})
	if err != nil {
		t.Fatal(err)
	}
	for ok := it.First(); ok; ok = it.Next() {
		tiles += len(it.Value())
	}
	_ = it.Close()
	if err := m.db.Flush(); err != nil {
		t.Fatal(err)
	}
	var size int64
	_ = filepath.Walk(m.opts.Dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			size += fi.Size()
		}
		return nil
	})
	t.Logf("a record with its proof read back in %s (mean of %d, cold cache); store %.1f MB (%d bytes per record), of which tree tiles %.1f MB",
		perProof.Round(time.Microsecond), k, float64(size)/1e6, size/int64(rows), float64(tiles)/1e6)
}
