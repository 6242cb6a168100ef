package workorder

import (
	"errors"
	"testing"
	"time"

	"github.com/certledger/certledger/internal/domain/wire"
)

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// 2026-11-27 is a Friday. Local times are UTC+08:00.
func TestAddWorkingDays(t *testing.T) {
	plain := DefaultCalendar()
	cal := Calendar{
		UTCOffset: "+08:00",
		Holidays:  []string{"2026-12-01", "2027-01-01"}, // a Tuesday, a Friday
		Workdays:  []string{"2026-12-05"},               // a Saturday worked in lieu
	}
	cal.Normalize()
	if err := cal.Validate(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cal  Calendar
		from string
		n    int
		want string
	}{
		{"same day n=0", plain, "2026-11-26T02:00:00Z", 0, "2026-11-26T02:00:00Z"},
		{"Thu 10:00 +1 = Fri 10:00", plain, "2026-11-26T02:00:00Z", 1, "2026-11-27T02:00:00Z"},
		{"Fri 15:00 +1 = Mon 15:00 (weekend skipped)", plain, "2026-11-27T07:00:00Z", 1, "2026-11-30T07:00:00Z"},
		{"Fri 15:00 +5 = next Fri 15:00", plain, "2026-11-27T07:00:00Z", 5, "2026-12-04T07:00:00Z"},
		{"Sat 10:00 +1 = Tue 00:00 (end of Monday)", plain, "2026-11-28T02:00:00Z", 1, "2026-11-30T16:00:00Z"},
		{"Fri 20:00Z is Sat 04:00 local: +1 = Tue 00:00 local", plain, "2026-11-27T20:00:00Z", 1, "2026-11-30T16:00:00Z"},
		{"Thu 23:30Z is Fri 07:30 local: +1 = Mon 07:30 local", plain, "2026-11-26T23:30:00Z", 1, "2026-11-29T23:30:00Z"},
		{"Sat n=0 moves to Mon 00:00", plain, "2026-11-28T02:00:00Z", 0, "2026-11-29T16:00:00Z"},
		{"Fri 15:00 +1, Mon working = Mon 15:00", cal, "2026-11-27T07:00:00Z", 1, "2026-11-30T07:00:00Z"},
		{"Mon 15:00 +1 skips Tue holiday = Wed 15:00", cal, "2026-11-30T07:00:00Z", 1, "2026-12-02T07:00:00Z"},
		{"Fri 15:00 +5 over holiday, make-up Sat counts = Sat 12-05 15:00", cal, "2026-11-27T07:00:00Z", 5, "2026-12-05T07:00:00Z"},
		{"submitted on the holiday itself: clock starts Wed 00:00", cal, "2026-12-01T02:00:00Z", 1, "2026-12-02T16:00:00Z"},
		{"make-up Sat 10:00 +1 = Mon 10:00", cal, "2026-12-05T02:00:00Z", 1, "2026-12-07T02:00:00Z"},
		{"Thu 12-31 +1 skips New Year Fri and weekend = Mon 01-04", cal, "2026-12-31T02:00:00Z", 1, "2027-01-04T02:00:00Z"},
		{"UTC calendar: Fri 23:00Z +1 = Mon 23:00Z", Calendar{UTCOffset: "Z"}, "2026-11-27T23:00:00Z", 1, "2026-11-30T23:00:00Z"},
	}
	for _, tc := range tests {
		got := wire.FormatSecond(tc.cal.AddWorkingDays(mustTime(t, tc.from), tc.n))
		if got != tc.want {
			t.Errorf("%s: AddWorkingDays(%s, %d) = %s, want %s", tc.name, tc.from, tc.n, got, tc.want)
		}
	}
}

func TestIsWorkingDay(t *testing.T) {
	cal := Calendar{UTCOffset: "+08:00", Holidays: []string{"2026-12-01"}, Workdays: []string{"2026-12-05"}}
	tests := map[string]bool{
		"2026-11-27T02:00:00Z": true,  // Fri
		"2026-11-28T02:00:00Z": false, // Sat
		"2026-11-29T02:00:00Z": false, // Sun
		"2026-11-30T02:00:00Z": true,  // Mon
		"2026-12-01T02:00:00Z": false, // holiday
		"2026-11-30T17:00:00Z": false, // Tue 01:00 local: holiday
		"2026-12-05T02:00:00Z": true,  // make-up Saturday
	}
	for at, want := range tests {
		if got := cal.IsWorkingDay(mustTime(t, at)); got != want {
			t.Errorf("IsWorkingDay(%s) = %v, want %v", at, got, want)
		}
	}
}

func TestCalendarValidate(t *testing.T) {
	tests := []struct {
		name string
		cal  Calendar
		ok   bool
	}{
		{"default", DefaultCalendar(), true},
		{"negative offset", Calendar{UTCOffset: "-05:30"}, true},
		{"bad offset", Calendar{UTCOffset: "+8"}, false},
		{"bad day", Calendar{UTCOffset: "+08:00", Holidays: []string{"2026-13-01"}}, false},
		{"not padded", Calendar{UTCOffset: "+08:00", Holidays: []string{"2026-1-01"}}, false},
		{"both", Calendar{UTCOffset: "+08:00", Holidays: []string{"2026-10-10"}, Workdays: []string{"2026-10-10"}}, false},
	}
	for _, tc := range tests {
		c := tc.cal
		c.Normalize()
		err := c.Validate()
		if tc.ok != (err == nil) || (err != nil && !errors.Is(err, ErrInvalid)) {
			t.Errorf("%s: err = %v", tc.name, err)
		}
	}
}

func TestSLA(t *testing.T) {
	s := SLA{Default: Limits{1, 5}, Categories: []CategorySLA{{"noise", 1, 3}, {"housing", 2, 10}}}
	s.Normalize()
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if s.Categories[0].Category != "housing" {
		t.Errorf("not sorted: %+v", s.Categories)
	}
	if got := s.For("noise"); got != (Limits{1, 3}) {
		t.Errorf("noise: %+v", got)
	}
	if got := s.For("other"); got != (Limits{1, 5}) {
		t.Errorf("default: %+v", got)
	}
	bad := []SLA{
		{Default: Limits{0, 5}},
		{Default: Limits{3, 2}},
		{Default: Limits{1, 400}},
		{Default: Limits{1, 5}, Categories: []CategorySLA{{"a", 1, 2}, {"a", 1, 3}}},
		{Default: Limits{1, 5}, Categories: []CategorySLA{{"a/b", 1, 2}}},
	}
	for i, b := range bad {
		b.Normalize()
		if err := b.Validate(); !errors.Is(err, ErrInvalid) {
			t.Errorf("bad[%d]: err = %v", i, err)
		}
	}
}

func TestDayStart(t *testing.T) {
	cal := DefaultCalendar() // UTC+08:00
	tests := []struct{ at, start, next string }{
		{"2026-11-27T15:59:59Z", "2026-11-26T16:00:00Z", "2026-11-27T16:00:00Z"}, // Fri 23:59:59 local
		{"2026-11-27T16:00:00Z", "2026-11-27T16:00:00Z", "2026-11-28T16:00:00Z"}, // Sat 00:00 local
		{"2026-12-31T20:00:00Z", "2026-12-31T16:00:00Z", "2027-01-01T16:00:00Z"},
	}
	for _, tc := range tests {
		at := mustTime(t, tc.at)
		if got := wire.FormatSecond(cal.DayStart(at)); got != tc.start {
			t.Errorf("DayStart(%s) = %s, want %s", tc.at, got, tc.start)
		}
		if got := wire.FormatSecond(cal.NextDayStart(at)); got != tc.next {
			t.Errorf("NextDayStart(%s) = %s, want %s", tc.at, got, tc.next)
		}
	}
	if d, err := cal.StartOfDay("2026-11-01"); err != nil || wire.FormatSecond(d) != "2026-10-31T16:00:00Z" {
		t.Errorf("StartOfDay: %v %v", d, err)
	}
}
