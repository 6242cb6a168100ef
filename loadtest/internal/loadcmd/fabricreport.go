package loadcmd

import (
	"fmt"
	"slices"
	"strings"

	"github.com/certledger/certledger/loadtest/internal/driver"
	"github.com/certledger/certledger/loadtest/internal/proc"
	"github.com/certledger/certledger/loadtest/internal/table"
)

// report prints the fabric run's tables: throughput, CPU per operation, the
// issuance / plain-write ratios and process memory.
func (r *fabricRun) report(results []driver.Result, before string) error {
	out, f := r.c.App.Writer, format(r.c)
	fmt.Fprintf(out, "machine: %d CPUs; before: %s; after: %s\n\n", machineCPUs(), before, proc.MachineLoad())
	t := opsTable(fmt.Sprintf("%d rounds per level; p50/p99 over all rounds", max(r.c.Int("rounds"), 1)), results)
	if err := t.Write(out, f); err != nil {
		return err
	}
	state := r.c.String("state")
	if state != "" {
		ct := table.New("CPU time per operation (core-ms; user+system of the recorded processes and of this client):",
			append(append([]string{"run", "concurrency"}, fabricGroups...), "network total")...)
		for _, s := range results {
			row := []string{s.Name, table.Int(s.Workers)}
			for _, g := range fabricGroups {
				row = append(row, coreMs(s, g))
			}
			ct.Add(append(row, fmt.Sprintf("%.2f", networkMs(s)))...)
		}
		if err := ct.Write(out, f); err != nil {
			return err
		}
	}
	if r.ratios(results) {
		fmt.Fprintln(out)
	}
	if state != "" {
		return writeMemory(out, f, state)
	}
	return nil
}

// ratios prints issuance against the plain write at each concurrency; it
// reports whether it printed anything.
func (r *fabricRun) ratios(results []driver.Result) bool {
	printed := false
	for _, p := range results {
		if !strings.HasPrefix(p.Name, "plain") || p.OK == 0 {
			continue
		}
		i := slices.IndexFunc(results, func(s driver.Result) bool { return s.Name == "certificate:Issue" && s.Workers == p.Workers })
		if i < 0 || results[i].OK == 0 {
			continue
		}
		is := results[i]
		fmt.Fprintf(r.c.App.Writer, "issuance / plain write at c=%d: %.0f%% of the throughput", p.Workers, 100*is.PerSecond()/p.PerSecond())
		if networkMs(is) > 0 {
			fmt.Fprintf(r.c.App.Writer, "; by network CPU per transaction %.0f%% (%.2f vs %.2f core-ms)", 100*networkMs(p)/networkMs(is), networkMs(is), networkMs(p))
		}
		fmt.Fprintln(r.c.App.Writer)
		printed = true
	}
	return printed
}

// coreMs is the CPU time of group per operation in core-milliseconds.
func coreMs(s driver.Result, group string) string {
	return fmt.Sprintf("%.2f", float64(s.CPUPerOp(group).Microseconds())/1000)
}

// networkMs is the CPU time of peers, orderers and chaincode per operation, in core-ms.
func networkMs(s driver.Result) float64 {
	var ms float64
	for _, g := range []string{"peers", "orderers", "chaincode"} {
		ms += float64(s.CPUPerOp(g).Microseconds()) / 1000
	}
	return ms
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
