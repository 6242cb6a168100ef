// Package sm3x8 hashes eight equal-length SM3 messages at once with AVX2 (the
// multi-buffer block function of github.com/emmansun/gmsm, vendored because gmsm
// keeps it internal). On other machines Available is false and callers use sm3.
package sm3x8

import "encoding/binary"

// BlockSize is the SM3 block size in bytes.
const BlockSize = 64

// Lanes is the number of messages hashed together.
const Lanes = 8

// ScratchSize is the size of the work buffer Blocks needs.
const ScratchSize = 256 + 68*32

// IV is SM3's initial state.
var IV = [8]uint32{0x7380166f, 0x4914b2b9, 0x172442d7, 0xda8a0600, 0xa96f30bc, 0x163138aa, 0xe38dee4d, 0xb0fb0e4e}

// _K holds SM3's round constants T_j <<< j (read by the assembly).
var _K = [64]uint32{
	0x79cc4519, 0xf3988a32, 0xe7311465, 0xce6228cb, 0x9cc45197, 0x3988a32f, 0x7311465e, 0xe6228cbc,
	0xcc451979, 0x988a32f3, 0x311465e7, 0x6228cbce, 0xc451979c, 0x88a32f39, 0x11465e73, 0x228cbce6,
	0x9d8a7a87, 0x3b14f50f, 0x7629ea1e, 0xec53d43c, 0xd8a7a879, 0xb14f50f3, 0x629ea1e7, 0xc53d43ce,
	0x8a7a879d, 0x14f50f3b, 0x29ea1e76, 0x53d43cec, 0xa7a879d8, 0x4f50f3b1, 0x9ea1e762, 0x3d43cec5,
	0x7a879d8a, 0xf50f3b14, 0xea1e7629, 0xd43cec53, 0xa879d8a7, 0x50f3b14f, 0xa1e7629e, 0x43cec53d,
	0x879d8a7a, 0xf3b14f5, 0x1e7629ea, 0x3cec53d4, 0x79d8a7a8, 0xf3b14f50, 0xe7629ea1, 0xcec53d43,
	0x9d8a7a87, 0x3b14f50f, 0x7629ea1e, 0xec53d43c, 0xd8a7a879, 0xb14f50f3, 0x629ea1e7, 0xc53d43ce,
	0x8a7a879d, 0x14f50f3b, 0x29ea1e76, 0x53d43cec, 0xa7a879d8, 0x4f50f3b1, 0x9ea1e762, 0x3d43cec5,
}

// Pad appends SM3 padding for a message of msgLen bytes to dst (which holds
// the message's last partial block) and returns it.
func Pad(dst []byte, msgLen int) []byte {
	dst = append(dst, 0x80)
	for (len(dst)+8)%BlockSize != 0 {
		dst = append(dst, 0)
	}
	return binary.BigEndian.AppendUint64(dst, uint64(msgLen)*8)
}

// PaddedBlocks is the number of blocks of a padded message of msgLen bytes.
func PaddedBlocks(msgLen int) int { return (msgLen + 8 + BlockSize) / BlockSize }

// Digest writes state s as a big-endian SM3 digest into out.
func Digest(out *[32]byte, s *[8]uint32) {
	for i, w := range s {
		binary.BigEndian.PutUint32(out[4*i:], w)
	}
}
