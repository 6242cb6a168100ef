package readmodel

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm3"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/certledger/certledger/internal/domain/batch"
	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/merkle"
)

// TestTiles: the stored levels (tiles) give the same proofs as the whole tree,
// for trees of every shape around the tile and tier boundaries.
func TestTiles(t *testing.T) {
	m, err := Open(Options{Dir: filepath.Join(t.TempDir(), "rm"), Namespace: "certledger"})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = m.Close() }()
	sizes := []uint64{1, 2, 3, 4, 5, 7, 8, 9, 1023, 1024, 1025, 4097, 262_143 + 4*1024 + 3}
	if testing.Short() {
		sizes = sizes[:len(sizes)-1]
	}
	for _, n := range sizes {
		leaves := make([]merkle.Hash, n)
		for i := range leaves {
			leaves[i] = sm3.Sum(fmt.Appendf(nil, "leaf %d", i))
		}
		tree := merkle.Build(leaves)
		id := fmt.Sprintf("t-%d", n)
		b := m.db.NewBatch()
		lv := tree.Levels()
		if len(lv) > groupShift {
			if err := putTiles(b, id, lv[groupShift:]); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.Commit(nil); err != nil {
			t.Fatal(err)
		}
		for _, i := range []uint64{0, 1, n / 3, n / 2, n - 2, n - 1} {
			if i >= n {
				continue
			}
			want := tree.AppendProof(nil, int(i))
			var lower []merkle.Hash
			for l := 0; l < groupShift && l < len(lv)-1; l++ {
				if s := (i >> l) ^ 1; s < uint64(len(lv[l])) {
					lower = append(lower, lv[l][s])
				}
			}
			got, err := m.upperPath(id, n, i, lower)
			if err != nil {
				t.Fatalf("n=%d i=%d: %v", n, i, err)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("n=%d i=%d: proof of %d hashes, want %d", n, i, len(got), len(want))
			}
		}
	}
}

// TestBatchProofs: a batch file crossing an indexing chunk and a tier gives
// every certificate an inclusion proof that leads to the anchored root, for
// the records read back from the file; verify passes step 4.
func TestBatchProofs(t *testing.T) {
	n := indexChunk + 5
	if testing.Short() {
		n = 1029
	}
	files := t.TempDir()
	m, err := Open(Options{Dir: filepath.Join(t.TempDir(), "rm"), Namespace: "certledger", Batches: Dir(files), MaxLag: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = m.Close() }()
	h, lines := batchFile(t, files, n)
	if err := m.Apply(anchorBlock(t, 0, "b-p", h, linesRoot(lines), n)); err != nil {
		t.Fatal(err)
	}
	m.NoteHead(1)
	for i := 0; i < n; i += 1 + i%97 {
		id := fmt.Sprintf("bt-%03d", i)
		e, ok, err := m.lookup(id)
		if err != nil || !ok || e.inc == nil || e.inc.Index != i || e.inc.Size != n {
			t.Fatalf("%s: %+v %t %v", id, e.inc, ok, err)
		}
		if err := merkle.VerifyInclusion(batch.LeafData(nil, batch.RecordKindV1, []byte(lines[i])), i, n, e.inc.Proof, e.inc.Root); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		a, err := m.Verify(certificate.Query{ID: id}, time.Now())
		if err != nil || a.Steps[3].Status != "pass" {
			t.Fatalf("%s: %+v %v", id, a, err)
		}
	}
	// A file that does not rebuild the anchored root is not indexed.
	_, lines2 := batchFile(t, t.TempDir(), 6)
	lines2[5], lines2[4] = lines2[4], lines2[5]
	h2, err := batchFileIn(t, files, lines2)
	if err != nil {
		t.Fatal(err)
	}
	_, orig := batchFile(t, t.TempDir(), 6)
	if err := m.Apply(anchorBlock(t, 1, "b-q", h2, linesRoot(orig), 6)); err != nil {
		t.Fatal(err)
	}
	if p, _ := m.PendingBatches(); len(p) != 1 || p[0].BatchID != "b-q" {
		t.Fatalf("a file that does not rebuild the root was indexed: pending %+v", p)
	}
}

// TestTakenIDs: the ids of a staged batch file that name a certificate on the
// ledger or in another indexed batch; the batch's own ids and an incomplete
// last line are not counted.
func TestTakenIDs(t *testing.T) {
	files := t.TempDir()
	m, err := Open(Options{Dir: filepath.Join(t.TempDir(), "rm"), Namespace: "certledger", Batches: Dir(files), MaxLag: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = m.Close() }()
	h, lines := batchFile(t, files, 5)
	if err := m.Apply(anchorBlock(t, 0, "b-1", h, linesRoot(lines), 5)); err != nil {
		t.Fatal(err)
	}
	if err := m.Apply(block(1, []peer.TxValidationCode{0}, envelope(t, common.HeaderType_ENDORSER_TRANSACTION, "t1", "certledger", map[string]string{certKey("c-1"): certJSON}))); err != nil {
		t.Fatal(err)
	}
	staged := strings.Join([]string{
		lines[1], // in batch b-1
		strings.Replace(lines[0], `"bt-000"`, `"c-1"`, 1), // on the ledger
		strings.Replace(lines[0], `"bt-000"`, `"new-1"`, 1),
		lines[3],
	}, "\n") + "\n" + lines[4][:50] // an incomplete last line
	taken, n, err := m.TakenIDs("b-9", strings.NewReader(staged), 2)
	if err != nil || n != 3 || !slices.Equal(taken, []string{"bt-001", "c-1"}) {
		t.Fatalf("TakenIDs = %v, %d, %v", taken, n, err)
	}
	if taken, n, err := m.TakenIDs("b-1", strings.NewReader(strings.Join(lines, "\n")+"\n"), 10); err != nil || n != 0 {
		t.Fatalf("a batch's own ids: %v, %d, %v", taken, n, err)
	}
}

// TestGroupPath: groupPath is groupTree's proof on the two lowest levels, for
// every line of groups of 1 to 4 lines.
func TestGroupPath(t *testing.T) {
	for n := 1; n <= groupSize; n++ {
		lines := make([][]byte, n)
		for i := range lines {
			lines[i] = fmt.Appendf(nil, `{"id":"g-%d"}`, i)
		}
		tree := groupTree(batch.RecordKindV1, lines)
		for k := range n {
			want := tree.AppendProof(nil, k)
			got := groupPath(nil, batch.RecordKindV1, lines, k)
			if !slices.Equal(got, want) {
				t.Errorf("group of %d, line %d: %x, want %x", n, k, got, want)
			}
		}
	}
}
