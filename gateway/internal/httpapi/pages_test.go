package httpapi

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/certledger/certledger/internal/domain/period"
	"github.com/certledger/certledger/internal/domain/workorder"
	"github.com/certledger/certledger/loadtest/record"
)

func TestKPISpans(t *testing.T) {
	loc := period.MustZone(period.DefaultZone)
	day := func(s string) time.Time {
		d, err := time.ParseInLocation(period.DateLayout, s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	for _, c := range []struct {
		size, from, to string
		want           []string // label from..to
		firstStart     string   // RFC 3339 UTC of the first span's start
	}{
		{"month", "2026-01-15", "2026-03-31", []string{"2026-01 2026-01-15..2026-01-31", "2026-02 2026-02-01..2026-02-28", "2026-03 2026-03-01..2026-03-31"}, "2026-01-14T16:00:00Z"},
		{"quarter", "2026-01-01", "2026-12-31", []string{"2026-Q1 2026-01-01..2026-03-31", "2026-Q2 2026-04-01..2026-06-30", "2026-Q3 2026-07-01..2026-09-30", "2026-Q4 2026-10-01..2026-12-31"}, "2025-12-31T16:00:00Z"},
		// 2026-01-01 is a Thursday: ISO week 1 of 2026 is Mon 2025-12-29 .. Sun 2026-01-04, clipped.
		{"week", "2026-01-01", "2026-01-12", []string{"2026-W01 2026-01-01..2026-01-04", "2026-W02 2026-01-05..2026-01-11", "2026-W03 2026-01-12..2026-01-12"}, "2025-12-31T16:00:00Z"},
		{"week", "2026-12-28", "2027-01-03", []string{"2026-W53 2026-12-28..2027-01-03"}, "2026-12-27T16:00:00Z"},
		{"month", "2026-05-07", "2026-05-07", []string{"2026-05 2026-05-07..2026-05-07"}, "2026-05-06T16:00:00Z"},
	} {
		got := kpiSpans(day(c.from), day(c.to), c.size, loc)
		var labels []string
		for _, s := range got {
			labels = append(labels, s.Label+" "+s.From+".."+s.To)
		}
		if len(labels) != len(c.want) {
			t.Errorf("%s %s..%s: %q, want %q", c.size, c.from, c.to, labels, c.want)
			continue
		}
		for i := range labels {
			if labels[i] != c.want[i] {
				t.Errorf("%s %s..%s: span %d %q, want %q", c.size, c.from, c.to, i, labels[i], c.want[i])
			}
			// Spans tile the period: each ends where the next starts, the last at the day after to.
			if i+1 < len(got) && !got[i].end.Equal(got[i+1].start) {
				t.Errorf("%s: span %d ends %s, next starts %s", c.size, i, got[i].end, got[i+1].start)
			}
		}
		if s := period.Wire(got[0].start); s != c.firstStart {
			t.Errorf("%s %s: first start %s, want %s", c.size, c.from, s, c.firstStart)
		}
		if !got[len(got)-1].end.Equal(day(c.to).AddDate(0, 0, 1)) {
			t.Errorf("%s %s..%s: last end %s", c.size, c.from, c.to, got[len(got)-1].end)
		}
	}
}

// TestSumKPIs: the year the results page shows is its quarters' sum; the sum of two
// periods' KPIs equals the KPI computed over their union from the same tickets.
func TestSumKPIs(t *testing.T) {
	var tickets []workorder.Ticket
	var acc []workorder.Accountability
	for i := range 3000 { // every 4 minutes from 2026-01-05 to 2026-01-13
		r, err := record.Ticket("dept-a", i)
		if err != nil {
			t.Fatal(err)
		}
		tickets, acc = append(tickets, r.Ticket), append(acc, r.Accountability...)
	}
	const asOf = "2026-12-01T00:00:00Z"
	bounds := []string{"2025-12-31T16:00:00Z", "2026-01-08T16:00:00Z", "2026-01-31T16:00:00Z"} // 2026-01-01, -09, -31 (+08:00)
	var qs []workorder.KPI
	for i := 0; i+1 < len(bounds); i++ {
		qs = append(qs, workorder.ComputeKPI("dept-a", bounds[i], bounds[i+1], asOf, tickets, acc))
	}
	whole := workorder.ComputeKPI("dept-a", bounds[0], bounds[len(bounds)-1], asOf, tickets, acc)
	got := sumKPIs("dept-a", qs)
	a, _ := json.Marshal(got)
	b, _ := json.Marshal(whole)
	if string(a) != string(b) {
		t.Errorf("sum of quarters\n%s\nwhole period\n%s", a, b)
	}
	if qs[0].Received == 0 || qs[1].Received == 0 {
		t.Errorf("the tickets do not span both periods: %d, %d", qs[0].Received, qs[1].Received)
	}
}
