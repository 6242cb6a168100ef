package loadcmd

import (
	"github.com/certledger/certledger/loadtest/internal/driver"
	"github.com/certledger/certledger/loadtest/internal/table"
)

// opsTable is the table of driver runs: one row per run with its throughput,
// latency and the CPU time per operation of each group in groups.
func opsTable(title string, rs []driver.Result, groups ...string) *table.Table {
	header := []string{"run", "workers", "ok", "failed", "per second", "p50", "p99"}
	for _, g := range groups {
		header = append(header, g+" CPU/op")
	}
	t := table.New(title, header...)
	for _, r := range rs {
		row := []string{r.Name, table.Int(r.Workers), table.Int(r.OK), table.Int(r.Failed), table.Rate(r.PerSecond()),
			table.Dur(r.Percentile(50)), table.Dur(r.Percentile(99))}
		for _, g := range groups {
			row = append(row, table.Dur(r.CPUPerOp(g)))
		}
		t.Add(row...)
		if r.FirstErr != nil {
			t.Note("first error of %s (%d workers): %v", r.Name, r.Workers, r.FirstErr)
		}
	}
	return t
}
