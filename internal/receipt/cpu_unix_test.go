//go:build unix

package receipt_test

import (
	"syscall"
	"time"
)

// cpuTime is the process's user + system CPU time: on a shared machine the
// per-core figure survives where wall time does not.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
