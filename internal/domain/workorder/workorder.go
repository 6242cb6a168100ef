// Package workorder holds the rules of citizen work orders (tickets): the states and
// the one transition table that says which role may move a ticket from which state
// with which action, the working-day calendar and SLA deadlines, overdue detection,
// accountability causes and the KPI definitions. It never imports the shim: the
// workorder contract decodes input, calls this package, then persists what it returns.
//
// Everything here is deterministic: times come in as arguments (the transaction
// timestamp), nothing iterates a map to produce output, and nothing is random.
package workorder

import (
	"github.com/certledger/certledger/internal/codes"
)

// Errors are coded (internal/codes), their text "CODE: message", so they cross
// Fabric as they are: codes.ErrIllegalTransition when the (state, action, role)
// triple is not in the table or its guard fails, codes.ErrInvalidArgument for
// malformed input (Validate methods return wire.FieldErrors), codes.ErrForbidden
// when the actor may not do this to this ticket (e.g. transfer to itself).
//
// Deprecated aliases of those sentinels, kept for one step.
var (
	ErrIllegalTransition = codes.ErrIllegalTransition
	ErrInvalid           = codes.ErrInvalidArgument
	ErrForbidden         = codes.ErrForbidden
)

// State is where a ticket is in its life. StateNone is "before submission".
type State string

// The states of a ticket (DESIGN.md "Work-order states"; issue 6).
const (
	StateNone       State = ""
	StateSubmitted  State = "submitted"
	StateAssigned   State = "assigned"
	StateAccepted   State = "accepted"
	StateInProgress State = "in_progress"
	StateSuspended  State = "suspended" // 挂起: waiting for the citizen, the resolve clock stopped
	StateResolved   State = "resolved"
	StateRated      State = "rated"
	StateClosed     State = "closed"
)

// States lists every state (StateNone first) in life order.
var States = []State{StateNone, StateSubmitted, StateAssigned, StateAccepted, StateInProgress, StateSuspended, StateResolved, StateRated, StateClosed}

// Open reports whether a department still has to act on a ticket in state s
// (the states in which deadlines run and overdue can be marked).
func (s State) Open() bool {
	return s == StateAssigned || s == StateAccepted || s == StateInProgress
}

// Valid reports whether s is a known state other than StateNone.
func (s State) Valid() bool {
	for _, x := range States[1:] {
		if s == x {
			return true
		}
	}
	return false
}

// Action is what is done to a ticket. Each transition record names one.
type Action string

// Actions. Route and Overdue are done by the chaincode itself (RoleSystem): route in the
// Submit transaction, overdue by a sweep or before any later action on a late ticket.
// The sweep also escalates an overdue ticket and closes a resolved one the citizen did
// not rate in time (RoleSystem). The intake channel routes a ticket returned to it.
const (
	ActSubmit   Action = "submit"
	ActRoute    Action = "route"
	ActAccept   Action = "accept"
	ActStart    Action = "start"
	ActTransfer Action = "transfer"
	ActResolve  Action = "resolve"
	ActRate     Action = "rate"
	ActReopen   Action = "reopen"
	ActEscalate Action = "escalate"
	ActClose    Action = "close"
	ActOverdue  Action = "overdue"
	ActReturn   Action = "return"  // the assigned department hands a misrouted ticket back to intake
	ActSuspend  Action = "suspend" // 挂起: waiting for the citizen; the resolve clock stops
	ActResume   Action = "resume"  // the citizen answered; the clock runs again, resolve-by moved by the pause
)

// Actions lists every action.
var Actions = []Action{ActSubmit, ActRoute, ActAccept, ActStart, ActTransfer, ActResolve, ActRate, ActReopen, ActEscalate, ActClose, ActOverdue, ActReturn, ActSuspend, ActResume}

// Role is how the actor of an action relates to the ticket.
type Role string

// Roles. RoleCitizen is the intake channel (the organisation that takes appeals from
// citizens: portal, app, hotline), RoleAssigned the department the ticket is assigned
// to, RoleSupervisor that department's parent (registry "parent"), RoleSystem the
// chaincode itself, RoleOther any other department (allowed nothing).
const (
	RoleCitizen    Role = "citizen"
	RoleAssigned   Role = "assigned"
	RoleSupervisor Role = "supervisor"
	RoleSystem     Role = "system"
	RoleOther      Role = "other"
)

// Roles lists every role.
var Roles = []Role{RoleCitizen, RoleAssigned, RoleSupervisor, RoleSystem, RoleOther}

// RoleFor returns the role of department actorDept on a ticket assigned to assignedDept
// whose supervising (parent) department is supervisorDept ("" = none).
func RoleFor(actorDept, assignedDept, supervisorDept string) Role {
	switch {
	case actorDept == "":
		return RoleOther
	case actorDept == assignedDept:
		return RoleAssigned
	case supervisorDept != "" && actorDept == supervisorDept:
		return RoleSupervisor
	default:
		return RoleOther
	}
}

// Rating is the citizen's verdict on a resolved ticket.
type Rating string

// The four ratings of the plan: 非常满意 / 满意 / 一般 / 不满意 (very satisfied /
// satisfied / neutral / unsatisfied). The wire values are the English ids.
const (
	RatingVerySatisfied Rating = "very_satisfied"
	RatingSatisfied     Rating = "satisfied"
	RatingNeutral       Rating = "neutral"
	RatingUnsatisfied   Rating = "unsatisfied"
)

// RatingUnrated is not a rating: it marks, in an episode's rating list, a resolved
// ticket the sweep closed because the citizen did not rate it in time. The
// satisfaction KPI leaves it out and counts it apart (KPI.AutoClosedUnrated).
const RatingUnrated Rating = "unrated"

// Ratings lists the four ratings, best first.
var Ratings = []Rating{RatingVerySatisfied, RatingSatisfied, RatingNeutral, RatingUnsatisfied}

var ratingLabels = map[Rating]string{
	RatingVerySatisfied: "非常满意",
	RatingSatisfied:     "满意",
	RatingNeutral:       "一般",
	RatingUnsatisfied:   "不满意",
	RatingUnrated:       "未评价",
}

// Label is the rating as the plan and the citizen read it (非常满意 ...).
func (r Rating) Label() string {
	if l, ok := ratingLabels[r]; ok {
		return l
	}
	return string(r)
}

// ParseRating reads a rating given as its id (very_satisfied) or its label (非常满意).
func ParseRating(s string) (Rating, bool) {
	for _, r := range Ratings {
		if s == string(r) || s == ratingLabels[r] {
			return r, true
		}
	}
	return "", false
}

// Valid reports whether r is one of the four ratings.
func (r Rating) Valid() bool {
	switch r {
	case RatingVerySatisfied, RatingSatisfied, RatingNeutral, RatingUnsatisfied:
		return true
	}
	return false
}

// Satisfied reports whether r counts as satisfied for the KPI.
func (r Rating) Satisfied() bool { return r == RatingVerySatisfied || r == RatingSatisfied }

// Channels through which a citizen appeal arrives.
var Channels = []string{"web", "app", "hotline"}

// Cause of an accountability record.
type Cause string

// Accountability causes (DESIGN.md "Accountability record").
const (
	CauseOverdue     Cause = "overdue"
	CauseUnsatisfied Cause = "unsatisfied"
	CauseReopened    Cause = "reopened"
)

// Phase of an overdue: which deadline was missed.
type Phase string

// Deadline phases. Respond and resolve are the department's; rate is the citizen's
// (a resolved ticket not rated by then is closed by the sweep, without fault).
const (
	PhaseRespond Phase = "respond"
	PhaseResolve Phase = "resolve"
	PhaseRate    Phase = "rate"
)
