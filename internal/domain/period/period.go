// Package period is the one definition of a reporting period and of how a person
// reads a time, shared by the CLI, the gateway and the docs:
//
//   - a period bound is a date YYYY-MM-DD or an RFC 3339 time;
//   - dates are whole days in the deployment's time zone (default Asia/Shanghai,
//     configurable), and both ends are inclusive: from 2026-12-01 to 2026-12-31 is
//     [2026-12-01 00:00, 2027-01-01 00:00) in that zone;
//   - an RFC 3339 "from" is inclusive, an RFC 3339 "to" exclusive (an instant);
//   - what goes on the wire (JSON, ledger arguments) is RFC 3339 UTC;
//   - what a person reads (tables, traces, pages) is the zone's local time to the
//     second, without nanoseconds.
package period

import (
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // the zone database travels with the binary: containers often lack /usr/share/zoneinfo

	"github.com/certledger/certledger/internal/codes"
)

// DefaultZone is the deployment time zone unless configured otherwise.
const DefaultZone = "Asia/Shanghai"

// ZoneEnv names the environment variable that sets the zone (CLI and gateway).
const ZoneEnv = "CERTLEDGER_TIMEZONE"

// DateLayout is how a day is written.
const DateLayout = "2006-01-02"

// HumanLayout is how a person reads a time (in the deployment zone).
const HumanLayout = "2006-01-02 15:04:05"

// ErrPeriod is returned (wrapped) for every malformed period; it is an
// INVALID_ARGUMENT reason (internal/codes), so its text starts with that code.
var ErrPeriod = codes.Reason(codes.ErrInvalidArgument, "invalid period")

// Zone loads a time zone by IANA name ("" = DefaultZone).
func Zone(name string) (*time.Location, error) {
	if name == "" {
		name = DefaultZone
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("%w: time zone %q: %w", ErrPeriod, name, err)
	}
	return loc, nil
}

// MustZone is Zone for names known to be valid (DefaultZone); it panics otherwise.
func MustZone(name string) *time.Location {
	loc, err := Zone(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// Period is [From, To): From inclusive, To exclusive. A zero bound is open.
type Period struct {
	From time.Time
	To   time.Time
}

// IsDate reports whether s is written as a day (YYYY-MM-DD).
func IsDate(s string) bool {
	d, err := time.Parse(DateLayout, strings.TrimSpace(s))
	return err == nil && d.Format(DateLayout) == strings.TrimSpace(s)
}

// Bound reads one bound. A date is 00:00 of that day in loc when end is false, and
// 00:00 of the next day when end is true (so an end date is inclusive). An RFC 3339
// time is taken as is. "" is the zero time (an open bound).
func Bound(s string, end bool, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if IsDate(s) {
		d, _ := time.Parse(DateLayout, s)
		if end {
			d = d.AddDate(0, 0, 1)
		}
		return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: %q is neither a date YYYY-MM-DD nor an RFC 3339 time", ErrPeriod, s)
	}
	return t.UTC(), nil
}

// Parse reads a period from its two bounds (see the package comment). Both are
// required when required is true; to must be after from when both are given.
func Parse(from, to string, loc *time.Location, required bool) (Period, error) {
	var p Period
	var err error
	if required && (strings.TrimSpace(from) == "" || strings.TrimSpace(to) == "") {
		return p, fmt.Errorf("%w: from and to are both required (YYYY-MM-DD, inclusive days, or RFC 3339)", ErrPeriod)
	}
	if p.From, err = Bound(from, false, loc); err != nil {
		return Period{}, codes.Prefix(err, "from")
	}
	if p.To, err = Bound(to, true, loc); err != nil {
		return Period{}, codes.Prefix(err, "to")
	}
	if !p.From.IsZero() && !p.To.IsZero() && !p.To.After(p.From) {
		return Period{}, fmt.Errorf("%w: to (%s) must be after from (%s)", ErrPeriod, Wire(p.To), Wire(p.From))
	}
	return p, nil
}

// Wire writes t as every API and ledger argument carries it: RFC 3339 UTC
// ("" for the zero time).
func Wire(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// WireBounds returns the period's bounds as Wire strings.
func (p Period) WireBounds() (from, to string) { return Wire(p.From), Wire(p.To) }

// Human writes t for a person: local time in loc, to the second ("" for zero).
func Human(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format(HumanLayout)
}

// HumanString rewrites an RFC 3339 string for a person (see Human); "" stays "",
// and a string that is not RFC 3339 is returned unchanged.
func HumanString(s string, loc *time.Location) string {
	if s == "" {
		return ""
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	return Human(t, loc)
}

// ZoneLabel names loc for a column header: "Asia/Shanghai, UTC+08:00".
func ZoneLabel(loc *time.Location, at time.Time) string {
	_, off := at.In(loc).Zone()
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	return fmt.Sprintf("%s, UTC%s%02d:%02d", loc.String(), sign, off/3600, off%3600/60)
}

// HumanRange writes [from, to) for a person: as inclusive dates "2026-11-01 .. 2026-11-30"
// when both bounds are midnights in loc, else as local times with the end exclusive.
// The strings are RFC 3339; ones that do not parse are written as given.
func HumanRange(from, to string, loc *time.Location) string {
	f, errF := time.Parse(time.RFC3339Nano, from)
	t, errT := time.Parse(time.RFC3339Nano, to)
	if errF != nil || errT != nil {
		return from + " .. " + to
	}
	midnight := func(x time.Time) bool {
		l := x.In(loc)
		return l.Hour() == 0 && l.Minute() == 0 && l.Second() == 0 && l.Nanosecond() == 0
	}
	if midnight(f) && midnight(t) {
		last := t.In(loc).AddDate(0, 0, -1)
		return f.In(loc).Format(DateLayout) + " .. " + last.Format(DateLayout) + " (inclusive days, " + loc.String() + ")"
	}
	return Human(f, loc) + " .. " + Human(t, loc) + " (" + loc.String() + ", end exclusive)"
}
