package readmodel

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// TestComparer checks pebble's rules for Split (base.Split's comment) over
// every pair of a set of keys: locators of several ids and blocks, their seek
// bounds, and keys of other kinds (pebble.CheckComparer assumes one split rule
// for every key, which a kind-specific one is not).
func TestComparer(t *testing.T) {
	var keys [][]byte
	for _, id := range []string{"a", "ab", "abc-0000001", "abc-00000010", "lic-00000001", "lic-00000002", "z"} {
		lo := key(kindBatched, id, "")
		keys = append(keys, lo, prefixEnd(lo), key(kindCert, id), key(kindHash, "00ff", id), key(kindTile, id, "\x00\x00\x00\x00\x00"))
		for _, blk := range []uint64{0, 1, 255, 256, 1 << 40} {
			var b [8]byte
			binary.BigEndian.PutUint64(b[:], blk)
			keys = append(keys, key(kindBatched, id, string(b[:])))
		}
	}
	prefix := func(k []byte) []byte { return k[:comparer.Split(k)] }
	for _, a := range keys {
		if p := prefix(a); len(p) < len(a) && comparer.Compare(p, a) >= 0 {
			t.Errorf("prefix %q of %q does not sort before it", p, a)
		}
		for _, b := range keys {
			c, pc := comparer.Compare(a, b), comparer.Compare(prefix(a), prefix(b))
			switch {
			case c <= 0 && pc > 0, pc < 0 && c >= 0:
				t.Errorf("%q vs %q: keys %d, prefixes %d", a, b, c, pc)
			case pc == 0 && c != comparer.ComparePointSuffixes(a[len(prefix(a)):], b[len(prefix(b)):]):
				t.Errorf("%q vs %q: keys %d, suffixes disagree", a, b, c)
			}
		}
	}
	for _, k := range [][]byte{key(kindCert, "lic-00000001"), key(kindBatched, "lic-00000001", ""), prefixEnd(key(kindBatched, "lic-00000001", ""))} {
		if n := splitKey8(k); n != len(k) {
			t.Errorf("%q splits at %d", k, n)
		}
	}
	if k := key(kindBatched, "lic-00000001", "\x00\x00\x00\x00\x00\x00\x00\x07"); splitKey8(k) != len(k)-8 {
		t.Errorf("locator %q splits at %d", k, splitKey8(k))
	}
}

// TestOpenOldComparer: a store written with pebble's default comparer (layout
// 2) is removed and rebuilt, not refused.
func TestOpenOldComparer(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "rm")
	db, err := pebble.Open(dir, &pebble.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var cp [8]byte
	binary.BigEndian.PutUint64(cp[:], 7)
	if err := db.Set(key(kindMeta, checkpointName), cp[:], pebble.Sync); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	m, err := Open(Options{Dir: dir, Namespace: "certledger", MaxLag: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = m.Close() }()
	if h := m.Height(); h != 0 {
		t.Fatalf("height %d after a store of another key order, want 0 (rebuilt)", h)
	}
}

// TestOpenRefusesSmallCache: a cache the memtables would fill is refused before
// anything is created.
func TestOpenRefusesSmallCache(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "rm")
	_, err := Open(Options{Dir: dir, Namespace: "certledger", CacheSize: MinCacheSize - 1})
	if err == nil || !strings.Contains(err.Error(), "MinCacheSize") {
		t.Fatalf("error %v, want the cache size refused", err)
	}
	if _, serr := os.Stat(dir); !os.IsNotExist(serr) {
		t.Errorf("the store's folder was created: %v", serr)
	}
}
