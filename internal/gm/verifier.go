package gm

import (
	"container/list"
	"crypto/ecdsa"
	"fmt"
	"math/big"
	"sync"
	"sync/atomic"

	"github.com/certledger/certledger/internal/third_party/sm2ec"
	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
)

// Defaults of the package's shared Verifier, which Verify and VerifyBase64 use.
const (
	// DefaultVerifierKeys bounds the public keys the shared Verifier remembers
	// (least recently used first out); each hot one holds a table of
	// sm2ec.TableBytes (~88 KB), so at most ~5.6 MB.
	DefaultVerifierKeys = 64
	// DefaultHotAfter is the number of verifications with one key after which
	// the shared Verifier builds the key's table (about 0.7 ms, the cost of a
	// dozen variable-base verifications).
	DefaultHotAfter = 4
)

var sharedVerifier = NewVerifier(DefaultVerifierKeys, DefaultHotAfter)

// Verifier checks SM2 signatures exactly as Verify does, keeping for each hot
// public key a precomputed fixed-base table (internal/third_party/sm2ec), so
// that [t]P costs what [s]G does. Keys are remembered in a least-recently-used
// list of at most maxKeys entries; a key gets its table on its hotAfter-th
// verification, until then (and on architectures without the table, see
// sm2ec.Available) gmsm's sm2.VerifyASN1WithSM2 verifies. Safe for concurrent
// use.
type Verifier struct {
	maxKeys  int
	hotAfter int

	mu      sync.Mutex
	entries map[[64]byte]*list.Element // values: *keyEntry
	lru     list.List                  // front: most recently used

	hot, cold, built, evicted atomic.Uint64
}

type keyEntry struct {
	key      [64]byte // X‖Y
	uses     int
	building bool
	table    *hotKey // nil until built
}

// hotKey is what the table path needs for one key: its Z (GM/T 0003.2 ZA with
// DefaultUID) and its table.
type hotKey struct {
	za  []byte
	tab *sm2ec.Table
}

// VerifierStats counts a Verifier's work since it was made.
type VerifierStats struct {
	Keys    int    // keys remembered now
	Tables  int    // of which with a table
	Hot     uint64 // verifications through a table
	Cold    uint64 // verifications through gmsm (cold key, or no table in this build)
	Built   uint64 // tables built
	Evicted uint64 // keys dropped from the LRU list
}

// NewVerifier returns a Verifier remembering at most maxKeys keys and building
// a key's table on its hotAfter-th verification (hotAfter < 1 counts as 1).
// With maxKeys < 1 it never builds a table: every verification goes through
// gmsm.
func NewVerifier(maxKeys, hotAfter int) *Verifier {
	return &Verifier{maxKeys: maxKeys, hotAfter: max(hotAfter, 1), entries: map[[64]byte]*list.Element{}}
}

// Stats returns the counters and the current number of keys and tables.
func (v *Verifier) Stats() VerifierStats {
	v.mu.Lock()
	keys, tables := len(v.entries), 0
	for _, el := range v.entries {
		if el.Value.(*keyEntry).table != nil {
			tables++
		}
	}
	v.mu.Unlock()
	return VerifierStats{Keys: keys, Tables: tables, Hot: v.hot.Load(), Cold: v.cold.Load(),
		Built: v.built.Load(), Evicted: v.evicted.Load()}
}

// Verify checks sigDER over msg with pub, strictly: the same checks and the
// same answer as the package's Verify (which is this method on a shared
// Verifier).
func (v *Verifier) Verify(pub *ecdsa.PublicKey, msg, sigDER []byte) error {
	if err := checkPublic(pub); err != nil {
		return err
	}
	r, s, err := ParseSignature(sigDER)
	if err != nil {
		return err
	}
	if hk := v.tableFor(pub); hk != nil {
		v.hot.Add(1)
		return hk.verify(msg, r, s)
	}
	v.cold.Add(1)
	if !sm2.VerifyASN1WithSM2(pub, []byte(DefaultUID), msg, sigDER) {
		return fmt.Errorf("%w: verification failed", ErrBadSignature)
	}
	return nil
}

// tableFor returns pub's table, building it when pub has just become hot, or
// nil when pub is still cold (or its table is being built by another caller).
// pub has passed checkPublic.
func (v *Verifier) tableFor(pub *ecdsa.PublicKey) *hotKey {
	if !sm2ec.Available || v.maxKeys < 1 {
		return nil
	}
	var key [64]byte
	pub.X.FillBytes(key[:32])
	pub.Y.FillBytes(key[32:])

	v.mu.Lock()
	e := v.touch(&key)
	if e.table != nil || e.building || e.uses < v.hotAfter {
		hk := e.table
		v.mu.Unlock()
		return hk
	}
	e.building = true
	v.mu.Unlock()

	hk, err := newHotKey(pub, &key)

	v.mu.Lock()
	defer v.mu.Unlock()
	e.building = false
	if err != nil { // not expected for a key on the curve: stay on gmsm's path
		return nil
	}
	e.table = hk // e may have been evicted meanwhile: then this copy dies with it
	v.built.Add(1)
	return hk
}

// touch finds or adds key's entry, counts a use and moves it to the front,
// evicting the least recently used entry past maxKeys. v.mu is held.
func (v *Verifier) touch(key *[64]byte) *keyEntry {
	if el, ok := v.entries[*key]; ok {
		v.lru.MoveToFront(el)
		e := el.Value.(*keyEntry)
		e.uses++
		return e
	}
	e := &keyEntry{key: *key, uses: 1}
	v.entries[*key] = v.lru.PushFront(e)
	for v.lru.Len() > v.maxKeys {
		last := v.lru.Back()
		v.lru.Remove(last)
		delete(v.entries, last.Value.(*keyEntry).key)
		v.evicted.Add(1)
	}
	return e
}

func newHotKey(pub *ecdsa.PublicKey, key *[64]byte) (*hotKey, error) {
	za, err := sm2.CalculateZA(pub, []byte(DefaultUID))
	if err != nil {
		return nil, err
	}
	var point [65]byte
	point[0] = 4
	copy(point[1:], key[:])
	tab, err := sm2ec.NewTable(point[:])
	if err != nil {
		return nil, err
	}
	return &hotKey{za: za, tab: tab}, nil
}

// verify is GM/T 0003.2's verification as gmsm's internal/sm2.Verify does it;
// r and s come from ParseSignature, so they are already in [1, n-1]:
// e = SM3(ZA‖M) mod n; t = (r + s) mod n, refused when 0; (x1, y1) = [s]G +
// [t]P, refused at infinity; accepted when (e + x1) mod n = r. The last test
// is asked the other way round, without the affine conversion: x1 < p < 2n,
// so (e + x1) mod n = r exactly when x1 is c = (r - e) mod n or c + n.
func (hk *hotKey) verify(msg []byte, r, s *big.Int) error {
	h := sm3.New()
	h.Write(hk.za)
	h.Write(msg)
	var digest [32]byte
	h.Sum(digest[:0])
	e := new(big.Int).SetBytes(digest[:])

	t := new(big.Int).Add(r, s)
	t.Mod(t, curveN)
	if t.Sign() == 0 {
		return fmt.Errorf("%w: verification failed (r + s = n)", ErrBadSignature)
	}
	c := e.Sub(r, e) // e < 2^256 < 2n: r - e > -2n
	c.Mod(c, curveN)
	var sb, tb, c1, c2 [32]byte
	s.FillBytes(sb[:])
	t.FillBytes(tb[:])
	c.FillBytes(c1[:])
	cands := []*[32]byte{&c1}
	if c.Add(c, curveN); c.BitLen() <= 256 { // c + n >= p never matches
		c.FillBytes(c2[:])
		cands = append(cands, &c2)
	}
	if !hk.tab.CombinedMultXIs(&sb, &tb, cands...) {
		return fmt.Errorf("%w: verification failed", ErrBadSignature)
	}
	return nil
}
