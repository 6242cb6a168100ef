// Package driver is the load tool's one driver: it runs an operation from a
// number of workers, for a number of operations or for a duration, and collects
// the latency of each successful operation, the failures and the CPU time of the
// processes a Meter reads.
package driver

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Op is operation number i (0, 1, ...; each i is run once).
type Op func(ctx context.Context, i int) error

// Meter reads the CPU time spent so far by named groups of processes.
type Meter func() map[string]time.Duration

// Options of one run.
type Options struct {
	Name    string
	Workers int           // concurrent workers (at least 1)
	N       int           // operations; 0: no limit (For must be set)
	For     time.Duration // how long to run; 0: until N operations
	CPU     Meter         // nil: no CPU figures
}

// Result of one run, or of several runs added together.
type Result struct {
	Name     string
	Workers  int
	OK       int
	Failed   int
	Elapsed  time.Duration
	Latency  []time.Duration // of the successful operations, sorted
	FirstErr error
	CPU      map[string]time.Duration // CPU time per group during the run
}

// Run runs op from o.Workers workers until o.N operations are done, o.For has
// passed or ctx ends, whichever comes first.
func Run(ctx context.Context, o Options, op Op) Result {
	var next atomic.Int64
	var mu sync.Mutex
	res := Result{Name: o.Name, Workers: max(o.Workers, 1)}
	var cpu0 map[string]time.Duration
	if o.CPU != nil {
		cpu0 = o.CPU()
	}
	start := time.Now()
	deadline := start.Add(o.For)
	var wg sync.WaitGroup
	for range res.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var w Result
			for ctx.Err() == nil && (o.For <= 0 || time.Now().Before(deadline)) {
				i := int(next.Add(1) - 1)
				if o.N > 0 && i >= o.N {
					break
				}
				t0 := time.Now()
				if err := op(ctx, i); err != nil {
					w.Failed++
					if w.FirstErr == nil {
						w.FirstErr = err
					}
					continue
				}
				w.Latency = append(w.Latency, time.Since(t0))
			}
			mu.Lock()
			res.merge(w)
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	if o.CPU != nil {
		res.CPU = diff(o.CPU(), cpu0)
	}
	slices.Sort(res.Latency)
	res.OK = len(res.Latency)
	return res
}

func (r *Result) merge(w Result) {
	r.Latency = append(r.Latency, w.Latency...)
	r.Failed += w.Failed
	if r.FirstErr == nil {
		r.FirstErr = w.FirstErr
	}
}

// Add sums two runs of the same kind: counts, elapsed and CPU time add up,
// latencies are pooled.
func (r Result) Add(o Result) Result {
	out := Result{Name: r.Name, Workers: max(r.Workers, o.Workers), OK: r.OK + o.OK, Failed: r.Failed + o.Failed,
		Elapsed: r.Elapsed + o.Elapsed, FirstErr: r.FirstErr, CPU: map[string]time.Duration{}}
	if out.Name == "" {
		out.Name = o.Name
	}
	if out.FirstErr == nil {
		out.FirstErr = o.FirstErr
	}
	out.Latency = slices.Concat(r.Latency, o.Latency)
	slices.Sort(out.Latency)
	for _, m := range []map[string]time.Duration{r.CPU, o.CPU} {
		for k, v := range m {
			out.CPU[k] += v
		}
	}
	return out
}

// PerSecond is the successful operations per second.
func (r Result) PerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.OK) / r.Elapsed.Seconds()
}

// Percentile is the p-th percentile (0..100) of the latencies (0 when none).
func (r Result) Percentile(p int) time.Duration {
	return Percentile(r.Latency, p)
}

// CPUPerOp is the CPU time of group per successful operation (0 when unknown).
func (r Result) CPUPerOp(group string) time.Duration {
	if r.OK == 0 {
		return 0
	}
	return r.CPU[group] / time.Duration(r.OK)
}

// Percentile is the p-th percentile (0..100) of sorted latencies (0 when none).
func Percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, len(sorted)*p/100)]
}

func diff(after, before map[string]time.Duration) map[string]time.Duration {
	d := map[string]time.Duration{}
	for k, v := range after {
		d[k] = v - before[k]
	}
	return d
}
