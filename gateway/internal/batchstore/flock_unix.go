//go:build unix

package batchstore

import (
	"os"
	"syscall"
)

// lockFile takes an exclusive advisory lock on f, shared by every process on
// the volume (gateways sharing a batch store), without waiting: false when
// another holds it.
func lockFile(f *os.File) bool {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil
}
