// Package merkle builds SM3 Merkle trees in the shape of RFC 6962 (Certificate
// Transparency), with domain separation: leaf = SM3(0x00 ‖ data),
// node = SM3(0x01 ‖ left ‖ right). Batches of certificates are anchored by their root.
//
// Three ways in, one tree shape:
//   - Root, Proof, VerifyInclusion: small trees and proof checks (receipts, chaincode);
//   - Build / BuildFromData: the whole tree of a batch in memory (2·n hashes), built
//     on every core, from which every inclusion proof is read without hashing;
//   - Stream: the root of leaves seen one at a time (a batch file read line by
//     line) in O(log n) memory.
package merkle

import (
	"bytes"
	"errors"
	"fmt"
	"hash"
	"math/bits"

	"github.com/emmansun/gmsm/sm3"
)

// Size is the length of a hash in bytes.
const Size = sm3.Size

// Hash is one SM3 digest of the tree.
type Hash = [Size]byte

// ErrBadProof is returned (wrapped) when an inclusion proof does not lead to the root.
var ErrBadProof = errors.New("bad Merkle inclusion proof")

// LeafHash returns SM3(0x00 ‖ data).
func LeafHash(data []byte) []byte {
	var h Hasher
	l := h.Leaf(data)
	return l[:]
}

// NodeHash returns SM3(0x01 ‖ left ‖ right).
func NodeHash(left, right []byte) []byte {
	h := sm3.New()
	h.Write([]byte{1})
	h.Write(left)
	h.Write(right)
	return h.Sum(nil)
}

// EmptyRoot is the root of a tree with no leaves: SM3 of the empty string.
func EmptyRoot() Hash { return sm3.Sum(nil) }

// Hasher computes leaf and node hashes without allocating. The zero value is
// ready; a Hasher is not safe for concurrent use (give each goroutine its own).
type Hasher struct {
	h    hash.Hash
	node [1 + 2*Size]byte
}

var leafPrefix = []byte{0}

// Leaf returns SM3(0x00 ‖ data).
func (x *Hasher) Leaf(data []byte) Hash {
	if x.h == nil {
		x.h = sm3.New()
	}
	x.h.Reset()
	x.h.Write(leafPrefix)
	x.h.Write(data)
	var out Hash
	x.h.Sum(out[:0])
	return out
}

// Node returns SM3(0x01 ‖ left ‖ right).
func (x *Hasher) Node(left, right *Hash) Hash {
	if x.h == nil {
		x.h = sm3.New()
	}
	x.node[0] = 1
	copy(x.node[1:], left[:])
	copy(x.node[1+Size:], right[:])
	x.h.Reset()
	x.h.Write(x.node[:])
	var out Hash
	x.h.Sum(out[:0])
	return out
}

// Root returns the tree head of the leaves' data (RFC 6962 MTH). The root of no
// leaves is SM3 of the empty string.
func Root(leaves [][]byte) []byte {
	var s Stream
	for _, l := range leaves {
		s.Add(l)
	}
	r := s.Root()
	return r[:]
}

// Proof returns the audit path of leaf index i (RFC 6962 PATH).
func Proof(leaves [][]byte, i int) ([][]byte, error) {
	if i < 0 || i >= len(leaves) {
		return nil, fmt.Errorf("leaf index %d out of range [0,%d)", i, len(leaves))
	}
	t := BuildFromData(len(leaves), func(j int) []byte { return leaves[j] })
	p := t.AppendProof(nil, i)
	out := make([][]byte, len(p))
	for j := range p {
		out[j] = p[j][:]
	}
	return out, nil
}

// VerifyInclusion checks that leafData is leaf index of a tree of size leaves whose
// root is root, using proof (RFC 9162 section 2.1.3.2).
func VerifyInclusion(leafData []byte, index, size int, proof [][]byte, root []byte) error {
	path := make([]Hash, len(proof))
	for i, p := range proof {
		if len(p) != Size {
			return fmt.Errorf("%w: proof hash %d has %d bytes, want %d", ErrBadProof, i, len(p), Size)
		}
		copy(path[i][:], p)
	}
	if len(root) != Size {
		return fmt.Errorf("%w: root has %d bytes, want %d", ErrBadProof, len(root), Size)
	}
	var h Hasher
	got, err := RootFromProof(&h, h.Leaf(leafData), index, size, path)
	if err != nil {
		return err
	}
	if !bytes.Equal(got[:], root) {
		return fmt.Errorf("%w: root mismatch", ErrBadProof)
	}
	return nil
}

// RootFromProof returns the root that leaf hash leaf at index of a tree of size
// leaves leads to along proof (RFC 9162 section 2.1.3.2). It fails when the proof
// has the wrong length for index and size.
func RootFromProof(h *Hasher, leaf Hash, index, size int, proof []Hash) (Hash, error) {
	if index < 0 || size <= 0 || index >= size {
		return Hash{}, fmt.Errorf("%w: index %d not in a tree of %d", ErrBadProof, index, size)
	}
	fn, sn := index, size-1
	r := leaf
	for i := range proof {
		if sn == 0 {
			return Hash{}, fmt.Errorf("%w: proof too long", ErrBadProof)
		}
		if fn&1 == 1 || fn == sn {
			r = h.Node(&proof[i], &r)
			for fn&1 == 0 && fn != 0 {
				fn >>= 1
				sn >>= 1
			}
		} else {
			r = h.Node(&r, &proof[i])
		}
		fn >>= 1
		sn >>= 1
	}
	if sn != 0 {
		return Hash{}, fmt.Errorf("%w: proof too short", ErrBadProof)
	}
	return r, nil
}

// ProofLen is the number of hashes in the inclusion proof of index in a tree of size leaves.
func ProofLen(index, size int) int {
	n := 0
	for w := size; w > 1; w = (w + 1) / 2 {
		if index^1 < w {
			n++
		}
		index >>= 1
	}
	return n
}

// maxDepth bounds the height of a tree (2^63 leaves).
const maxDepth = 64

// Stream computes the root of leaves added one at a time, keeping only the
// roots of the complete subtrees seen so far (at most log2(n)+1 hashes).
// The zero value is an empty tree.
type Stream struct {
	h     Hasher
	n     uint64
	stack [maxDepth]Hash // stack[k] is the root of a complete subtree of 2^k leaves when bit k of n is set
}

// Add appends a leaf's data.
func (s *Stream) Add(data []byte) { s.AddHash(s.h.Leaf(data)) }

// AddHash appends a leaf by its leaf hash (SM3(0x00 ‖ data)).
func (s *Stream) AddHash(leaf Hash) { s.push(leaf, 0) }

// push appends a complete subtree of 2^k leaves with root r; the leaf count
// must be a multiple of 2^k.
func (s *Stream) push(r Hash, k int) {
	add := uint64(1) << k
	for s.n&(1<<k) != 0 {
		r = s.h.Node(&s.stack[k], &r)
		k++
	}
	s.stack[k] = r
	s.n += add
}

// AddAll appends many leaves at once: their leaf hashes and the complete
// subtrees they fill are computed eight lanes at a time on every core, which is
// several times faster than Add one by one. Memory grows with len(data) only.
func (s *Stream) AddAll(data [][]byte) {
	hashes := LeafHashes(len(data), func(i int) []byte { return data[i] })
	s.AddHashes(hashes)
}

// AddHashes appends leaves by their leaf hashes (see AddAll).
func (s *Stream) AddHashes(hashes []Hash) {
	for len(hashes) > 0 {
		// The largest complete subtree that starts at leaf s.n and fits.
		k := 0
		for k < 62 && s.n&(1<<k) == 0 && 2<<k <= len(hashes) {
			k++
		}
		if k < 3 {
			s.AddHash(hashes[0])
			hashes = hashes[1:]
			continue
		}
		t := Build(hashes[:1<<k])
		s.push(t.Root(), k)
		hashes = hashes[1<<k:]
	}
}

// Size is the number of leaves added.
func (s *Stream) Size() int { return int(s.n) }

// Root returns the RFC 6962 root of the leaves added so far (EmptyRoot for none).
func (s *Stream) Root() Hash {
	if s.n == 0 {
		return EmptyRoot()
	}
	// Fold the complete subtrees from the smallest (rightmost) up.
	k := bits.TrailingZeros64(s.n)
	r := s.stack[k]
	for k++; k < maxDepth; k++ {
		if s.n&(1<<k) != 0 {
			r = s.h.Node(&s.stack[k], &r)
		}
	}
	return r
}
