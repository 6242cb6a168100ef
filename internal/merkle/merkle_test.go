package merkle

import (
	"fmt"
	"testing"
)

func TestInclusionAllSizes(t *testing.T) {
	for size := 1; size <= 33; size++ {
		leaves := make([][]byte, size)
		for i := range leaves {
			leaves[i] = []byte(fmt.Sprintf("leaf-%d", i))
		}
		root := Root(leaves)
		for i := 0; i < size; i++ {
			p, err := Proof(leaves, i)
			if err != nil {
				t.Fatal(err)
			}
			if err := VerifyInclusion(leaves[i], i, size, p, root); err != nil {
				t.Fatalf("size %d index %d: %v", size, i, err)
			}
			if err := VerifyInclusion([]byte("other"), i, size, p, root); err == nil {
				t.Fatalf("size %d index %d: wrong leaf verified", size, i)
			}
			if size > 1 {
				if err := VerifyInclusion(leaves[i], (i+1)%size, size, p, root); err == nil {
					t.Fatalf("size %d index %d: wrong index verified", size, i)
				}
			}
		}
	}
}

func TestDomainSeparation(t *testing.T) {
	// A two-leaf root must not equal the leaf hash of the concatenated leaf hashes.
	a, b := []byte("a"), []byte("b")
	root := Root([][]byte{a, b})
	forged := LeafHash(append(append([]byte{1}, LeafHash(a)...), LeafHash(b)...))
	if string(root) == string(forged) {
		t.Fatal("leaf and node hashes are not separated")
	}
}
