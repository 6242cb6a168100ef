package blockstore

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	bolt "go.etcd.io/bbolt"
)

func put(id, key string) *Tx {
	return tx(id, &kvrwset.KVRWSet{Writes: []*kvrwset.KVWrite{{Key: key, Value: []byte(id)}}})
}

func blocks(t *testing.T, s *Store) [][]byte {
	t.Helper()
	var out [][]byte
	for n := uint64(0); n < s.Height(); n++ {
		b, err := s.BlockBytes(n)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

func sameBlocks(t *testing.T, got, want [][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d blocks, want %d", len(got), len(want))
	}
	for i := range got {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("block %d differs", i)
		}
	}
}

// TestBlockFileTail checks that a block written to the file but never indexed
// (a crash between the file write and the bbolt commit, or a failed commit) is
// not part of the ledger: the next block overwrites it, and a reopen drops it.
func TestBlockFileTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "l.db")
	s := open(t, path)
	genesis(t, s)
	commit(t, s, put("t1", "a"))
	failed := errors.New("finalize failed")
	if _, err := s.CommitBlock([][]byte{[]byte("t2")}, []*Tx{put("t2", "b")}, func(*common.Block) error { return failed }); !errors.Is(err, failed) {
		t.Fatalf("commit = %v, want the finalize error", err)
	}
	if s.Height() != 2 || get(t, s, "b") != nil {
		t.Fatalf("a failed commit left height %d, b = %v", s.Height(), get(t, s, "b"))
	}
	commit(t, s, put("t3", "c"))
	want := blocks(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// A crash after writing the next block's bytes, before its index entry.
	f, err := os.OpenFile(blockFilePath(path), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("half a block")); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	s = reopenSame(t, path, want)
	commit(t, s, put("t4", "d"))
	got := blocks(t, s)
	sameBlocks(t, got[:len(want)], want)
	end, err := indexedEnd(s.db)
	if fi, _ := os.Stat(blockFilePath(path)); err != nil || fi.Size() != end {
		t.Fatalf("blocks file is %d bytes, index ends at %d (%v)", fi.Size(), end, err)
	}
}

// TestBlockFileMissing refuses a store whose index names blocks its file lacks.
func TestBlockFileMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "l.db")
	s := open(t, path)
	genesis(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(blockFilePath(path), 1); err != nil {
		t.Fatal(err)
	}
	if s, err := Open(path, Options{}); err == nil {
		_ = s.Close()
		t.Fatal("opened a store whose blocks file lost a block")
	}
}

// TestBucketBlocks reads a store written before the blocks file, whose blocks are
// in the "blocks" bucket, and appends to it.
func TestBucketBlocks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "l.db")
	s := open(t, path)
	genesis(t, s)
	commit(t, s, put("t1", "a"))
	want := blocks(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	toBucket(t, path, want)

	s = reopenSame(t, path, want)
	commit(t, s, put("t2", "b"))
	got := blocks(t, s)
	sameBlocks(t, got[:len(want)], want)

	// The same blocks stored the new way compare equal.
	fresh := open(t, filepath.Join(t.TempDir(), "f.db"))
	defer func() { _ = fresh.Close() }()
	genesis(t, fresh)
	commit(t, fresh, put("t1", "a"))
	commit(t, fresh, put("t2", "b"))
	if diff, err := FirstBlockDifference(s, fresh); diff != "" || err != nil {
		t.Fatalf("difference %q, %v", diff, err)
	}
	commit(t, fresh, put("t3", "c"))
	if diff, _ := FirstBlockDifference(s, fresh); diff != "blocks: block 3 only in the replay" {
		t.Fatalf("difference %q", diff)
	}
}

// toBucket rewrites a store into the layout from before the blocks file: blocks in
// the "blocks" bucket, no index bucket, no file.
func toBucket(t *testing.T, path string, blks [][]byte) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for n, b := range blks {
			if err := tx.Bucket(bBlocks).Put(u64(uint64(n)), b); err != nil {
				return err
			}
		}
		return tx.DeleteBucket(bBlockIndex)
	})
	if err := errors.Join(err, db.Close(), os.Remove(blockFilePath(path))); err != nil {
		t.Fatal(err)
	}
}

// reopenSame opens the store at path read-only, then for writing (closed when
// the test ends), and checks that both read the blocks want.
func reopenSame(t *testing.T, path string, want [][]byte) *Store {
	t.Helper()
	ro, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	sameBlocks(t, blocks(t, ro), want)
	if err := ro.Close(); err != nil {
		t.Fatal(err)
	}
	s := open(t, path)
	t.Cleanup(func() { _ = s.Close() })
	sameBlocks(t, blocks(t, s), want)
	return s
}
