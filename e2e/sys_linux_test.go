//go:build linux

package e2e

import (
	"os"
	"syscall"
)

// sysProcAttr makes the kernel kill a started devnet or gateway if the test binary
// dies (a panic or a -timeout), so that no process outlives the run.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// maxRSSKiB is the peak resident set of a finished process, in KiB.
func maxRSSKiB(ps *os.ProcessState) int64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss
	}
	return 0
}
