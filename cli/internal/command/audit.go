package command

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/certledger/certledger/cli/internal/client"
	"github.com/certledger/certledger/cli/internal/output"
	"github.com/certledger/certledger/internal/domain/workorder"
)

// The work-order audit reports, subcommands of "certledger audit" (auditGroup in
// app.go): sweep, kpi and accountability.

func tkPeriodFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "from", Usage: "period start `DATE` (YYYY-MM-DD: from 00:00 of that day in --timezone; or RFC 3339)", Required: true},
		&cli.StringFlag{Name: "to", Usage: "period end `DATE` (YYYY-MM-DD: through the end of that day, inclusive; RFC 3339: exclusive)", Required: true},
	}
}

// auditSweepCommand is "certledger audit sweep".
func auditSweepCommand() *cli.Command {
	return &cli.Command{
		Name:      "sweep",
		Usage:     "mark tickets past a deadline overdue, escalate them, close unrated ones, roll up KPI days (clerk or admin token of any department)",
		ArgsUsage: " ",
		Description: "A sweep is a ledger write: it needs a clerk or admin token of a registered department or of the\n" +
			"governance office (an auditor token is read-only and is refused). It marks missed deadlines overdue\n" +
			"(accountability records), escalates those tickets to the supervising department or the governance\n" +
			"office (policy autoEscalate), closes resolved tickets left unrated past their rate-by (autoCloseDays),\n" +
			"and rolls up the KPI counts of settled days. A sweep with nothing to do writes nothing. Run it from cron.",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "limit", Usage: "tickets per sweep transaction (1-1000)", Value: 100},
			&cli.BoolFlag{Name: "all", Usage: "repeat until no late ticket and no settled day is left"},
		},
		Action: auditSweep,
	}
}

// auditKPICommand is "certledger audit kpi".
func auditKPICommand() *cli.Command {
	return &cli.Command{
		Name:      "kpi",
		Usage:     "work-order KPIs of departments: response, resolution and satisfaction rates against the targets (auditor token, or a department's own)",
		ArgsUsage: " ",
		Description: "certledger audit kpi --dept D [--dept E ...] --from 2026-11-01 --to 2026-11-30 [--csv]\n" +
			"received; response rate (responded by respond-by / settled); resolution rate (resolved by resolve-by /\n" +
			"due in the period); satisfaction (very satisfied + satisfied / rated); overdue and accountability counts.\n" +
			"Definitions: docs/workorders.md. Output: table, --output json, or --csv (one row per department).\n" +
			"Dates are inclusive days in --timezone (default Asia/Shanghai): --from 2026-11-01 --to 2026-11-30 is November.\n" +
			"Token: an auditor token reads every department; a department's token reads itself and those it supervises.\n" +
			"With --check, exit 1 when a rate misses its target.",
		Flags: append(tkPeriodFlags(),
			&cli.StringSliceFlag{Name: "dept", Usage: "department `ID` (repeat for several)", Required: true},
			&cli.BoolFlag{Name: "csv", Usage: "print CSV (one row per department) instead of a table"},
			&cli.BoolFlag{Name: "check", Usage: "exit 1 when any rate misses its target"},
		),
		Action: auditKPI,
	}
}

// auditAccountabilityCommand is "certledger audit accountability".
func auditAccountabilityCommand() *cli.Command {
	return &cli.Command{
		Name:      "accountability",
		Usage:     "a department's work-order accountability records (overdue, unsatisfied, reopened) in a period (auditor token, or a department's own)",
		ArgsUsage: " ",
		Flags: append(append(tkPeriodFlags(),
			&cli.StringFlag{Name: "dept", Usage: "department `ID`", Required: true}), pageFlags()...),
		Action: auditAccountability,
	}
}

// sweepResult is the record of POST /api/v1/audit/sweep.
type sweepResult struct {
	At             string   `json:"at"`
	Tickets        []string `json:"tickets"`
	Escalated      []string `json:"escalated"`
	AutoClosed     []string `json:"autoClosed"`
	Accountability []string `json:"accountability"`
	More           bool     `json:"more"`
	RolledUp       int      `json:"rolledUp"`
	SettledBefore  string   `json:"settledBefore"`
	Hidden         int      `json:"hidden"` // tickets changed in departments the caller may not read
}

func auditSweep(c *cli.Context) error {
	p, err := PrinterOf(c)
	if err != nil {
		return err
	}
	limit := c.Int("limit")
	if limit < 1 || limit > 1000 {
		return Usagef("--limit %d: want 1-1000", limit)
	}
	cl, err := NewClient(c)
	if err != nil {
		return err
	}
	// Preview first (GET evaluates the sweep): with nothing to do, nothing is submitted,
	// so an idle cron sweep leaves no transaction. A gateway without the preview route
	// answers an error here; then the sweep is simply submitted.
	var preview sweepResult
	if err := cl.Do(c.Context, http.MethodGet, "/api/v1/audit/sweep?limit="+strconv.Itoa(limit), nil, &preview); err == nil &&
		len(preview.Tickets) == 0 && preview.Hidden == 0 && preview.RolledUp == 0 {
		return p.Print([]client.WriteResult[sweepResult]{}, func(tb *output.Tab) {
			tb.Line(fmt.Sprintf("nothing to do at %s: no overdue deadline, no unrated ticket to close, no settled day to roll up; nothing submitted",
				humanTime(c, preview.At)))
		})
	}
	var runs []client.WriteResult[sweepResult]
	for {
		var res client.WriteResult[sweepResult]
		if err := cl.Do(c.Context, http.MethodPost, "/api/v1/audit/sweep?limit="+strconv.Itoa(limit), nil, &res); err != nil {
			return err
		}
		runs = append(runs, res)
		if (!res.Record.More && res.Record.RolledUp <= 0) || !c.Bool("all") {
			break
		}
		if err := c.Err(); err != nil {
			return err
		}
	}
	return p.Print(runs, func(tb *output.Tab) {
		tickets, acc, days, esc, closed, hidden := 0, 0, 0, 0, 0, 0
		for _, r := range runs {
			hidden += r.Record.Hidden
			tickets += len(r.Record.Tickets)
			acc += len(r.Record.Accountability)
			days += r.Record.RolledUp
			esc += len(r.Record.Escalated)
			closed += len(r.Record.AutoClosed)
			if len(r.Record.Tickets) > 0 {
				tb.Row("tx "+r.TxID, "block "+strconv.FormatUint(r.BlockNumber, 10), strings.Join(r.Record.Tickets, ","))
			}
		}
		tb.Line(fmt.Sprintf("swept at %s: %d ticket(s) changed (%d escalated, %d closed unrated), %d accountability record(s), %d department-day(s) rolled up for KPIs",
			humanTime(c, runs[len(runs)-1].Record.At), tickets, esc, closed, acc, days))
		if hidden > 0 {
			tb.Line(fmt.Sprintf("and %d ticket(s) of departments you may not read", hidden))
		}
		if tickets == 0 && days == 0 && hidden == 0 {
			tb.Line("nothing to do: nothing was written")
		}
		if runs[len(runs)-1].Record.More {
			tb.Line("more late tickets remain: run again (or --all)")
		}
	})
}

func pct(r workorder.Rate) string {
	if r.Rate == nil {
		return "n/a"
	}
	return strconv.FormatFloat(*r.Rate*100, 'f', 2, 64) + "%"
}

func met(r workorder.Rate) string {
	switch {
	case r.Met == nil:
		return "n/a"
	case *r.Met:
		return "yes"
	}
	return "NO"
}

func auditKPI(c *cli.Context) error {
	p, from, to, err := periodCommand(c, true)
	if err != nil {
		return err
	}
	cl, err := NewClient(c)
	if err != nil {
		return err
	}
	var kpis []workorder.KPI
	for _, d := range c.StringSlice("dept") {
		var k workorder.KPI
		if err := cl.Do(c.Context, http.MethodGet, query("/api/v1/audit/kpi", "department", d, "from", from, "to", to), nil, &k); err != nil {
			return fmt.Errorf("KPI of %s: %w", d, err)
		}
		kpis = append(kpis, k)
	}
	if c.Bool("csv") {
		w := csv.NewWriter(stdoutOf(c))
		_ = w.Write([]string{"department", "from", "to", "as_of", "received",
			"response_on_time", "response_settled", "response_rate", "response_pending", "response_met",
			"resolution_on_time", "resolution_due", "resolution_rate", "resolution_pending", "resolution_met",
			"satisfied", "rated", "satisfaction_rate", "satisfaction_met", "auto_closed_unrated", "overdue", "accountability", "unsatisfied", "reopened"})
		rate := func(r workorder.Rate) string {
			if r.Rate == nil {
				return ""
			}
			return strconv.FormatFloat(*r.Rate, 'f', 4, 64)
		}
		mt := func(r workorder.Rate) string {
			if r.Met == nil {
				return ""
			}
			return strconv.FormatBool(*r.Met)
		}
		n := strconv.Itoa
		for _, k := range kpis {
			_ = w.Write([]string{k.Department, k.From, k.To, k.AsOf, n(k.Received),
				n(k.Response.Numerator), n(k.Response.Denominator), rate(k.Response), n(k.ResponsePending), mt(k.Response),
				n(k.Resolution.Numerator), n(k.Resolution.Denominator), rate(k.Resolution), n(k.ResolutionPending), mt(k.Resolution),
				n(k.Satisfaction.Numerator), n(k.Satisfaction.Denominator), rate(k.Satisfaction), mt(k.Satisfaction),
				n(k.AutoClosedUnrated), n(k.Overdue), n(k.Accountability), n(k.Unsatisfied), n(k.Reopened)})
		}
		w.Flush()
		if err := w.Error(); err != nil {
			return err
		}
	} else if err := p.Print(kpis, func(tb *output.Tab) {
		for i, k := range kpis {
			if i > 0 {
				tb.Line("")
			}
			tb.Line(fmt.Sprintf("%s  %s, as of %s", k.Department, humanRange(c, k.From, k.To), humanTime(c, k.AsOf)))
			tb.Row("METRIC", "VALUE", "COUNT", "TARGET", "MET")
			tb.Row("received", strconv.Itoa(k.Received), "", "", "")
			row := func(name string, r workorder.Rate, pending string) {
				count := fmt.Sprintf("%d/%d", r.Numerator, r.Denominator)
				if pending != "" {
					count += " (+" + pending + " pending)"
				}
				tb.Row(name, pct(r), count, strconv.FormatFloat(r.Target*100, 'f', 0, 64)+"%", met(r))
			}
			pend := func(n int) string {
				if n == 0 {
					return ""
				}
				return strconv.Itoa(n)
			}
			row("response rate", k.Response, pend(k.ResponsePending))
			row("resolution rate", k.Resolution, pend(k.ResolutionPending))
			row("satisfaction", k.Satisfaction, "")
			tb.Row("closed unrated", strconv.Itoa(k.AutoClosedUnrated), "not in satisfaction", "", "")
			tb.Row("overdue", strconv.Itoa(k.Overdue), "", "", "")
			tb.Row("accountability", strconv.Itoa(k.Accountability), fmt.Sprintf("unsatisfied %d, reopened %d", k.Unsatisfied, k.Reopened), "", "")
		}
	}); err != nil {
		return err
	}
	if c.Bool("check") {
		for _, k := range kpis {
			for _, r := range []workorder.Rate{k.Response, k.Resolution, k.Satisfaction} {
				if r.Met != nil && !*r.Met {
					return Silent(ExitInvalid)
				}
			}
		}
	}
	return nil
}

func auditAccountability(c *cli.Context) error {
	p, from, to, err := periodCommand(c, true)
	if err != nil {
		return err
	}
	path := query("/api/v1/audit/accountability", "department", c.String("dept"), "from", from, "to", to)
	return printPages(c, p, path, func(tb *output.Tab, list []workorder.Accountability) {
		tb.Row(zoneHeader(c, "AT"), "RECORD", "TICKET", "CAUSE", "DEADLINE MISSED", "RECORDED", "TX")
		for _, a := range list {
			cause := string(a.Cause)
			if a.Phase != "" {
				cause += " (" + phaseWords[a.Phase] + ")"
			}
			tb.Row(humanTime(c, a.At), a.ID, a.TicketID, cause, humanTime(c, a.Deadline), humanTime(c, a.RecordedAt), a.TxID)
		}
	})
}
