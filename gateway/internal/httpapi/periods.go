package httpapi

import (
	"errors"
	"net/http"

	"github.com/certledger/certledger/internal/domain/period"
)

// period reads the from and to query parameters by the one definition of a period
// (internal/domain/period): a date YYYY-MM-DD is a whole day in the deployment's
// time zone (Options.TimeZone) and both ends are inclusive; an RFC 3339 from is
// inclusive, an RFC 3339 to exclusive. It returns the bounds as RFC 3339 UTC, as the
// chaincode takes them ("" for an absent optional bound).
func (s *Server) period(r *http.Request, c *checks, required bool) (from, to string) {
	v := r.URL.Query()
	for _, k := range []string{"from", "to"} {
		if required && v.Get(k) == "" {
			c.add(k, "is required (YYYY-MM-DD, inclusive days in %s, or RFC 3339)", s.opts.TimeZone)
		}
	}
	if required && (v.Get("from") == "" || v.Get("to") == "") {
		return "", ""
	}
	p, err := period.Parse(v.Get("from"), v.Get("to"), s.opts.TimeZone, required)
	if err != nil {
		field := "from, to"
		if _, e := period.Bound(v.Get("from"), false, s.opts.TimeZone); e != nil {
			field = "from"
		} else if _, e := period.Bound(v.Get("to"), true, s.opts.TimeZone); e != nil {
			field = "to"
		}
		msg := err.Error()
		if errors.Is(err, period.ErrPeriod) {
			msg = "want YYYY-MM-DD (inclusive days in " + s.opts.TimeZone.String() + ") or RFC 3339, to after from"
		}
		c.add(field, "%s", msg)
		return "", ""
	}
	return p.WireBounds()
}
