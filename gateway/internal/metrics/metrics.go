// Package metrics holds the gateway's Prometheus collectors: HTTP requests by route
// and status, request latency, ledger call latency and errors, MVCC retries,
// rate-limited requests and open event streams. Each Metrics has its own registry,
// so tests and several servers in one process don't collide.
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/certledger/certledger/gateway/internal/errmap"
	"github.com/certledger/certledger/gateway/internal/ledgerclient"
)

// Metrics is the set of collectors of one gateway.
type Metrics struct {
	Registry        *prometheus.Registry
	Requests        *prometheus.CounterVec   // route, method, status
	RequestDuration *prometheus.HistogramVec // route, method
	LedgerDuration  *prometheus.HistogramVec // op (evaluate|submit), fn
	LedgerErrors    *prometheus.CounterVec   // op, fn, code
	MVCCRetries     prometheus.Counter
	RateLimited     prometheus.Counter
	EventStreams    prometheus.Gauge
}

// New registers the collectors (plus Go runtime and process ones) in a new registry.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts(opts("http_requests_total",
			"HTTP requests by route pattern, method and status code.")), []string{"route", "method", "status"}),
		RequestDuration: prometheus.NewHistogramVec(latency("http_request_duration_seconds",
			"HTTP request latency by route pattern and method."), []string{"route", "method"}),
		LedgerDuration: prometheus.NewHistogramVec(latency("ledger_call_duration_seconds",
			"Ledger call latency by operation (evaluate, submit) and chaincode function."), []string{"op", "fn"}),
		LedgerErrors: prometheus.NewCounterVec(prometheus.CounterOpts(opts("ledger_call_errors_total",
			"Failed ledger calls by operation, chaincode function and error code.")), []string{"op", "fn", "code"}),
		MVCCRetries: prometheus.NewCounter(prometheus.CounterOpts(opts("mvcc_retries_total",
			"Writes resubmitted after an MVCC or phantom read conflict."))),
		RateLimited: prometheus.NewCounter(prometheus.CounterOpts(opts("rate_limited_total",
			"Public requests refused by the per-address rate limit."))),
		EventStreams: prometheus.NewGauge(prometheus.GaugeOpts(opts("event_streams",
			"Open server-sent event streams."))),
	}
	reg.MustRegister(m.Requests, m.RequestDuration, m.LedgerDuration, m.LedgerErrors, m.MVCCRetries, m.RateLimited, m.EventStreams,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// opts names the gateway's metric certledger_gateway_<name>.
func opts(name, help string) prometheus.Opts {
	return prometheus.Opts{Namespace: "certledger", Subsystem: "gateway", Name: name, Help: help}
}

// latency is the gateway's latency histogram certledger_gateway_<name>, in seconds
// from 1 ms to 30 s.
func latency(name, help string) prometheus.HistogramOpts {
	o := opts(name, help)
	return prometheus.HistogramOpts{Namespace: o.Namespace, Subsystem: o.Subsystem, Name: o.Name, Help: o.Help,
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}}
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

// ObserveRequest records one finished HTTP request.
func (m *Metrics) ObserveRequest(route, method string, status int, d time.Duration) {
	m.Requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.RequestDuration.WithLabelValues(route, method).Observe(d.Seconds())
}

// Ledger wraps l so that every call is timed and every failure counted.
func (m *Metrics) Ledger(l ledgerclient.Ledger) ledgerclient.Ledger { return &instrumented{l: l, m: m} }

type instrumented struct {
	l ledgerclient.Ledger
	m *Metrics
}

func (i *instrumented) observe(op, fn string, start time.Time, err error) {
	i.m.LedgerDuration.WithLabelValues(op, fn).Observe(time.Since(start).Seconds())
	if err != nil {
		i.m.LedgerErrors.WithLabelValues(op, fn, errmap.Map(err).Code).Inc()
	}
}

func (i *instrumented) Evaluate(ctx context.Context, org, fn string, args ...string) ([]byte, error) {
	start := time.Now()
	res, err := i.l.Evaluate(ctx, org, fn, args...)
	i.observe("evaluate", fn, start, err)
	return res, err
}

func (i *instrumented) Submit(ctx context.Context, org, fn string, args ...string) (*ledgerclient.Result, error) {
	start := time.Now()
	res, err := i.l.Submit(ctx, org, fn, args...)
	i.observe("submit", fn, start, err)
	return res, err
}

func (i *instrumented) Events(ctx context.Context, org string, start int64) (<-chan ledgerclient.Event, error) {
	return i.l.Events(ctx, org, start)
}

func (i *instrumented) TxBlock(ctx context.Context, org, txID string) (uint64, bool) {
	return i.l.TxBlock(ctx, org, txID)
}
