package workorder

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/wire"
)

// YearSchedule is one year's official schedule of public holidays and make-up
// working days (调休), as the State Council General Office publishes it each autumn
// (国务院办公厅关于<year>年部分节假日安排的通知). It is the format of
// data/calendar/<year>.json and of workorder:LoadCalendarYear (docs/calendar.md).
//
// Each holiday period is written as the notice writes it: "1月28日至2月4日放假调休，
// 共8天。1月26日（周日）、2月8日（周六）上班" becomes
// {"name":"春节","from":"2025-01-28","to":"2025-02-04","workdays":["2025-01-26","2025-02-08"]}.
// Every day from..to (inclusive) is a holiday; each workday is a Saturday or Sunday
// worked in exchange.
type YearSchedule struct {
	Year      int       `json:"year"`
	UTCOffset string    `json:"utcOffset"`
	Source    Source    `json:"source"`
	Holidays  []Holiday `json:"holidays"`
}

// Source is where a schedule comes from: the notice's title, number, date and URL.
type Source struct {
	Title     string `json:"title"`
	Number    string `json:"number"`
	Published string `json:"published"`
	URL       string `json:"url"`
	Note      string `json:"note,omitempty"`
}

// Holiday is one holiday period and the make-up working days that go with it.
type Holiday struct {
	Name     string   `json:"name"`
	From     string   `json:"from"`
	To       string   `json:"to"`
	Days     int      `json:"days"`
	Workdays []string `json:"workdays"`
}

// Schedule limits.
const (
	MinScheduleYear   = 2000
	MaxScheduleYear   = 2100
	MaxHolidayPeriods = 20
	MaxHolidaySpan    = 15 // days in one period
	maxSourceText     = 300
)

// day checks one YYYY-MM-DD day of the schedule.
func day(fe *wire.FieldErrors, field, s string) (time.Time, bool) {
	d, err := time.Parse(DateLayout, s)
	if err != nil || d.Format(DateLayout) != s {
		fe.Add(field, "%q is not YYYY-MM-DD", s)
		return time.Time{}, false
	}
	return d, true
}

// Days expands the schedule: every holiday day and every make-up working day, each
// sorted. It checks the schedule: the year, the source (title, number and an https
// URL are required, so every schedule can be cited), each period (a name, from <= to,
// at most MaxHolidaySpan days, "days" equal to the span, days within a month of the
// year), each make-up day (a Saturday or Sunday, not a holiday), and no day twice.
// Every problem found is returned at once as wire.FieldErrors.
func (y YearSchedule) Days() (holidays, workdays []string, err error) {
	var fe wire.FieldErrors
	y.checkHeader(&fe)
	if len(y.Holidays) == 0 || len(y.Holidays) > MaxHolidayPeriods {
		fe.Add("holidays", "%d holiday periods (want 1..%d)", len(y.Holidays), MaxHolidayPeriods)
		return nil, nil, fe.Err()
	}
	seen := map[string]string{} // day -> what it is (lookups only)
	for i, h := range y.Holidays {
		hol, work := y.period(&fe, fmt.Sprintf("holidays[%d]", i), h, seen)
		holidays = append(holidays, hol...)
		workdays = append(workdays, work...)
	}
	if err := fe.Err(); err != nil {
		return nil, nil, err
	}
	slices.Sort(holidays)
	slices.Sort(workdays)
	return holidays, workdays, nil
}

// checkHeader checks the year, the offset and the source.
func (y YearSchedule) checkHeader(fe *wire.FieldErrors) {
	if y.Year < MinScheduleYear || y.Year > MaxScheduleYear {
		fe.Add("year", "year %d (want %d..%d)", y.Year, MinScheduleYear, MaxScheduleYear)
	}
	if _, err := parseOffset(y.UTCOffset); err != nil || y.UTCOffset == "" {
		fe.Add("utcOffset", "%q is not ±hh:mm", y.UTCOffset)
	}
	for _, f := range []struct{ name, v string }{{"source.title", y.Source.Title}, {"source.number", y.Source.Number}, {"source.url", y.Source.URL}} {
		if strings.TrimSpace(f.v) == "" || len(f.v) > maxSourceText {
			fe.Add(f.name, "is required (at most %d bytes): cite the notice", maxSourceText)
		}
	}
	if y.Source.URL != "" && !strings.HasPrefix(y.Source.URL, "https://") {
		fe.Add("source.url", "%q must be an https URL", y.Source.URL)
	}
	if len(y.Source.Note) > 4*maxSourceText {
		fe.Add("source.note", "is longer than %d bytes", 4*maxSourceText)
	}
	if y.Source.Published != "" {
		day(fe, "source.published", y.Source.Published)
	}
}

// period checks one holiday period (field names it, e.g. "holidays[2]") and returns
// its holiday and make-up days; seen holds the days listed so far.
func (y YearSchedule) period(fe *wire.FieldErrors, at string, h Holiday, seen map[string]string) (holidays, workdays []string) {
	lo := time.Date(y.Year-1, 12, 1, 0, 0, 0, 0, time.UTC)
	hi := time.Date(y.Year+1, 2, 1, 0, 0, 0, 0, time.UTC)
	yearOK := y.Year >= MinScheduleYear && y.Year <= MaxScheduleYear // else "year" already says so
	inRange := func(field string, d time.Time) bool {
		if yearOK && (d.Before(lo) || !d.Before(hi)) {
			fe.Add(field, "%s is not within a month of %d", d.Format(DateLayout), y.Year)
			return false
		}
		return true
	}
	if strings.TrimSpace(h.Name) == "" || len(h.Name) > maxSourceText {
		fe.Add(at+".name", "is required (at most %d bytes)", maxSourceText)
	}
	from, okFrom := day(fe, at+".from", h.From)
	to, okTo := day(fe, at+".to", h.To)
	if okFrom && okTo {
		span := int(to.Sub(from).Hours()/24) + 1
		switch {
		case span < 1 || span > MaxHolidaySpan:
			fe.Add(at, "%s runs %s..%s: want from <= to and at most %d days", h.Name, h.From, h.To, MaxHolidaySpan)
		case h.Days != span:
			fe.Add(at+".days", "%s says %d days but %s..%s is %d", h.Name, h.Days, h.From, h.To, span)
		}
		for d := from; span <= MaxHolidaySpan && !d.After(to); d = d.AddDate(0, 0, 1) {
			if !inRange(at, d) {
				break
			}
			s := d.Format(DateLayout)
			if prev, dup := seen[s]; dup {
				fe.Add(at, "%s is listed twice (%s and %s)", s, prev, h.Name)
				continue
			}
			seen[s] = h.Name
			holidays = append(holidays, s)
		}
	}
	for _, w := range h.Workdays {
		d, ok := day(fe, at+".workdays", w)
		if !ok || !inRange(at+".workdays", d) {
			continue
		}
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			fe.Add(at+".workdays", "make-up working day %s (%s) is a %s; only a Saturday or Sunday needs listing", w, h.Name, wd)
		}
		if prev, dup := seen[w]; dup {
			fe.Add(at+".workdays", "%s is listed twice (%s and %s)", w, prev, h.Name)
			continue
		}
		seen[w] = h.Name + " (make-up working day)"
		workdays = append(workdays, w)
	}
	return holidays, workdays
}

// Merge returns the calendar c with schedule y in place of any earlier schedule of
// the same year (prev, nil if none): prev's days are taken out, y's put in, y is
// listed in Years, and the version is c.Version+1. c is not modified.
func (c Calendar) Merge(y YearSchedule, prev *YearSchedule) (Calendar, error) {
	hol, work, err := y.Days()
	if err != nil {
		return Calendar{}, err
	}
	if c.UTCOffset != y.UTCOffset && (c.Version != 0 || len(c.Holidays) != 0 || len(c.Workdays) != 0) {
		return Calendar{}, codes.Wrap(codes.ErrInvalidArgument, "schedule utcOffset %s differs from the calendar's %s", y.UTCOffset, c.UTCOffset)
	}
	out := Calendar{Version: c.Version + 1, UTCOffset: y.UTCOffset}
	var oldHol, oldWork []string
	if prev != nil {
		if oldHol, oldWork, err = prev.Days(); err != nil {
			return Calendar{}, codes.Prefix(err, "the stored %d schedule", prev.Year)
		}
	}
	keep := func(list []string, drops ...[]string) []string {
		out := []string{}
		for _, d := range list {
			found := false
			for _, drop := range drops {
				_, in := slices.BinarySearch(drop, d)
				found = found || in
			}
			if !found {
				out = append(out, d)
			}
		}
		return out
	}
	// prev's days go; a day the new schedule names wins over what another year's said.
	out.Holidays = append(keep(c.Holidays, oldHol, work), hol...)
	out.Workdays = append(keep(c.Workdays, oldWork, hol), work...)
	out.Normalize()
	for _, e := range c.Years {
		if e.Year != y.Year {
			out.Years = append(out.Years, e)
		}
	}
	out.Years = append(out.Years, YearEntry{Year: y.Year, Source: y.Source, LoadedIn: out.Version})
	slices.SortFunc(out.Years, func(a, b YearEntry) int { return a.Year - b.Year })
	if err := out.Validate(); err != nil {
		return Calendar{}, err
	}
	return out, nil
}
