package merkle_test

import (
	"fmt"

	"github.com/certledger/certledger/internal/merkle"
)

// Build a tree over leaf data, read an inclusion proof, and check it.
func Example() {
	leaves := [][]byte{[]byte("record 0"), []byte("record 1"), []byte("record 2")}
	tree := merkle.BuildFromData(len(leaves), func(i int) []byte { return leaves[i] })
	root := tree.Root()

	path := tree.AppendProof(nil, 2)
	proof := make([][]byte, len(path))
	for i := range path {
		proof[i] = path[i][:]
	}
	fmt.Println(len(proof), merkle.VerifyInclusion(leaves[2], 2, tree.Size(), proof, root[:]))

	// The same root, one leaf at a time in flat memory.
	var s merkle.Stream
	for _, l := range leaves {
		s.Add(l)
	}
	fmt.Println(s.Root() == root)
	// Output:
	// 1 <nil>
	// true
}
