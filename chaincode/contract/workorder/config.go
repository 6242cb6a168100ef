package workorder

import (
	"fmt"
	"strconv"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/certledger/certledger/chaincode/contract/registry"
	"github.com/certledger/certledger/chaincode/internal/state"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/workorder"
)

// Calendar versions. wo/cfg/calendar is the calendar in force (new tickets take it);
// every calendar ever set is also kept under wo/cfg/cal/<version %08d>, because a
// ticket keeps the calendar version it was created under for all its deadlines.
// Version 0 is the built-in default (Monday to Friday, UTC+08:00) unless a calendar
// was set before versions existed, which then is version 0. Each loaded official
// schedule is kept under wo/cfg/year/<year>, with its holiday names and source.
const (
	pCalVersion = "wo/cfg/cal/"
	pCalYear    = "wo/cfg/year/"
	keyPolicy   = "wo/cfg/policy"
)

func calVersionKey(v int) string { return fmt.Sprintf("%s%08d", pCalVersion, v) }

// currentCalendar is the calendar new tickets take.
func currentCalendar(ctx state.Context) (workorder.Calendar, bool, error) {
	cal := workorder.DefaultCalendar()
	found, err := state.GetJSON(ctx, keyCalendar, &cal)
	return cal, found, err
}

// calendarAt returns calendar version v (the one a ticket was created under).
func calendarAt(ctx state.Context, v int) (workorder.Calendar, error) {
	var cal workorder.Calendar
	found, err := state.GetJSON(ctx, calVersionKey(v), &cal)
	if err != nil || found {
		return cal, err
	}
	if v == 0 { // before versions: the one calendar set, or the default
		cur, _, err := currentCalendar(ctx)
		if err != nil || cur.Version == 0 {
			return cur, err
		}
		return workorder.DefaultCalendar(), nil
	}
	return cal, codes.New(codes.Internal, "calendar version %d is not on the ledger", v)
}

// putCalendar stores next as the calendar in force and as its version; a calendar
// set before versions existed is kept as version 0 first.
func putCalendar(ctx state.Context, next workorder.Calendar) error {
	cur, found, err := currentCalendar(ctx)
	if err != nil {
		return err
	}
	if found && cur.Version == 0 {
		if err := state.PutJSON(ctx, calVersionKey(0), cur); err != nil {
			return err
		}
	}
	if err := state.PutJSON(ctx, calVersionKey(next.Version), next); err != nil {
		return err
	}
	return state.PutJSON(ctx, keyCalendar, next)
}

func loadPolicy(ctx state.Context) (workorder.Policy, error) {
	p := workorder.DefaultPolicy()
	_, err := state.GetJSON(ctx, keyPolicy, &p)
	return p, err
}

// governanceDept is the department that ends automatic escalation and receives
// transfers past the limit: the first active department (by id) registered with the
// governance MSP ("" when there is none).
func governanceDept(ctx state.Context) (string, error) {
	msp, err := registry.GovernanceMSP(ctx)
	if err != nil {
		return "", err
	}
	ds, err := registry.DepartmentsByMSP(ctx, msp)
	if err != nil {
		return "", err
	}
	best := ""
	for _, d := range ds {
		if d.Status == "active" && (best == "" || d.ID < best) {
			best = d.ID
		}
	}
	return best, nil
}

// escalationTarget is where a ticket assigned to dept goes when it is overdue: the
// department's supervising department when it has an active one, else governance;
// "" when that is dept itself.
func escalationTarget(ctx state.Context, dept, governance string) (string, error) {
	target := governance
	if d, err := registry.GetDepartment(ctx, dept); err == nil && d.Parent != "" {
		if p, err := registry.GetDepartment(ctx, d.Parent); err == nil && p.Status == "active" {
			target = p.ID
		} else if err != nil && codes.Code(err) != codes.NotFound {
			return "", err
		}
	} else if err != nil && codes.Code(err) != codes.NotFound {
		return "", err
	}
	if target == dept {
		return "", nil
	}
	return target, nil
}

// StoredYear is a loaded official schedule: the file as given, the calendar version
// that loaded it, and the transaction.
type StoredYear struct {
	workorder.YearSchedule
	LoadedIn int    `json:"loadedIn"`
	TxID     string `json:"txId"`
}

// LoadCalendarYear merges one year's official holiday schedule (governance only)
// into the calendar: input is the YearSchedule JSON (data/calendar/<year>.json,
// docs/calendar.md). Loading a year again replaces that year's days. The result is
// a new calendar version, which tickets created from now on take; tickets created
// before keep theirs. Event WorkorderCalendarSet with the new calendar.
func (c *Contract) LoadCalendarYear(ctx contractapi.TransactionContextInterface, input string) (string, error) {
	if _, err := state.BeginWrite(ctx); err != nil {
		return "", err
	}
	if err := registry.RequireGovernance(ctx); err != nil {
		return "", err
	}
	var y workorder.YearSchedule
	if err := state.Decode("calendar year", input, &y); err != nil {
		return "", err
	}
	if _, _, err := y.Days(); err != nil {
		return "", err
	}
	cur, _, err := currentCalendar(ctx)
	if err != nil {
		return "", err
	}
	var prev *workorder.YearSchedule
	var stored StoredYear
	found, err := state.GetJSON(ctx, pCalYear+strconv.Itoa(y.Year), &stored)
	if err != nil {
		return "", err
	}
	if found {
		prev = &stored.YearSchedule
	}
	next, err := cur.Merge(y, prev)
	if err != nil {
		return "", err
	}
	if err := putCalendar(ctx, next); err != nil {
		return "", err
	}
	if err := state.PutJSON(ctx, pCalYear+strconv.Itoa(y.Year), StoredYear{YearSchedule: y, LoadedIn: next.Version, TxID: state.TxID(ctx)}); err != nil {
		return "", err
	}
	return state.Respond(ctx, EventCalendarSet, next)
}

// CalendarYear is GetCalendarYear's result: the schedule as loaded (nil when the
// year was never loaded), the calendar in force, and the year's days as that
// calendar has them.
type CalendarYear struct {
	Year     int         `json:"year"`
	Schedule *StoredYear `json:"schedule"`
	Version  int         `json:"version"`
	Holidays []string    `json:"holidays"`
	Workdays []string    `json:"workdays"`
}

// GetCalendarYear returns what the ledger knows of one year: the loaded schedule and
// the holidays and make-up working days of the calendar in force within the year.
func (c *Contract) GetCalendarYear(ctx contractapi.TransactionContextInterface, year string) (string, error) {
	y, err := strconv.Atoi(year)
	if err != nil || strconv.Itoa(y) != year || y < workorder.MinScheduleYear || y > workorder.MaxScheduleYear {
		return "", codes.New(codes.InvalidArgument, "year %q (want %d..%d)", year, workorder.MinScheduleYear, workorder.MaxScheduleYear)
	}
	cal, _, err := currentCalendar(ctx)
	if err != nil {
		return "", err
	}
	out := CalendarYear{Year: y, Version: cal.Version, Holidays: []string{}, Workdays: []string{}}
	var stored StoredYear
	found, err := state.GetJSON(ctx, pCalYear+year, &stored)
	if err != nil {
		return "", err
	}
	if found {
		out.Schedule = &stored
	}
	prefix := year + "-"
	for _, d := range cal.Holidays {
		if len(d) > 5 && d[:5] == prefix {
			out.Holidays = append(out.Holidays, d)
		}
	}
	for _, d := range cal.Workdays {
		if len(d) > 5 && d[:5] == prefix {
			out.Workdays = append(out.Workdays, d)
		}
	}
	return state.JSON(out)
}

// SetPolicy sets the hotline controls (governance only): input
// {"autoEscalate":true,"autoCloseDays":5,"maxTransfers":2} (workorder.Policy). They
// apply from the next sweep or action on. Event WorkorderPolicySet.
func (c *Contract) SetPolicy(ctx contractapi.TransactionContextInterface, input string) (string, error) {
	if _, err := state.BeginWrite(ctx); err != nil {
		return "", err
	}
	if err := registry.RequireGovernance(ctx); err != nil {
		return "", err
	}
	var p workorder.Policy
	if err := state.Decode("policy", input, &p); err != nil {
		return "", err
	}
	if err := p.Validate(); err != nil {
		return "", err
	}
	if err := state.PutJSON(ctx, keyPolicy, p); err != nil {
		return "", err
	}
	return state.Respond(ctx, EventPolicySet, p)
}
