package workorder

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/testkit"
)

// loadShipped reads data/calendar/<year>.json, the schedules certledger ships.
func loadShipped(t *testing.T, year string) YearSchedule {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "data", "calendar", year+".json"))
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	var y YearSchedule
	if err := dec.Decode(&y); err != nil {
		t.Fatalf("%s.json: %v", year, err)
	}
	return y
}

// shippedCalendar merges every shipped year into one calendar, as two
// "certledger calendar load" commands do on the ledger.
func shippedCalendar(t *testing.T) Calendar {
	t.Helper()
	cal := DefaultCalendar()
	for _, y := range []string{"2025", "2026"} {
		var err error
		if cal, err = cal.Merge(loadShipped(t, y), nil); err != nil {
			t.Fatalf("merging %s: %v", y, err)
		}
	}
	return cal
}

// TestShippedSchedules checks every holiday and make-up working day of the 2025
// (国办发明电〔2024〕12号) and 2026 (国办发明电〔2025〕7号) notices, the days around them,
// and deadlines that cross them.
func TestShippedSchedules(t *testing.T) {
	cal := shippedCalendar(t)
	if cal.Version != 2 || len(cal.Years) != 2 || cal.Years[0].Year != 2025 || cal.Years[1].LoadedIn != 2 {
		t.Fatalf("calendar: version %d, years %+v", cal.Version, cal.Years)
	}
	holidays := map[string][]string{ // the notices' periods, written out day by day
		"2025": {"01-01", "01-28", "01-29", "01-30", "01-31", "02-01", "02-02", "02-03", "02-04",
			"04-04", "04-05", "04-06", "05-01", "05-02", "05-03", "05-04", "05-05",
			"05-31", "06-01", "06-02", "10-01", "10-02", "10-03", "10-04", "10-05", "10-06", "10-07", "10-08"},
		"2026": {"01-01", "01-02", "01-03", "02-15", "02-16", "02-17", "02-18", "02-19", "02-20", "02-21", "02-22", "02-23",
			"04-04", "04-05", "04-06", "05-01", "05-02", "05-03", "05-04", "05-05", "06-19", "06-20", "06-21",
			"09-25", "09-26", "09-27", "10-01", "10-02", "10-03", "10-04", "10-05", "10-06", "10-07"},
	}
	workdays := map[string][]string{
		"2025": {"01-26", "02-08", "04-27", "09-28", "10-11"},
		"2026": {"01-04", "02-14", "02-28", "05-09", "09-20", "10-10"},
	}
	day := func(s string) time.Time { // noon in UTC+08:00
		d, err := time.Parse(DateLayout, s)
		if err != nil {
			t.Fatal(err)
		}
		return d.Add(4 * time.Hour)
	}
	n := 0
	for year, days := range holidays {
		for _, d := range days {
			if cal.IsWorkingDay(day(year + "-" + d)) {
				t.Errorf("%s-%s is a holiday", year, d)
			}
			n++
		}
	}
	for year, days := range workdays {
		for _, d := range days {
			w := day(year + "-" + d)
			if wd := w.Weekday(); wd != time.Saturday && wd != time.Sunday {
				t.Errorf("%s-%s is a %s, not a weekend make-up day", year, d, wd)
			}
			if !cal.IsWorkingDay(w) {
				t.Errorf("%s-%s is a make-up working day", year, d)
			}
			n++
		}
	}
	if n != len(cal.Holidays)+len(cal.Workdays) || len(cal.Holidays) != 61 || len(cal.Workdays) != 11 {
		t.Errorf("checked %d days; calendar lists %d holidays, %d make-up days", n, len(cal.Holidays), len(cal.Workdays))
	}
	// Ordinary days next to the periods keep their weekday rule.
	for _, d := range []string{"2025-01-27", "2025-02-05", "2025-10-09", "2026-02-13", "2026-02-24", "2026-10-08", "2026-09-24"} {
		if !cal.IsWorkingDay(day(d)) {
			t.Errorf("%s is an ordinary working day", d)
		}
	}
	for _, d := range []string{"2025-01-25", "2025-02-09", "2026-02-07", "2026-10-11"} {
		if cal.IsWorkingDay(day(d)) {
			t.Errorf("%s is an ordinary weekend day", d)
		}
	}
	// Deadlines across the periods (times in UTC+08:00, written in UTC).
	tests := []struct {
		from string
		n    int
		want string
	}{
		{"2025-01-27T02:00:00Z", 1, "2025-02-05T02:00:00Z"}, // Mon before the Spring Festival: next working day is Wed 02-05
		{"2025-01-24T07:00:00Z", 1, "2025-01-26T07:00:00Z"}, // Fri: the make-up Sunday 01-26 is the next working day
		{"2025-09-26T07:00:00Z", 1, "2025-09-28T07:00:00Z"}, // Fri: make-up Sunday 09-28
		{"2025-09-30T02:00:00Z", 1, "2025-10-09T02:00:00Z"}, // Tue before National Day: Thu 10-09
		{"2025-09-30T02:00:00Z", 3, "2025-10-11T02:00:00Z"}, // 10-09, 10-10, make-up Sat 10-11
		{"2026-02-13T02:00:00Z", 1, "2026-02-14T02:00:00Z"}, // Fri: make-up Sat 02-14
		{"2026-02-14T02:00:00Z", 1, "2026-02-24T02:00:00Z"}, // the make-up Saturday itself: next is Tue 02-24
		{"2026-02-16T02:00:00Z", 1, "2026-02-24T16:00:00Z"}, // during the festival: clock starts 02-24 00:00, ends 02-25 00:00
		{"2026-04-30T02:00:00Z", 5, "2026-05-11T02:00:00Z"}, // 05-06, 07, 08, make-up Sat 05-09, Mon 05-11
		{"2026-09-18T07:00:00Z", 1, "2026-09-20T07:00:00Z"}, // Fri: make-up Sun 09-20
		{"2026-09-30T02:00:00Z", 2, "2026-10-09T02:00:00Z"}, // 10-08, 10-09
		{"2026-12-31T02:00:00Z", 1, "2027-01-01T02:00:00Z"}, // 2027 not loaded: weekday rule
	}
	for _, tt := range tests {
		from, _ := wire.ParseTime(tt.from)
		if got := wire.FormatSecond(cal.AddWorkingDays(from, tt.n)); got != tt.want {
			t.Errorf("AddWorkingDays(%s, %d) = %s, want %s", tt.from, tt.n, got, tt.want)
		}
	}
}

func TestScheduleValidate(t *testing.T) {
	good := func() YearSchedule { return loadShipped(t, "2026") }
	tests := []struct {
		name   string
		change func(*YearSchedule)
		want   string
	}{
		{"no source url", func(y *YearSchedule) { y.Source.URL = "" }, "source.url: is required"},
		{"http url", func(y *YearSchedule) { y.Source.URL = "http://example.org" }, "https"},
		{"no number", func(y *YearSchedule) { y.Source.Number = " " }, "source.number"},
		{"year", func(y *YearSchedule) { y.Year = 1999 }, "year 1999"},
		{"offset", func(y *YearSchedule) { y.UTCOffset = "" }, "utcOffset"},
		{"days count", func(y *YearSchedule) { y.Holidays[1].Days = 8 }, "says 8 days"},
		{"reversed", func(y *YearSchedule) { y.Holidays[0].To = "2025-12-31" }, "from <= to"},
		{"weekday make-up", func(y *YearSchedule) { y.Holidays[0].Workdays = []string{"2026-01-05"} }, "is a Monday"},
		{"overlap", func(y *YearSchedule) {
			y.Holidays[2].From, y.Holidays[2].Days = "2026-04-03", 4
			y.Holidays[2].To = "2026-04-06"
			y.Holidays[1].To = "2026-04-03"
			y.Holidays[1].Days = 48
		}, "at most 15 days"},
		{"twice", func(y *YearSchedule) { y.Holidays = append(y.Holidays, y.Holidays[2]) }, "listed twice"},
		{"make-up is holiday", func(y *YearSchedule) { y.Holidays[2].Workdays = []string{"2026-04-04"} }, "listed twice"},
		{"far away", func(y *YearSchedule) { y.Holidays[0].From, y.Holidays[0].To = "2027-03-01", "2027-03-03" }, "not within a month"},
		{"bad day", func(y *YearSchedule) { y.Holidays[0].From = "2026-1-1" }, "not YYYY-MM-DD"},
		{"no name", func(y *YearSchedule) { y.Holidays[0].Name = "" }, "name: is required"},
		{"none", func(y *YearSchedule) { y.Holidays = nil }, "0 holiday periods"},
	}
	for _, tt := range tests {
		y := good()
		tt.change(&y)
		_, _, err := y.Days()
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
		if _, err := DefaultCalendar().Merge(y, nil); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Merge accepted it: %v", tt.name, err)
		}
	}
}

// TestScheduleReload: loading a corrected schedule for a year replaces that year's
// days and leaves other years alone.
func TestScheduleReload(t *testing.T) {
	cal := shippedCalendar(t)
	y25 := loadShipped(t, "2025")
	fixed := y25
	fixed.Holidays = append([]Holiday(nil), y25.Holidays...)
	fixed.Holidays[0] = Holiday{Name: "元旦", From: "2024-12-30", To: "2025-01-01", Days: 3, Workdays: []string{"2024-12-28"}}
	out, err := cal.Merge(fixed, &y25)
	if err != nil {
		t.Fatal(err)
	}
	if out.Version != 3 || len(out.Years) != 2 || out.Years[0].LoadedIn != 3 || out.Years[1].LoadedIn != 2 {
		t.Fatalf("version %d years %+v", out.Version, out.Years)
	}
	noon := func(s string) time.Time { d, _ := time.Parse(DateLayout, s); return d.Add(4 * time.Hour) }
	if out.IsWorkingDay(noon("2024-12-30")) || !out.IsWorkingDay(noon("2024-12-28")) || out.IsWorkingDay(noon("2025-01-28")) || out.IsWorkingDay(noon("2026-02-16")) {
		t.Error("reloaded calendar days wrong")
	}
	if len(out.Holidays) != len(cal.Holidays)+2 || len(out.Workdays) != len(cal.Workdays)+1 {
		t.Errorf("holidays %d -> %d, workdays %d -> %d", len(cal.Holidays), len(out.Holidays), len(cal.Workdays), len(out.Workdays))
	}
	if cal.Version != 2 {
		t.Error("Merge modified its receiver")
	}
	other := y25
	other.UTCOffset = "+09:00"
	if _, err := cal.Merge(other, &y25); !errors.Is(err, ErrInvalid) {
		t.Errorf("offset change: %v", err)
	}
}

// TestWorkingDuration: the working time AddWorkingDays adds is n × 24 h, and
// AddWorkingDuration inverts WorkingDuration.
func TestWorkingDuration(t *testing.T) {
	cal := shippedCalendar(t)
	for _, s := range []string{"2025-01-24T07:00:00Z", "2026-02-13T02:00:00Z", "2026-02-16T02:00:00Z", "2026-09-30T09:30:00Z", "2026-11-27T02:00:00Z"} {
		from, _ := wire.ParseTime(s)
		for n := 1; n <= 6; n++ {
			to := cal.AddWorkingDays(from, n)
			start := cal.AddWorkingDays(from, 0)
			if d := cal.WorkingDuration(from, to); d != time.Duration(n)*24*time.Hour {
				t.Errorf("WorkingDuration(%s, +%d wd) = %s", s, n, d)
			}
			// The same working moment: to, or an earlier instant with no working time between.
			if got := cal.AddWorkingDuration(start, time.Duration(n)*24*time.Hour); got.After(to) || cal.WorkingDuration(got, to) != 0 {
				t.Errorf("AddWorkingDuration(%s, %d×24h) = %s, want %s", s, n, got, to)
			}
		}
	}
	from, _ := wire.ParseTime("2026-02-13T02:00:00Z") // Fri 10:00
	if got := cal.AddWorkingDuration(from, 0); !got.Equal(from) {
		t.Errorf("zero duration moved the time: %s", got)
	}
	if got := wire.FormatSecond(cal.AddWorkingDuration(from, 20*time.Hour)); got != "2026-02-13T22:00:00Z" {
		t.Errorf("Fri 10:00 + 20 h working time = %s (want the make-up Saturday 06:00)", got)
	}
}

// TestScheduleAndPolicyListEveryField: a schedule or a policy with several problems
// is refused with every problem at once, each under its field (wire.FieldErrors).
func TestScheduleAndPolicyListEveryField(t *testing.T) {
	y := loadShipped(t, "2026")
	y.Year = 1999
	y.Source.URL = "http://example.org"
	y.Holidays[0].Name = ""
	y.Holidays[1].Days = 99
	y.Holidays[2].Workdays = []string{"2026-04-07"} // a Tuesday
	_, _, err := y.Days()
	fe, got := testkit.FieldErrors(t, err)
	want := "year,source.url,holidays[0].name,holidays[1].days,holidays[2].workdays"
	if got != want {
		t.Errorf("fields %s, want %s (%v)", got, want, err)
	}
	err = Policy{AutoCloseDays: -1, MaxTransfers: MaxTransferLimit + 1}.Validate()
	if !errors.As(err, &fe) || len(fe) != 2 || fe[0].Field != "autoCloseDays" || fe[1].Field != "maxTransfers" {
		t.Errorf("Policy.Validate = %v", err)
	}
	if err := DefaultPolicy().Validate(); err != nil {
		t.Errorf("default policy: %v", err)
	}
}
