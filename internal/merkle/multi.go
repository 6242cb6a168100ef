package merkle

import (
	"github.com/certledger/certledger/internal/merkle/internal/sm3x8"
)

// Eight-lane SM3 (AVX2) for the two hot loops: node hashes of a level and leaf
// hashes of a batch. Each lane holds a padded message; results are the same
// bytes as Hasher's (tests compare them).

// maxMultiBlocks bounds the leaves hashed eight at a time (longer ones, 2 KiB
// and more, go through Hasher).
const maxMultiBlocks = 32

// nodeTemplate is the padded message of a node with zero children: 0x01,
// 64 bytes of children, then SM3 padding for 65 bytes (two blocks).
var nodeTemplate = func() (t [2 * sm3x8.BlockSize]byte) {
	b := sm3x8.Pad(append(make([]byte, 0, len(t)), make([]byte, 1+2*Size)...), 1+2*Size)
	copy(t[:], b)
	t[0] = 1
	return t
}()

type lanes struct {
	states  [sm3x8.Lanes][8]uint32
	sp      [sm3x8.Lanes]*[8]uint32
	ptrs    [sm3x8.Lanes]*byte
	scratch [sm3x8.ScratchSize]byte
}

func (l *lanes) run(blocks int) {
	for i := range l.states {
		l.states[i] = sm3x8.IV
		l.sp[i] = &l.states[i]
	}
	sm3x8.Blocks(&l.sp, &l.ptrs, &l.scratch, blocks)
}

// nodes computes out[i] = Node(in[2i], in[2i+1]) for i in [lo, hi).
func nodes(out, in []Hash, lo, hi int) {
	var h Hasher
	i := lo
	if sm3x8.Available && hi-lo >= sm3x8.Lanes {
		var l lanes
		var bufs [sm3x8.Lanes][2 * sm3x8.BlockSize]byte
		for j := range bufs {
			bufs[j] = nodeTemplate
			l.ptrs[j] = &bufs[j][0]
		}
		for ; i+sm3x8.Lanes <= hi; i += sm3x8.Lanes {
			for j := range bufs {
				copy(bufs[j][1:], in[2*(i+j)][:])
				copy(bufs[j][1+Size:], in[2*(i+j)+1][:])
			}
			l.run(2)
			for j := range bufs {
				sm3x8.Digest(&out[i+j], &l.states[j])
			}
		}
	}
	for ; i < hi; i++ {
		out[i] = h.Node(&in[2*i], &in[2*i+1])
	}
}

// leafBucket gathers up to eight leaves whose padded messages have the same
// number of blocks.
type leafBucket struct {
	n    int
	idx  [sm3x8.Lanes]int
	bufs [sm3x8.Lanes][]byte
}

// leaves computes out[i] = SM3(0x00 ‖ leaf(i)) for i in [lo, hi).
func leaves(out []Hash, lo, hi int, leaf func(i int) []byte) {
	var h Hasher
	if !sm3x8.Available || hi-lo < sm3x8.Lanes {
		for i := lo; i < hi; i++ {
			out[i] = h.Leaf(leaf(i))
		}
		return
	}
	var l lanes
	var buckets [maxMultiBlocks + 1]*leafBucket
	flush := func(b *leafBucket, blocks int) {
		for j := 0; j < sm3x8.Lanes; j++ {
			l.ptrs[j] = &b.bufs[j%b.n][0] // idle lanes repeat a real one
		}
		l.run(blocks)
		for j := 0; j < b.n; j++ {
			sm3x8.Digest(&out[b.idx[j]], &l.states[j])
		}
		b.n = 0
	}
	for i := lo; i < hi; i++ {
		data := leaf(i)
		blocks := sm3x8.PaddedBlocks(1 + len(data))
		if blocks > maxMultiBlocks {
			out[i] = h.Leaf(data)
			continue
		}
		b := buckets[blocks]
		if b == nil {
			b = &leafBucket{}
			buckets[blocks] = b
		}
		buf := append(b.bufs[b.n][:0], 0)
		buf = append(buf, data...)
		b.bufs[b.n] = sm3x8.Pad(buf, 1+len(data))
		b.idx[b.n] = i
		b.n++
		if b.n == sm3x8.Lanes {
			flush(b, blocks)
		}
	}
	for blocks, b := range buckets {
		switch {
		case b == nil:
			continue
		case b.n >= 3: // an eight-lane run costs about three single hashes
			flush(b, blocks)
			continue
		}
		for j := 0; j < b.n; j++ {
			out[b.idx[j]] = h.Leaf(leaf(b.idx[j]))
		}
	}
}
