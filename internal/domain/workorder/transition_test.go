package workorder

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// allowed is the transition table written out independently of Table, one
// "from action role -> to [guard]" per line ("-" is the state before submission).
// Every (state, action, role) triple not listed here must be refused.
const allowed = `
- submit citizen -> submitted
submitted route system -> assigned
submitted route citizen -> assigned
assigned accept assigned -> accepted
accepted start assigned -> in_progress
in_progress resolve assigned -> resolved
assigned transfer assigned -> assigned
accepted transfer assigned -> assigned
in_progress transfer assigned -> assigned
assigned return assigned -> submitted
accepted return assigned -> submitted
in_progress suspend assigned -> suspended
suspended resume assigned -> in_progress
suspended resume citizen -> in_progress
suspended escalate supervisor -> assigned
assigned escalate supervisor -> assigned
accepted escalate supervisor -> assigned
in_progress escalate supervisor -> assigned
resolved rate citizen -> rated
rated reopen citizen -> in_progress rating-unsatisfied
rated reopen supervisor -> in_progress rating-unsatisfied
rated close assigned -> closed rating-not-unsatisfied
rated close supervisor -> closed
resolved close supervisor -> closed
assigned overdue system -> assigned
accepted overdue system -> accepted
in_progress overdue system -> in_progress
assigned escalate system -> assigned
accepted escalate system -> assigned
in_progress escalate system -> assigned
resolved close system -> closed
`

func TestTableExhaustive(t *testing.T) {
	want := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(allowed), "\n") {
		f := strings.Fields(line)
		key := strings.Join(f[:3], " ")
		want[key] = strings.Join(f[4:], " ")
	}
	name := func(s State) string {
		if s == StateNone {
			return "-"
		}
		return string(s)
	}
	seen := 0
	for _, s := range States {
		for _, a := range Actions {
			for _, r := range Roles {
				key := fmt.Sprintf("%s %s %s", name(s), a, r)
				rule, err := Lookup(s, a, r)
				exp, ok := want[key]
				if !ok {
					if !errors.Is(err, ErrIllegalTransition) {
						t.Errorf("%s: want ILLEGAL_TRANSITION, got rule %+v err %v", key, rule, err)
					}
					continue
				}
				seen++
				if err != nil {
					t.Errorf("%s: want %s, got %v", key, exp, err)
					continue
				}
				got := strings.TrimSpace(string(rule.To) + " " + string(rule.Guard))
				if got != exp {
					t.Errorf("%s: want -> %s, got -> %s", key, exp, got)
				}
			}
		}
	}
	if seen != len(want) || len(Table) != len(want) {
		t.Errorf("listed %d allowed triples, matched %d, table has %d rows", len(want), seen, len(Table))
	}
}

func TestGuards(t *testing.T) {
	tests := []struct {
		action Action
		role   Role
		rating Rating
		ok     bool
	}{
		{ActReopen, RoleCitizen, RatingUnsatisfied, true},
		{ActReopen, RoleCitizen, RatingNeutral, false},
		{ActReopen, RoleCitizen, RatingSatisfied, false},
		{ActReopen, RoleSupervisor, RatingUnsatisfied, true},
		{ActReopen, RoleSupervisor, RatingVerySatisfied, false},
		{ActClose, RoleAssigned, RatingSatisfied, true},
		{ActClose, RoleAssigned, RatingNeutral, true},
		{ActClose, RoleAssigned, RatingUnsatisfied, false},
		{ActClose, RoleSupervisor, RatingUnsatisfied, true},
		{ActClose, RoleSupervisor, RatingVerySatisfied, true},
	}
	for _, tc := range tests {
		_, err := Check(StateRated, tc.action, tc.role, tc.rating)
		if tc.ok != (err == nil) || (err != nil && !errors.Is(err, ErrIllegalTransition)) {
			t.Errorf("rated %s %s rating=%s: ok=%v err=%v", tc.action, tc.role, tc.rating, tc.ok, err)
		}
	}
}

func TestRoleFor(t *testing.T) {
	tests := []struct {
		actor, assigned, sup string
		want                 Role
	}{
		{"A", "A", "P", RoleAssigned},
		{"P", "A", "P", RoleSupervisor},
		{"B", "A", "P", RoleOther},
		{"B", "A", "", RoleOther},
		{"", "A", "", RoleOther},
	}
	for _, tc := range tests {
		if got := RoleFor(tc.actor, tc.assigned, tc.sup); got != tc.want {
			t.Errorf("RoleFor(%q,%q,%q) = %s, want %s", tc.actor, tc.assigned, tc.sup, got, tc.want)
		}
	}
}

func TestRolesFor(t *testing.T) {
	got := fmt.Sprint(RolesFor(StateRated, ActClose))
	if got != "[assigned supervisor]" {
		t.Errorf("RolesFor(rated, close) = %s", got)
	}
}
