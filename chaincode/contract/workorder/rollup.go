package workorder

import (
	"errors"
	"strings"
	"time"

	"github.com/certledger/certledger/chaincode/internal/state"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/domain/workorder"
)

// Day rollups make a KPI over a long period cheap: Sweep writes, per department and
// calendar day, the Counts of the facts attributed to that day — once the day is
// settled, i.e. no outcome counted in it can change any more:
//
//   - the day ended at least the maximum allowed skew (state.MaxSkew, 5 min) before the
//     sweep's time: the ledger accepts a transaction timestamped up to that much before
//     its endorser's clock, so until then a ticket timestamped 23:59:30 may still
//     arrive after midnight and must land in a day not yet rolled up;
//   - no running deadline (sweep index) falls before the day's end, so every overdue
//     of the day has been marked and its accountability record committed;
//   - no response of the day is pending (each assignment of the day was answered, handed
//     over, or its respond-by has passed).
//
// After that nothing attributed to the day changes: new facts are always dated at their
// transaction time or later (assignments, ratings, reopen rounds), and a settled outcome
// (on time, late, handed over) stays what it is whatever happens later. Rollups are
// contiguous from a department's first day; wo/kc/<dept> says through when. KPI adds
// the rollups of whole days inside its period and scans facts only for the rest.
const (
	pDay    = "wo/kd/" // wo/kd/<dept>/<dayStart> -> DayRollup
	pCursor = "wo/kc/" // wo/kc/<dept> -> RollupCursor

	// Bounds of the rollup work of one Sweep: days are read a window at a time, and no
	// new window is started once rollupEntries index entries were read (the read set
	// of a range query travels in the proposal response; a Sweep must stay small).
	rollupWindow  = 7
	rollupWindows = 60
	rollupEntries = 10000
)

// DayRollup is the Counts of one department's facts attributed to [Start, End).
type DayRollup struct {
	Department string           `json:"department"`
	Start      string           `json:"start"`
	End        string           `json:"end"`
	Counts     workorder.Counts `json:"counts"`
	TxID       string           `json:"txId"`
}

// RollupCursor says which days of a department are rolled up: [From, Through). From is
// the day of its first assignment, so no fact of the department is older.
type RollupCursor struct {
	From    string `json:"from"`
	Through string `json:"through"`
}

var errStop = errors.New("stop")

// firstKey returns the first key in [start, end) ("" when none).
func firstKey(ctx state.Context, start, end string) (string, error) {
	first := ""
	err := scanAll(ctx, start, end, func(k string, _ []byte) error {
		first = k
		return errStop
	})
	if err != nil && !errors.Is(err, errStop) {
		return "", err
	}
	return first, nil
}

// countFacts feeds acc every fact of dept attributed to [from, to) and returns how many
// index entries it read.
func countFacts(ctx state.Context, acc func(kind string, v []byte) error, dept, from, to string) (int, error) {
	n := 0
	for _, prefix := range []string{pResp, pRes, pRate, pAcc} {
		base := prefix + dept + "/"
		err := scanAll(ctx, base+from, base+to, func(_ string, v []byte) error {
			n++
			return acc(prefix, v)
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// feed returns a fact sink for countFacts that adds to an accumulator chosen per fact
// by its attribution time (pick returns nil to skip).
func feed(dept string, pick func(at string) *workorder.KPIAccumulator) func(kind string, v []byte) error {
	return func(kind string, v []byte) error {
		switch kind {
		case pResp:
			f, err := decodeResponse(dept, v)
			if a := pick(f.AssignedAt); err == nil && a != nil {
				a.AddResponse(f)
			}
			return err
		case pRes:
			f, err := decodeResolution(dept, v)
			if a := pick(f.ResolveBy); err == nil && a != nil {
				a.AddResolution(f)
			}
			return err
		case pRate:
			f, err := decodeRating(dept, v)
			if a := pick(f.At); err == nil && a != nil {
				a.AddRating(f)
			}
			return err
		default:
			var r workorder.Accountability
			if err := decode("accountability", v, &r); err != nil {
				return err
			}
			if a := pick(r.At); a != nil {
				a.AddAccountability(r)
			}
			return nil
		}
	}
}

// rollUp writes the day rollups that have become settled, for every active department,
// and returns how many days it rolled up.
func rollUp(ctx state.Context, cal workorder.Calendar, now time.Time, skew time.Duration) (int, error) {
	nowS, settledS := wire.FormatSecond(now), wire.FormatSecond(now.Add(-skew))
	earliest := ""
	if k, err := firstKey(ctx, pDue, rangeEnd(pDue)); err != nil {
		return 0, err
	} else if k != "" {
		earliest, _, _ = strings.Cut(strings.TrimPrefix(k, pDue), "/")
	}
	depts, err := activeDepartments(ctx)
	if err != nil {
		return 0, err
	}
	rolled := 0
	for _, dept := range depts {
		n, err := rollUpDept(ctx, cal, dept, nowS, settledS, earliest)
		if err != nil {
			return rolled, err
		}
		rolled += n
	}
	return rolled, nil
}

func rollUpDept(ctx state.Context, cal workorder.Calendar, dept, nowS, settledS, earliest string) (int, error) {
	var cur RollupCursor
	if _, err := state.GetJSON(ctx, pCursor+dept, &cur); err != nil {
		return 0, err
	}
	var start time.Time
	if cur.Through != "" {
		t, err := wire.ParseTime(cur.Through)
		if err != nil {
			return 0, codes.New(codes.Internal, "rollup cursor of %s: %v", dept, err)
		}
		start = t
	} else {
		k, err := firstKey(ctx, pResp+dept+"/", rangeEnd(pResp+dept+"/"))
		if err != nil || k == "" {
			return 0, err
		}
		at, _, _ := strings.Cut(strings.TrimPrefix(k, pResp+dept+"/"), "/")
		t, err := wire.ParseTime(at)
		if err != nil {
			return 0, codes.New(codes.Internal, "index key %q: %v", k, err)
		}
		start = cal.DayStart(t)
		cur.From = wire.FormatSecond(start)
	}
	rolled, read := 0, 0
	for w := 0; w < rollupWindows && read < rollupEntries; w++ {
		n, entries, err := rollUpWindow(ctx, cal, dept, &cur, &start, nowS, settledS, earliest)
		if err != nil {
			return rolled, err
		}
		rolled += n
		read += entries
		if n < rollupWindow {
			break // a day not settled yet, or none left
		}
	}
	if rolled > 0 {
		if err := state.PutJSON(ctx, pCursor+dept, cur); err != nil {
			return rolled, err
		}
	}
	return rolled, nil
}

// rollUpWindow rolls up to rollupWindow settled days from *start on, advancing *start and
// cur.Through past them. It returns the days rolled and the index entries read.
func rollUpWindow(ctx state.Context, cal workorder.Calendar, dept string, cur *RollupCursor, start *time.Time, nowS, settledS, earliest string) (int, int, error) {
	// The candidate days: over for at least the skew, and ending before the earliest
	// running deadline.
	type day struct {
		start, end string
		acc        *workorder.KPIAccumulator
	}
	var days []day
	index := map[string]int{} // day start -> position (lookups only)
	for s := *start; len(days) < rollupWindow; {
		e := cal.NextDayStart(s)
		ss, es := wire.FormatSecond(s), wire.FormatSecond(e)
		if es > settledS || (earliest != "" && earliest < es) {
			break
		}
		index[ss] = len(days)
		days = append(days, day{ss, es, workorder.NewKPIAccumulator(dept, ss, es, nowS)})
		s = e
	}
	if len(days) == 0 {
		return 0, 0, nil
	}
	pick := func(at string) *workorder.KPIAccumulator {
		t, err := wire.ParseTime(at)
		if err != nil {
			return nil
		}
		if i, ok := index[wire.FormatSecond(cal.DayStart(t))]; ok {
			return days[i].acc
		}
		// A day boundary that moved with a calendar change: find the day by range.
		for _, d := range days {
			if at >= d.start && at < d.end {
				return d.acc
			}
		}
		return nil
	}
	read, err := countFacts(ctx, feed(dept, pick), dept, days[0].start, days[len(days)-1].end)
	if err != nil {
		return 0, read, err
	}
	rolled := 0
	for _, d := range days {
		c := d.acc.Counts()
		if c.Pending() {
			break
		}
		if err := state.PutJSON(ctx, pDay+dept+"/"+d.start, DayRollup{Department: dept, Start: d.start, End: d.end, Counts: c, TxID: state.TxID(ctx)}); err != nil {
			return rolled, read, err
		}
		cur.Through = d.end
		t, _ := wire.ParseTime(d.end)
		*start = t
		rolled++
	}
	return rolled, read, nil
}

// activeDepartments lists the registry's active departments, ordered by id.
func activeDepartments(ctx state.Context) ([]string, error) {
	ds, err := listDepartments(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, d := range ds {
		if d.Status == "active" && wire.ValidID(d.ID) {
			out = append(out, d.ID)
		}
	}
	return out, nil
}

// kpiWithRollups computes dept's KPI over [from, to) as of asOf: the day rollups of
// whole settled days inside the period, plus the facts of the rest.
func kpiWithRollups(ctx state.Context, dept, from, to, asOf string) (workorder.KPI, error) {
	acc := workorder.NewKPIAccumulator(dept, from, to, asOf)
	var cur RollupCursor
	if _, err := state.GetJSON(ctx, pCursor+dept, &cur); err != nil {
		return workorder.KPI{}, err
	}
	cs, ce := "", ""
	if cur.Through != "" && from < cur.Through {
		err := scanAll(ctx, pDay+dept+"/"+from, pDay+dept+"/"+to, func(_ string, v []byte) error {
			var d DayRollup
			if err := decode("day rollup", v, &d); err != nil {
				return err
			}
			if d.End > to || d.End > cur.Through || (cs != "" && d.Start != ce) {
				return errStop
			}
			if cs == "" {
				cs = d.Start
			}
			ce = d.End
			acc.AddCounts(d.Counts)
			return nil
		})
		if err != nil && !errors.Is(err, errStop) {
			return workorder.KPI{}, err
		}
	}
	all := func(string) *workorder.KPIAccumulator { return acc }
	ranges := [][2]string{{from, to}}
	if cs != "" {
		ranges = [][2]string{{from, cs}, {ce, to}}
		if cs == cur.From {
			ranges = ranges[1:] // nothing of the department is older than its first day
		}
	}
	for _, r := range ranges {
		if r[0] >= r[1] {
			continue
		}
		if _, err := countFacts(ctx, feed(dept, all), dept, r[0], r[1]); err != nil {
			return workorder.KPI{}, err
		}
	}
	return acc.Result(), nil
}
