package testkit

import (
	"fmt"
	"io"
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
