package loadcmd

import (
	"fmt"
	"time"

	"github.com/certledger/certledger/loadtest/internal/proc"
	"github.com/certledger/certledger/loadtest/internal/table"
)

// report prints the gateway run's table.
func (r *gatewayRun) report() error {
	d, rest, in := r.paths[pathDirect], r.paths[pathREST], r.paths[pathInProc]
	certs := time.Duration(r.n * r.rounds)
	perCert := func(res, group string) time.Duration { return r.paths[res].CPU[group] / certs }
	where := "issue load generators in this process"
	if r.external {
		where = "issue load generators in a child process"
	}
	t := table.New(fmt.Sprintf("certledger gateway load (devnet in-process, real chaincode, TLS gRPC, concurrency %d, %s; %s)",
		r.concurrency, where, proc.MachineLoad()), "measure", "value", "note")
	t.Add("issue, fabric-gateway client", table.Rate(d.PerSecond())+" certificates/s", fmt.Sprintf("%d × %d, SubmitWithContext (endorse+submit+commit); latency p50 %s p99 %s",
		r.rounds, r.n, table.Ms(d.Percentile(50)), table.Ms(d.Percentile(99))))
	t.Add("issue, REST POST /api/v1/certificates", table.Rate(rest.PerSecond())+" certificates/s", fmt.Sprintf("%d × %d, HTTP/1.1 keep-alive; latency p50 %s p99 %s",
		r.rounds, r.n, table.Ms(rest.Percentile(50)), table.Ms(rest.Percentile(99))))
	t.Add("gateway overhead, throughput", pct(rest.Elapsed.Seconds()/d.Elapsed.Seconds()-1), "REST time / direct time - 1 (aim <= 10 %)")
	restCPU, directCPU := perCert(pathREST, cpuParent), perCert(pathDirect, cpuParent)
	if r.external {
		directChild, inproc := perCert(pathDirect, cpuChild), perCert(pathInProc, cpuParent)
		t.Add("gateway overhead, CPU (split)", pct(float64(restCPU)/float64(directCPU+directChild)-1),
			fmt.Sprintf("per certificate, REST: gateway process %s / direct: ledger %s + child fabric-gateway client %s (HTTP load generator's %s left out)",
				table.Ms(restCPU), table.Ms(directCPU), table.Ms(directChild), table.Ms(perCert(pathREST, cpuChild))))
		t.Add("gateway overhead, CPU (same process)", pct(float64(restCPU)/float64(inproc)-1),
			fmt.Sprintf("per certificate, REST: gateway process %s / ledger + fabric-gateway client in one process %s (%s certificates/s)",
				table.Ms(restCPU), table.Ms(inproc), table.Rate(in.PerSecond())))
	} else {
		t.Add("gateway overhead, CPU", pct(float64(restCPU)/float64(directCPU)-1),
			fmt.Sprintf("process CPU per certificate: direct %s, REST %s (HTTP client and server included)", table.Ms(directCPU), table.Ms(restCPU)))
	}
	sd, sr := r.seqDirect.Percentile(50), r.seqREST.Percentile(50)
	t.Add("issue latency, concurrency 1", fmt.Sprintf("direct %s, REST %s", table.Ms(sd), table.Ms(sr)),
		fmt.Sprintf("p50 of %d each, interleaved; REST adds %s", r.seqDirect.OK, table.Ms(sr-sd)))
	v := r.verify
	t.Add("verify, GET /api/v1/verify", table.Rate(v.PerSecond())+" requests/s", fmt.Sprintf("%d requests in %s", v.OK, v.Elapsed.Round(time.Millisecond)))
	t.Add("verify latency p50", table.Ms(v.Percentile(50)))
	t.Add("verify latency p99", table.Ms(v.Percentile(99)))
	errs := d.Failed + rest.Failed + in.Failed + r.seqDirect.Failed + r.seqREST.Failed + v.Failed
	t.Add("errors", table.Int(errs))
	t.Add("MVCC retries by the gateway", table.Int(r.mvccRetries()))
	for _, res := range []struct {
		name string
		err  error
	}{{"direct", d.FirstErr}, {"REST", rest.FirstErr}, {"inproc", in.FirstErr}, {"verify", v.FirstErr}} {
		if res.err != nil {
			t.Note("first error (%s): %v", res.name, res.err)
		}
	}
	return t.Write(r.c.App.Writer, format(r.c))
}

func pct(f float64) string { return fmt.Sprintf("%+.1f %%", f*100) }
