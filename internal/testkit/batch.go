package testkit

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"testing"

	"github.com/certledger/certledger/internal/domain/batch"
	"github.com/certledger/certledger/internal/gm"
)

// BatchID is the id WriteBatch gives its i-th record.
func BatchID(i int) string { return fmt.Sprintf("c-%05d", i) }

// WriteBatch writes a v1 batch file of n synthetic business-licence records
// (ids BatchID(0..n-1), distinct document hashes) issued by issuer under keyID
// to w and returns its summary; t fails on any error.
func WriteBatch(t testing.TB, w io.Writer, issuer, keyID string, n int) batch.Summary {
	t.Helper()
	bw := batch.NewWriter(w, issuer, keyID)
	for i := range n {
		r := batch.Record{ID: BatchID(i), DocHash: gm.SM3Hex([]byte(fmt.Sprint(i))), Type: "business-licence", Issuer: issuer,
			HolderCommitment: gm.SM3Hex([]byte("h")), ValidFrom: "2026-01-01T00:00:00Z", KeyID: keyID}
		if err := bw.Add(&r); err != nil {
			t.Fatal(err)
		}
	}
	s, err := bw.Close()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// WriteManifest writes to path a v1 batch manifest (id,doc_hash,type,
// holder_id,valid_until) of n synthetic rows: ids idPrefix+%08d, document
// hashes SM3(seed+i), type typ, holder ids 91310000MA%08d, valid until
// 2031-12-31. It is the input of the large-batch measurements.
func WriteManifest(t testing.TB, path, idPrefix, typ, seed string, n int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintln(w, "id,doc_hash,type,holder_id,valid_until")
	for i := range n {
		fmt.Fprintf(w, "%s%08d,%s,%s,91310000MA%08d,2031-12-31\n", idPrefix, i, gm.SM3Hex([]byte(seed+strconv.Itoa(i))), typ, i)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// EnvCount is the positive integer the environment variable name holds; when
// it is unset (or not a positive integer) it skips t with the message skip.
// Measurements too long for every run (a million-record batch, a devnet
// throughput figure) run only when asked this way.
func EnvCount(t testing.TB, name, skip string) int {
	t.Helper()
	n, _ := strconv.Atoi(os.Getenv(name))
	if n <= 0 {
		t.Skip(skip)
	}
	return n
}
