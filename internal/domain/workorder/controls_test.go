package workorder

import (
	"errors"

	"strings"
	"testing"
)

// penv is c.env with the default policy and a governance department G.
func (c *clock) penv(at string) Env {
	e := c.env(at)
	e.Policy, e.Governance = DefaultPolicy(), "G"
	return e
}

// TestLateAcceptNoLongerOverdue: a late accept ends "currently overdue" but keeps the
// accountability record.
func TestLateAcceptNoLongerOverdue(t *testing.T) {
	c := &clock{t: t}
	tk := submit(t, c, "2026-11-27T02:00:00Z") // respond-by 11-30 02:00Z
	res, changed, err := Sweep(tk, c.env("2026-11-30T03:00:00Z"), "")
	if err != nil || !changed || !res.Ticket.Overdue {
		t.Fatalf("sweep: changed=%v err=%v overdue=%v", changed, err, res.Ticket.Overdue)
	}
	tr := res.Transitions[0]
	if len(tr.Missed) != 1 || tr.Missed[0].Phase != PhaseRespond || tr.Missed[0].At != "2026-11-30T02:00:00Z" {
		t.Errorf("overdue record does not say which deadline: %+v", tr.Missed)
	}
	acc := apply(t, res.Ticket, Request{Action: ActAccept, Actor: deptA}, c.env("2026-11-30T04:00:00Z"))
	if acc.Ticket.Overdue || acc.Ticket.Accountability != 1 || !acc.Ticket.Episodes[0].RespondOverdue {
		t.Errorf("after a late accept: overdue=%v accountability=%d", acc.Ticket.Overdue, acc.Ticket.Accountability)
	}
}

func TestSweepEscalates(t *testing.T) {
	c := &clock{t: t}
	tk := submit(t, c, "2026-11-27T02:00:00Z")
	res, changed, err := Sweep(tk, c.penv("2026-11-30T03:00:00Z"), "P")
	if err != nil || !changed {
		t.Fatal(changed, err)
	}
	if len(res.Transitions) != 2 || res.Transitions[1].Action != ActEscalate || res.Transitions[1].Role != RoleSystem ||
		res.Transitions[1].AssignedTo != "P" || len(res.Transitions[1].Missed) != 1 {
		t.Fatalf("transitions %+v", res.Transitions)
	}
	tk = res.Ticket
	if tk.Department != "P" || tk.State != StateAssigned || tk.Escalations != 1 || tk.Overdue || tk.Accountability != 1 {
		t.Fatalf("ticket %+v", tk)
	}
	if tk.RespondBy != "2026-12-01T03:00:00Z" {
		t.Errorf("fresh respond-by %s", tk.RespondBy)
	}
	// P (now assigned) misses it too; escalation stops at the governance department.
	res, _, _ = Sweep(tk, c.penv("2026-12-01T04:00:00Z"), "G")
	if res.Ticket.Department != "G" {
		t.Fatalf("second escalation to %s", res.Ticket.Department)
	}
	res, changed, _ = Sweep(res.Ticket, c.penv("2026-12-02T05:00:00Z"), "G")
	if !changed || res.Ticket.Department != "G" || len(res.Transitions) != 1 || res.Transitions[0].Action != ActOverdue {
		t.Fatalf("governance is only marked: %+v", res.Transitions)
	}
	// Without the policy, only marked.
	res, _, _ = Sweep(tk, c.env("2026-12-01T04:00:00Z"), "G")
	if res.Ticket.Department != "P" || len(res.Transitions) != 1 {
		t.Errorf("policy off: %+v", res.Transitions)
	}
}

func TestAutoCloseUnrated(t *testing.T) {
	c := &clock{t: t}
	tk := submit(t, c, "2026-11-27T02:00:00Z")
	for _, r := range []Request{{Action: ActAccept, Actor: deptA}, {Action: ActStart, Actor: deptA}, {Action: ActResolve, Actor: deptA}} {
		tk = apply(t, tk, r, c.penv("2026-11-27T03:00:00Z")).Ticket
	}
	if tk.RateBy != "2026-12-04T03:00:00Z" || len(tk.Dues()) != 1 || tk.Dues()[0].Phase != PhaseRate {
		t.Fatalf("rate-by %q dues %v", tk.RateBy, tk.Dues())
	}
	if _, changed, _ := Sweep(tk, c.penv("2026-12-04T03:00:00Z"), "P"); changed {
		t.Fatal("closed at the rate-by itself")
	}
	res, changed, err := Sweep(tk, c.penv("2026-12-04T03:00:01Z"), "P")
	if err != nil || !changed {
		t.Fatal(changed, err)
	}
	got := res.Ticket
	if got.State != StateClosed || !got.AutoClosed || got.Rating != "" || got.Accountability != 0 || len(got.Dues()) != 0 {
		t.Fatalf("auto-closed ticket %+v", got)
	}
	if tr := res.Transitions[0]; tr.Action != ActClose || tr.Role != RoleSystem || tr.Missed[0].Phase != PhaseRate {
		t.Errorf("close record %+v", tr)
	}
	k := ComputeKPI("A", "2026-11-01T00:00:00Z", "2026-12-31T00:00:00Z", "2026-12-31T00:00:00Z", []Ticket{got}, nil)
	if k.AutoClosedUnrated != 1 || k.Satisfaction.Denominator != 0 {
		t.Errorf("KPI: autoClosedUnrated %d, satisfaction %+v", k.AutoClosedUnrated, k.Satisfaction)
	}
	if _, changed, _ := Sweep(got, c.penv("2026-12-30T00:00:00Z"), "P"); changed {
		t.Error("second sweep changed a closed ticket")
	}
	// A rating before the sweep wins.
	rated := apply(t, tk, Request{Action: ActRate, Actor: citizen, Rating: RatingSatisfied}, c.penv("2026-12-05T00:00:00Z"))
	if rated.Ticket.RateBy != "" || len(rated.Ticket.Dues()) != 0 {
		t.Errorf("rated ticket keeps a rate-by: %+v", rated.Ticket)
	}
}

func TestTransferLimit(t *testing.T) {
	c := &clock{t: t}
	tk := submit(t, c, "2026-11-27T02:00:00Z")
	deptB := Actor{Role: RoleAssigned, Department: "B"}
	tk = apply(t, tk, Request{Action: ActTransfer, Actor: deptA, Target: "B", NoteHash: hashN}, c.penv("2026-11-27T03:00:00Z")).Ticket
	tk = apply(t, tk, Request{Action: ActTransfer, Actor: deptB, Target: "A", NoteHash: hashN}, c.penv("2026-11-27T04:00:00Z")).Ticket
	res := apply(t, tk, Request{Action: ActTransfer, Actor: deptA, Target: "B", NoteHash: hashN}, c.penv("2026-11-27T05:00:00Z"))
	tr := res.Transitions[len(res.Transitions)-1]
	if res.Ticket.Department != "G" || tr.Requested != "B" || tr.Target != "G" || res.Ticket.Transfers != 3 {
		t.Fatalf("third transfer: dept %s, record %+v", res.Ticket.Department, tr)
	}
	// Governance transfers on without limit.
	gov := Actor{Role: RoleAssigned, Department: "G"}
	res = apply(t, res.Ticket, Request{Action: ActTransfer, Actor: gov, Target: "B", NoteHash: hashN}, c.penv("2026-11-27T06:00:00Z"))
	if res.Ticket.Department != "B" {
		t.Fatalf("governance transfer went to %s", res.Ticket.Department)
	}
	// No governance department: refused, nothing written.
	e := c.penv("2026-11-27T07:00:00Z")
	e.Governance = ""
	if r, err := Apply(res.Ticket, Request{Action: ActTransfer, Actor: deptB, Target: "A", NoteHash: hashN}, e); !errors.Is(err, ErrForbidden) || r.Ticket.ID != "" {
		t.Errorf("no governance: %v", err)
	}
}

func TestReturnToIntake(t *testing.T) {
	c := &clock{t: t}
	tk := submit(t, c, "2026-11-27T02:00:00Z")
	if _, err := Apply(tk, Request{Action: ActReturn, Actor: deptA}, c.penv("2026-11-27T03:00:00Z")); !errors.Is(err, ErrInvalid) {
		t.Errorf("return without a reason: %v", err)
	}
	res := apply(t, tk, Request{Action: ActReturn, Actor: deptA, NoteHash: hashN}, c.penv("2026-11-27T03:00:00Z"))
	tk = res.Ticket
	if tk.State != StateSubmitted || tk.RespondBy != "" || len(tk.Dues()) != 0 || tk.Episodes[0].RespondedAt == "" || tk.Episodes[0].HandedOverBy != ActReturn {
		t.Fatalf("returned ticket %+v", tk)
	}
	if _, err := Apply(tk, Request{Action: ActRoute, Actor: citizen}, c.penv("2026-11-27T04:00:00Z")); !errors.Is(err, ErrInvalid) {
		t.Errorf("route without a target: %v", err)
	}
	res = apply(t, tk, Request{Action: ActRoute, Actor: citizen, Target: "B"}, c.penv("2026-11-27T04:00:00Z"))
	if res.Ticket.State != StateAssigned || res.Ticket.Department != "B" || len(res.Ticket.Episodes) != 2 || res.Ticket.RespondBy != "2026-11-30T04:00:00Z" {
		t.Fatalf("routed ticket %+v", res.Ticket)
	}
	k := ComputeKPI("A", "2026-11-01T00:00:00Z", "2026-12-31T00:00:00Z", "2026-12-31T00:00:00Z", []Ticket{res.Ticket}, nil)
	if k.Received != 1 || k.Response.Numerator != 1 || k.Resolution.Denominator != 0 {
		t.Errorf("A's KPI after returning: %+v", k)
	}
}

func TestSuspendResume(t *testing.T) {
	c := &clock{t: t}
	tk := submit(t, c, "2026-11-27T02:00:00Z") // resolve-by Fri 12-04 02:00Z
	for _, r := range []Request{{Action: ActAccept, Actor: deptA}, {Action: ActStart, Actor: deptA}} {
		tk = apply(t, tk, r, c.penv("2026-11-27T03:00:00Z")).Ticket
	}
	if _, err := Apply(tk, Request{Action: ActSuspend, Actor: deptA}, c.penv("2026-11-30T02:00:00Z")); !errors.Is(err, ErrInvalid) {
		t.Errorf("suspend without a reason: %v", err)
	}
	res := apply(t, tk, Request{Action: ActSuspend, Actor: deptA, NoteHash: hashN}, c.penv("2026-11-30T02:00:00Z")) // Mon 10:00
	tk = res.Ticket
	if tk.State != StateSuspended || len(tk.Dues()) != 0 || res.Transitions[0].Pause == nil || res.Transitions[0].Pause.From != "2026-11-30T02:00:00Z" {
		t.Fatalf("suspended: %+v", res.Transitions[0])
	}
	if _, changed, _ := Sweep(tk, c.penv("2026-12-10T00:00:00Z"), "P"); changed {
		t.Error("a suspended ticket went overdue")
	}
	_, res2, _ := tk.Facts()
	if res2[0].Outcome("2026-12-10T00:00:00Z") != OutcomePending {
		t.Error("a paused round is not pending")
	}
	// The citizen answers on Wed 12-02 16:00 (+08:00): 2 working days and 6 hours paused.
	res = apply(t, tk, Request{Action: ActResume, Actor: citizen}, c.penv("2026-12-02T08:00:00Z"))
	tk = res.Ticket
	p := res.Transitions[0].Pause
	if tk.State != StateInProgress || p == nil || p.To != "2026-12-02T08:00:00Z" || p.Added != "54h0m0s" {
		t.Fatalf("resumed: %+v pause %+v", tk.State, p)
	}
	// Old resolve-by Fri 12-04 10:00 +08:00 plus 54 h of working time (Fri 14 h, Mon 24 h, Tue 16 h; the weekend does not count): Tue 12-08 16:00.
	if tk.ResolveBy != "2026-12-08T08:00:00Z" {
		t.Errorf("resolve-by after resume %s", tk.ResolveBy)
	}
	if len(tk.Episodes[0].Rounds[0].Pauses) != 1 {
		t.Errorf("pause not kept on the round")
	}
}

// TestRefusalHints: for every state, action, role and last rating, a refused action's
// hint never offers the refused action to the same role, and every action it does
// offer passes the transition table with that rating.
func TestRefusalHints(t *testing.T) {
	n := 0
	for _, s := range States {
		for _, a := range Actions {
			for _, r := range Roles {
				for _, rating := range append([]Rating{""}, Ratings...) {
					_, err := Check(s, a, r, rating)
					if err == nil {
						continue
					}
					n++
					msg := err.Error()
					i := strings.Index(msg, "(it may: ")
					if i < 0 {
						t.Fatalf("%s %s %s: no hint in %q", s, a, r, msg)
					}
					list := msg[i+len("(it may: "):]
					list = list[:strings.IndexAny(list, ";)")]
					if list == "nothing" {
						continue
					}
					for _, offered := range strings.Split(list, ", ") {
						if Action(offered) == a {
							t.Errorf("%s %s by %s (rating %q): hint offers the refused action: %s", s, a, r, rating, msg)
						}
						if _, err := Check(s, Action(offered), r, rating); err != nil {
							t.Errorf("%s %s by %s (rating %q): hint offers %s, which is refused too: %v", s, a, r, rating, offered, err)
						}
					}
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no refusal checked")
	}
	_, err := Check(StateRated, ActClose, RoleAssigned, RatingUnsatisfied)
	if want := "may not close after an unsatisfied rating (it may: nothing; close is for the supervising department)"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("close after unsatisfied: %v", err)
	}

}
