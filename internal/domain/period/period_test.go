package period

import (
	"errors"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	sh := MustZone(DefaultZone)
	tests := []struct {
		name, from, to   string
		required         bool
		wantFrom, wantTo string
		wantErr          bool
	}{
		{"inclusive days", "2026-12-01", "2026-12-31", true, "2026-11-30T16:00:00Z", "2026-12-31T16:00:00Z", false},
		{"one day", "2026-12-31", "2026-12-31", true, "2026-12-30T16:00:00Z", "2026-12-31T16:00:00Z", false},
		{"instants", "2026-12-01T00:00:00Z", "2026-12-02T00:00:00Z", true, "2026-12-01T00:00:00Z", "2026-12-02T00:00:00Z", false},
		{"mixed", "2026-12-01", "2026-12-01T12:00:00+08:00", true, "2026-11-30T16:00:00Z", "2026-12-01T04:00:00Z", false},
		{"open end", "2026-12-01", "", false, "2026-11-30T16:00:00Z", "", false},
		{"missing", "2026-12-01", "", true, "", "", true},
		{"reversed", "2026-12-02", "2026-12-01", true, "", "", true},
		{"garbage", "2026-13-01", "2026-12-01", true, "", "", true},
		{"slashes", "2026/12/01", "2026-12-02", true, "", "", true},
	}
	for _, tt := range tests {
		p, err := Parse(tt.from, tt.to, sh, tt.required)
		if tt.wantErr {
			if !errors.Is(err, ErrPeriod) {
				t.Errorf("%s: want ErrPeriod, got %v", tt.name, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		f, to := p.WireBounds()
		if f != tt.wantFrom || to != tt.wantTo {
			t.Errorf("%s: got [%s, %s), want [%s, %s)", tt.name, f, to, tt.wantFrom, tt.wantTo)
		}
	}
}

func TestOtherZone(t *testing.T) {
	utc := MustZone("UTC")
	p, err := Parse("2026-12-31", "2026-12-31", utc, true)
	if err != nil {
		t.Fatal(err)
	}
	if f, to := p.WireBounds(); f != "2026-12-31T00:00:00Z" || to != "2027-01-01T00:00:00Z" {
		t.Errorf("UTC day: [%s, %s)", f, to)
	}
	if _, err := Zone("Mars/Olympus"); !errors.Is(err, ErrPeriod) {
		t.Errorf("unknown zone: %v", err)
	}
}

func TestHuman(t *testing.T) {
	sh := MustZone("")
	if got := HumanString("2026-12-31T15:59:30.123456789Z", sh); got != "2026-12-31 23:59:30" {
		t.Errorf("HumanString = %q", got)
	}
	if got := HumanString("", sh); got != "" {
		t.Errorf("empty: %q", got)
	}
	if got := HumanString("not a time", sh); got != "not a time" {
		t.Errorf("passthrough: %q", got)
	}
	if got := ZoneLabel(sh, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)); got != "Asia/Shanghai, UTC+08:00" {
		t.Errorf("ZoneLabel = %q", got)
	}
}

func TestHumanRange(t *testing.T) {
	sh := MustZone("")
	p, _ := Parse("2026-11-01", "2026-11-30", sh, true)
	f, to := p.WireBounds()
	if got := HumanRange(f, to, sh); got != "2026-11-01 .. 2026-11-30 (inclusive days, Asia/Shanghai)" {
		t.Errorf("days: %q", got)
	}
	if got := HumanRange("2026-11-01T01:00:00Z", "2026-11-02T01:00:00Z", sh); got != "2026-11-01 09:00:00 .. 2026-11-02 09:00:00 (Asia/Shanghai, end exclusive)" {
		t.Errorf("times: %q", got)
	}
}
