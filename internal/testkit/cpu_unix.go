//go:build unix

package testkit

import (
	"syscall"
	"time"
)

// CPUTime is the process's user + system CPU time so far: on a shared machine
// the per-core figure survives where wall time does not. It is 0 where the
// system does not tell.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
