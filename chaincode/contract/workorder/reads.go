package workorder

import (
	"time"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/certledger/certledger/chaincode/internal/state"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/domain/workorder"
)

// Get returns ticket id.
func (c *Contract) Get(ctx contractapi.TransactionContextInterface, id string) (string, error) {
	t, err := loadTicket(ctx, id)
	if err != nil {
		return "", err
	}
	return state.JSON(t)
}

// Trace returns every transition record of ticket id, oldest first (one range query).
func (c *Contract) Trace(ctx contractapi.TransactionContextInterface, id string) (string, error) {
	if _, err := loadTicket(ctx, id); err != nil {
		return "", err
	}
	out := []workorder.Transition{}
	prefix := pTrace + id + "/"
	err := scanAll(ctx, prefix, rangeEnd(prefix), func(_ string, v []byte) error {
		var tr workorder.Transition
		if err := decode("transition", v, &tr); err != nil {
			return err
		}
		out = append(out, tr)
		return nil
	})
	if err != nil {
		return "", err
	}
	return state.JSON(out)
}

func checkDept(dept string) error {
	if !wire.ValidID(dept) {
		return codes.New(codes.InvalidArgument, "department %q", dept)
	}
	return nil
}

// ticketsPage pages through index keys whose last part is a ticket id and loads the tickets.
func ticketsPage(ctx state.Context, prefix, pageSize, bookmark string) (string, error) {
	size, err := parsePageSize(pageSize)
	if err != nil {
		return "", err
	}
	p := Page[workorder.Ticket]{Records: []workorder.Ticket{}}
	p.Bookmark, err = page(ctx, prefix, rangeEnd(prefix), size, bookmark, func(key string, _ []byte) error {
		t, err := loadTicket(ctx, keyPart(key, 0))
		if err != nil {
			return err
		}
		p.Records = append(p.Records, t)
		return nil
	})
	if err != nil {
		return "", err
	}
	p.Count = len(p.Records)
	return state.JSON(p)
}

// ListByDepartment returns the tickets assigned to dept in state ("" = every state,
// ordered by state then id), a page at a time: pageSize "" = 50, at most 500; bookmark
// "" for the first page, then the previous page's bookmark. Result
// {"records":[Ticket],"count","bookmark"}.
func (c *Contract) ListByDepartment(ctx contractapi.TransactionContextInterface, dept, state, pageSize, bookmark string) (string, error) {
	if err := checkDept(dept); err != nil {
		return "", err
	}
	prefix := pByDept + dept + "/"
	if state != "" {
		if !workorder.State(state).Valid() {
			return "", codes.New(codes.InvalidArgument, "state %q", state)
		}
		prefix += state + "/"
	}
	return ticketsPage(ctx, prefix, pageSize, bookmark)
}

// ListOverdue returns open tickets that missed a deadline of their current assignment
// (as marked by a sweep or a late action), for dept ("" = every department), paged like
// ListByDepartment.
func (c *Contract) ListOverdue(ctx contractapi.TransactionContextInterface, dept, pageSize, bookmark string) (string, error) {
	prefix := pOver
	if dept != "" {
		if err := checkDept(dept); err != nil {
			return "", err
		}
		prefix += dept + "/"
	}
	return ticketsPage(ctx, prefix, pageSize, bookmark)
}

// period parses a period into [from, to) as RFC 3339 UTC. Each bound is an RFC 3339
// time or a day "YYYY-MM-DD" in the calendar's time zone, and days are inclusive at
// both ends: from 2026-12-01 to 2026-12-31 is the whole of December (the definition
// of internal/domain/period, which the gateway and CLI apply before calling here).
// An RFC 3339 to is exclusive; to must be after from.
func period(ctx state.Context, from, to string) (string, string, error) {
	cal, _, err := loadConfig(ctx)
	if err != nil {
		return "", "", err
	}
	parse := func(name, s string, end bool) (time.Time, error) {
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			return t, nil
		}
		if d, err := cal.StartOfDay(s); err == nil {
			if end {
				d = cal.NextDayStart(d)
			}
			return d, nil
		}
		return time.Time{}, codes.New(codes.InvalidArgument, "%s %q is neither an RFC 3339 time nor YYYY-MM-DD", name, s)
	}
	f, err := parse("from", from, false)
	if err != nil {
		return "", "", err
	}
	t, err := parse("to", to, true)
	if err != nil {
		return "", "", err
	}
	fs, ts := wire.FormatSecond(f), wire.FormatSecond(t)
	if ts <= fs {
		return "", "", codes.New(codes.InvalidArgument, "to %s must be after from %s", ts, fs)
	}
	return fs, ts, nil
}

// Accountability returns dept's accountability records whose time (the missed deadline,
// the rating or the reopen) is in [from, to), oldest first, paged like ListByDepartment.
func (c *Contract) Accountability(ctx contractapi.TransactionContextInterface, dept, from, to, pageSize, bookmark string) (string, error) {
	return periodPage(ctx, pAcc, dept, from, to, pageSize, bookmark, func(_ string, v []byte) (workorder.Accountability, error) {
		var a workorder.Accountability
		err := decode("accountability", v, &a)
		return a, err
	})
}

// periodPage answers a paged read of dept's entries under index prefix whose
// time is in the period from..to (see period): one record per entry, made by rec
// from the entry's key (below prefix+dept+"/") and value.
func periodPage[T any](ctx state.Context, prefix, dept, from, to, pageSize, bookmark string, rec func(key string, v []byte) (T, error)) (string, error) {
	if err := checkDept(dept); err != nil {
		return "", err
	}
	f, t, err := period(ctx, from, to)
	if err != nil {
		return "", err
	}
	size, err := parsePageSize(pageSize)
	if err != nil {
		return "", err
	}
	p := Page[T]{Records: []T{}}
	base := prefix + dept + "/"
	p.Bookmark, err = page(ctx, base+f, base+t, size, bookmark, func(key string, v []byte) error {
		r, err := rec(key, v)
		if err != nil {
			return err
		}
		p.Records = append(p.Records, r)
		return nil
	})
	if err != nil {
		return "", err
	}
	p.Count = len(p.Records)
	return state.JSON(p)
}

// KPI computes dept's KPIs for the period from..to (see period) as of the transaction time (definitions in
// chaincode/domain/workorder/kpi.go and docs/workorders.md). It adds the day rollups of
// whole settled days inside the period (rollup.go) and reads the department's index
// entries only for the rest: range scans of responses by assignment time, resolve
// rounds by resolve-by, ratings and accountability by time.
func (c *Contract) KPI(ctx contractapi.TransactionContextInterface, dept, from, to string) (string, error) {
	if err := checkDept(dept); err != nil {
		return "", err
	}
	f, t, err := period(ctx, from, to)
	if err != nil {
		return "", err
	}
	now, err := state.TxTime(ctx)
	if err != nil {
		return "", err
	}
	k, err := kpiWithRollups(ctx, dept, f, t, wire.FormatSecond(now))
	if err != nil {
		return "", err
	}
	return state.JSON(k)
}
