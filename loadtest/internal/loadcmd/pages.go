package loadcmd

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/certledger/certledger/gateway/gatewaytest"
	"github.com/certledger/certledger/loadtest/internal/driver"
	"github.com/certledger/certledger/loadtest/internal/proc"
	"github.com/certledger/certledger/loadtest/internal/table"
)

// The pages' period: the dashboard's default (the year), the results page's year.
const pagesFrom, pagesTo, pagesYear = "2026-01-01", "2026-12-31", "2026"

// pageCall is one REST call a page makes.
type pageCall struct {
	page  string // dashboard | results
	label string // what the table shows
	path  string
	token string // "" anonymous
}

// pageTiming is the median of one call: round trip over loopback HTTP, and the
// handler's own time from its Server-Timing header when it sends one.
type pageTiming struct {
	call     pageCall
	rtt      time.Duration
	app      time.Duration // 0: no Server-Timing
	hasApp   bool
	bytesOut int
}

// pageRun is the figures of the pages on one ledger state.
type pageRun struct {
	calls             []pageTiming
	dashSum, dashWall time.Duration // every dashboard call one after the other; as the page issues them (6 at a time)
	resultsWall       time.Duration
}

// pageCalls lists what the dashboard (as the auditor, for the year, by month) and the
// results page (anonymous) request, for the departments of the ledger.
func pageCalls(ctx context.Context, s *gatewaytest.Stack, hc *http.Client) ([]pageCall, error) {
	r, err := s.Do(ctx, hc, "GET", "/api/v1/departments", gatewaytest.AAuditor, nil)
	if err != nil {
		return nil, err
	}
	var depts []struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	if err := json.Unmarshal(r.Body, &depts); err != nil {
		return nil, fmt.Errorf("departments: %w (%s)", err, r.Body)
	}
	a := gatewaytest.AAuditor
	period := url.Values{"from": {pagesFrom}, "to": {pagesTo}}
	calls := []pageCall{{"dashboard", "departments", "/api/v1/departments", a}}
	for _, d := range depts {
		if d.Status != "" && d.Status != "active" {
			continue
		}
		q := url.Values{"department": {d.ID}, "from": {pagesFrom}, "to": {pagesTo}, "bucket": {"month"}}
		calls = append(calls, pageCall{"dashboard", "kpi/series month " + d.ID, "/api/v1/audit/kpi/series?" + q.Encode(), a})
		q.Del("bucket")
		q.Set("pageSize", "100")
		calls = append(calls, pageCall{"dashboard", "escalations " + d.ID, "/api/v1/audit/escalations?" + q.Encode(), a})
	}
	calls = append(calls,
		pageCall{"dashboard", "overdue (all)", "/api/v1/audit/overdue?pageSize=100", a},
		pageCall{"dashboard", "exchange-volume", "/api/v1/audit/exchange-volume?" + period.Encode(), a},
		pageCall{"results", "public/kpi", "/api/v1/public/kpi?year=" + pagesYear, ""})
	// What the dashboard asks when a figure is opened, and the other granularities of its charts.
	acc := url.Values{"department": {"dept-a"}, "from": {pagesFrom}, "to": {pagesTo}, "pageSize": {"500"}}
	calls = append(calls, pageCall{"dashboard, a figure", "accountability dept-a (500)", "/api/v1/audit/accountability?" + acc.Encode(), a})
	for _, b := range []string{"week", "quarter"} {
		q := url.Values{"department": {"dept-a"}, "from": {pagesFrom}, "to": {pagesTo}, "bucket": {b}}
		calls = append(calls, pageCall{"dashboard by " + b, "kpi/series " + b + " dept-a", "/api/v1/audit/kpi/series?" + q.Encode(), a})
	}
	return calls, nil
}

func serverTime(h http.Header) (time.Duration, bool) {
	for _, part := range strings.Split(h.Get("Server-Timing"), ",") {
		for _, f := range strings.Split(part, ";") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(f), "dur="); ok {
				ms, err := strconv.ParseFloat(v, 64)
				if err == nil {
					return time.Duration(ms * float64(time.Millisecond)), true
				}
			}
		}
	}
	return 0, false
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// timePages times every call of the pages n times, then the dashboard's calls issued
// together as the page does (at most 6 at once, Chromium's connections per host).
func timePages(ctx context.Context, s *gatewaytest.Stack, hc *http.Client, n int) (pageRun, error) {
	var run pageRun
	calls, err := pageCalls(ctx, s, hc)
	if err != nil {
		return run, err
	}
	one := func(c pageCall) (time.Duration, time.Duration, bool, int, error) {
		t0 := time.Now()
		r, err := s.Do(ctx, hc, "GET", c.path, c.token, nil)
		d := time.Since(t0)
		if err != nil {
			return 0, 0, false, 0, err
		}
		if r.Status != http.StatusOK {
			return 0, 0, false, 0, fmt.Errorf("%s: %d %s", c.path, r.Status, r.Body)
		}
		app, ok := serverTime(r.Header)
		return d, app, ok, len(r.Body), nil
	}
	for _, c := range calls {
		var rtts, apps []time.Duration
		pt := pageTiming{call: c}
		for range n {
			rtt, app, ok, size, err := one(c)
			if err != nil {
				return run, err
			}
			rtts, pt.bytesOut = append(rtts, rtt), size
			if ok {
				apps, pt.hasApp = append(apps, app), true
			}
		}
		pt.rtt, pt.app = median(rtts), median(apps)
		run.calls = append(run.calls, pt)
		switch c.page {
		case "dashboard":
			run.dashSum += pt.rtt
		case "results":
			run.resultsWall = pt.rtt
		}
	}
	var dash []pageCall
	for _, c := range calls {
		if c.page == "dashboard" {
			dash = append(dash, c)
		}
	}
	walls := driver.Run(ctx, driver.Options{Workers: 1, N: n}, func(ctx context.Context, _ int) error {
		sem := make(chan struct{}, 6)
		errs := make(chan error, len(dash))
		var wg sync.WaitGroup
		for _, c := range dash {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				if _, _, _, _, err := one(c); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		return <-errs
	})
	if walls.Failed > 0 {
		return run, walls.FirstErr
	}
	run.dashWall = walls.Percentile(50)
	return run, nil
}

// pagesTable prints the pages' figures for n tickets, before and after the rollups.
func pagesTable(n, calls int, scan, roll pageRun) *table.Table {
	t := table.New(fmt.Sprintf("pages over %d + %d synthetic tickets: server time of each REST call, p50 of %d (%s)", n, n/4, calls, proc.MachineLoad()),
		"page", "call", "scan: round trip", "scan: handler", "rollups: round trip", "rollups: handler", "answer")
	app := func(p pageTiming) string {
		if !p.hasApp {
			return "—"
		}
		return table.Dur(p.app)
	}
	for i, p := range roll.calls {
		sp := scan.calls[i]
		t.Add(p.call.page, p.call.label, table.Dur(sp.rtt), app(sp), table.Dur(p.rtt), app(p), fmt.Sprintf("%d B", p.bytesOut))
	}
	t.Add("dashboard", "all its calls, one after the other", table.Dur(scan.dashSum), "", table.Dur(roll.dashSum), "", "")
	t.Add("dashboard", "all its calls as the page issues them (6 at once)", table.Dur(scan.dashWall), "", table.Dur(roll.dashWall), "", "")
	t.Add("results", "its one call", table.Dur(scan.resultsWall), "", table.Dur(roll.resultsWall), "", "")
	t.Note("round trip: GET over loopback HTTP (token check, access log, ledger evaluations, JSON); handler: the Server-Timing the handler reports.")
	t.Note("dashboard: GET /departments, per department /audit/kpi/series (months of %s..%s) and /audit/escalations (first 100), /audit/overdue (first 100), /audit/exchange-volume; as a dept-a auditor.", pagesFrom, pagesTo)
	t.Note("results: GET /api/v1/public/kpi?year=%s anonymous (a KPI evaluation per department and quarter begun; the year is their sum). scan: before any sweep; rollups: after the sweeps.", pagesYear)
	return t
}
