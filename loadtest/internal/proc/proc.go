// Package proc reads what the load tool reports about processes and the machine
// from Linux's /proc and getrusage: CPU time, resident memory, load. Elsewhere
// the readers report nothing (zero, false or "n/a"), and the tables leave the
// figures out.
package proc

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTick is USER_HZ, 100 on every Linux this runs on.
const clockTick = 10 * time.Millisecond

// SelfCPU is the user+system CPU time of this process so far.
func SelfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// CPU is the user+system CPU time of process pid ("self" or a number) so far.
func CPU(pid string) (time.Duration, bool) {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0, false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')') // the command name may hold spaces
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, false
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)  // field 14, utime
	st, err2 := strconv.ParseInt(f[12], 10, 64) // field 15, stime
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(u+st) * clockTick, true
}

// Memory is the resident memory of a process in MiB, from /proc/<pid>/status.
type Memory struct {
	RSS, Peak int // VmRSS, VmHWM
	Anon      int // RssAnon: private (Go heap and stacks)
	File      int // RssFile + RssShmem: file-backed pages (a memory-mapped ledger)
}

// ReadMemory reads the memory figures of process pid.
func ReadMemory(pid string) (Memory, bool) {
	b, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return Memory{}, false
	}
	v := map[string]int{}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) >= 2 {
			kb, _ := strconv.Atoi(f[1])
			v[strings.TrimSuffix(f[0], ":")] = kb >> 10
		}
	}
	return Memory{RSS: v["VmRSS"], Peak: v["VmHWM"], Anon: v["RssAnon"], File: v["RssFile"] + v["RssShmem"]}, true
}

// String describes m as the devnet start-up figures quote it.
func (m Memory) String() string {
	return fmt.Sprintf("%d MiB (private %d MiB, file-backed ledger pages %d MiB)", m.RSS, m.Anon, m.File)
}

// LoadAvg is the 1, 5 and 15 minute load average ("n/a" when unknown).
func LoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "n/a"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "n/a"
	}
	return strings.Join(f[:3], " ")
}

// MachineLoad describes how busy the machine is (load average, CPU pressure):
// other work on a shared machine changes every figure.
func MachineLoad() string {
	s := "load average " + LoadAvg()
	if p, err := os.ReadFile("/proc/pressure/cpu"); err == nil {
		if l := strings.SplitN(string(p), "\n", 2)[0]; strings.HasPrefix(l, "some ") {
			s += ", CPU pressure " + strings.TrimPrefix(l, "some ")
		}
	}
	return s
}

// ChildPeak is the peak resident memory in MiB of a child process that has
// exited (getrusage's ru_maxrss, KiB on Linux); false when unknown.
func ChildPeak(ps *os.ProcessState) (int, bool) {
	if ps == nil {
		return 0, false
	}
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok || ru == nil {
		return 0, false
	}
	return int(ru.Maxrss >> 10), true
}
