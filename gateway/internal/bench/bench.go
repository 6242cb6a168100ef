// Package bench measures the gateway against an in-process devnet running the real
// chaincode, in one run: certificates issued per second through the REST API and
// through the fabric-gateway client directly (the gateway's overhead as a ratio),
// and verify requests per second with p50/p99 latency at a given concurrency.
package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	dto "github.com/prometheus/client_model/go"

	"github.com/certledger/certledger/gateway/internal/httpapi"
	"github.com/certledger/certledger/gateway/internal/stack"
)

// Options of a run.
type Options struct {
	// N certificates per issue round (each path runs Rounds rounds).
	N      int
	Rounds int
	// Concurrency of issue and verify clients.
	Concurrency int
	// VerifyFor is how long the verify phase runs.
	VerifyFor time.Duration
	// Dir holds the devnet (empty: a temporary folder, removed afterwards).
	Dir string
	// ExternalClients runs the issue load generators (fabric-gateway client and
	// HTTP client) in a child process, so that this process holds only the
	// gateway, the devnet and the chaincode while certificates are issued.
	ExternalClients bool
	// ClientCommand starts the child (its arguments are appended); default: this
	// executable with "bench client".
	ClientCommand []string
}

// Result holds the figures of a run.
type Result struct {
	DirectPerSec, RESTPerSec float64
	Overhead                 float64       // REST time per certificate / direct time per certificate - 1
	DirectCPU, RESTCPU       time.Duration // this process's CPU time per certificate (in-process: devnet, chaincode, gateway, clients; external: devnet, chaincode, gateway)
	// External: the child's CPU time per certificate (the load generator).
	DirectClientCPU, RESTClientCPU time.Duration
	// CPUOverhead is, in-process, REST CPU / direct CPU - 1; with external
	// clients, RESTCPU / (DirectCPU + DirectClientCPU) - 1: the gateway process
	// against the ledger plus the fabric-gateway client an application would run
	// itself; only the HTTP load generator (RESTClientCPU) is left out.
	CPUOverhead float64
	External    bool
	// External only: a third path per round, the fabric-gateway client in this
	// process next to the ledger (CPU InProcCPU per certificate), and
	// CPUOverheadSameProcess = RESTCPU / InProcCPU - 1: ledger + fabric-gateway
	// client in one process, without and with the gateway's HTTP server.
	InProcPerSec             float64
	InProcCPU                time.Duration
	CPUOverheadSameProcess   float64
	DirectP50, DirectP99     time.Duration
	RESTP50, RESTP99         time.Duration
	DirectSeqP50, RESTSeqP50 time.Duration // issue latency at concurrency 1
	VerifyPerSec             float64
	VerifyP50, VerifyP99     time.Duration
	VerifyRequests           int
	MVCCRetries              int
	Errors                   int
}

// Run starts a devnet and a gateway, runs the phases and prints a table to w.
func Run(ctx context.Context, o Options, w io.Writer) (*Result, error) {
	if o.N <= 0 {
		o.N = 300
	}
	if o.Rounds <= 0 {
		o.Rounds = 2
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 32
	}
	if o.VerifyFor <= 0 {
		o.VerifyFor = 5 * time.Second
	}
	dir := o.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "certledger-bench-")
		if err != nil {
			return nil, err
		}
		defer func() { _ = os.RemoveAll(d) }() // best-effort cleanup of a temp dir
		dir = d
	}
	command := o.ClientCommand
	if o.ExternalClients && len(command) == 0 {
		exe, err := os.Executable()
		if err != nil {
			return nil, err
		}
		command = []string{exe, "bench", "client"}
	}
	s, err := stack.Start(dir, stack.Options{})
	if err != nil {
		return nil, err
	}
	defer func() { _ = s.Close() }() // shutting down the bench stack
	hc := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: o.Concurrency * 2, MaxIdleConns: o.Concurrency * 4}}
	defer hc.CloseIdleConnections()
	depts, err := s.Seed(ctx, hc)
	if err != nil {
		return nil, err
	}
	a := depts["dept-a"]
	gw, p, err := s.Fabric.Gateway("dept-a")
	if err != nil {
		return nil, err
	}
	contract := gw.GetNetwork(p.Channel).GetContract(p.Chaincode)

	// Records are built and SM2-signed before any clock starts: signing is the
	// client's work on both paths.
	seq := 0
	batch := func(prefix string, n int) ([]httpapi.CertificateRecord, error) {
		now := time.Now().UTC()
		out := make([]httpapi.CertificateRecord, n)
		for i := range out {
			seq++
			id := fmt.Sprintf("%s-%06d", prefix, seq)
			rec, err := stack.NewCertificate(a, id, []byte("document "+id), now.Add(-time.Hour), now.AddDate(5, 0, 0))
			if err != nil {
				return nil, err
			}
			out[i] = rec
		}
		return out, nil
	}
	direct := func(ctx context.Context, rec httpapi.CertificateRecord) error {
		b, _ := json.Marshal(rec)
		_, err := contract.SubmitWithContext(ctx, "certificate:Issue", client.WithArguments(string(b)))
		return err
	}
	rest := func(ctx context.Context, rec httpapi.CertificateRecord) error {
		r, err := s.Do(ctx, hc, "POST", "/api/v1/certificates", stack.AClerk, rec)
		if err != nil {
			return err
		}
		if r.Status != http.StatusCreated {
			return fmt.Errorf("issue %s: %d %s", rec.ID, r.Status, r.Body)
		}
		return nil
	}
	res := &Result{}
	// Warm up both paths (connections, chaincode), then alternate rounds.
	for _, f := range []func(context.Context, httpapi.CertificateRecord) error{direct, rest} {
		recs, err := batch("warm", o.Concurrency)
		if err != nil {
			return nil, err
		}
		if _, e, _ := issue(ctx, recs, o.Concurrency, f); e > 0 {
			return nil, fmt.Errorf("warm-up: %d failures", e)
		}
	}
	var directDur, restDur, directCPU, restCPU, directCCPU, restCCPU, inprocDur, inprocCPU time.Duration
	res.External = o.ExternalClients
	var directLat, restLat []time.Duration
	var issued []httpapi.CertificateRecord
	for range o.Rounds {
		paths := []string{"direct", "rest"}
		if o.ExternalClients {
			// "inproc": the fabric-gateway client in this process, next to the ledger,
			// as the gateway's own client is on the REST path.
			paths = []string{"inproc", "direct", "rest"}
		}
		for _, path := range paths {
			recs, err := batch(path, o.N)
			if err != nil {
				return nil, err
			}
			f := direct
			if path == "rest" {
				f = rest
			}
			var d, cpu, ccpu time.Duration
			var e int
			var lat []time.Duration
			if o.ExternalClients && path != "inproc" {
				warm, err := batch("warmc-"+path, o.Concurrency)
				if err != nil {
					return nil, err
				}
				co := ClientOptions{Mode: path, Profile: s.Profiles["dept-a"], URL: s.URL, Concurrency: o.Concurrency}
				cr, pcpu, err := childRound(ctx, command, co, s.Tokens[stack.AClerk], clientJob{Warm: warm, Run: recs}, dir)
				if err != nil {
					return nil, err
				}
				d, e, cpu, ccpu = time.Duration(cr.WallNS), cr.Errors, pcpu, time.Duration(cr.CPUNS)
				for _, l := range cr.LatNS {
					lat = append(lat, time.Duration(l))
				}
				issued = append(issued, warm...)
			} else {
				cpu0 := cpuTime()
				d, e, lat = issue(ctx, recs, o.Concurrency, f)
				cpu = cpuTime() - cpu0
			}
			res.Errors += e
			switch path {
			case "inproc":
				inprocDur += d
				inprocCPU += cpu
			case "direct":
				directDur += d
				directCPU += cpu
				directCCPU += ccpu
				directLat = append(directLat, lat...)
			default:
				restDur += d
				restCPU += cpu
				restCCPU += ccpu
				restLat = append(restLat, lat...)
			}
			issued = append(issued, recs...)
		}
	}
	total := float64(o.N * o.Rounds)
	res.DirectPerSec = total / directDur.Seconds()
	res.RESTPerSec = total / restDur.Seconds()
	res.Overhead = restDur.Seconds()/directDur.Seconds() - 1
	res.DirectCPU = directCPU / time.Duration(o.N*o.Rounds)
	res.RESTCPU = restCPU / time.Duration(o.N*o.Rounds)
	res.DirectClientCPU = directCCPU / time.Duration(o.N*o.Rounds)
	res.RESTClientCPU = restCCPU / time.Duration(o.N*o.Rounds)
	res.CPUOverhead = restCPU.Seconds()/(directCPU+directCCPU).Seconds() - 1
	if o.ExternalClients {
		res.InProcPerSec = total / inprocDur.Seconds()
		res.InProcCPU = inprocCPU / time.Duration(o.N*o.Rounds)
		res.CPUOverheadSameProcess = restCPU.Seconds()/inprocCPU.Seconds() - 1
	}
	res.DirectP50, res.DirectP99 = percentiles(directLat)
	res.RESTP50, res.RESTP99 = percentiles(restLat)

	// Latency without queueing: one request at a time, alternating the paths so
	// that a change of machine load hits both alike.
	{
		recs, err := batch("seq", 100)
		if err != nil {
			return nil, err
		}
		var dl, rl []time.Duration
		for i, rec := range recs {
			f := direct
			if i%2 == 1 {
				f = rest
			}
			t0 := time.Now()
			if err := f(ctx, rec); err != nil {
				res.Errors++
				continue
			}
			if i%2 == 1 {
				rl = append(rl, time.Since(t0))
			} else {
				dl = append(dl, time.Since(t0))
			}
		}
		res.DirectSeqP50, _ = percentiles(dl)
		res.RESTSeqP50, _ = percentiles(rl)
		issued = append(issued, recs...)
	}

	lat, n, e, d := verify(ctx, s, hc, issued, o.Concurrency, o.VerifyFor)
	res.Errors += e
	res.VerifyRequests = n
	res.VerifyPerSec = float64(n) / d.Seconds()
	res.VerifyP50, res.VerifyP99 = percentiles(lat)
	var pm dto.Metric
	if s.Metrics.MVCCRetries.Write(&pm) == nil {
		res.MVCCRetries = int(pm.GetCounter().GetValue())
	}

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	where := "issue load generators in this process"
	if o.ExternalClients {
		where = "issue load generators in a child process"
	}
	fmt.Fprintf(tw, "certledger gateway benchmark (devnet in-process, real chaincode, TLS gRPC, concurrency %d, %s)\n", o.Concurrency, where)
	fmt.Fprintf(tw, "measure\tvalue\tnote\n")
	fmt.Fprintf(tw, "issue, fabric-gateway client\t%.0f certificates/s\t%d × %d, SubmitWithContext (endorse+submit+commit); latency p50 %s p99 %s\n",
		res.DirectPerSec, o.Rounds, o.N, ms(res.DirectP50), ms(res.DirectP99))
	fmt.Fprintf(tw, "issue, REST POST /api/v1/certificates\t%.0f certificates/s\t%d × %d, HTTP/1.1 keep-alive; latency p50 %s p99 %s\n",
		res.RESTPerSec, o.Rounds, o.N, ms(res.RESTP50), ms(res.RESTP99))
	fmt.Fprintf(tw, "gateway overhead, throughput\t%+.1f %%\tREST time / direct time - 1 (aim <= 10 %%)\n", res.Overhead*100)
	if o.ExternalClients {
		fmt.Fprintf(tw, "gateway overhead, CPU (split)\t%+.1f %%\tper certificate, REST: gateway process %s / direct: ledger %s + child fabric-gateway client %s (HTTP load generator's %s left out)\n",
			res.CPUOverhead*100, ms(res.RESTCPU), ms(res.DirectCPU), ms(res.DirectClientCPU), ms(res.RESTClientCPU))
		fmt.Fprintf(tw, "gateway overhead, CPU (same process)\t%+.1f %%\tper certificate, REST: gateway process %s / ledger + fabric-gateway client in one process %s (%.0f certificates/s)\n",
			res.CPUOverheadSameProcess*100, ms(res.RESTCPU), ms(res.InProcCPU), res.InProcPerSec)
	} else {
		fmt.Fprintf(tw, "gateway overhead, CPU\t%+.1f %%\tprocess CPU per certificate: direct %s, REST %s (HTTP client and server included)\n",
			res.CPUOverhead*100, ms(res.DirectCPU), ms(res.RESTCPU))
	}
	fmt.Fprintf(tw, "issue latency, concurrency 1\tdirect %s, REST %s\tp50 of 50 each, interleaved; REST adds %s\n",
		ms(res.DirectSeqP50), ms(res.RESTSeqP50), ms(res.RESTSeqP50-res.DirectSeqP50))
	fmt.Fprintf(tw, "verify, GET /api/v1/verify\t%.0f requests/s\t%d requests in %s\n", res.VerifyPerSec, n, d.Round(time.Millisecond))
	fmt.Fprintf(tw, "verify latency p50\t%s\t\n", ms(res.VerifyP50))
	fmt.Fprintf(tw, "verify latency p99\t%s\t\n", ms(res.VerifyP99))
	fmt.Fprintf(tw, "errors\t%d\t\n", res.Errors)
	fmt.Fprintf(tw, "MVCC retries by the gateway\t%d\t\n", res.MVCCRetries)
	if err := tw.Flush(); err != nil {
		return nil, err
	}
	return res, nil
}

// issue sends recs with c workers; it returns the wall time, the failures and
// each request's latency.
func issue(ctx context.Context, recs []httpapi.CertificateRecord, c int, f func(context.Context, httpapi.CertificateRecord) error) (time.Duration, int, []time.Duration) {
	var next, failed atomic.Int64
	var wg sync.WaitGroup
	var once sync.Once
	lat := make([]time.Duration, len(recs))
	start := time.Now()
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(recs) || ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				err := f(ctx, recs[i])
				lat[i] = time.Since(t0)
				if err != nil {
					failed.Add(1)
					once.Do(func() { fmt.Fprintln(os.Stderr, "bench: first failure:", err) })
				}
			}
		}()
	}
	wg.Wait()
	return time.Since(start), int(failed.Load()), lat
}

// verify runs GET /api/v1/verify?id&hash over recs with c workers for d.
func verify(ctx context.Context, s *stack.Stack, hc *http.Client, recs []httpapi.CertificateRecord, c int, d time.Duration) ([]time.Duration, int, int, time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var mu sync.Mutex
	var all []time.Duration
	var failed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			for i := w; ctx.Err() == nil; i += c {
				rec := recs[i%len(recs)]
				t0 := time.Now()
				r, err := s.Do(ctx, hc, "GET", "/api/v1/verify?id="+rec.ID+"&hash="+rec.DocHash, "", nil)
				if err != nil {
					if !errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
						failed.Add(1)
					}
					continue
				}
				var v struct{ Verdict string }
				if r.Status != 200 || json.Unmarshal(r.Body, &v) != nil || v.Verdict != "VALID" {
					failed.Add(1)
					continue
				}
				lat = append(lat, time.Since(t0))
			}
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	el := time.Since(start)
	return all, len(all), int(failed.Load()), el
}

// cpuTime is the user+system CPU time of this process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func percentiles(lat []time.Duration) (p50, p99 time.Duration) {
	if len(lat) == 0 {
		return 0, 0
	}
	s := slices.Clone(lat)
	slices.Sort(s)
	return s[len(s)*50/100], s[min(len(s)-1, len(s)*99/100)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000) }
