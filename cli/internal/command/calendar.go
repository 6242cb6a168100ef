package command

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/certledger/certledger/cli/internal/client"
	"github.com/certledger/certledger/cli/internal/output"
	"github.com/certledger/certledger/internal/domain/workorder"
)

const (
	calendarAPI = "/api/v1/workorder/calendar/years"
	configAPI   = "/api/v1/workorder/config"
)

// calendarCommand is "certledger calendar": the official holiday and make-up working
// day schedules (调休) the work-order deadlines count with (docs/calendar.md).
func calendarCommand() *cli.Command {
	return &cli.Command{
		Name:  "calendar",
		Usage: "the working-day calendar of work-order deadlines: load an official year schedule, show a year",
		Subcommands: []*cli.Command{
			{
				Name:      "load",
				Usage:     "load one year's official holiday schedule (admin token of the governance office)",
				ArgsUsage: "FILE",
				Description: "certledger calendar load data/calendar/2026.json\n" +
					"FILE is a schedule in the format of docs/calendar.md: the year, the notice it comes from (title,\n" +
					"number, URL), and each holiday period with its make-up working days. It is checked here, then on the\n" +
					"ledger, and becomes a new calendar version: tickets created from then on count with it, tickets\n" +
					"created before keep the version they were created under. Loading a year again replaces its days.",
				Action: calendarLoad,
			},
			{
				Name:      "show",
				Usage:     "show a year of the calendar in force: its source, holidays and make-up working days (any token)",
				ArgsUsage: " ",
				Flags: []cli.Flag{
					&cli.IntFlag{Name: "year", Usage: "`YEAR` to show", Required: true},
				},
				Action: calendarShow,
			},
		},
	}
}

func readSchedule(path string) (workorder.YearSchedule, error) {
	var y workorder.YearSchedule
	b, err := os.ReadFile(path)
	if err != nil {
		return y, inputErr(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&y); err != nil {
		return y, Usagef("%s is not a calendar schedule (docs/calendar.md): %v", path, err)
	}
	if _, _, err := y.Days(); err != nil {
		return y, InvalidInput(path, err)
	}
	return y, nil
}

func calendarLoad(c *cli.Context) error {
	path, p, err := argCommand(c, "schedule FILE")
	if err != nil {
		return err
	}
	y, err := readSchedule(path)
	if err != nil {
		return err
	}
	hol, work, _ := y.Days()
	return askTo(c, p, http.MethodPost, calendarAPI, y, func(tb *output.Tab, res client.WriteResult[workorder.Calendar]) {
		tb.Line(fmt.Sprintf("calendar version %d: %d schedule loaded (tx %s, block %d)", res.Record.Version, y.Year, res.TxID, res.BlockNumber))
		tb.KV("source", y.Source.Title+" ("+y.Source.Number+")")
		tb.KV("url", y.Source.URL)
		tb.KV("holidays", strconv.Itoa(len(hol))+" days in "+strconv.Itoa(len(y.Holidays))+" periods")
		tb.KV("make-up working days", strings.Join(work, ", "))
		tb.Line("Tickets created from now on count with this version; earlier tickets keep theirs.")
	})
}

// calendarYear is GET /api/v1/workorder/calendar/years/{year}.
type calendarYear struct {
	Year     int `json:"year"`
	Schedule *struct {
		workorder.YearSchedule
		LoadedIn int    `json:"loadedIn"`
		TxID     string `json:"txId"`
	} `json:"schedule"`
	Version  int      `json:"version"`
	Holidays []string `json:"holidays"`
	Workdays []string `json:"workdays"`
}

func calendarShow(c *cli.Context) error {
	year := c.Int("year")
	if year < workorder.MinScheduleYear || year > workorder.MaxScheduleYear {
		return Usagef("--year %d: want %d..%d", year, workorder.MinScheduleYear, workorder.MaxScheduleYear)
	}
	return requestTo(c, http.MethodGet, calendarAPI+"/"+strconv.Itoa(year), nil, func(tb *output.Tab, y calendarYear) {
		tb.Line(fmt.Sprintf("%d in calendar version %d", y.Year, y.Version))
		if y.Schedule == nil {
			tb.Line("No official schedule loaded for this year: Monday to Friday are working days.")
			tb.Line("Load it with: certledger calendar load data/calendar/" + strconv.Itoa(year) + ".json (docs/calendar.md)")
		} else {
			s := y.Schedule
			tb.KV("source", s.Source.Title+" ("+s.Source.Number+", "+s.Source.Published+")")
			tb.KV("url", s.Source.URL)
			tb.KV("loaded", fmt.Sprintf("in calendar version %d, tx %s", s.LoadedIn, s.TxID))
			tb.Row("HOLIDAY", "FROM", "TO", "DAYS", "MAKE-UP WORKING DAYS")
			for _, h := range s.Holidays {
				tb.Row(h.Name, h.From, h.To, strconv.Itoa(h.Days), strings.Join(h.Workdays, ", "))
			}
		}
		tb.KV("holidays in force", strings.Join(y.Holidays, " "))
		tb.KV("make-up days in force", strings.Join(y.Workdays, " "))
	})
}

// ticketPolicyCommand is "certledger ticket policy".
func ticketPolicyCommand() *cli.Command {
	return &cli.Command{
		Name:      "policy",
		Usage:     "show or set the hotline controls: automatic escalation, automatic close of unrated tickets, transfer limit",
		ArgsUsage: " ",
		Description: "Without flags: show the policy in force (any token). With flags: set it (admin token of the governance\n" +
			"office); flags not given keep their value. Defaults: escalate overdue tickets, close resolved tickets\n" +
			"not rated within 5 working days (counted as unrated, not satisfied), at most 2 transfers per ticket.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "auto-escalate", Usage: "escalate a ticket to the supervising department (governance when none) when the sweep finds it overdue"},
			&cli.IntFlag{Name: "auto-close-days", Usage: "working `DAYS` a resolved ticket waits for a rating before the sweep closes it unrated (0 = never)"},
			&cli.IntFlag{Name: "max-transfers", Usage: "transfers per ticket; a further transfer goes to the governance office (`N`, 0 = no limit)"},
		},
		Action: ticketPolicy,
	}
}

func ticketPolicy(c *cli.Context) error {
	p, cl, err := session(c)
	if err != nil {
		return err
	}
	var cfg struct {
		Policy     workorder.Policy `json:"policy"`
		Governance string           `json:"governanceDepartment"`
	}
	if err := cl.Do(c.Context, http.MethodGet, configAPI, nil, &cfg); err != nil {
		return err
	}
	pol := cfg.Policy
	set := false
	if c.IsSet("auto-escalate") {
		pol.AutoEscalate, set = c.Bool("auto-escalate"), true
	}
	if c.IsSet("auto-close-days") {
		pol.AutoCloseDays, set = c.Int("auto-close-days"), true
	}
	if c.IsSet("max-transfers") {
		pol.MaxTransfers, set = c.Int("max-transfers"), true
	}
	if set {
		if err := pol.Validate(); err != nil {
			return InvalidInput("policy", err)
		}
		var res client.WriteResult[workorder.Policy]
		if err := cl.Do(c.Context, http.MethodPut, configAPI+"/policy", pol, &res); err != nil {
			return err
		}
		pol = res.Record
	}
	return p.Print(pol, func(tb *output.Tab) {
		tb.KV("auto-escalate", strconv.FormatBool(pol.AutoEscalate))
		tb.KV("auto-close-days", strconv.Itoa(pol.AutoCloseDays)+" working days (0 = never); closed tickets count as unrated")
		tb.KV("max-transfers", strconv.Itoa(pol.MaxTransfers)+" (0 = no limit); the next one goes to "+orNone(cfg.Governance))
	})
}

func orNone(s string) string {
	if s == "" {
		return "the governance department (none registered)"
	}
	return s
}
