package workorder

import (
	"fmt"
	"slices"
	"time"

	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/wire"
)

// DateLayout is how calendar days are written ("2026-10-01").
const DateLayout = "2006-01-02"

// MaxCalendarDays bounds each list of a calendar.
const MaxCalendarDays = 2000

// Calendar says which days are working days, in one fixed time zone (government offices
// in China work in UTC+08:00 and there is no daylight saving, so a fixed offset avoids
// depending on the tz database inside chaincode).
//
// A day is a working day if it is listed in Workdays (a make-up working day, 调休上班,
// usually a Saturday or Sunday), else if it is not listed in Holidays and is Monday to Friday.
//
// Version counts the calendars set on the ledger (0 = DefaultCalendar); a ticket keeps
// the version it was created under, so a later calendar changes only later tickets.
// Years names the official schedules (YearSchedule) merged into the lists.
type Calendar struct {
	Version   int         `json:"version"`
	UTCOffset string      `json:"utcOffset"`
	Holidays  []string    `json:"holidays"`
	Workdays  []string    `json:"workdays"`
	Years     []YearEntry `json:"years,omitempty"`
}

// YearEntry is one official schedule merged into a calendar: its year, source and
// the version of the calendar that loaded it.
type YearEntry struct {
	Year     int    `json:"year"`
	Source   Source `json:"source"`
	LoadedIn int    `json:"loadedIn"`
}

// DefaultCalendar is used until the governance organisation sets one: UTC+08:00,
// Monday to Friday, no holidays.
func DefaultCalendar() Calendar {
	return Calendar{UTCOffset: "+08:00", Holidays: []string{}, Workdays: []string{}}
}

// Normalize sorts and de-duplicates the day lists (so what is written is canonical).
func (c *Calendar) Normalize() {
	if c.Holidays == nil {
		c.Holidays = []string{}
	}
	if c.Workdays == nil {
		c.Workdays = []string{}
	}
	slices.Sort(c.Holidays)
	c.Holidays = slices.Compact(c.Holidays)
	slices.Sort(c.Workdays)
	c.Workdays = slices.Compact(c.Workdays)
}

// Validate checks the offset and every day, and that no day is both a holiday and a
// make-up working day, and returns every problem found as wire.FieldErrors. Call
// Normalize first.
func (c Calendar) Validate() error {
	var fe wire.FieldErrors
	if _, err := parseOffset(c.UTCOffset); err != nil {
		fe.Add("utcOffset", "%q is not ±hh:mm", c.UTCOffset)
	}
	for _, l := range []struct {
		field string
		days  []string
	}{{"holidays", c.Holidays}, {"workdays", c.Workdays}} {
		if len(l.days) > MaxCalendarDays {
			fe.Add(l.field, "calendar lists more than %d days", MaxCalendarDays)
			continue
		}
		for _, d := range l.days {
			if t, err := time.Parse(DateLayout, d); err != nil || t.Format(DateLayout) != d {
				fe.Add(l.field, "calendar day %q is not YYYY-MM-DD", d)
			}
		}
	}
	for _, d := range c.Workdays {
		if _, found := slices.BinarySearch(c.Holidays, d); found {
			fe.Add("workdays", "%s is both a holiday and a working day", d)
		}
	}
	return fe.Err()
}

func parseOffset(s string) (*time.Location, error) {
	if s == "Z" || s == "" {
		return time.UTC, nil
	}
	t, err := time.Parse("-07:00", s)
	if err != nil || len(s) != 6 {
		return nil, codes.Wrap(codes.ErrInvalidArgument, "utcOffset %q is not ±hh:mm", s)
	}
	_, off := t.Zone()
	return time.FixedZone("UTC"+s, off), nil
}

func (c Calendar) location() *time.Location {
	loc, err := parseOffset(c.UTCOffset)
	if err != nil {
		return time.UTC
	}
	return loc
}

// DayStart returns 00:00 (in the calendar's zone) of the day holding t, in UTC.
func (c Calendar) DayStart(t time.Time) time.Time {
	l := t.In(c.location())
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, c.location()).UTC()
}

// NextDayStart returns the first 00:00 (in the calendar's zone) after t, in UTC.
func (c Calendar) NextDayStart(t time.Time) time.Time {
	l := t.In(c.location())
	return time.Date(l.Year(), l.Month(), l.Day()+1, 0, 0, 0, 0, c.location()).UTC()
}

// StartOfDay parses a day "YYYY-MM-DD" and returns 00:00 of it in the calendar's zone.
func (c Calendar) StartOfDay(day string) (time.Time, error) {
	d, err := time.Parse(DateLayout, day)
	if err != nil {
		return time.Time{}, codes.Wrap(codes.ErrInvalidArgument, "day %q is not YYYY-MM-DD", day)
	}
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, c.location()).UTC(), nil
}

// IsWorkingDay reports whether the calendar day of t (in the calendar's zone) is a working day.
func (c Calendar) IsWorkingDay(t time.Time) bool { return c.isWorkingDay(t.In(c.location())) }

// isWorkingDay decides for a time already in the calendar's zone.
func (c Calendar) isWorkingDay(local time.Time) bool {
	if len(c.Workdays) > 0 || len(c.Holidays) > 0 {
		d := local.Format(DateLayout)
		if _, ok := slices.BinarySearch(c.Workdays, d); ok {
			return true
		}
		if _, ok := slices.BinarySearch(c.Holidays, d); ok {
			return false
		}
	}
	wd := local.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// WorkingDuration is the working time between a and b: the part of [a, b) that
// falls on working days (whole days in the calendar's zone). It is what AddWorkingDays
// adds: from Friday 15:00, one working day later is Monday 15:00, 24 h of working time.
func (c Calendar) WorkingDuration(a, b time.Time) time.Duration {
	loc := c.location()
	var d time.Duration
	for cur := a.In(loc); cur.Before(b); {
		next := time.Date(cur.Year(), cur.Month(), cur.Day()+1, 0, 0, 0, 0, loc)
		end := next
		if b.Before(end) {
			end = b.In(loc)
		}
		if c.isWorkingDay(cur) {
			d += end.Sub(cur)
		}
		cur = next
	}
	return d
}

// AddWorkingDuration returns the time d of working time after t (non-working days
// do not count). d <= 0 returns t.
func (c Calendar) AddWorkingDuration(t time.Time, d time.Duration) time.Time {
	loc := c.location()
	cur := t.In(loc)
	for d > 0 {
		next := time.Date(cur.Year(), cur.Month(), cur.Day()+1, 0, 0, 0, 0, loc)
		if c.isWorkingDay(cur) {
			if left := next.Sub(cur); d <= left {
				return cur.Add(d).UTC()
			} else {
				d -= left
			}
		}
		cur = next
	}
	return cur.UTC()
}

// AddWorkingDays returns the deadline n working days after t:
//
//   - if t falls on a non-working day the clock starts at 00:00 of the next working day;
//   - the deadline is then the same local time of day on the n-th working day after that day.
//
// So 1 working day from Friday 15:00 is Monday 15:00 (Tuesday 15:00 if Monday is a
// holiday), and from Saturday 10:00 it is Tuesday 00:00, i.e. the end of Monday.
// The result is in UTC. n <= 0 returns the (possibly moved) start.
func (c Calendar) AddWorkingDays(t time.Time, n int) time.Time {
	loc := c.location()
	cur := t.In(loc)
	if !c.isWorkingDay(cur) {
		cur = time.Date(cur.Year(), cur.Month(), cur.Day(), 0, 0, 0, 0, loc)
		for !c.isWorkingDay(cur) {
			cur = cur.AddDate(0, 0, 1)
		}
	}
	for i := 0; i < n; {
		cur = cur.AddDate(0, 0, 1)
		if c.isWorkingDay(cur) {
			i++
		}
	}
	return cur.UTC()
}

// Limits are the SLA of one category, in working days.
type Limits struct {
	RespondDays int `json:"respondDays"`
	ResolveDays int `json:"resolveDays"`
}

// CategorySLA overrides the default limits for one ticket category.
type CategorySLA struct {
	Category    string `json:"category"`
	RespondDays int    `json:"respondDays"`
	ResolveDays int    `json:"resolveDays"`
}

// SLA holds the deadlines: a default and per-category overrides (sorted by category).
type SLA struct {
	Default    Limits        `json:"default"`
	Categories []CategorySLA `json:"categories"`
}

// DefaultSLA: respond within one working day, resolve within five (issue 6).
func DefaultSLA() SLA {
	return SLA{Default: Limits{RespondDays: 1, ResolveDays: 5}, Categories: []CategorySLA{}}
}

// MaxSLADays bounds any limit.
const MaxSLADays = 365

func (l Limits) validate(fe *wire.FieldErrors, field string) {
	if l.RespondDays < 1 || l.ResolveDays < l.RespondDays || l.ResolveDays > MaxSLADays {
		fe.Add(field, "need 1 <= respondDays (%d) <= resolveDays (%d) <= %d", l.RespondDays, l.ResolveDays, MaxSLADays)
	}
}

// Normalize sorts the category overrides.
func (s *SLA) Normalize() {
	if s.Categories == nil {
		s.Categories = []CategorySLA{}
	}
	slices.SortFunc(s.Categories, func(a, b CategorySLA) int {
		switch {
		case a.Category < b.Category:
			return -1
		case a.Category > b.Category:
			return 1
		}
		return 0
	})
}

// Validate checks every limit and that categories are valid and unique, and
// returns every problem found as wire.FieldErrors. Call Normalize first.
func (s SLA) Validate() error {
	var fe wire.FieldErrors
	s.Default.validate(&fe, "default")
	for i, c := range s.Categories {
		field := fmt.Sprintf("categories[%d]", i)
		if !wire.ValidID(c.Category) {
			fe.Add(field, "SLA category %q", c.Category)
		} else if i > 0 && s.Categories[i-1].Category == c.Category {
			fe.Add(field, "SLA category %q listed twice", c.Category)
		}
		(Limits{c.RespondDays, c.ResolveDays}).validate(&fe, field)
	}
	return fe.Err()
}

// For returns the limits of a category.
func (s SLA) For(category string) Limits {
	for _, c := range s.Categories {
		if c.Category == category {
			return Limits{c.RespondDays, c.ResolveDays}
		}
	}
	return s.Default
}
