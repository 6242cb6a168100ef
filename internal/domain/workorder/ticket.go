package workorder

import (
	"fmt"
	"slices"
	"time"

	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/wire"
)

// Round is one resolve obligation of an assignment: the first one starts at assignment,
// each reopen starts another with a fresh resolve-by.
type Round struct {
	OpenedAt   string `json:"openedAt"`
	ResolveBy  string `json:"resolveBy"`
	ResolvedAt string `json:"resolvedAt"`
	Overdue    bool   `json:"overdue"`
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
	ID                 string `json:"id"`
	Category           string `json:"category"`
	ContentHash        string `json:"contentHash"`
	ReporterCommitment string `json:"reporterCommitment"`
	Channel            string `json:"channel"`

	State      State  `json:"state"`
	Department string `json:"department"` // assigned department (current episode)
	RespondBy  string `json:"respondBy"`  // current episode
	ResolveBy  string `json:"resolveBy"`  // current round
	Overdue    bool   `json:"overdue"`    // a deadline of the current episode/round was missed
	Rating     Rating `json:"rating"`     // last rating

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
	Accountability []string `json:"accountability"` // ids of accountability records written by this transition
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

// Env is what a transition needs from the ledger: the tx time and id, calendar and SLA.
type Env struct {
	Now      time.Time
	TxID     string
	Calendar Calendar
	SLA      SLA
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
	return fe.Err()
}

// Request is one action on an existing ticket.
type Request struct {
	Action      Action
	Actor       Actor
	Target      string // transfer / escalate: the receiving department
	NoteHash    string // SM3 of a note (reason, answer); required for transfer, optional otherwise
	Rating      Rating // rate
	CommentHash string // rate: SM3 of the citizen's comment; optional
}

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
	case ActTransfer, ActEscalate:
		if !wire.ValidID(r.Target) {
			fe.Add("target", "%s needs a target department (got %q)", r.Action, r.Target)
		}
		if r.Action == ActTransfer && r.NoteHash == "" {
			fe.Add("noteHash", "transfer needs a reason (noteHash)")
		}
	case ActRate:
		if !r.Rating.Valid() {
			fe.Add("rating", "%q (want very_satisfied|satisfied|neutral|unsatisfied)", r.Rating)
		}
	case ActSubmit, ActRoute, ActOverdue:
		fe.Add("action", "%s is not a request action", r.Action)
	}
	if r.Action != ActTransfer && r.Action != ActEscalate && r.Target != "" {
		fe.Add("target", "%s takes no target", r.Action)
	}
	return fe.Err()
}

// clone deep-copies a ticket so a failed transition never changes the caller's value.
func (t Ticket) clone() Ticket {
	c := t
	c.Episodes = make([]Episode, len(t.Episodes))
	for i, e := range t.Episodes {
		e.Rounds = slices.Clone(e.Rounds)
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
	t.Overdue = e.RespondOverdue || r.Overdue
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

func (t *Ticket) record(res *Result, rule Rule, actor Actor, req Request, env Env, acc []string) {
	t.Seq++
	if acc == nil {
		acc = []string{}
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
	t := Ticket{
		ID: in.ID, Category: in.Category, ContentHash: in.ContentHash,
		ReporterCommitment: in.ReporterCommitment, Channel: in.Channel,
		CreatedAt: env.now(), Episodes: []Episode{},
	}
	var res Result
	t.State = sub.To
	t.record(&res, sub, actor, Request{}, env, nil)
	t.assign(dept, env)
	t.State = route.To
	t.record(&res, route, Actor{Role: RoleSystem}, Request{Target: dept}, env, nil)
	t.UpdatedAt, t.TxID = env.now(), env.TxID
	res.Ticket = t
	return res, nil
}

// Dues are the deadlines of a ticket that are still running (not met, not marked overdue).
type Due struct {
	Phase Phase  `json:"phase"`
	At    string `json:"at"`
}

// Dues lists the running deadlines: respond-by while assigned and not yet responded,
// resolve-by while open and the current round is unresolved. Overdue marks remove them.
func (t Ticket) Dues() []Due {
	var out []Due
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

// markOverdue marks every running deadline before now as missed: a flag, an accountability
// record for the assigned department and one "overdue" transition record. No-op (false)
// when nothing is late.
func (t *Ticket) markOverdue(res *Result, env Env) (bool, error) {
	now := env.now()
	var late []Due
	for _, d := range t.Dues() {
		if now > d.At {
			late = append(late, d)
		}
	}
	if len(late) == 0 {
		return false, nil
	}
	rule, err := Check(t.State, ActOverdue, RoleSystem, t.Rating)
	if err != nil {
		return false, err
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
	t.record(res, rule, Actor{Role: RoleSystem}, Request{}, env, ids)
	return true, nil
}

// Sweep marks the ticket's missed deadlines. changed is false (and nothing is to be
// written) when no running deadline is before env.Now: a second sweep is a no-op.
func Sweep(t Ticket, env Env) (res Result, changed bool, err error) {
	c := t.clone()
	changed, err = c.markOverdue(&res, env)
	if err != nil || !changed {
		return Result{}, false, err
	}
	c.UpdatedAt, c.TxID = env.now(), env.TxID
	res.Ticket = c
	return res, true, nil
}

// Apply performs one request on a ticket. It checks the transition table first (an
// illegal transition returns ErrIllegalTransition and nothing); then it marks any
// deadline already missed (so a late accept or resolve is held to account even if no
// sweep ran), then does the action. The input ticket is not modified.
func Apply(t Ticket, req Request, env Env) (Result, error) {
	if err := req.validate(); err != nil {
		return Result{}, err
	}
	rule, err := Check(t.State, req.Action, req.Actor.Role, t.Rating)
	if err != nil {
		return Result{}, err
	}
	if req.Actor.Role == RoleAssigned && req.Actor.Department != t.Department {
		return Result{}, codes.Wrap(codes.ErrIllegalTransition, "department %q is not the assigned department %q", req.Actor.Department, t.Department)
	}
	if (req.Action == ActTransfer || req.Action == ActEscalate) && req.Target == t.Department {
		return Result{}, codes.Wrap(codes.ErrForbidden, "%s target %q is already the assigned department", req.Action, req.Target)
	}
	c := t.clone()
	var res Result
	if _, err := c.markOverdue(&res, env); err != nil {
		return Result{}, err
	}
	now := env.now()
	e := c.episode()
	var acc []string
	switch req.Action {
	case ActAccept:
		e.RespondedAt = now
		c.AcceptedAt = now
	case ActStart:
		c.StartedAt = now
	case ActResolve:
		e.round().ResolvedAt = now
		c.ResolvedAt = now
	case ActTransfer, ActEscalate:
		if e.RespondedAt == "" && req.Action == ActTransfer {
			e.RespondedAt = now // passing a misrouted ticket on is a response
		}
		e.HandedOverAt, e.HandedOverBy = now, req.Action
		if req.Action == ActTransfer {
			c.Transfers++
		} else {
			c.Escalations++
		}
		c.assign(req.Target, env)
	case ActRate:
		e.Ratings = append(e.Ratings, RatingEntry{Rating: req.Rating, CommentHash: req.CommentHash, At: now})
		c.Rating, c.RatedAt = req.Rating, now
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
		c.ClosedAt = now
	}
	c.State = rule.To
	c.refresh()
	c.record(&res, rule, req.Actor, req, env, acc)
	c.UpdatedAt, c.TxID = now, env.TxID
	res.Ticket = c
	return res, nil
}
