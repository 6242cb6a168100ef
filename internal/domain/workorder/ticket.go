package workorder

import (
	"fmt"
	"slices"
	"time"

	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/lineage"
	"github.com/certledger/certledger/internal/domain/wire"
)

// Round is one resolve obligation of an assignment: the first one starts at assignment,
// each reopen starts another with a fresh resolve-by.
type Round struct {
	OpenedAt   string  `json:"openedAt"`
	ResolveBy  string  `json:"resolveBy"`
	ResolvedAt string  `json:"resolvedAt"`
	Overdue    bool    `json:"overdue"`
	Pauses     []Pause `json:"pauses,omitempty"`
}

// Pause is one stop of the resolve clock (挂起) while the department waits for the
// citizen: From the suspend, To the resume ("" while suspended), Added the working
// time added to the resolve-by on resume (a Go duration, "0s" when the deadline had
// already been missed).
type Pause struct {
	From  string `json:"from"`
	To    string `json:"to"`
	Added string `json:"added,omitempty"`
}

// RatingEntry is one rating given by the citizen.
type RatingEntry struct {
	Rating      Rating `json:"rating"`
	CommentHash string `json:"commentHash"`
	At          string `json:"at"`
}

// Episode is one assignment of a ticket to a department: from routing, a transfer or an
// escalation until it is handed over to another department (or the ticket closes).
// A department's KPIs are computed from its episodes.
type Episode struct {
	Department     string        `json:"department"`
	AssignedAt     string        `json:"assignedAt"`
	RespondBy      string        `json:"respondBy"`
	RespondedAt    string        `json:"respondedAt"`
	RespondOverdue bool          `json:"respondOverdue"`
	Rounds         []Round       `json:"rounds"`
	Ratings        []RatingEntry `json:"ratings"`
	HandedOverAt   string        `json:"handedOverAt"`
	HandedOverBy   Action        `json:"handedOverBy"`
}

// Ticket is a citizen appeal. The text stays off the ledger (ContentHash is its SM3);
// the reporter is a commitment SM3(salt || identifier).
type Ticket struct {
	// The submission as the intake channel sent it: id, category, content
	// hash, reporter commitment, channel and the certificates and exchanges
	// the ticket is about (Refs; lineage).
	SubmitInput

	State      State  `json:"state"`
	Department string `json:"department"`           // assigned department (current episode)
	RespondBy  string `json:"respondBy"`            // current episode
	ResolveBy  string `json:"resolveBy"`            // current round
	Overdue    bool   `json:"overdue"`              // currently overdue: a missed deadline of the current episode/round is still unmet
	Rating     Rating `json:"rating"`               // last rating
	RateBy     string `json:"rateBy,omitempty"`     // resolved: closed unrated by the sweep after this (Policy.AutoCloseDays)
	AutoClosed bool   `json:"autoClosed,omitempty"` // closed by the sweep, unrated

	CalendarVersion int `json:"calendarVersion"` // the calendar its deadlines are computed with (kept for life)

	CreatedAt  string `json:"createdAt"`
	AssignedAt string `json:"assignedAt"`
	AcceptedAt string `json:"acceptedAt"`
	StartedAt  string `json:"startedAt"`
	ResolvedAt string `json:"resolvedAt"`
	RatedAt    string `json:"ratedAt"`
	ClosedAt   string `json:"closedAt"`
	UpdatedAt  string `json:"updatedAt"`

	Transfers      int `json:"transfers"`
	Escalations    int `json:"escalations"`
	Reopens        int `json:"reopens"`
	Accountability int `json:"accountability"` // accountability records written so far
	Seq            int `json:"seq"`            // transition records written so far

	Episodes []Episode `json:"episodes"`
	TxID     string    `json:"txId"` // tx of the last write (the prevTxId a signed action must name)
}

// Transition is the record of one transition; a ticket's records, in Seq order, are its trace.
type Transition struct {
	TicketID       string   `json:"ticketId"`
	Seq            int      `json:"seq"`
	Action         Action   `json:"action"`
	Role           Role     `json:"role"`
	From           State    `json:"from"`
	To             State    `json:"to"`
	Department     string   `json:"department"` // acting department ("" for citizen channel / system)
	ActorMSP       string   `json:"actorMspId"`
	ActorID        string   `json:"actorId"`
	AssignedTo     string   `json:"assignedTo"` // the ticket's department after the transition
	Target         string   `json:"target"`
	NoteHash       string   `json:"noteHash"`
	Rating         Rating   `json:"rating,omitempty"`
	CommentHash    string   `json:"commentHash,omitempty"`
	RespondBy      string   `json:"respondBy"`
	ResolveBy      string   `json:"resolveBy"`
	KeyID          string   `json:"keyId"`
	Signature      string   `json:"signature"`
	Accountability []string `json:"accountability"`      // ids of accountability records written by this transition
	Missed         []Due    `json:"missed,omitempty"`    // overdue / automatic escalation: the deadlines missed
	Requested      string   `json:"requested,omitempty"` // transfer past the limit: the department asked for (the ticket went to governance)
	Pause          *Pause   `json:"pause,omitempty"`     // suspend / resume: the pause
	Time           string   `json:"time"`
	TxID           string   `json:"txId"`
}

// Accountability is an append-only record that a department is answerable for a ticket.
// At is when the fault happened (the missed deadline for overdue, the rating or reopen
// time otherwise); KPIs and the accountability listing use At.
type Accountability struct {
	ID         string `json:"id"` // ticketId#n
	TicketID   string `json:"ticketId"`
	Department string `json:"department"`
	Cause      Cause  `json:"cause"`
	Phase      Phase  `json:"phase,omitempty"`    // overdue only
	Deadline   string `json:"deadline,omitempty"` // overdue only
	At         string `json:"at"`
	RecordedAt string `json:"recordedAt"`
	TxID       string `json:"txId"`
}

// Actor is who does an action: its role on the ticket, its department (if any), the
// Fabric identity that submitted, and the SM2 key and signature (department actions).
type Actor struct {
	Role       Role
	Department string
	MSP        string
	ID         string
	KeyID      string
	Signature  string
}

// Env is what a transition needs from the ledger: the tx time and id, the calendar
// (the ticket's own version), SLA and policy, and the governance department (where
// automatic escalation ends and transfers past the limit go; "" when none).
//
// SubmitterMSP and SubmitterID name who submitted the transaction (the tx creator's
// MSP and certificate subject): the ledger's own transitions (route, overdue,
// automatic escalation and close) record them, so a trace says whose sweep or action
// triggered them.
type Env struct {
	Now          time.Time
	TxID         string
	Calendar     Calendar
	SLA          SLA
	Policy       Policy
	Governance   string
	SubmitterMSP string
	SubmitterID  string
}

func (e Env) now() string { return wire.FormatSecond(e.Now) }

// Result is what a transition writes: the new ticket, its new transition records (in Seq
// order) and any new accountability records.
type Result struct {
	Ticket         Ticket
	Transitions    []Transition
	Accountability []Accountability
}

// SubmitInput is what the intake channel sends for a new appeal.
type SubmitInput struct {
	ID                 string `json:"id"`
	Category           string `json:"category"`
	ContentHash        string `json:"contentHash"`
	ReporterCommitment string `json:"reporterCommitment"`
	Channel            string `json:"channel"`
	// Refs optionally name the certificates and exchanges the appeal is about,
	// sorted: "certificate:ID", "exchange:ID" (at most lineage.MaxRefs).
	Refs []string `json:"refs,omitempty"`
}

// Validate checks a submission and returns every problem found as wire.FieldErrors.
func (in SubmitInput) Validate() error {
	var fe wire.FieldErrors
	fe.ID("id", in.ID)
	fe.ID("category", in.Category)
	fe.Hash("contentHash", in.ContentHash)
	fe.Hash("reporterCommitment", in.ReporterCommitment)
	if !slices.Contains(Channels, in.Channel) {
		fe.Add("channel", "%q (want one of %v)", in.Channel, Channels)
	}
	lineage.CheckTicketRefs(&fe, "refs", in.Refs)
	return fe.Err()
}

// Request is one action on an existing ticket.
type Request struct {
	Action      Action
	Actor       Actor
	Target      string // transfer / escalate / route: the receiving department
	NoteHash    string // SM3 of a note (reason, answer); required for transfer, escalate, return and suspend
	Rating      Rating // rate
	CommentHash string // rate: SM3 of the citizen's comment; optional
}

// needsReason lists the actions that must carry a reason (noteHash).
var needsReason = []Action{ActTransfer, ActEscalate, ActReturn, ActSuspend}

// needsTarget lists the actions that name a receiving department.
var needsTarget = []Action{ActTransfer, ActEscalate, ActRoute}

// validate checks a request and returns every problem found as wire.FieldErrors.
func (r Request) validate() error {
	var fe wire.FieldErrors
	if r.NoteHash != "" {
		fe.Hash("noteHash", r.NoteHash)
	}
	if r.CommentHash != "" {
		fe.Hash("commentHash", r.CommentHash)
	}
	switch r.Action {
	case ActSubmit, ActOverdue:
		fe.Add("action", "%s is not a request action", r.Action)
	case ActRoute:
		if r.Actor.Role == RoleSystem {
			fe.Add("action", "%s is not a request action", r.Action)
		}
	case ActRate:
		if !r.Rating.Valid() {
			fe.Add("rating", "%q (want very_satisfied|satisfied|neutral|unsatisfied, 非常满意|满意|一般|不满意)", r.Rating)
		}
	}
	if slices.Contains(needsTarget, r.Action) {
		if !wire.ValidID(r.Target) {
			fe.Add("target", "%s needs a target department (got %q)", r.Action, r.Target)
		}
	} else if r.Target != "" {
		fe.Add("target", "%s takes no target", r.Action)
	}
	if slices.Contains(needsReason, r.Action) && r.NoteHash == "" {
		fe.Add("noteHash", "%s needs a reason (noteHash)", r.Action)
	}
	return fe.Err()
}

// clone deep-copies a ticket so a failed transition never changes the caller's value.
func (t Ticket) clone() Ticket {
	c := t
	c.Episodes = make([]Episode, len(t.Episodes))
	for i, e := range t.Episodes {
		e.Rounds = slices.Clone(e.Rounds)
		for j := range e.Rounds {
			e.Rounds[j].Pauses = slices.Clone(e.Rounds[j].Pauses)
		}
		e.Ratings = slices.Clone(e.Ratings)
		c.Episodes[i] = e
	}
	return c
}

// episode returns the current episode (nil before routing).
func (t *Ticket) episode() *Episode {
	if len(t.Episodes) == 0 {
		return nil
	}
	return &t.Episodes[len(t.Episodes)-1]
}

func (e *Episode) round() *Round {
	if len(e.Rounds) == 0 {
		return nil
	}
	return &e.Rounds[len(e.Rounds)-1]
}

// refresh recomputes the summary fields from the current episode.
func (t *Ticket) refresh() {
	e := t.episode()
	if e == nil {
		return
	}
	t.Department = e.Department
	t.AssignedAt = e.AssignedAt
	t.RespondBy = e.RespondBy
	r := e.round()
	t.ResolveBy = r.ResolveBy
	// Currently overdue: a missed deadline not met since. A late accept ends the
	// respond overdue (the accountability record stays); a late resolve the resolve one.
	t.Overdue = (e.RespondOverdue && e.RespondedAt == "") || (r.Overdue && r.ResolvedAt == "")
	if t.State == StateSubmitted { // returned to intake: nobody's deadlines run
		t.RespondBy, t.ResolveBy, t.Overdue = "", "", false
	}
}

// assign starts a new episode for dept at now with fresh deadlines.
func (t *Ticket) assign(dept string, env Env) {
	lim := env.SLA.For(t.Category)
	now := env.now()
	start := env.Now.UTC().Truncate(time.Second)
	t.Episodes = append(t.Episodes, Episode{
		Department: dept,
		AssignedAt: now,
		RespondBy:  wire.FormatSecond(env.Calendar.AddWorkingDays(start, lim.RespondDays)),
		Rounds: []Round{{
			OpenedAt:  now,
			ResolveBy: wire.FormatSecond(env.Calendar.AddWorkingDays(start, lim.ResolveDays)),
		}},
		Ratings: []RatingEntry{},
	})
	t.AcceptedAt, t.StartedAt, t.ResolvedAt = "", "", ""
	t.refresh()
}

func (t *Ticket) record(res *Result, rule Rule, actor Actor, req Request, env Env, acc []string) *Transition {
	t.Seq++
	if acc == nil {
		acc = []string{}
	}
	if actor.Role == RoleSystem && actor.MSP == "" {
		actor.MSP, actor.ID = env.SubmitterMSP, env.SubmitterID
	}
	res.Transitions = append(res.Transitions, Transition{
		TicketID:       t.ID,
		Seq:            t.Seq,
		Action:         rule.Action,
		Role:           rule.Role,
		From:           rule.From,
		To:             rule.To,
		Department:     actor.Department,
		ActorMSP:       actor.MSP,
		ActorID:        actor.ID,
		AssignedTo:     t.Department,
		Target:         req.Target,
		NoteHash:       req.NoteHash,
		Rating:         req.Rating,
		CommentHash:    req.CommentHash,
		RespondBy:      t.RespondBy,
		ResolveBy:      t.ResolveBy,
		KeyID:          actor.KeyID,
		Signature:      actor.Signature,
		Accountability: acc,
		Time:           env.now(),
		TxID:           env.TxID,
	})
	return &res.Transitions[len(res.Transitions)-1]
}

func (t *Ticket) account(res *Result, dept string, cause Cause, phase Phase, deadline, at string, env Env) string {
	t.Accountability++
	a := Accountability{
		ID:         fmt.Sprintf("%s#%d", t.ID, t.Accountability),
		TicketID:   t.ID,
		Department: dept,
		Cause:      cause,
		Phase:      phase,
		Deadline:   deadline,
		At:         at,
		RecordedAt: env.now(),
		TxID:       env.TxID,
	}
	res.Accountability = append(res.Accountability, a)
	return a.ID
}

// Submit creates a ticket from the intake channel and routes it to dept (the department
// registered for its category) in one step: two transition records, submit and route.
func Submit(in SubmitInput, dept string, actor Actor, env Env) (Result, error) {
	if err := in.Validate(); err != nil {
		return Result{}, err
	}
	if !wire.ValidID(dept) {
		return Result{}, codes.Wrap(codes.ErrInvalidArgument, "department %q", dept)
	}
	sub, err := Check(StateNone, ActSubmit, actor.Role, "")
	if err != nil {
		return Result{}, err
	}
	route, err := Check(sub.To, ActRoute, RoleSystem, "")
	if err != nil {
		return Result{}, err
	}
	t := Ticket{SubmitInput: in, CreatedAt: env.now(), Episodes: []Episode{}, CalendarVersion: env.Calendar.Version}
	var res Result
	t.State = sub.To
	t.record(&res, sub, actor, Request{}, env, nil)
	t.assign(dept, env)
	t.State = route.To
	t.refresh()
	t.record(&res, route, Actor{Role: RoleSystem}, Request{Target: dept}, env, nil)
	t.UpdatedAt, t.TxID = env.now(), env.TxID
	res.Ticket = t
	return res, nil
}

// Due is a deadline that is still running (not met, not marked overdue).
type Due struct {
	Phase Phase  `json:"phase"`
	At    string `json:"at"`
}

// Dues lists the running deadlines: respond-by while assigned and not yet responded,
// resolve-by while open and the current round is unresolved (none while suspended:
// the clock is stopped), rate-by while resolved and unrated. Overdue marks remove them.
func (t Ticket) Dues() []Due {
	var out []Due
	if t.State == StateResolved && t.RateBy != "" {
		return append(out, Due{PhaseRate, t.RateBy})
	}
	e := t.episode()
	if e == nil || !t.State.Open() {
		return out
	}
	if t.State == StateAssigned && e.RespondedAt == "" && !e.RespondOverdue {
		out = append(out, Due{PhaseRespond, e.RespondBy})
	}
	if r := e.round(); r.ResolvedAt == "" && !r.Overdue {
		out = append(out, Due{PhaseResolve, r.ResolveBy})
	}
	return out
}

// lateDues are the department's running deadlines before now.
func (t Ticket) lateDues(now string) []Due {
	var late []Due
	for _, d := range t.Dues() {
		if d.Phase != PhaseRate && now > d.At {
			late = append(late, d)
		}
	}
	return late
}

// markOverdue marks every running deadline before now as missed: a flag, an accountability
// record for the assigned department and one "overdue" transition record naming the
// missed deadlines. It returns them (none: nothing is late, nothing written).
func (t *Ticket) markOverdue(res *Result, env Env) ([]Due, error) {
	late := t.lateDues(env.now())
	if len(late) == 0 {
		return nil, nil
	}
	rule, err := Check(t.State, ActOverdue, RoleSystem, t.Rating)
	if err != nil {
		return nil, err
	}
	e := t.episode()
	var ids []string
	for _, d := range late {
		switch d.Phase {
		case PhaseRespond:
			e.RespondOverdue = true
		case PhaseResolve:
			e.round().Overdue = true
		}
		ids = append(ids, t.account(res, e.Department, CauseOverdue, d.Phase, d.At, d.At, env))
	}
	t.refresh()
	t.record(res, rule, Actor{Role: RoleSystem}, Request{}, env, ids).Missed = late
	return late, nil
}

// handOver ends the current episode by action a and assigns the ticket to dept.
func (t *Ticket) handOver(a Action, dept string, env Env) {
	e := t.episode()
	e.HandedOverAt, e.HandedOverBy = env.now(), a
	t.assign(dept, env)
}

// Sweep does what time alone does to a ticket: it closes a resolved ticket left
// unrated past its rate-by; it marks missed deadlines overdue and then, when the
// policy says so and escalateTo names a department other than the assigned one
// (its supervising department, or the governance department when it has none),
// escalates the ticket there with fresh deadlines. changed is false (and nothing is
// to be written) when nothing is due before env.Now: a second sweep is a no-op.
func Sweep(t Ticket, env Env, escalateTo string) (res Result, changed bool, err error) {
	c := t.clone()
	now := env.now()
	switch {
	case c.State == StateResolved && c.RateBy != "" && now > c.RateBy:
		rule, err := Check(c.State, ActClose, RoleSystem, c.Rating)
		if err != nil {
			return Result{}, false, err
		}
		e := c.episode()
		e.Ratings = append(e.Ratings, RatingEntry{Rating: RatingUnrated, At: now})
		missed := []Due{{PhaseRate, c.RateBy}}
		c.ClosedAt, c.AutoClosed, c.RateBy = now, true, ""
		c.State = rule.To
		c.refresh()
		c.record(&res, rule, Actor{Role: RoleSystem}, Request{}, env, nil).Missed = missed
	default:
		late, err := c.markOverdue(&res, env)
		if err != nil {
			return Result{}, false, err
		}
		if len(late) == 0 {
			return Result{}, false, nil
		}
		if env.Policy.AutoEscalate && escalateTo != "" && escalateTo != c.Department && wire.ValidID(escalateTo) {
			rule, err := Check(c.State, ActEscalate, RoleSystem, c.Rating)
			if err != nil {
				return Result{}, false, err
			}
			c.Escalations++
			c.handOver(ActEscalate, escalateTo, env)
			c.State = rule.To
			c.refresh()
			c.record(&res, rule, Actor{Role: RoleSystem}, Request{Target: escalateTo}, env, nil).Missed = late
		}
	}
	c.UpdatedAt, c.TxID = now, env.TxID
	res.Ticket = c
	return res, true, nil
}

// admit checks a request against the ticket before anything changes: the input, the
// transition table and its guards, the acting department, and the transfer limit. It
// returns the rule, the department the ticket goes to (target; the governance
// department instead of the requested one past the transfer limit) and, then, the
// department that was requested.
func admit(t Ticket, req Request, env Env) (rule Rule, target, requested string, err error) {
	if err := req.validate(); err != nil {
		return Rule{}, "", "", err
	}
	if rule, err = Check(t.State, req.Action, req.Actor.Role, t.Rating); err != nil {
		return Rule{}, "", "", err
	}
	if req.Actor.Role == RoleAssigned && req.Actor.Department != t.Department {
		return Rule{}, "", "", codes.Wrap(codes.ErrIllegalTransition, "department %q is not the assigned department %q", req.Actor.Department, t.Department)
	}
	if (req.Action == ActTransfer || req.Action == ActEscalate) && req.Target == t.Department {
		return Rule{}, "", "", codes.Wrap(codes.ErrForbidden, "%s target %q is already the assigned department", req.Action, req.Target)
	}
	if req.Action == ActTransfer && env.Policy.MaxTransfers > 0 && t.Transfers >= env.Policy.MaxTransfers &&
		req.Actor.Department != env.Governance && req.Target != env.Governance {
		// Ping-pong: past the limit the governance office decides where the ticket goes.
		if env.Governance == "" || env.Governance == t.Department {
			return Rule{}, "", "", codes.Wrap(codes.ErrForbidden, "ticket %s has had %d transfers (the limit) and no governance department is registered to take the next one", t.ID, t.Transfers)
		}
		return rule, env.Governance, req.Target, nil
	}
	return rule, req.Target, "", nil
}

// resume ends the round's open pause at env.Now and, unless the resolve deadline was
// already missed (a missed deadline stays missed), moves the deadline by the working
// time the pause took. It returns the closed pause.
func (r *Round) resume(ticket string, env Env) (*Pause, error) {
	if len(r.Pauses) == 0 || r.Pauses[len(r.Pauses)-1].To != "" {
		return nil, codes.Wrap(codes.ErrInvalidArgument, "ticket %s is suspended but its round has no open pause", ticket)
	}
	p := &r.Pauses[len(r.Pauses)-1]
	from, err := wire.ParseTime(p.From)
	if err != nil {
		return nil, codes.Wrap(codes.ErrInvalidArgument, "stored pause start %q", p.From)
	}
	added := time.Duration(0)
	if !r.Overdue {
		by, err := wire.ParseTime(r.ResolveBy)
		if err != nil {
			return nil, codes.Wrap(codes.ErrInvalidArgument, "stored resolve-by %q", r.ResolveBy)
		}
		added = env.Calendar.WorkingDuration(from, env.Now.UTC().Truncate(time.Second))
		r.ResolveBy = wire.FormatSecond(env.Calendar.AddWorkingDuration(by, added))
	}
	p.To, p.Added = env.now(), added.String()
	return p, nil
}

// Apply performs one request on a ticket. It checks the transition table first (an
// illegal transition returns codes.ErrIllegalTransition and nothing); then it marks any
// deadline already missed (so a late accept or resolve is held to account even if no
// sweep ran), then does the action. The input ticket is not modified.
func Apply(t Ticket, req Request, env Env) (Result, error) {
	rule, target, requested, err := admit(t, req, env)
	if err != nil {
		return Result{}, err
	}
	c := t.clone()
	var res Result
	if _, err := c.markOverdue(&res, env); err != nil {
		return Result{}, err
	}
	now := env.now()
	e := c.episode()
	var acc []string
	var pause *Pause
	switch req.Action {
	case ActAccept:
		e.RespondedAt = now
		c.AcceptedAt = now
	case ActStart:
		c.StartedAt = now
	case ActResolve:
		e.round().ResolvedAt = now
		c.ResolvedAt = now
		if n := env.Policy.AutoCloseDays; n > 0 {
			c.RateBy = wire.FormatSecond(env.Calendar.AddWorkingDays(env.Now.UTC().Truncate(time.Second), n))
		}
	case ActTransfer, ActEscalate, ActReturn:
		if e.RespondedAt == "" && req.Action != ActEscalate {
			e.RespondedAt = now // passing a misrouted ticket on (or back) is a response
		}
		switch req.Action {
		case ActTransfer:
			c.Transfers++
			c.handOver(req.Action, target, env)
		case ActEscalate:
			c.Escalations++
			c.handOver(req.Action, target, env)
		case ActReturn:
			e.HandedOverAt, e.HandedOverBy = now, ActReturn
			c.AcceptedAt, c.StartedAt = "", ""
		}
	case ActRoute: // the intake channel routes a ticket returned to it
		c.assign(target, env)
	case ActSuspend:
		r := e.round()
		r.Pauses = append(r.Pauses, Pause{From: now})
		pause = &r.Pauses[len(r.Pauses)-1]
	case ActResume:
		if pause, err = e.round().resume(t.ID, env); err != nil {
			return Result{}, err
		}
	case ActRate:
		e.Ratings = append(e.Ratings, RatingEntry{Rating: req.Rating, CommentHash: req.CommentHash, At: now})
		c.Rating, c.RatedAt, c.RateBy = req.Rating, now, ""
		if req.Rating == RatingUnsatisfied {
			acc = append(acc, c.account(&res, e.Department, CauseUnsatisfied, "", "", now, env))
		}
	case ActReopen:
		lim := env.SLA.For(c.Category)
		e.Rounds = append(e.Rounds, Round{
			OpenedAt:  now,
			ResolveBy: wire.FormatSecond(env.Calendar.AddWorkingDays(env.Now.UTC().Truncate(time.Second), lim.ResolveDays)),
		})
		c.Reopens++
		c.ResolvedAt, c.RatedAt = "", ""
		acc = append(acc, c.account(&res, e.Department, CauseReopened, "", "", now, env))
	case ActClose:
		c.ClosedAt, c.RateBy = now, ""
	}
	c.State = rule.To
	c.refresh()
	tr := c.record(&res, rule, req.Actor, Request{Action: req.Action, Target: target, NoteHash: req.NoteHash,
		Rating: req.Rating, CommentHash: req.CommentHash}, env, acc)
	tr.Requested = requested
	if pause != nil {
		cp := *pause
		tr.Pause = &cp
	}
	c.UpdatedAt, c.TxID = now, env.TxID
	res.Ticket = c
	return res, nil
}
