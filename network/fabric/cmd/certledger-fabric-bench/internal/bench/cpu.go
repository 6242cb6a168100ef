package bench

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// CPU time is the figure that other work on a shared machine does not distort much: the
// core-milliseconds each process spent per operation. Groups: peers, orderers, chaincode
// (every process network.sh recorded) and client (this process: signing, gRPC).

// clockTick is USER_HZ, 100 on every Linux this runs on.
const clockTick = 10 * time.Millisecond

// cpuGroups lists the CPU-time groups in report order.
var cpuGroups = []string{"peers", "orderers", "chaincode", "client"}

// cpuSnapshot returns user+system CPU time per group (nil maps when state is empty or
// /proc is missing; the report then leaves the columns out).
func cpuSnapshot(state string) map[string]time.Duration {
	m := map[string]time.Duration{}
	if t, ok := procCPU("self"); ok {
		m["client"] = t
	}
	if state == "" {
		return m
	}
	files, _ := filepath.Glob(filepath.Join(state, "pids", "*.pid"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		pid := strings.Fields(string(b) + " ")[0]
		t, ok := procCPU(pid)
		if !ok {
			continue
		}
		name := filepath.Base(f)
		switch {
		case strings.HasPrefix(name, "peer"):
			m["peers"] += t
		case strings.HasPrefix(name, "orderer"):
			m["orderers"] += t
		case strings.HasPrefix(name, "cc."):
			m["chaincode"] += t
		}
	}
	return m
}

// procCPU reads utime+stime of /proc/<pid>/stat.
func procCPU(pid string) (time.Duration, bool) {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0, false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')') // comm may hold spaces
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, false
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)  // field 14 utime
	st, err2 := strconv.ParseInt(f[12], 10, 64) // field 15 stime
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(u+st) * clockTick, true
}

func cpuDiff(after, before map[string]time.Duration) map[string]time.Duration {
	d := map[string]time.Duration{}
	for k, v := range after {
		d[k] = v - before[k]
	}
	return d
}
