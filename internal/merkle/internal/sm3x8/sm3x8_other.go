//go:build !amd64 || purego

package sm3x8

// Available is false: no multi-buffer SM3 on this machine.
const Available = false

// Blocks is never called when Available is false.
func Blocks(states *[Lanes]*[8]uint32, msgs *[Lanes]*byte, scratch *[ScratchSize]byte, blocks int) {
	panic("sm3x8: not available")
}
