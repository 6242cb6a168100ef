//go:build !purego

package sm3x8

import "golang.org/x/sys/cpu"

// Available reports whether Blocks runs on this machine (AVX2 and BMI2).
var Available = cpu.X86.HasAVX2 && cpu.X86.HasBMI2

// Blocks runs the SM3 compression over blocks 64-byte blocks of eight padded
// messages, msgs[i] pointing at lane i's first block, updating states[i].
// scratch must hold ScratchSize bytes. Only call it when Available.
func Blocks(states *[Lanes]*[8]uint32, msgs *[Lanes]*byte, scratch *[ScratchSize]byte, blocks int) {
	blockMultBy8(&states[0], &msgs[0], &scratch[0], blocks)
}

//go:noescape
func blockMultBy8(dig **[8]uint32, p **byte, buffer *byte, blocks int)

//go:noescape
func transposeMatrix8x8(dig **[8]uint32)

//go:noescape
func copyResultsBy8(dig *uint32, dst *byte)
