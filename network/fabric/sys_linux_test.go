//go:build linux

package fabric_test

import "syscall"

// sysProcAttr makes the kernel kill a started gateway if the test binary dies (a panic
// or a -timeout), so that no process outlives the run.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
