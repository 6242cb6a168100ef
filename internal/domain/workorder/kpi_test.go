package workorder

import (
	"encoding/json"
	"testing"
)

// ep builds an episode with one round per (resolveBy, resolvedAt) pair.
func ep(dept, assignedAt, respondBy, respondedAt, handedOverAt string, rounds ...string) Episode {
	e := Episode{Department: dept, AssignedAt: assignedAt, RespondBy: respondBy, RespondedAt: respondedAt, HandedOverAt: handedOverAt}
	for i := 0; i+1 < len(rounds); i += 2 {
		e.Rounds = append(e.Rounds, Round{ResolveBy: rounds[i], ResolvedAt: rounds[i+1]})
	}
	return e
}

func rated(e Episode, pairs ...string) Episode {
	for i := 0; i+1 < len(pairs); i += 2 {
		e.Ratings = append(e.Ratings, RatingEntry{At: pairs[i], Rating: Rating(pairs[i+1])})
	}
	return e
}

// TestKPIHandMade: department A, period [2026-11-02, 2026-11-09) UTC, as of 2026-11-20.
// Every figure below was worked out by hand from the tickets; see the comment on each.
func TestKPIHandMade(t *testing.T) {
	const from, to, asOf = "2026-11-02T00:00:00Z", "2026-11-09T00:00:00Z", "2026-11-20T00:00:00Z"
	tickets := []Ticket{
		// T1: received 11-02; responded 05:00 < respond-by 11-03 01:00 → response ON TIME.
		// resolve-by 11-09 01:00 is outside the period → not in resolution.
		// rated satisfied 11-06 → rated, satisfied.
		{SubmitInput: SubmitInput{ID: "T1"}, Episodes: []Episode{rated(
			ep("A", "2026-11-02T01:00:00Z", "2026-11-03T01:00:00Z", "2026-11-02T05:00:00Z", "",
				"2026-11-09T01:00:00Z", "2026-11-05T00:00:00Z"),
			"2026-11-06T00:00:00Z", "satisfied")}},
		// T2: received 11-02; responded 11-03 03:00 > respond-by 02:00 → response LATE.
		// resolve-by 11-04 (in period), resolved 11-03 10:00 → resolution ON TIME.
		// rated unsatisfied 11-04 01:00 → rated, not satisfied.
		{SubmitInput: SubmitInput{ID: "T2"}, Episodes: []Episode{rated(
			ep("A", "2026-11-02T02:00:00Z", "2026-11-03T02:00:00Z", "2026-11-03T03:00:00Z", "",
				"2026-11-04T00:00:00Z", "2026-11-03T10:00:00Z"),
			"2026-11-04T01:00:00Z", "unsatisfied")}},
		// T3: received by A 11-03, escalated away 11-03 12:00 before both deadlines, no
		// response → response EXCLUDED, resolution (by 11-06) EXCLUDED. Episode 2 is B's.
		{SubmitInput: SubmitInput{ID: "T3"}, Episodes: []Episode{
			ep("A", "2026-11-03T00:00:00Z", "2026-11-04T00:00:00Z", "", "2026-11-03T12:00:00Z",
				"2026-11-06T00:00:00Z", ""),
			ep("B", "2026-11-03T12:00:00Z", "2026-11-04T12:00:00Z", "2026-11-03T13:00:00Z", "",
				"2026-11-06T12:00:00Z", "2026-11-05T00:00:00Z"),
		}},
		// T4: received 11-04; never responded, respond-by 11-05 < as-of → response LATE;
		// resolve-by 11-07 unresolved, < as-of → resolution LATE.
		{SubmitInput: SubmitInput{ID: "T4"}, Episodes: []Episode{
			ep("A", "2026-11-04T00:00:00Z", "2026-11-05T00:00:00Z", "", "",
				"2026-11-07T00:00:00Z", ""),
		}},
		// T5: received 11-06; transferred on 11-06 01:00 (a response) → response ON TIME;
		// handed over before resolve-by 11-08 → resolution EXCLUDED.
		{SubmitInput: SubmitInput{ID: "T5"}, Episodes: []Episode{
			ep("A", "2026-11-06T00:00:00Z", "2026-11-07T00:00:00Z", "2026-11-06T01:00:00Z", "2026-11-06T01:00:00Z",
				"2026-11-08T00:00:00Z", ""),
			ep("B", "2026-11-06T01:00:00Z", "2026-11-07T01:00:00Z", "", "",
				"2026-11-13T01:00:00Z", ""),
		}},
		// T6: received 11-08 23:00; respond-by 11-30 is after as-of, no response → PENDING.
		{SubmitInput: SubmitInput{ID: "T6"}, Episodes: []Episode{
			ep("A", "2026-11-08T23:00:00Z", "2026-11-30T00:00:00Z", "", "",
				"2026-12-10T00:00:00Z", ""),
		}},
		// T7: received 10-28 (before the period: not received, its response not counted).
		// Round 1: resolve-by 11-02 00:00 (= from, inside) resolved 11-01 → ON TIME.
		// Rated unsatisfied 11-01 12:00 (outside), reopened; round 2: resolve-by 11-05,
		// resolved 11-05 00:01 → LATE. Rated very satisfied 11-08 23:59:59 → rated, satisfied.
		{SubmitInput: SubmitInput{ID: "T7"}, Episodes: []Episode{rated(
			ep("A", "2026-10-28T00:00:00Z", "2026-10-29T00:00:00Z", "2026-10-28T01:00:00Z", "",
				"2026-11-02T00:00:00Z", "2026-11-01T00:00:00Z",
				"2026-11-05T00:00:00Z", "2026-11-05T00:01:00Z"),
			"2026-11-01T12:00:00Z", "unsatisfied", "2026-11-08T23:59:59Z", "very_satisfied")}},
		// T8: B's only → ignored.
		{SubmitInput: SubmitInput{ID: "T8"}, Episodes: []Episode{rated(
			ep("B", "2026-11-03T00:00:00Z", "2026-11-04T00:00:00Z", "", "",
				"2026-11-06T00:00:00Z", ""),
			"2026-11-07T00:00:00Z", "unsatisfied")}},
		// T9: received 11-01 (outside). Resolve-by 11-08 23:59:59 (inside) resolved 11-08 → ON TIME.
		// Rated neutral at 11-09 00:00 = to (exclusive) → not counted.
		{SubmitInput: SubmitInput{ID: "T9"}, Episodes: []Episode{rated(
			ep("A", "2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z", "2026-11-01T01:00:00Z", "",
				"2026-11-08T23:59:59Z", "2026-11-08T00:00:00Z"),
			"2026-11-09T00:00:00Z", "neutral")}},
	}
	acc := []Accountability{
		{TicketID: "T2", Department: "A", Cause: CauseOverdue, At: "2026-11-03T02:00:00Z"},     // in
		{TicketID: "T2", Department: "A", Cause: CauseUnsatisfied, At: "2026-11-04T01:00:00Z"}, // in
		{TicketID: "T4", Department: "A", Cause: CauseOverdue, At: "2026-11-05T00:00:00Z"},     // in
		{TicketID: "T4", Department: "A", Cause: CauseOverdue, At: "2026-11-07T00:00:00Z"},     // in
		{TicketID: "T7", Department: "A", Cause: CauseUnsatisfied, At: "2026-11-01T12:00:00Z"}, // out (before from)
		{TicketID: "T7", Department: "A", Cause: CauseReopened, At: "2026-11-02T00:00:00Z"},    // in (= from)
		{TicketID: "T7", Department: "A", Cause: CauseOverdue, At: "2026-11-05T00:00:00Z"},     // in
		{TicketID: "T8", Department: "B", Cause: CauseOverdue, At: "2026-11-04T00:00:00Z"},     // other department
		{TicketID: "T4", Department: "A", Cause: CauseOverdue, At: "2026-11-09T00:00:00Z"},     // out (= to)
	}
	got := ComputeKPI("A", from, to, asOf, tickets, acc)

	// received   = T1 T2 T3 T4 T5 T6                                   = 6
	// response   = on time T1 T5 / (on time 2 + late T2 T4) = 2/4       = 0.5  (< 0.95: not met); pending T6 = 1
	// resolution = on time T2 T7r1 T9 / (3 + late T4 T7r2) = 3/5        = 0.6  (< 0.90: not met); pending 0
	// satisfied  = T1 satisfied, T7 very satisfied / rated T1 T2 T7 = 2/3 = 0.6667 (< 0.85: not met)
	// overdue    = T2, T4 (11-05), T4 (11-07), T7                        = 4
	// accountability = 4 overdue + T2 unsatisfied + T7 reopened         = 6 (unsatisfied 1, reopened 1)
	checkRate := func(name string, r Rate, num, den int, rate float64, met bool) {
		t.Helper()
		if r.Numerator != num || r.Denominator != den || r.Rate == nil || *r.Rate != rate || r.Met == nil || *r.Met != met {
			b, _ := json.Marshal(r)
			t.Errorf("%s = %s, want %d/%d = %v met=%v", name, b, num, den, rate, met)
		}
	}
	if got.Received != 6 || got.ResponsePending != 1 || got.ResolutionPending != 0 {
		t.Errorf("received %d pending %d/%d", got.Received, got.ResponsePending, got.ResolutionPending)
	}
	checkRate("response", got.Response, 2, 4, 0.5, false)
	checkRate("resolution", got.Resolution, 3, 5, 0.6, false)
	checkRate("satisfaction", got.Satisfaction, 2, 3, 0.6667, false)
	if got.Overdue != 4 || got.Accountability != 6 || got.Unsatisfied != 1 || got.Reopened != 1 {
		t.Errorf("overdue %d accountability %d unsatisfied %d reopened %d", got.Overdue, got.Accountability, got.Unsatisfied, got.Reopened)
	}

	// B over the same period: received T3e2 (11-03 12:00), T5e2 (11-06 01:00), T8 (11-03) = 3.
	// response: T3e2 on time; T5e2 respond-by 11-07 01:00 passed, none → late; T8 late → 1/3.
	// resolution (due in period): T3e2 by 11-06 12:00 resolved 11-05 on time; T8 by 11-06 late → 1/2.
	// satisfaction: T8 unsatisfied → 0/1. accountability: T8 overdue → 1.
	b := ComputeKPI("B", from, to, asOf, tickets, acc)
	if b.Received != 3 || b.Overdue != 1 || b.Accountability != 1 {
		t.Errorf("B: %+v", b)
	}
	checkRate("B response", b.Response, 1, 3, 0.3333, false)
	checkRate("B resolution", b.Resolution, 1, 2, 0.5, false)
	checkRate("B satisfaction", b.Satisfaction, 0, 1, 0, false)

	// No data: rates are null, not 0 and not "met".
	none := ComputeKPI("Z", from, to, asOf, tickets, acc)
	if none.Response.Rate != nil || none.Response.Met != nil || none.Received != 0 {
		t.Errorf("empty KPI: %+v", none)
	}
}

// TestKPITargets: meeting a target exactly counts as met (19/20 = 0.95).
func TestKPITargets(t *testing.T) {
	r := newRate(19, 20, TargetResponse)
	if r.Met == nil || !*r.Met || *r.Rate != 0.95 {
		t.Errorf("19/20: %+v", r)
	}
	r = newRate(17, 20, TargetSatisfaction)
	if !*r.Met {
		t.Errorf("17/20 satisfaction should meet 0.85")
	}
	r = newRate(8, 9, TargetResolution) // 0.8889 < 0.90
	if *r.Met {
		t.Errorf("8/9 should miss 0.90")
	}
}

// TestKPIFromLifecycle: tickets driven through Submit/Apply/Sweep give the KPI their
// trace implies (the facts the contract indexes come from the same tickets).
func TestKPIFromLifecycle(t *testing.T) {
	c := &clock{t: t}
	var tickets []Ticket
	// Ticket 1: on time all the way, rated satisfied.
	tk, acc := applyAll(t, c, submit(t, c, "2026-11-27T02:00:00Z"),
		step{Request{Action: ActAccept, Actor: deptA}, "2026-11-27T03:00:00Z"},
		step{Request{Action: ActStart, Actor: deptA}, "2026-11-27T04:00:00Z"},
		step{Request{Action: ActResolve, Actor: deptA}, "2026-11-30T04:00:00Z"},
		step{Request{Action: ActRate, Actor: citizen, Rating: RatingSatisfied}, "2026-12-01T04:00:00Z"})
	tickets = append(tickets, tk)
	// Ticket 2: nobody acts; a sweep after resolve-by marks both deadlines.
	tk = submit(t, c, "2026-11-27T02:00:00Z")
	tk.ID = "t2"
	r, _, _ := Sweep(tk, c.env("2026-12-05T00:00:00Z"), "")
	tickets, acc = append(tickets, r.Ticket), append(acc, r.Accountability...)

	k := ComputeKPI("A", "2026-11-23T00:00:00Z", "2026-12-07T00:00:00Z", "2026-12-06T00:00:00Z", tickets, acc)
	// received 2; response 1/2 (t2 late); resolution 1/2 (both due 12-04 02:00, t2 late);
	// satisfaction 1/1; overdue 2 (t2 respond + resolve).
	if k.Received != 2 || k.Response.Numerator != 1 || k.Response.Denominator != 2 ||
		k.Resolution.Numerator != 1 || k.Resolution.Denominator != 2 ||
		k.Satisfaction.Numerator != 1 || k.Satisfaction.Denominator != 1 || k.Overdue != 2 || k.Accountability != 2 {
		b, _ := json.Marshal(k)
		t.Errorf("KPI: %s", b)
	}
}
