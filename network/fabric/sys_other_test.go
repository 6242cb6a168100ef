//go:build !linux

package fabric_test

import "syscall"

func sysProcAttr() *syscall.SysProcAttr { return nil }
