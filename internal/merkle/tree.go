package merkle

import (
	"runtime"
	"sync"
)

// Tree is a whole Merkle tree in memory: every level from the leaf hashes up to
// the root, 2·n hashes for n leaves (64 MiB for a million). Every inclusion proof
// is read from it without hashing. A level of odd length carries its last hash
// up unchanged, which is exactly RFC 6962's split at the largest power of two.
type Tree struct {
	levels [][]Hash // levels[0] = leaf hashes; the last level has one hash (the root)
}

// parallelMin is the smallest level worth splitting across goroutines.
const parallelMin = 4096

// Build builds the tree over leaf hashes (SM3(0x00 ‖ data) each) on every core.
// The tree keeps leaves; the caller must not change it afterwards.
func Build(leaves []Hash) *Tree {
	t := &Tree{levels: [][]Hash{leaves}}
	for cur := leaves; len(cur) > 1; {
		next := make([]Hash, (len(cur)+1)/2)
		parallel(len(cur)/2, func(lo, hi int) { nodes(next, cur, lo, hi) })
		if len(cur)%2 == 1 {
			next[len(next)-1] = cur[len(cur)-1]
		}
		t.levels = append(t.levels, next)
		cur = next
	}
	return t
}

// BuildFromData hashes n leaves (leaf(i) returns the data of leaf i; it is
// called from several goroutines) and builds their tree.
func BuildFromData(n int, leaf func(i int) []byte) *Tree {
	return Build(LeafHashes(n, leaf))
}

// LeafHashes returns the leaf hashes of n leaves on every core (leaf(i) is called
// from several goroutines).
func LeafHashes(n int, leaf func(i int) []byte) []Hash {
	out := make([]Hash, n)
	parallel(n, func(lo, hi int) { leaves(out, lo, hi, leaf) })
	return out
}

// parallel runs f over [0,n) split in one contiguous range per core.
func parallel(n int, f func(lo, hi int)) {
	p := runtime.GOMAXPROCS(0)
	if n < parallelMin || p == 1 {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	step := (n + p - 1) / p
	for lo := 0; lo < n; lo += step {
		hi := min(lo+step, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(lo, hi)
		}()
	}
	wg.Wait()
}

// Size is the number of leaves.
func (t *Tree) Size() int { return len(t.levels[0]) }

// Root returns the tree's root (EmptyRoot for no leaves).
func (t *Tree) Root() Hash {
	top := t.levels[len(t.levels)-1]
	if len(top) == 0 {
		return EmptyRoot()
	}
	return top[0]
}

// Leaf returns the hash of leaf i.
func (t *Tree) Leaf(i int) Hash { return t.levels[0][i] }

// AppendProof appends the inclusion proof of leaf i (RFC 6962 PATH, leaf-side
// first) to dst and returns it; i must be in [0, Size()).
func (t *Tree) AppendProof(dst []Hash, i int) []Hash {
	if i < 0 || i >= t.Size() {
		panic("merkle: proof index out of range")
	}
	for _, level := range t.levels[:len(t.levels)-1] {
		if s := i ^ 1; s < len(level) {
			dst = append(dst, level[s])
		}
		i >>= 1
	}
	return dst
}

// Levels returns the tree's levels, leaf hashes first, root last (shared, not
// to be changed): what an index on disk stores to answer proofs later.
func (t *Tree) Levels() [][]Hash { return t.levels }
