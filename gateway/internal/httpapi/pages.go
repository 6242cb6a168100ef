package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/certledger/certledger/gateway/internal/access"
	"github.com/certledger/certledger/internal/domain/period"
	"github.com/certledger/certledger/internal/domain/registry"
	"github.com/certledger/certledger/internal/domain/workorder"
)

// The REST routes behind the three pages of package gateway/web: the auditor's
// dashboard (KPI series, escalations, exchange volume), the public results page
// (aggregate KPIs by quarter, anonymous) and the citizen's progress page (one
// ticket's state and history, opened by its reporter commitment). What the
// anonymous public may read of them is decided by package access (public.go).
func (s *Server) registerPages(r *Router) {
	r.Add(Route{Pattern: "GET /api/v1/public/kpi", Public: true, Handler: s.publicKPI})
	r.Add(Route{Pattern: "GET /api/v1/tickets/{id}/progress", Public: true, Handler: s.ticketProgress})
	r.Add(Route{Pattern: "GET /api/v1/audit/kpi/series", Handler: s.kpiSeries})
	r.Add(Route{Pattern: "GET /api/v1/audit/escalations", Handler: s.departmentPeriodRead("escalations", "workorder:Escalations", true)})
	r.Add(Route{Pattern: "GET /api/v1/audit/exchange-volume", Handler: s.exchangeSummary})
}

// pageWorkers bounds the ledger evaluations one page request runs at once.
const pageWorkers = 4

// maxSeriesPoints bounds the buckets of one KPI series (two years of weeks).
const maxSeriesPoints = 106

// serverTiming reports the handler's own time in a Server-Timing header (the
// load tool and the browser's developer tools read it).
func serverTiming(w http.ResponseWriter, start time.Time) {
	w.Header().Set("Server-Timing", fmt.Sprintf("app;dur=%.1f", float64(time.Since(start).Microseconds())/1000))
}

// kpiSpan is one point of a series: the days [From, To] (inclusive, in the
// deployment's zone) and its label.
type kpiSpan struct {
	Label string `json:"label"`
	From  string `json:"from"`
	To    string `json:"to"`
	start time.Time
	end   time.Time // exclusive: 00:00 of the day after To
}

// kpiSpans splits the days from..to (inclusive dates in loc) into weeks (ISO,
// Monday first), months or quarters, the first and last clipped to the period.
func kpiSpans(from, to time.Time, size string, loc *time.Location) []kpiSpan {
	var out []kpiSpan
	day := func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc) }
	end := day(to).AddDate(0, 0, 1)
	for cur := day(from); cur.Before(end); {
		var start, next time.Time
		var label string
		switch size {
		case "week":
			start = cur.AddDate(0, 0, -((int(cur.Weekday()) + 6) % 7))
			next = start.AddDate(0, 0, 7)
			y, w := start.ISOWeek()
			label = fmt.Sprintf("%d-W%02d", y, w)
		case "month":
			start = time.Date(cur.Year(), cur.Month(), 1, 0, 0, 0, 0, loc)
			next = start.AddDate(0, 1, 0)
			label = start.Format("2006-01")
		default: // quarter
			q := (int(cur.Month()) - 1) / 3
			start = time.Date(cur.Year(), time.Month(q*3+1), 1, 0, 0, 0, 0, loc)
			next = start.AddDate(0, 3, 0)
			label = fmt.Sprintf("%d-Q%d", cur.Year(), q+1)
		}
		b := kpiSpan{Label: label, start: cur, end: next}
		if end.Before(next) {
			b.end = end
		}
		b.From, b.To = b.start.Format(period.DateLayout), b.end.AddDate(0, 0, -1).Format(period.DateLayout)
		out = append(out, b)
		cur = next
	}
	return out
}

// dateRange reads from and to as dates (YYYY-MM-DD, inclusive, required).
func (s *Server) dateRange(r *http.Request, c *checks) (from, to time.Time) {
	v := r.URL.Query()
	parse := func(k string) time.Time {
		x := v.Get(k)
		if !period.IsDate(x) {
			c.add(k, "want a date YYYY-MM-DD (inclusive days in %s)", s.opts.TimeZone)
			return time.Time{}
		}
		d, _ := time.ParseInLocation(period.DateLayout, x, s.opts.TimeZone)
		return d
	}
	from, to = parse("from"), parse("to")
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		c.add("to", "is before from")
	}
	return from, to
}

// kpis evaluates workorder:KPI of dept for each bucket, pageWorkers at a time.
func (s *Server) kpis(ctx context.Context, org, dept string, bs []kpiSpan) ([]workorder.KPI, error) {
	out := make([]workorder.KPI, len(bs))
	errs := make([]error, len(bs))
	sem := make(chan struct{}, pageWorkers)
	var wg sync.WaitGroup
	for i, b := range bs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			raw, err := s.ledger.Evaluate(ctx, org, "workorder:KPI", dept, period.Wire(b.start), period.Wire(b.end))
			if err == nil {
				err = json.Unmarshal(raw, &out[i])
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// KPIPoint is one bucket of a KPI series.
type KPIPoint struct {
	kpiSpan
	KPI workorder.KPI `json:"kpi"`
}

// KPISeries is GET /api/v1/audit/kpi/series.
type KPISeries struct {
	Department string     `json:"department"`
	Bucket     string     `json:"bucket"`
	From       string     `json:"from"`
	To         string     `json:"to"`
	TimeZone   string     `json:"timeZone"`
	Points     []KPIPoint `json:"points"`
}

func (s *Server) kpiSeries(w http.ResponseWriter, r *http.Request) error {
	t0 := time.Now()
	v := r.URL.Query()
	var c checks
	dept, size := v.Get("department"), v.Get("bucket")
	c.dept("department", dept, true)
	if size == "" {
		size = "month"
	}
	c.oneOf("bucket", size, "week", "month", "quarter")
	from, to := s.dateRange(r, &c)
	if err := c.err(); err != nil {
		return err
	}
	bs := kpiSpans(from, to, size, s.opts.TimeZone)
	if len(bs) > maxSeriesPoints {
		c.add("from, to", "%d %ss is more than %d points: choose a shorter period or a larger bucket", len(bs), size, maxSeriesPoints)
		return c.err()
	}
	audit(r, "kpi/series?"+r.URL.RawQuery)
	if err := s.authorizeDept(r, dept); err != nil {
		return err
	}
	ks, err := s.kpis(r.Context(), s.org(r), dept, bs)
	if err != nil {
		return err
	}
	out := KPISeries{Department: dept, Bucket: size, From: v.Get("from"), To: v.Get("to"), TimeZone: s.opts.TimeZone.String(),
		Points: make([]KPIPoint, len(bs))}
	for i := range bs {
		out.Points[i] = KPIPoint{kpiSpan: bs[i], KPI: ks[i]}
	}
	serverTiming(w, t0)
	return writeJSON(w, http.StatusOK, out)
}

// PublicDepartment is one department's row of the public results.
type PublicDepartment struct {
	ID       string              `json:"id"`
	Name     string              `json:"name"`
	Quarters []*access.PublicKPI `json:"quarters"` // Q1..Q4; null for a quarter not begun
	Year     *access.PublicKPI   `json:"year"`     // the year so far
}

// PublicResults is GET /api/v1/public/kpi.
type PublicResults struct {
	Year        int                `json:"year"`
	TimeZone    string             `json:"timeZone"`
	Quarters    []kpiSpan          `json:"quarters"`
	Targets     map[string]float64 `json:"targets"`
	Departments []PublicDepartment `json:"departments"`
}

// publicKPI answers the public results page: every active department's KPI for
// each quarter of a year that has begun and for the year so far (their sum), as
// aggregates only (access.Aggregate).
func (s *Server) publicKPI(w http.ResponseWriter, r *http.Request) error {
	t0 := time.Now()
	var c checks
	now := s.opts.Now().In(s.opts.TimeZone)
	year := now.Year()
	if y := r.URL.Query().Get("year"); y != "" {
		n, err := strconv.Atoi(y)
		if err != nil || n < 2000 || n > 2100 {
			c.add("year", "want a year from 2000 to 2100")
		}
		year = n
	}
	if err := c.err(); err != nil {
		return err
	}
	audit(r, "public/kpi?"+r.URL.RawQuery)
	loc := s.opts.TimeZone
	first := time.Date(year, 1, 1, 0, 0, 0, 0, loc)
	qs := kpiSpans(first, first.AddDate(1, 0, -1), "quarter", loc)
	raw, err := s.ledger.Evaluate(r.Context(), s.opts.DefaultOrg, "registry:ListDepartments")
	if err != nil {
		return err
	}
	var depts []registry.Department
	if err := json.Unmarshal(raw, &depts); err != nil {
		return fmt.Errorf("decoding departments from ledger: %w", err)
	}
	// The quarters begun (the year so far is their sum).
	var begun []kpiSpan
	for _, q := range qs {
		if q.start.Before(now) || q.start.Equal(now) {
			begun = append(begun, q)
		}
	}
	out := PublicResults{Year: year, TimeZone: loc.String(), Quarters: qs, Departments: []PublicDepartment{},
		Targets: map[string]float64{"response": workorder.TargetResponse, "resolution": workorder.TargetResolution, "satisfaction": workorder.TargetSatisfaction}}
	if len(begun) > 0 {
		for _, d := range depts {
			if d.Status != "" && d.Status != registry.StatusActive {
				continue
			}
			ks, err := s.kpis(r.Context(), s.opts.DefaultOrg, d.ID, begun)
			if err != nil {
				return err
			}
			row := PublicDepartment{ID: d.ID, Name: d.Name, Quarters: make([]*access.PublicKPI, len(qs))}
			for i := range begun {
				a := access.Aggregate(ks[i])
				row.Quarters[i] = &a
			}
			y := access.Aggregate(sumKPIs(d.ID, ks))
			row.Year = &y
			out.Departments = append(out.Departments, row)
		}
	}
	serverTiming(w, t0)
	return writeJSON(w, http.StatusOK, out)
}

// sumKPIs is the KPI of the union of consecutive periods, from theirs: the counts
// of disjoint periods add up (workorder.Counts), so the year is its quarters' sum and
// costs no second pass over the ledger.
func sumKPIs(dept string, ks []workorder.KPI) workorder.KPI {
	acc := workorder.NewKPIAccumulator(dept, ks[0].From, ks[len(ks)-1].To, ks[len(ks)-1].AsOf)
	for _, k := range ks {
		acc.AddCounts(workorder.Counts{
			Received:          k.Received,
			ResponseOnTime:    k.Response.Numerator,
			ResponseLate:      k.Response.Denominator - k.Response.Numerator,
			ResponsePending:   k.ResponsePending,
			ResolutionOnTime:  k.Resolution.Numerator,
			ResolutionLate:    k.Resolution.Denominator - k.Resolution.Numerator,
			ResolutionPending: k.ResolutionPending,
			Rated:             k.Satisfaction.Denominator,
			Satisfied:         k.Satisfaction.Numerator,
			AutoClosedUnrated: k.AutoClosedUnrated,
			Overdue:           k.Overdue,
			Accountability:    k.Accountability,
			Unsatisfied:       k.Unsatisfied,
			Reopened:          k.Reopened,
		})
	}
	return acc.Result()
}

// TicketCitizenProgress is GET /api/v1/tickets/{id}/progress: what the reporter
// reads of the ticket (access.Progress) and the zone its times are shown in.
type TicketCitizenProgress struct {
	access.Progress
	TimeZone string `json:"timeZone"`
}

// ticketProgress answers the citizen's progress page: the ticket and its history
// without identities (access.CitizenProgress). Anonymous callers give
// ?commitment= (the reporter commitment); callers with a token must be allowed to
// read the ticket, as for its trace.
func (s *Server) ticketProgress(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	audit(r, "ticket/"+id+"/progress")
	_, raw, err := s.streamableTicket(r, id)
	if err != nil {
		return err
	}
	var t workorder.Ticket
	if err := json.Unmarshal(raw, &t); err != nil {
		return fmt.Errorf("decoding ticket %s from ledger: %w", id, err)
	}
	traw, err := s.ledger.Evaluate(r.Context(), s.org(r), "workorder:Trace", id)
	if err != nil {
		return err
	}
	var trace []workorder.Transition
	if err := json.Unmarshal(traw, &trace); err != nil {
		return fmt.Errorf("decoding trace of %s from ledger: %w", id, err)
	}
	return writeJSON(w, http.StatusOK, TicketCitizenProgress{Progress: access.CitizenProgress(t, trace), TimeZone: s.opts.TimeZone.String()})
}

// maxSummaryPages bounds the exchange pages (500 each) one summary reads.
const maxSummaryPages = 200

// ExchangeVolume is one department's exchanges in a period.
type ExchangeVolume struct {
	Department   string `json:"department"`
	Sent         int    `json:"sent"`         // as provider
	Received     int    `json:"received"`     // as consumer
	Acknowledged int    `json:"acknowledged"` // of those sent
	Rejected     int    `json:"rejected"`     // of those sent: refused by the consumer
	Pending      int    `json:"pending"`      // of those sent: not answered yet
	Refused      int    `json:"refused"`      // of those received: refused by this department
}

// ExchangeSummary is GET /api/v1/audit/exchange-volume.
type ExchangeSummary struct {
	From        string           `json:"from"`
	To          string           `json:"to"`
	Exchanges   int              `json:"exchanges"`
	Truncated   bool             `json:"truncated"` // more than maxSummaryPages pages: the counts are of the first ones
	Departments []ExchangeVolume `json:"departments"`
}

// exchangeSummary counts the exchanges of a period by department and status.
// Those who see all count every exchange; a department counts its own (as provider
// or consumer).
func (s *Server) exchangeSummary(w http.ResponseWriter, r *http.Request) error {
	t0 := time.Now()
	var c checks
	from, to := s.period(r, &c, true)
	if err := c.err(); err != nil {
		return err
	}
	audit(r, "exchange-volume?"+r.URL.RawQuery)
	var queries []map[string]any
	if s.seesAll(r) {
		queries = append(queries, map[string]any{})
	} else {
		d := caller(r).Department
		queries = append(queries, map[string]any{"provider": d}, map[string]any{"consumer": d})
	}
	out := ExchangeSummary{From: from, To: to, Departments: []ExchangeVolume{}}
	byDept := map[string]*ExchangeVolume{}
	vol := func(d string) *ExchangeVolume {
		if byDept[d] == nil {
			byDept[d] = &ExchangeVolume{Department: d}
		}
		return byDept[d]
	}
	seen := map[string]bool{}
	for _, q := range queries {
		q["from"], q["to"], q["pageSize"] = from, to, 500
		for pages := 0; ; pages++ {
			if pages == maxSummaryPages {
				out.Truncated = true
				break
			}
			raw, err := s.ledger.Evaluate(r.Context(), s.org(r), "exchange:ListExchanges", mustJSON(q))
			if err != nil {
				return err
			}
			var p struct {
				Records []struct {
					ID       string `json:"id"`
					Provider string `json:"provider"`
					Consumer string `json:"consumer"`
					Status   string `json:"status"`
				} `json:"records"`
				Bookmark string `json:"bookmark"`
			}
			if err := json.Unmarshal(raw, &p); err != nil {
				return fmt.Errorf("decoding exchanges from ledger: %w", err)
			}
			for _, e := range p.Records {
				if seen[e.ID] {
					continue
				}
				seen[e.ID] = true
				out.Exchanges++
				pv := vol(e.Provider)
				pv.Sent++
				cv := vol(e.Consumer)
				cv.Received++
				switch e.Status {
				case "acknowledged":
					pv.Acknowledged++
				case "rejected":
					pv.Rejected++
					cv.Refused++
				default:
					pv.Pending++
				}
			}
			if p.Bookmark == "" {
				break
			}
			q["bookmark"] = p.Bookmark
		}
	}
	own := caller(r)
	for _, d := range slices.Sorted(maps.Keys(byDept)) {
		if s.seesAll(r) || d == own.Department { // a department reads its own row only
			out.Departments = append(out.Departments, *byDept[d])
		}
	}
	serverTiming(w, t0)
	return writeJSON(w, http.StatusOK, out)
}
