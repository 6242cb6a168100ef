// Package merkle builds SM3 Merkle trees in the shape of RFC 6962 (Certificate
// Transparency), with domain separation: leaf = SM3(0x00 ‖ data),
// node = SM3(0x01 ‖ left ‖ right). Batches of certificates are anchored by their root.
package merkle

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/emmansun/gmsm/sm3"
)

// ErrBadProof is returned (wrapped) when an inclusion proof does not lead to the root.
var ErrBadProof = errors.New("bad Merkle inclusion proof")

// LeafHash returns SM3(0x00 ‖ data).
func LeafHash(data []byte) []byte {
	h := sm3.New()
	h.Write([]byte{0})
	h.Write(data)
	return h.Sum(nil)
}

// NodeHash returns SM3(0x01 ‖ left ‖ right).
func NodeHash(left, right []byte) []byte {
	h := sm3.New()
	h.Write([]byte{1})
	h.Write(left)
	h.Write(right)
	return h.Sum(nil)
}

// Root returns the tree head of the leaves' data (RFC 6962 MTH). The root of no
// leaves is SM3 of the empty string.
func Root(leaves [][]byte) []byte {
	if len(leaves) == 0 {
		d := sm3.Sum(nil)
		return d[:]
	}
	hashes := make([][]byte, len(leaves))
	for i, l := range leaves {
		hashes[i] = LeafHash(l)
	}
	return rootOf(hashes)
}

func rootOf(h [][]byte) []byte {
	if len(h) == 1 {
		return h[0]
	}
	k := split(len(h))
	return NodeHash(rootOf(h[:k]), rootOf(h[k:]))
}

// split returns the largest power of two smaller than n (n > 1).
func split(n int) int {
	k := 1
	for k<<1 < n {
		k <<= 1
	}
	return k
}

// Proof returns the audit path of leaf index i (RFC 6962 PATH).
func Proof(leaves [][]byte, i int) ([][]byte, error) {
	if i < 0 || i >= len(leaves) {
		return nil, fmt.Errorf("leaf index %d out of range [0,%d)", i, len(leaves))
	}
	hashes := make([][]byte, len(leaves))
	for j, l := range leaves {
		hashes[j] = LeafHash(l)
	}
	return path(i, hashes), nil
}

func path(i int, h [][]byte) [][]byte {
	if len(h) <= 1 {
		return nil
	}
	k := split(len(h))
	if i < k {
		return append(path(i, h[:k]), rootOf(h[k:]))
	}
	return append(path(i-k, h[k:]), rootOf(h[:k]))
}

// VerifyInclusion checks that leafData is leaf index of a tree of size leaves whose
// root is root, using proof (RFC 9162 section 2.1.3.2).
func VerifyInclusion(leafData []byte, index, size int, proof [][]byte, root []byte) error {
	if index < 0 || size <= 0 || index >= size {
		return fmt.Errorf("%w: index %d not in a tree of %d", ErrBadProof, index, size)
	}
	fn, sn := index, size-1
	r := LeafHash(leafData)
	for _, p := range proof {
		if sn == 0 {
			return fmt.Errorf("%w: proof too long", ErrBadProof)
		}
		if fn&1 == 1 || fn == sn {
			r = NodeHash(p, r)
			for fn&1 == 0 && fn != 0 {
				fn >>= 1
				sn >>= 1
			}
		} else {
			r = NodeHash(r, p)
		}
		fn >>= 1
		sn >>= 1
	}
	if sn != 0 {
		return fmt.Errorf("%w: proof too short", ErrBadProof)
	}
	if !bytes.Equal(r, root) {
		return fmt.Errorf("%w: root mismatch", ErrBadProof)
	}
	return nil
}
