package config

import (
	"errors"
	"testing"
)

func TestTimeZone(t *testing.T) {
	c := Defaults()
	c.Orgs = []Org{{Name: "gov", Profile: "x"}}
	for _, tz := range []string{"", "Asia/Shanghai", "UTC", "Europe/Berlin"} {
		c.TimeZone = tz
		if err := c.Validate(); err != nil && errors.Is(err, ErrInvalid) && contains(err.Error(), "timeZone") {
			t.Errorf("%q: %v", tz, err)
		}
	}
	c.TimeZone = "Mars/Olympus"
	if err := c.Validate(); !errors.Is(err, ErrInvalid) || !contains(err.Error(), "timeZone") {
		t.Errorf("unknown zone: %v", err)
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
