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
	StateResolved   State = "resolved"
	StateRated      State = "rated"
	StateClosed     State = "closed"
)

// States lists every state (StateNone first) in life order.
var States = []State{StateNone, StateSubmitted, StateAssigned, StateAccepted, StateInProgress, StateResolved, StateRated, StateClosed}

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
)

// Actions lists every action.
var Actions = []Action{ActSubmit, ActRoute, ActAccept, ActStart, ActTransfer, ActResolve, ActRate, ActReopen, ActEscalate, ActClose, ActOverdue}

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

// Ratings (very satisfied / satisfied / neutral / unsatisfied).
const (
	RatingVerySatisfied Rating = "very_satisfied"
	RatingSatisfied     Rating = "satisfied"
	RatingNeutral       Rating = "neutral"
	RatingUnsatisfied   Rating = "unsatisfied"
)

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

// Deadline phases.
const (
	PhaseRespond Phase = "respond"
	PhaseResolve Phase = "resolve"
)
