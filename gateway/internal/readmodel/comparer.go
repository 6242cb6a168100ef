package readmodel

import (
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/cockroachdb/pebble/v2"
)

// comparer orders keys bytewise, as pebble's default does, and names the
// prefix of a batched certificate's locator: B\x00<id>\x00 without its 8-byte
// block. Its tables' bloom filters then hold that prefix, and batchedValue's
// prefix seek (SeekPrefixGE) skips every file that does not have the id — a
// plain bounded iterator reads a data block in every level for an id absent
// from it. Every other key is its own prefix. Certificate ids hold no 0x00
// (wire.IDPattern), so the prefix of a locator never extends another's, and
// comparing prefixes then blocks is comparing the keys.
var comparer = func() *pebble.Comparer {
	c := *pebble.DefaultComparer
	c.Name = "certledger.readmodel.v3"
	c.Split = splitKey8
	return &c
}()

// splitKey8 is comparer's Split: a key B\x00<id>\x00<8 bytes> splits before
// its last 8 bytes.
func splitKey8(k []byte) int {
	const blockLen = 8
	if n := len(k); n >= 2+1+1+blockLen && k[0] == kindBatched && k[1] == 0 && k[n-blockLen-1] == 0 {
		return n - blockLen
	}
	return len(k)
}

// openStore opens the pebble store in dir with po; a store written with
// another comparer (layout 2 and before, pebble's default) is derived data:
// it is removed and created anew (rebuilt from block 0 and the batch store).
func openStore(dir string, po *pebble.Options, warn func(msg string, args ...any)) (*pebble.DB, error) {
	db, err := pebble.Open(dir, po)
	if err == nil || !strings.Contains(err.Error(), "comparer name") {
		return db, err
	}
	warn("read model store written with another key order: removed, rebuilding from block 0", "dir", dir, "error", err)
	entries, rerr := os.ReadDir(dir)
	if rerr != nil {
		return nil, errors.Join(err, rerr)
	}
	for _, e := range entries {
		if rerr := os.RemoveAll(filepath.Join(dir, e.Name())); rerr != nil {
			return nil, errors.Join(err, rerr)
		}
	}
	return pebble.Open(dir, po)
}
