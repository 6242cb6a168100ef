package workorder

import (
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
// resolve round for the same department.
var Table = []Rule{
	{StateNone, ActSubmit, RoleCitizen, StateSubmitted, GuardNone},
	{StateSubmitted, ActRoute, RoleSystem, StateAssigned, GuardNone},

	{StateAssigned, ActAccept, RoleAssigned, StateAccepted, GuardNone},
	{StateAccepted, ActStart, RoleAssigned, StateInProgress, GuardNone},
	{StateInProgress, ActResolve, RoleAssigned, StateResolved, GuardNone},

	{StateAssigned, ActTransfer, RoleAssigned, StateAssigned, GuardNone},
	{StateAccepted, ActTransfer, RoleAssigned, StateAssigned, GuardNone},
	{StateInProgress, ActTransfer, RoleAssigned, StateAssigned, GuardNone},

	{StateAssigned, ActEscalate, RoleSupervisor, StateAssigned, GuardNone},
	{StateAccepted, ActEscalate, RoleSupervisor, StateAssigned, GuardNone},
	{StateInProgress, ActEscalate, RoleSupervisor, StateAssigned, GuardNone},

	{StateResolved, ActRate, RoleCitizen, StateRated, GuardNone},

	{StateRated, ActReopen, RoleCitizen, StateInProgress, GuardUnsatisfied},
	{StateRated, ActReopen, RoleSupervisor, StateInProgress, GuardUnsatisfied},

	{StateRated, ActClose, RoleAssigned, StateClosed, GuardNotUnsatisfied},
	{StateRated, ActClose, RoleSupervisor, StateClosed, GuardNone},
	{StateResolved, ActClose, RoleSupervisor, StateClosed, GuardNone},

	{StateAssigned, ActOverdue, RoleSystem, StateAssigned, GuardNone},
	{StateAccepted, ActOverdue, RoleSystem, StateAccepted, GuardNone},
	{StateInProgress, ActOverdue, RoleSystem, StateInProgress, GuardNone},
}

// Lookup finds the rule for (from, action, role). The error wraps ErrIllegalTransition
// and says what the role may do instead.
func Lookup(from State, a Action, r Role) (Rule, error) {
	var allowed []string
	for _, rule := range Table {
		if rule.From == from && rule.Role == r {
			if rule.Action == a {
				return rule, nil
			}
			allowed = append(allowed, string(rule.Action))
		}
	}
	state := string(from)
	if from == StateNone {
		state = "(none)"
	}
	hint := "nothing"
	if len(allowed) > 0 {
		hint = strings.Join(allowed, ", ")
	}
	return Rule{}, codes.Wrap(codes.ErrIllegalTransition, "%s may not %s a ticket in state %s (it may: %s)", r.describe(), a, state, hint)
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

// Check finds the rule and checks its guard against the ticket's last rating.
func Check(from State, a Action, r Role, lastRating Rating) (Rule, error) {
	rule, err := Lookup(from, a, r)
	if err != nil {
		return Rule{}, err
	}
	switch rule.Guard {
	case GuardUnsatisfied:
		if lastRating != RatingUnsatisfied {
			return Rule{}, codes.Wrap(codes.ErrIllegalTransition, "%s needs an unsatisfied rating (rating is %q)", a, lastRating)
		}
	case GuardNotUnsatisfied:
		if lastRating == RatingUnsatisfied {
			return Rule{}, codes.Wrap(codes.ErrIllegalTransition, "%s may not %s after an unsatisfied rating (reopen it, or the supervising department closes it)", r.describe(), a)
		}
	}
	return rule, nil
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
