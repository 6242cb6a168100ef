package readmodel

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"

	"github.com/cockroachdb/pebble/v2"

	"github.com/certledger/certledger/internal/domain/batch"
	"github.com/certledger/certledger/internal/merkle"
)

// The Merkle tree of an indexed batch, kept for step 4's inclusion proofs.
//
// The two lowest levels are not stored: a proof reads the group of four lines
// its leaf belongs to (one read of ~1.5 kB; the certificate's own line is one
// of them) and recomputes them (4 leaf and 3 node hashes). Every level from 2
// up is stored, in tiles of tileHeight levels: tile j of tier t holds, for
// each level l = 2+8t+s (s = 0..7, below the root), the hashes at positions
// [j<<(8-s), (j+1)<<(8-s)) — a subtree's part of each level. A proof's
// sibling at level l is in the tile of its tier, so a proof is one pebble read
// per tier: 3 for a million leaves. The tiles hold n/2 hashes for n leaves,
// 16 MB for a million (the whole tree would be 64 MB).
const (
	groupShift = 2 // levels below this are recomputed from the group's lines
	groupSize  = 1 << groupShift
	tileHeight = 8
	tileWidth  = 1 << tileHeight // hashes of a tile's lowest level
)

// levelLens returns the lengths of a tree's levels over n leaves, leaves first,
// root last (a level of odd length carries its last hash up).
func levelLens(n uint64) []uint64 {
	l := []uint64{n}
	for n > 1 {
		n = (n + 1) / 2
		l = append(l, n)
	}
	return l
}

func tileKey(batchID string, tier int, j uint64) []byte {
	var b [5]byte
	b[0] = byte(tier)
	binary.BigEndian.PutUint32(b[1:], uint32(j))
	return key(kindTile, batchID, string(b[:]))
}

// putTiles writes the tiles of batch batchID's tree; upper holds its levels
// from groupShift up (upper[k] is level groupShift+k, the root last).
func putTiles(b *pebble.Batch, batchID string, upper [][]merkle.Hash) error {
	top := len(upper) - 1 // the root's level in upper
	var v []byte
	for base := 0; base < top; base += tileHeight {
		tier := base / tileHeight
		for j := uint64(0); j<<tileHeight < uint64(len(upper[base])); j++ {
			v = v[:0]
			for s := 0; s < tileHeight && base+s < top; s++ {
				lv := upper[base+s]
				start := j << (tileHeight - s)
				end := min(start+1<<(tileHeight-s), uint64(len(lv)))
				for _, h := range lv[start:end] {
					v = append(v, h[:]...)
				}
			}
			if err := b.Set(tileKey(batchID, tier, j), v, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// upperPath appends to path the siblings of leaf i of a tree of n leaves on
// the stored levels (groupShift and up), read from the batch's tiles.
func (m *Model) upperPath(batchID string, n, i uint64, path []merkle.Hash) ([]merkle.Hash, error) {
	lens := levelLens(n)
	top := len(lens) - 1
	for base := groupShift; base < top; base += tileHeight {
		tier := (base - groupShift) / tileHeight
		j := i >> (base + tileHeight)
		v, closer, err := m.db.Get(tileKey(batchID, tier, j))
		if err != nil {
			return nil, fmt.Errorf("%w: batch %s tile %d/%d: %w", ErrCorrupt, batchID, tier, j, err)
		}
		off := uint64(0)
		for s := 0; s < tileHeight && base+s < top; s++ {
			l := base + s
			start := j << (tileHeight - s)
			count := min(uint64(1)<<(tileHeight-s), lens[l]-start)
			if sib := (i >> l) ^ 1; sib < lens[l] {
				at := (off + sib - start) * merkle.Size
				if at+merkle.Size > uint64(len(v)) {
					_ = closer.Close()
					return nil, fmt.Errorf("%w: batch %s tile %d/%d is short", ErrCorrupt, batchID, tier, j)
				}
				var h merkle.Hash
				copy(h[:], v[at:])
				path = append(path, h)
			}
			off += count
		}
		if err := closer.Close(); err != nil {
			return nil, err
		}
	}
	return path, nil
}

// groupTree builds the lowest levels of a batch's tree over one group of
// lines (the leaves g*4 .. g*4+3, fewer at the end): its proof part for a
// leaf is the leaf's path on levels 0 and 1.
func groupTree(recordKind string, lines [][]byte) *merkle.Tree {
	leaves := make([]merkle.Hash, len(lines))
	var h merkle.Hasher
	var buf []byte
	for k, l := range lines {
		buf = batch.LeafData(buf[:0], recordKind, l)
		leaves[k] = h.Leaf(buf)
	}
	return merkle.Build(leaves)
}

// groupPath appends to path the proof of line k of a group of lines on the
// two lowest levels: what groupTree(recordKind, lines).AppendProof(path, k)
// gives, hashing only the leaves the proof needs (the line's sibling and the
// other pair; not the line itself, nor the group's node, which step 4 of
// verify recomputes from the record anyway).
func groupPath(path []merkle.Hash, recordKind string, lines [][]byte, k int) []merkle.Hash {
	var h merkle.Hasher
	var buf []byte
	leaf := func(i int) merkle.Hash {
		buf = batch.LeafData(buf[:0], recordKind, lines[i])
		return h.Leaf(buf)
	}
	n := len(lines)
	if s := k ^ 1; s < n {
		path = append(path, leaf(s))
	}
	// Level 1 has (n+1)/2 nodes; the other pair's node, a lone last leaf
	// carried up as it is.
	if p := (k >> 1) ^ 1; p < (n+1)/2 {
		a := leaf(2 * p)
		if 2*p+1 < n {
			b := leaf(2*p + 1)
			a = h.Node(&a, &b)
		}
		path = append(path, a)
	}
	return path
}

// splitGroup splits a group read from a batch file into its lines (each ended
// by "\n" in the file).
func splitGroup(b []byte) ([][]byte, error) {
	if len(b) == 0 || b[len(b)-1] != '\n' {
		return nil, fmt.Errorf("%w: a group of lines does not end with a newline", ErrCorrupt)
	}
	lines := bytes.SplitN(b[:len(b)-1], []byte{'\n'}, groupSize+1)
	if len(lines) > groupSize {
		return nil, fmt.Errorf("%w: a group of more than %d lines", ErrCorrupt, groupSize)
	}
	return lines, nil
}

// hexPath is path as a batch.Proof carries it.
func hexPath(path []merkle.Hash) []string {
	out := make([]string, len(path))
	for i := range path {
		out[i] = hex.EncodeToString(path[i][:])
	}
	return out
}
