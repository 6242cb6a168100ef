//go:build unix

package gm

import (
	"syscall"
	"time"
)

// processCPU is this process's user+system CPU time, for benchmarks that
// report CPU per operation next to wall time on a shared machine.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
