package blockstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"
)

// Blocks live in an append-only file next to the bbolt file, indexed by the
// "blockindex" bucket (block number -> offset, length). Written through bbolt, a
// block of a few MB was copied into bbolt's page buffers and spilled at each
// commit; appended to its own file it is written once.
//
// Crash consistency: a block is appended and fsynced before the bbolt transaction
// that indexes it commits, and opening the store truncates the file to the end of
// the last indexed block. So a block is committed exactly when its index entry is,
// and a tail written by a commit that did not finish is dropped.
//
// Stores written before the file existed keep their blocks in the "blocks" bucket;
// they are read from there, and new blocks go to the file.

// blockFile is the open blocks file. end is where the next block goes; only the
// store's single writer (CommitBlock, AppendGenesis) touches it.
type blockFile struct {
	f      *os.File
	end    int64
	noSync bool
}

// blockFilePath is the blocks file of the bbolt file at path.
func blockFilePath(path string) string { return path + ".blocks" }

// openBlockFile opens (creating if writable) the blocks file and drops any tail
// past the last indexed block.
func openBlockFile(db *bolt.DB, path string, o Options) (*blockFile, error) {
	end, err := indexedEnd(db)
	if err != nil {
		return nil, err
	}
	bf := &blockFile{end: end, noSync: o.NoSync}
	if o.ReadOnly {
		bf.f, err = os.Open(path)
		if errors.Is(err, fs.ErrNotExist) && end == 0 {
			return bf, nil // a store from before the blocks file: all blocks in bbolt
		}
	} else {
		bf.f, err = createBlockFile(path, o.NoSync)
	}
	if err != nil {
		return nil, fmt.Errorf("opening blocks file: %w", err)
	}
	if err := bf.checkSize(o.ReadOnly); err != nil {
		_ = bf.f.Close() // already returning the size error
		return nil, err
	}
	return bf, nil
}

// createBlockFile opens the blocks file for writing; a new file's directory entry
// is fsynced so that the file survives a crash along with the index naming it.
func createBlockFile(path string, noSync bool) (*os.File, error) {
	_, statErr := os.Stat(path)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil || noSync || !errors.Is(statErr, fs.ErrNotExist) {
		return f, err
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		_ = f.Close() // already returning the sync error
		return nil, err
	}
	return f, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer func() { _ = d.Close() }() // read-only handle, synced below
	return d.Sync()
}

// checkSize requires the file to hold every indexed block and, when writable,
// truncates the tail of a commit that never reached the index.
func (bf *blockFile) checkSize(readOnly bool) error {
	fi, err := bf.f.Stat()
	if err != nil {
		return fmt.Errorf("blocks file: %w", err)
	}
	switch {
	case fi.Size() < bf.end:
		return fmt.Errorf("blocks file %s is %d bytes, its index needs %d", bf.f.Name(), fi.Size(), bf.end)
	case fi.Size() > bf.end && !readOnly:
		if err := bf.f.Truncate(bf.end); err != nil {
			return fmt.Errorf("dropping an uncommitted block: %w", err)
		}
	}
	return nil
}

// indexedEnd is the end offset of the last block in the index (0 when none).
func indexedEnd(db *bolt.DB) (int64, error) {
	var end int64
	err := db.View(func(tx *bolt.Tx) error {
		idx := tx.Bucket(bBlockIndex)
		if idx == nil {
			return nil
		}
		if k, v := idx.Cursor().Last(); k != nil {
			off, n := decodeLocation(v)
			end = off + n
		}
		return nil
	})
	return end, err
}

// append writes raw at the end of the file, fsyncs it and indexes it as block num
// in btx. end moves past it only if btx commits; otherwise the next block
// overwrites it.
func (bf *blockFile) append(btx *bolt.Tx, num uint64, raw []byte) error {
	if _, err := bf.f.WriteAt(raw, bf.end); err != nil {
		return fmt.Errorf("writing block %d: %w", num, err)
	}
	if !bf.noSync {
		if err := bf.f.Sync(); err != nil {
			return fmt.Errorf("syncing block %d: %w", num, err)
		}
	}
	end := bf.end + int64(len(raw))
	btx.OnCommit(func() { bf.end = end })
	loc := binary.BigEndian.AppendUint64(u64(uint64(bf.end)), uint64(len(raw)))
	return btx.Bucket(bBlockIndex).Put(u64(num), loc)
}

// read returns block num's bytes, from the file or from an older store's bucket.
func (bf *blockFile) read(btx *bolt.Tx, num uint64) ([]byte, error) {
	if v := bucketGet(btx, bBlockIndex, u64(num)); v != nil {
		off, n := decodeLocation(v)
		out := make([]byte, n)
		if _, err := bf.f.ReadAt(out, off); err != nil {
			return nil, fmt.Errorf("block %d: reading blocks file: %w", num, err)
		}
		return out, nil
	}
	if v := bucketGet(btx, bBlocks, u64(num)); v != nil {
		return append([]byte(nil), v...), nil
	}
	return nil, fmt.Errorf("block %d: %w", num, ErrNotFound)
}

// has reports whether block num is stored.
func (bf *blockFile) has(btx *bolt.Tx, num uint64) bool {
	return bucketGet(btx, bBlockIndex, u64(num)) != nil || bucketGet(btx, bBlocks, u64(num)) != nil
}

// bucketGet is Bucket(name).Get(k), nil when the bucket is missing (a read-only
// store from before the blocks file has no index bucket).
func bucketGet(btx *bolt.Tx, name, k []byte) []byte {
	if b := btx.Bucket(name); b != nil {
		return b.Get(k)
	}
	return nil
}

func (bf *blockFile) close() error {
	if bf.f == nil {
		return nil
	}
	return bf.f.Close()
}

func decodeLocation(v []byte) (off, n int64) {
	return int64(binary.BigEndian.Uint64(v[0:8])), int64(binary.BigEndian.Uint64(v[8:16]))
}
