package sm3x8

import (
	"bytes"
	"testing"

	"github.com/emmansun/gmsm/sm3"
)

func TestBlocksMatchesSM3(t *testing.T) {
	if !Available {
		t.Skip("no AVX2 on this machine")
	}
	for _, n := range []int{0, 1, 55, 56, 63, 64, 65, 119, 120, 421, 1000} {
		var msgs [Lanes][]byte
		var ptrs [Lanes]*byte
		var states [Lanes][8]uint32
		var sp [Lanes]*[8]uint32
		for i := range msgs {
			m := make([]byte, n)
			for j := range m {
				m[j] = byte(i*31 + j*7)
			}
			msgs[i] = m
			full := n / BlockSize * BlockSize
			padded := Pad(append([]byte{}, m...)[:n], n)
			if len(padded) != PaddedBlocks(n)*BlockSize {
				t.Fatalf("n=%d: padded %d bytes, PaddedBlocks %d", n, len(padded), PaddedBlocks(n))
			}
			_ = full
			ptrs[i] = &padded[0]
			states[i] = IV
			sp[i] = &states[i]
		}
		var scratch [ScratchSize]byte
		Blocks(&sp, &ptrs, &scratch, PaddedBlocks(n))
		for i := range msgs {
			var got [32]byte
			Digest(&got, &states[i])
			want := sm3.Sum(msgs[i])
			if !bytes.Equal(got[:], want[:]) {
				t.Fatalf("n=%d lane %d: digest differs from sm3.Sum", n, i)
			}
		}
	}
}
