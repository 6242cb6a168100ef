package merkle

import (
	"bytes"
	"fmt"
	"testing"
)

// refRoot is RFC 6962's recursive MTH, written independently of Tree and Stream.
func refRoot(leaves [][]byte) []byte {
	switch len(leaves) {
	case 0:
		r := EmptyRoot()
		return r[:]
	case 1:
		return LeafHash(leaves[0])
	}
	k := 1
	for k<<1 < len(leaves) {
		k <<= 1
	}
	return NodeHash(refRoot(leaves[:k]), refRoot(leaves[k:]))
}

func refPath(i int, leaves [][]byte) [][]byte {
	if len(leaves) <= 1 {
		return nil
	}
	k := 1
	for k<<1 < len(leaves) {
		k <<= 1
	}
	if i < k {
		return append(refPath(i, leaves[:k]), refRoot(leaves[k:]))
	}
	return append(refPath(i-k, leaves[k:]), refRoot(leaves[:k]))
}

func TestTreeMatchesRFC6962(t *testing.T) {
	for _, size := range []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 31, 33, 100, 4097, 9000} {
		leaves := make([][]byte, size)
		for i := range leaves {
			leaves[i] = []byte(fmt.Sprintf("leaf-%d", i))
		}
		want := refRoot(leaves)
		tree := BuildFromData(size, func(i int) []byte { return leaves[i] })
		if r := tree.Root(); !bytes.Equal(r[:], want) {
			t.Fatalf("size %d: tree root differs from RFC 6962", size)
		}
		var s Stream
		for _, l := range leaves {
			s.Add(l)
		}
		if r := s.Root(); !bytes.Equal(r[:], want) || s.Size() != size {
			t.Fatalf("size %d: stream root differs from RFC 6962", size)
		}
		step := 1
		if size > 200 {
			step = 97
		}
		for i := 0; i < size; i += step {
			got := tree.AppendProof(nil, i)
			ref := refPath(i, leaves)
			if len(got) != len(ref) || len(got) != ProofLen(i, size) {
				t.Fatalf("size %d index %d: proof length %d, RFC %d, ProofLen %d", size, i, len(got), len(ref), ProofLen(i, size))
			}
			for j := range got {
				if !bytes.Equal(got[j][:], ref[j]) {
					t.Fatalf("size %d index %d: proof hash %d differs", size, i, j)
				}
			}
		}
	}
}

func TestVerifyRejectsBadShapes(t *testing.T) {
	leaves := [][]byte{[]byte("a"), []byte("b"), []byte("c")}
	root := Root(leaves)
	p, err := Proof(leaves, 2)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]func() error{
		"short hash":   func() error { return VerifyInclusion(leaves[2], 2, 3, [][]byte{p[0][:5]}, root) },
		"short root":   func() error { return VerifyInclusion(leaves[2], 2, 3, p, root[:31]) },
		"proof long":   func() error { return VerifyInclusion(leaves[2], 2, 3, append(p, p[0]), root) },
		"proof short":  func() error { return VerifyInclusion(leaves[0], 0, 3, p[:1], root) },
		"wrong size":   func() error { return VerifyInclusion(leaves[2], 2, 4, p, root) },
		"index>=size":  func() error { return VerifyInclusion(leaves[2], 3, 3, p, root) },
		"negative idx": func() error { return VerifyInclusion(leaves[2], -1, 3, p, root) },
	}
	for name, f := range cases {
		if err := f(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if err := VerifyInclusion(leaves[2], 2, 3, p, root); err != nil {
		t.Fatal(err)
	}
}

func TestEmptyRoot(t *testing.T) {
	want := EmptyRoot()
	if r := Root(nil); !bytes.Equal(r, want[:]) {
		t.Fatal("Root(nil)")
	}
	if r := Build(nil).Root(); r != want {
		t.Fatal("Build(nil)")
	}
}

func TestMixedLengthsAndStreamChunks(t *testing.T) {
	const n = 5000
	leaves := make([][]byte, n)
	for i := range leaves {
		l := make([]byte, (i*37)%3000)
		for j := range l {
			l[j] = byte(i + j)
		}
		leaves[i] = l
	}
	want := refRoot(leaves)
	tree := BuildFromData(n, func(i int) []byte { return leaves[i] })
	if r := tree.Root(); !bytes.Equal(r[:], want) {
		t.Fatal("tree root over mixed lengths differs from RFC 6962")
	}
	for _, chunk := range []int{1, 3, 8, 100, 1024, 4999} {
		var s Stream
		for lo := 0; lo < n; lo += chunk {
			s.AddAll(leaves[lo:min(lo+chunk, n)])
		}
		if r := s.Root(); !bytes.Equal(r[:], want) || s.Size() != n {
			t.Fatalf("chunk %d: stream root differs", chunk)
		}
	}
}
