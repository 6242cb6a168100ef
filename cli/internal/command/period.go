package command

import (
	"time"

	"github.com/urfave/cli/v2"

	"github.com/certledger/certledger/cli/internal/output"
	"github.com/certledger/certledger/internal/domain/period"
)

// zoneOf is the deployment time zone (--timezone, CERTLEDGER_TIMEZONE, default
// Asia/Shanghai): period dates are whole days in it, and every time a person reads
// (tables, traces) is shown in it, to the second.
func zoneOf(c *cli.Context) (*time.Location, error) {
	loc, err := period.Zone(GlobalString(c, FlagZone))
	if err != nil {
		return nil, Usagef("--%s: %v", FlagZone, err)
	}
	return loc, nil
}

// periodCommand reads what a report over a period starts with: the printer of
// --output, then --from / --to (periodFlags; required: the work-order audits,
// optional: the exchange list and audit).
func periodCommand(c *cli.Context, required bool) (p output.Printer, from, to string, err error) {
	if p, err = PrinterOf(c); err != nil {
		return p, "", "", err
	}
	from, to, err = periodFlags(c, required)
	return p, from, to, err
}

// periodFlags reads --from / --to by the one definition of a period
// (internal/domain/period): YYYY-MM-DD dates are inclusive days in the deployment's
// zone; RFC 3339 from is inclusive, RFC 3339 to exclusive. It returns RFC 3339 UTC
// bounds, as the gateway and ledger take them ("" for an absent optional bound).
func periodFlags(c *cli.Context, required bool) (from, to string, err error) {
	loc, err := zoneOf(c)
	if err != nil {
		return "", "", err
	}
	p, err := period.Parse(c.String("from"), c.String("to"), loc, required)
	if err != nil {
		return "", "", Usagef("--from/--to: %v", err)
	}
	from, to = p.WireBounds()
	return from, to, nil
}

// humanTime rewrites an RFC 3339 time for a person: local time in the deployment's
// zone, to the second ("" stays ""). The zone was checked when the command started.
func humanTime(c *cli.Context, s string) string {
	loc, err := zoneOf(c)
	if err != nil {
		return s
	}
	return period.HumanString(s, loc)
}

// zoneHeader names the zone for a TIME column: "TIME (Asia/Shanghai, UTC+08:00)".
func zoneHeader(c *cli.Context, what string) string {
	loc, err := zoneOf(c)
	if err != nil {
		return what + " (UTC)"
	}
	return what + " (" + period.ZoneLabel(loc, time.Now()) + ")"
}

// humanRange writes a period for a person (period.HumanRange in the deployment's zone).
func humanRange(c *cli.Context, from, to string) string {
	loc, err := zoneOf(c)
	if err != nil {
		return from + " .. " + to
	}
	return period.HumanRange(from, to, loc)
}
