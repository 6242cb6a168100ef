package workorder

import (
	"slices"
	"strings"

	"github.com/certledger/certledger/internal/codes"
)

// Guard is an extra condition a rule needs beyond (from, action, role).
type Guard string

// Guards.
const (
	GuardNone           Guard = ""
	GuardUnsatisfied    Guard = "rating-unsatisfied"     // the last rating is "unsatisfied"
	GuardNotUnsatisfied Guard = "rating-not-unsatisfied" // the last rating is anything else
)

// Rule is one row of the transition table.
type Rule struct {
	From   State
	Action Action
	Role   Role
	To     State
	Guard  Guard
}

// Table is THE transition table: the only place that says who may move a ticket where.
// A (from, action, role) triple that is not here is illegal. Overdue keeps the state
// (it sets a flag and writes an accountability record); transfer and escalate start a
// new assignment (a fresh respond-by for the new department); reopen starts a new
// resolve round for the same department; return hands the ticket back to the intake
// channel, which routes it again; suspend stops the resolve clock until resume.
// The system rows are the sweep's: overdue, escalation of an overdue ticket to the
// supervising department, and the close of a resolved ticket left unrated.
var Table = []Rule{
	{StateNone, ActSubmit, RoleCitizen, StateSubmitted, GuardNone},
	{StateSubmitted, ActRoute, RoleSystem, StateAssigned, GuardNone},
	{StateSubmitted, ActRoute, RoleCitizen, StateAssigned, GuardNone},

	{StateAssigned, ActAccept, RoleAssigned, StateAccepted, GuardNone},
	{StateAccepted, ActStart, RoleAssigned, StateInProgress, GuardNone},
	{StateInProgress, ActResolve, RoleAssigned, StateResolved, GuardNone},

	{StateAssigned, ActTransfer, RoleAssigned, StateAssigned, GuardNone},
	{StateAccepted, ActTransfer, RoleAssigned, StateAssigned, GuardNone},
	{StateInProgress, ActTransfer, RoleAssigned, StateAssigned, GuardNone},

	{StateAssigned, ActReturn, RoleAssigned, StateSubmitted, GuardNone},
	{StateAccepted, ActReturn, RoleAssigned, StateSubmitted, GuardNone},

	{StateInProgress, ActSuspend, RoleAssigned, StateSuspended, GuardNone},
	{StateSuspended, ActResume, RoleAssigned, StateInProgress, GuardNone},
	{StateSuspended, ActResume, RoleCitizen, StateInProgress, GuardNone},

	{StateAssigned, ActEscalate, RoleSupervisor, StateAssigned, GuardNone},
	{StateAccepted, ActEscalate, RoleSupervisor, StateAssigned, GuardNone},
	{StateInProgress, ActEscalate, RoleSupervisor, StateAssigned, GuardNone},
	{StateSuspended, ActEscalate, RoleSupervisor, StateAssigned, GuardNone},

	{StateResolved, ActRate, RoleCitizen, StateRated, GuardNone},

	{StateRated, ActReopen, RoleCitizen, StateInProgress, GuardUnsatisfied},
	{StateRated, ActReopen, RoleSupervisor, StateInProgress, GuardUnsatisfied},

	{StateRated, ActClose, RoleAssigned, StateClosed, GuardNotUnsatisfied},
	{StateRated, ActClose, RoleSupervisor, StateClosed, GuardNone},
	{StateResolved, ActClose, RoleSupervisor, StateClosed, GuardNone},

	{StateAssigned, ActOverdue, RoleSystem, StateAssigned, GuardNone},
	{StateAccepted, ActOverdue, RoleSystem, StateAccepted, GuardNone},
	{StateInProgress, ActOverdue, RoleSystem, StateInProgress, GuardNone},
	{StateAssigned, ActEscalate, RoleSystem, StateAssigned, GuardNone},
	{StateAccepted, ActEscalate, RoleSystem, StateAssigned, GuardNone},
	{StateInProgress, ActEscalate, RoleSystem, StateAssigned, GuardNone},
	{StateResolved, ActClose, RoleSystem, StateClosed, GuardNone},
}

// Lookup finds the rule for (from, action, role), guards aside. The error wraps
// codes.ErrIllegalTransition and says what the role may do instead (never the refused action).
func Lookup(from State, a Action, r Role) (Rule, error) {
	for _, rule := range Table {
		if rule.From == from && rule.Role == r && rule.Action == a {
			return rule, nil
		}
	}
	return Rule{}, codes.Wrap(codes.ErrIllegalTransition, "%s may not %s a ticket in state %s%s", r.describe(), a, from.describe(), hint(from, a, r, "", false))
}

func (s State) describe() string {
	if s == StateNone {
		return "(none)"
	}
	return string(s)
}

// guardHolds reports whether g allows the transition given the last rating.
func guardHolds(g Guard, lastRating Rating) bool {
	switch g {
	case GuardUnsatisfied:
		return lastRating == RatingUnsatisfied
	case GuardNotUnsatisfied:
		return lastRating != RatingUnsatisfied
	}
	return true
}

// hint says what role r may do instead of a in state from, and who may do a. The
// refused action is never offered to r; with rated true only actions whose guard
// holds for lastRating are offered.
func hint(from State, a Action, r Role, lastRating Rating, rated bool) string {
	var mine []string
	var others []string
	for _, rule := range Table {
		if rule.From != from || (rated && !guardHolds(rule.Guard, lastRating)) {
			continue
		}
		switch {
		case rule.Role == r && rule.Action != a && !slices.Contains(mine, string(rule.Action)):
			mine = append(mine, string(rule.Action))
		case rule.Role != r && rule.Action == a && rule.Role != RoleSystem && !slices.Contains(others, rule.Role.describe()):
			others = append(others, rule.Role.describe())
		}
	}
	out := " (it may: nothing"
	if len(mine) > 0 {
		out = " (it may: " + strings.Join(mine, ", ")
	}
	if len(others) > 0 {
		out += "; " + string(a) + " is for " + strings.Join(others, " or ")
	}
	return out + ")"
}

// describe names a role for messages.
func (r Role) describe() string {
	switch r {
	case RoleCitizen:
		return "the intake channel"
	case RoleAssigned:
		return "the assigned department"
	case RoleSupervisor:
		return "the supervising department"
	case RoleSystem:
		return "the ledger"
	case RoleOther:
		return "a department not in charge of the ticket"
	}
	return string(r)
}

// Check finds the rule and checks its guard against the ticket's last rating. A
// refusal's hint offers only what the role may do now (guards included), never the
// refused action itself.
func Check(from State, a Action, r Role, lastRating Rating) (Rule, error) {
	rule, err := Lookup(from, a, r)
	if err != nil {
		return Rule{}, codes.Wrap(codes.ErrIllegalTransition, "%s may not %s a ticket in state %s%s", r.describe(), a, from.describe(), hint(from, a, r, lastRating, true))
	}
	if guardHolds(rule.Guard, lastRating) {
		return rule, nil
	}
	switch rule.Guard {
	case GuardUnsatisfied:
		return Rule{}, codes.Wrap(codes.ErrIllegalTransition, "%s needs an unsatisfied rating (rating is %q)%s", a, lastRating, hint(from, a, r, lastRating, true))
	default:
		return Rule{}, codes.Wrap(codes.ErrIllegalTransition, "%s may not %s after an unsatisfied rating%s", r.describe(), a, hint(from, a, r, lastRating, true))
	}
}

// RolesFor lists the roles that may do action a in state from (in table order, no duplicates).
func RolesFor(from State, a Action) []Role {
	var out []Role
	for _, rule := range Table {
		if rule.From == from && rule.Action == a {
			dup := false
			for _, r := range out {
				dup = dup || r == rule.Role
			}
			if !dup {
				out = append(out, rule.Role)
			}
		}
	}
	return out
}
