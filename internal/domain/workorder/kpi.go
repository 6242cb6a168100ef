package workorder

import "math"

// The plan's targets (issue 6).
const (
	TargetResponse     = 0.95
	TargetResolution   = 0.90
	TargetSatisfaction = 0.85
)

// KPI definitions — the ONE place in code (docs/workorders.md repeats them in words).
// For department D and period [From, To) (RFC 3339 UTC strings; To exclusive), as of AsOf
// (the query's transaction time):
//
//   - Received: D's episodes (assignments by routing, transfer or escalation) whose
//     AssignedAt is in the period.
//   - Response rate: of those episodes, responded on time / (on time + late).
//     Responded = accepted, or transferred on by D. On time = at or before RespondBy.
//     Late = responded after RespondBy, or no response and RespondBy < AsOf, or escalated
//     away after RespondBy without response. Not counted: still pending (no response,
//     RespondBy >= AsOf), or escalated away at or before RespondBy.
//   - Resolution rate: of D's resolve rounds (the first of each episode, plus one per
//     reopen) whose ResolveBy is in the period ("due in the period"): resolved on time /
//     (on time + late), with on time/late/pending/handed-over as for response.
//   - Satisfaction: ratings of D's episodes given in the period: (very satisfied +
//     satisfied) / all ratings. A resolved ticket closed by the sweep because the
//     citizen did not rate it in time is not a rating: it is counted apart
//     (AutoClosedUnrated, attributed by the close time) and in neither term.
//   - A resolve round whose clock is stopped (suspended, 挂起) is pending until it
//     resumes; the resume moves its resolve-by by the working time paused.
//   - Overdue: D's accountability records with cause overdue whose At (the missed
//     deadline) is in the period; Accountability: all of D's accountability records in
//     the period (overdue, unsatisfied, reopened).
//
// A rate with a zero denominator is null (and so is whether it meets its target).

// Outcome of one deadline as of a time.
type Outcome int

// Outcomes.
const (
	OutcomePending  Outcome = iota // deadline not reached, not met yet
	OutcomeExcluded                // handed to another department before the deadline
	OutcomeOnTime
	OutcomeLate
)

func outcome(doneAt, deadline, handedOverAt, asOf string) Outcome {
	switch {
	case doneAt != "" && doneAt <= deadline:
		return OutcomeOnTime
	case doneAt != "":
		return OutcomeLate
	case handedOverAt != "" && handedOverAt <= deadline:
		return OutcomeExcluded
	case handedOverAt != "":
		return OutcomeLate
	case asOf > deadline:
		return OutcomeLate
	}
	return OutcomePending
}

// ResponseFact is what the response KPI needs of one episode (short JSON names: it is
// stored as a small index value, one per episode).
type ResponseFact struct {
	Department   string `json:"d"`
	TicketID     string `json:"t"`
	Episode      int    `json:"e"`
	AssignedAt   string `json:"a"`
	RespondBy    string `json:"by"`
	RespondedAt  string `json:"at"`
	HandedOverAt string `json:"h"`
}

// Outcome of the response deadline as of asOf.
func (f ResponseFact) Outcome(asOf string) Outcome {
	return outcome(f.RespondedAt, f.RespondBy, f.HandedOverAt, asOf)
}

// ResolutionFact is what the resolution KPI needs of one resolve round.
type ResolutionFact struct {
	Department   string `json:"d"`
	TicketID     string `json:"t"`
	Episode      int    `json:"e"`
	Round        int    `json:"r"`
	ResolveBy    string `json:"by"`
	ResolvedAt   string `json:"at"`
	HandedOverAt string `json:"h"`
	PausedAt     string `json:"p"` // the clock is stopped since then (suspended); "" when running
}

// Outcome of the resolve deadline as of asOf (pending while the clock is stopped).
func (f ResolutionFact) Outcome(asOf string) Outcome {
	if f.PausedAt != "" && f.ResolvedAt == "" && f.HandedOverAt == "" {
		return OutcomePending
	}
	return outcome(f.ResolvedAt, f.ResolveBy, f.HandedOverAt, asOf)
}

// RatingFact is one rating attributed to the department of its episode.
type RatingFact struct {
	Department string `json:"d"`
	TicketID   string `json:"t"`
	Episode    int    `json:"e"`
	N          int    `json:"n"`
	At         string `json:"at"`
	Rating     Rating `json:"r"`
}

// Facts derives every KPI fact of a ticket, in a fixed order (episode, round, rating).
func (t Ticket) Facts() (resp []ResponseFact, res []ResolutionFact, rat []RatingFact) {
	for i, e := range t.Episodes {
		resp = append(resp, ResponseFact{e.Department, t.ID, i + 1, e.AssignedAt, e.RespondBy, e.RespondedAt, e.HandedOverAt})
		for j, r := range e.Rounds {
			h, p := "", ""
			if j == len(e.Rounds)-1 {
				h = e.HandedOverAt
			}
			if n := len(r.Pauses); n > 0 && r.Pauses[n-1].To == "" {
				p = r.Pauses[n-1].From
			}
			res = append(res, ResolutionFact{e.Department, t.ID, i + 1, j + 1, r.ResolveBy, r.ResolvedAt, h, p})
		}
		for n, g := range e.Ratings {
			rat = append(rat, RatingFact{e.Department, t.ID, i + 1, n + 1, g.At, g.Rating})
		}
	}
	return resp, res, rat
}

// Rate is one KPI ratio against its target.
type Rate struct {
	Numerator   int      `json:"numerator"`
	Denominator int      `json:"denominator"`
	Rate        *float64 `json:"rate"` // rounded to 4 decimals; null when Denominator == 0
	Target      float64  `json:"target"`
	Met         *bool    `json:"met"`
}

func newRate(num, den int, target float64) Rate {
	r := Rate{Numerator: num, Denominator: den, Target: target}
	if den > 0 {
		v := math.Round(float64(num)/float64(den)*1e4) / 1e4
		met := float64(num) >= target*float64(den)
		r.Rate, r.Met = &v, &met
	}
	return r
}

// KPI is a department's score for a period.
type KPI struct {
	Department        string `json:"department"`
	From              string `json:"from"`
	To                string `json:"to"`
	AsOf              string `json:"asOf"`
	Received          int    `json:"received"`
	Response          Rate   `json:"response"`
	ResponsePending   int    `json:"responsePending"`
	Resolution        Rate   `json:"resolution"`
	ResolutionPending int    `json:"resolutionPending"`
	Satisfaction      Rate   `json:"satisfaction"`
	AutoClosedUnrated int    `json:"autoClosedUnrated"`
	Overdue           int    `json:"overdue"`
	Accountability    int    `json:"accountability"`
	Unsatisfied       int    `json:"unsatisfied"`
	Reopened          int    `json:"reopened"`
}

// Counts are the tallies a KPI is made of. They add up: the counts of two disjoint
// periods sum to the counts of their union (day rollups rely on it).
type Counts struct {
	Received          int `json:"received"`
	ResponseOnTime    int `json:"responseOnTime"`
	ResponseLate      int `json:"responseLate"`
	ResponsePending   int `json:"responsePending"`
	ResolutionOnTime  int `json:"resolutionOnTime"`
	ResolutionLate    int `json:"resolutionLate"`
	ResolutionPending int `json:"resolutionPending"`
	Rated             int `json:"rated"`
	Satisfied         int `json:"satisfied"`
	AutoClosedUnrated int `json:"autoClosedUnrated"`
	Overdue           int `json:"overdue"`
	Accountability    int `json:"accountability"`
	Unsatisfied       int `json:"unsatisfied"`
	Reopened          int `json:"reopened"`
}

// Add adds c2 to c.
func (c *Counts) Add(c2 Counts) {
	c.Received += c2.Received
	c.ResponseOnTime += c2.ResponseOnTime
	c.ResponseLate += c2.ResponseLate
	c.ResponsePending += c2.ResponsePending
	c.ResolutionOnTime += c2.ResolutionOnTime
	c.ResolutionLate += c2.ResolutionLate
	c.ResolutionPending += c2.ResolutionPending
	c.Rated += c2.Rated
	c.Satisfied += c2.Satisfied
	c.AutoClosedUnrated += c2.AutoClosedUnrated
	c.Overdue += c2.Overdue
	c.Accountability += c2.Accountability
	c.Unsatisfied += c2.Unsatisfied
	c.Reopened += c2.Reopened
}

// Pending reports whether some outcome counted here may still change.
func (c Counts) Pending() bool { return c.ResponsePending > 0 || c.ResolutionPending > 0 }

// KPIAccumulator computes a KPI from facts fed one at a time (so the contract can stream
// index ranges without holding them). Facts outside the department or period are ignored.
type KPIAccumulator struct {
	dept, from, to, asOf string
	c                    Counts
}

// NewKPIAccumulator starts a KPI for dept over [from, to) as of asOf.
func NewKPIAccumulator(dept, from, to, asOf string) *KPIAccumulator {
	return &KPIAccumulator{dept: dept, from: from, to: to, asOf: asOf}
}

func (a *KPIAccumulator) in(dept, at string) bool {
	return dept == a.dept && at >= a.from && at < a.to
}

// AddResponse counts one episode (attributed by AssignedAt).
func (a *KPIAccumulator) AddResponse(f ResponseFact) {
	if !a.in(f.Department, f.AssignedAt) {
		return
	}
	a.c.Received++
	switch f.Outcome(a.asOf) {
	case OutcomeOnTime:
		a.c.ResponseOnTime++
	case OutcomeLate:
		a.c.ResponseLate++
	case OutcomePending:
		a.c.ResponsePending++
	}
}

// AddResolution counts one resolve round (attributed by ResolveBy).
func (a *KPIAccumulator) AddResolution(f ResolutionFact) {
	if !a.in(f.Department, f.ResolveBy) {
		return
	}
	switch f.Outcome(a.asOf) {
	case OutcomeOnTime:
		a.c.ResolutionOnTime++
	case OutcomeLate:
		a.c.ResolutionLate++
	case OutcomePending:
		a.c.ResolutionPending++
	}
}

// AddRating counts one rating (attributed by its time).
func (a *KPIAccumulator) AddRating(f RatingFact) {
	if !a.in(f.Department, f.At) {
		return
	}
	if f.Rating == RatingUnrated {
		a.c.AutoClosedUnrated++
		return
	}
	a.c.Rated++
	if f.Rating.Satisfied() {
		a.c.Satisfied++
	}
}

// AddAccountability counts one accountability record (attributed by At).
func (a *KPIAccumulator) AddAccountability(r Accountability) {
	if !a.in(r.Department, r.At) {
		return
	}
	a.c.Accountability++
	switch r.Cause {
	case CauseOverdue:
		a.c.Overdue++
	case CauseUnsatisfied:
		a.c.Unsatisfied++
	case CauseReopened:
		a.c.Reopened++
	}
}

// AddCounts adds tallies made elsewhere (a day rollup inside the period).
func (a *KPIAccumulator) AddCounts(c Counts) { a.c.Add(c) }

// Counts returns the tallies so far.
func (a *KPIAccumulator) Counts() Counts { return a.c }

// Result returns the KPI.
func (a *KPIAccumulator) Result() KPI {
	c := a.c
	return KPI{
		Department: a.dept, From: a.from, To: a.to, AsOf: a.asOf,
		Received:          c.Received,
		Response:          newRate(c.ResponseOnTime, c.ResponseOnTime+c.ResponseLate, TargetResponse),
		ResponsePending:   c.ResponsePending,
		Resolution:        newRate(c.ResolutionOnTime, c.ResolutionOnTime+c.ResolutionLate, TargetResolution),
		ResolutionPending: c.ResolutionPending,
		Satisfaction:      newRate(c.Satisfied, c.Rated, TargetSatisfaction),
		AutoClosedUnrated: c.AutoClosedUnrated,
		Overdue:           c.Overdue,
		Accountability:    c.Accountability,
		Unsatisfied:       c.Unsatisfied,
		Reopened:          c.Reopened,
	}
}

// ComputeKPI is the KPI of dept over [from, to) as of asOf, computed from whole tickets
// and accountability records (the reference the contract's indexed computation must match).
func ComputeKPI(dept, from, to, asOf string, tickets []Ticket, acc []Accountability) KPI {
	a := NewKPIAccumulator(dept, from, to, asOf)
	for _, t := range tickets {
		resp, res, rat := t.Facts()
		for _, f := range resp {
			a.AddResponse(f)
		}
		for _, f := range res {
			a.AddResolution(f)
		}
		for _, f := range rat {
			a.AddRating(f)
		}
	}
	for _, r := range acc {
		a.AddAccountability(r)
	}
	return a.Result()
}
