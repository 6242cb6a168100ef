//go:build !linux

package e2e

import (
	"os"
	"syscall"
)

func sysProcAttr() *syscall.SysProcAttr { return nil }

// maxRSSKiB is unknown here.
func maxRSSKiB(*os.ProcessState) int64 { return 0 }
