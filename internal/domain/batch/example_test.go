package batch_test

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/certledger/certledger/internal/domain/batch"
	"github.com/certledger/certledger/internal/merkle"
)

// Write a batch file, rebuild its summary from the bytes, and prove one record.
func Example() {
	key := strings.Repeat("ab", 32)
	recs := []batch.Record{
		{ID: "lic-1", DocHash: strings.Repeat("11", 32), Type: "business-licence", Issuer: "dept-a", HolderCommitment: strings.Repeat("aa", 32), ValidFrom: "2026-01-01T00:00:00Z", KeyID: key},
		{ID: "lic-2", DocHash: strings.Repeat("22", 32), Type: "business-licence", Issuer: "dept-a", HolderCommitment: strings.Repeat("bb", 32), ValidFrom: "2026-01-01T00:00:00Z", KeyID: key},
	}
	var file bytes.Buffer
	w := batch.NewWriter(&file, "dept-a", key)
	w.KeepLeaves = true
	for i := range recs {
		if err := w.Add(&recs[i]); err != nil {
			fmt.Println(err)
			return
		}
	}
	sum, _ := w.Close()
	h := batch.Header{ID: "b-1", Issuer: "dept-a", KeyID: key, Root: sum.Root, Count: sum.Count, FileHash: sum.FileHash, RecordKind: batch.RecordKindV1, Types: sum.Types}

	again, err := batch.Scan(&file, "dept-a", key, nil)
	fmt.Println(err, again.Matches(h))

	proof := batch.ProofOf(h.ID, merkle.Build(w.Leaves), 1)
	fmt.Println(proof.Verify(recs[1], h), proof.Verify(recs[0], h) != nil)
	// Output:
	// <nil> <nil>
	// <nil> true
}
