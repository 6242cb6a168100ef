package workorder

import (
	"errors"
	"strings"
	"testing"

	"github.com/certledger/certledger/internal/testkit"
)

var (
	hashC = strings.Repeat("c", 64)
	hashR = strings.Repeat("a", 64)
	hashN = strings.Repeat("b", 64)
)

type clock struct {
	t *testing.T
	n int
}

// env returns an Env at the given time (UTC+08:00 calendar, default SLA).
func (c *clock) env(at string) Env {
	c.t.Helper()
	c.n++
	return Env{Now: mustTime(c.t, at), TxID: "tx" + string(rune('a'+c.n)), Calendar: DefaultCalendar(), SLA: DefaultSLA()}
}

var (
	citizen = Actor{Role: RoleCitizen, MSP: "GovMSP"}
	deptA   = Actor{Role: RoleAssigned, Department: "A", MSP: "AMSP", KeyID: "k1", Signature: "sig"}
	superP  = Actor{Role: RoleSupervisor, Department: "P", MSP: "PMSP"}
	otherB  = Actor{Role: RoleOther, Department: "B", MSP: "BMSP"}
)

func submit(t *testing.T, c *clock, at string) Ticket {
	t.Helper()
	res, err := Submit(SubmitInput{ID: "t1", Category: "noise", ContentHash: hashC, ReporterCommitment: hashR, Channel: "hotline"}, "A", citizen, c.env(at))
	if err != nil {
		t.Fatal(err)
	}
	return res.Ticket
}

func apply(t *testing.T, tk Ticket, req Request, env Env) Result {
	t.Helper()
	res, err := Apply(tk, req, env)
	if err != nil {
		t.Fatalf("%s by %s in %s: %v", req.Action, req.Actor.Role, tk.State, err)
	}
	return res
}

// step is a request made at a time (RFC 3339).
type step struct {
	r  Request
	at string
}

// applyAll applies steps to tk in order and returns the ticket after the last
// with the accountability records they made.
func applyAll(t *testing.T, c *clock, tk Ticket, steps ...step) (Ticket, []Accountability) {
	t.Helper()
	var acc []Accountability
	for _, s := range steps {
		r := apply(t, tk, s.r, c.env(s.at))
		tk, acc = r.Ticket, append(acc, r.Accountability...)
	}
	return tk, acc
}

func TestLifecycleHappyPath(t *testing.T) {
	c := &clock{t: t}
	// Fri 2026-11-27 10:00 local.
	res, err := Submit(SubmitInput{ID: "t1", Category: "noise", ContentHash: hashC, ReporterCommitment: hashR, Channel: "web"}, "A", citizen, c.env("2026-11-27T02:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	tk := res.Ticket
	if len(res.Transitions) != 2 || res.Transitions[0].To != StateSubmitted || res.Transitions[1].To != StateAssigned ||
		res.Transitions[1].Role != RoleSystem || res.Transitions[1].AssignedTo != "A" {
		t.Fatalf("submit transitions: %+v", res.Transitions)
	}
	if tk.State != StateAssigned || tk.Department != "A" || tk.RespondBy != "2026-11-30T02:00:00Z" || tk.ResolveBy != "2026-12-04T02:00:00Z" {
		t.Fatalf("after submit: %+v", tk)
	}
	steps := []struct {
		req  Request
		at   string
		want State
	}{
		{Request{Action: ActAccept, Actor: deptA}, "2026-11-27T03:00:00Z", StateAccepted},
		{Request{Action: ActStart, Actor: deptA, NoteHash: hashN}, "2026-11-27T04:00:00Z", StateInProgress},
		{Request{Action: ActResolve, Actor: deptA, NoteHash: hashN}, "2026-12-01T04:00:00Z", StateResolved},
		{Request{Action: ActRate, Actor: citizen, Rating: RatingSatisfied}, "2026-12-02T04:00:00Z", StateRated},
		{Request{Action: ActClose, Actor: deptA}, "2026-12-02T05:00:00Z", StateClosed},
	}
	for i, s := range steps {
		env := c.env(s.at)
		r := apply(t, tk, s.req, env)
		if len(r.Transitions) != 1 || len(r.Accountability) != 0 {
			t.Fatalf("step %d: %d transitions, %d accountability", i, len(r.Transitions), len(r.Accountability))
		}
		tr := r.Transitions[0]
		if tr.From != tk.State || tr.To != s.want || tr.Seq != tk.Seq+1 || tr.Time != s.at || tr.TxID != env.TxID || tr.TicketID != "t1" {
			t.Fatalf("step %d: transition %+v", i, tr)
		}
		if r.Ticket.State != s.want || r.Ticket.TxID != env.TxID {
			t.Fatalf("step %d: ticket %+v", i, r.Ticket)
		}
		tk = r.Ticket
	}
	if tk.Seq != 7 || tk.AcceptedAt != "2026-11-27T03:00:00Z" || tk.ClosedAt != "2026-12-02T05:00:00Z" || tk.Overdue || tk.Accountability != 0 {
		t.Fatalf("final: %+v", tk)
	}
	if len(tk.Dues()) != 0 {
		t.Errorf("closed ticket has running deadlines: %v", tk.Dues())
	}
}

func TestIllegalWritesNothing(t *testing.T) {
	c := &clock{t: t}
	tk := submit(t, c, "2026-11-27T02:00:00Z")
	before := tk.clone()
	tests := []Request{
		{Action: ActResolve, Actor: deptA},                                 // not started
		{Action: ActStart, Actor: deptA},                                   // not accepted
		{Action: ActAccept, Actor: otherB},                                 // not assigned to B
		{Action: ActAccept, Actor: superP},                                 // supervisor does not accept
		{Action: ActEscalate, Actor: deptA, Target: "B", NoteHash: hashN},  // only the supervisor escalates
		{Action: ActTransfer, Actor: otherB, Target: "C", NoteHash: hashN}, // only the assigned department transfers
		{Action: ActRate, Actor: citizen, Rating: RatingSatisfied},         // not resolved
		{Action: ActClose, Actor: superP},
		{Action: ActReopen, Actor: citizen},
	}
	// Even long after the respond-by: an illegal action must not mark overdue either.
	for _, req := range tests {
		res, err := Apply(tk, req, c.env("2026-12-20T02:00:00Z"))
		if !errors.Is(err, ErrIllegalTransition) {
			t.Errorf("%s by %s: err = %v", req.Action, req.Actor.Role, err)
		}
		if len(res.Transitions) != 0 || len(res.Accountability) != 0 || res.Ticket.ID != "" {
			t.Errorf("%s by %s: result not empty: %+v", req.Action, req.Actor.Role, res)
		}
	}
	if tk.Seq != before.Seq || tk.State != before.State || len(tk.Episodes) != 1 || tk.Accountability != 0 {
		t.Errorf("ticket changed: %+v", tk)
	}
}

func TestTransferNeedsReason(t *testing.T) {
	c := &clock{t: t}
	tk := submit(t, c, "2026-11-27T02:00:00Z")
	before := tk.clone()
	res, err := Apply(tk, Request{Action: ActTransfer, Actor: deptA, Target: "B"}, c.env("2026-11-27T03:00:00Z"))
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "transfer needs a reason (noteHash)") {
		t.Fatalf("transfer without a reason: err = %v", err)
	}
	if len(res.Transitions) != 0 || len(res.Accountability) != 0 || res.Ticket.ID != "" {
		t.Errorf("result not empty: %+v", res)
	}
	if tk.Seq != before.Seq || tk.State != before.State || tk.Department != "A" || len(tk.Episodes) != 1 {
		t.Errorf("ticket changed: %+v", tk)
	}
	// Escalation needs a reason too (issue 15).
	if _, err := Apply(tk, Request{Action: ActEscalate, Actor: superP, Target: "B"}, c.env("2026-11-27T03:00:00Z")); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "escalate needs a reason") {
		t.Errorf("escalate without a reason: err = %v", err)
	}
	apply(t, tk, Request{Action: ActEscalate, Actor: superP, Target: "B", NoteHash: hashN}, c.env("2026-11-27T03:00:00Z"))
}

func TestInvalidRequests(t *testing.T) {
	c := &clock{t: t}
	tk := submit(t, c, "2026-11-27T02:00:00Z")
	bad := []Request{
		{Action: ActAccept, Actor: deptA, NoteHash: "ABC"},
		{Action: ActAccept, Actor: deptA, Target: "B"},
		{Action: ActTransfer, Actor: deptA},
		{Action: ActTransfer, Actor: deptA, Target: "a/b"},
		{Action: ActTransfer, Actor: deptA, Target: "B"}, // a transfer needs a reason
		{Action: ActRate, Actor: citizen, Rating: "great"},
		{Action: ActOverdue, Actor: Actor{Role: RoleSystem}},
	}
	for _, req := range bad {
		if _, err := Apply(tk, req, c.env("2026-11-27T03:00:00Z")); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: err = %v", req, err)
		}
	}
	if _, err := Apply(tk, Request{Action: ActTransfer, Actor: deptA, Target: "A", NoteHash: hashN}, c.env("2026-11-27T03:00:00Z")); !errors.Is(err, ErrForbidden) {
		t.Errorf("transfer to self: err = %v", err)
	}
	subs := []SubmitInput{
		{ID: "", Category: "noise", ContentHash: hashC, ReporterCommitment: hashR, Channel: "web"},
		{ID: "t/1", Category: "noise", ContentHash: hashC, ReporterCommitment: hashR, Channel: "web"},
		{ID: "t1", Category: "noise", ContentHash: "x", ReporterCommitment: hashR, Channel: "web"},
		{ID: "t1", Category: "noise", ContentHash: hashC, ReporterCommitment: strings.ToUpper(hashR), Channel: "web"},
		{ID: "t1", Category: "noise", ContentHash: hashC, ReporterCommitment: hashR, Channel: "fax"},
	}
	for _, in := range subs {
		if _, err := Submit(in, "A", citizen, c.env("2026-11-27T03:00:00Z")); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: err = %v", in, err)
		}
	}
	if _, err := Submit(SubmitInput{ID: "t1", Category: "noise", ContentHash: hashC, ReporterCommitment: hashR, Channel: "web"}, "A", deptA, c.env("2026-11-27T03:00:00Z")); !errors.Is(err, ErrIllegalTransition) {
		t.Errorf("submit by a department role: err = %v", err)
	}
}

func TestSweepIdempotent(t *testing.T) {
	c := &clock{t: t}
	tk := submit(t, c, "2026-11-27T02:00:00Z") // respond-by Mon 11-30 02:00Z, resolve-by Fri 12-04 02:00Z
	if _, changed, err := Sweep(tk, c.env("2026-11-30T02:00:00Z"), ""); err != nil || changed {
		t.Fatalf("sweep at the deadline itself: changed=%v err=%v", changed, err)
	}
	res, changed, err := Sweep(tk, c.env("2026-11-30T02:00:01Z"), "")
	if err != nil || !changed {
		t.Fatalf("sweep after respond-by: changed=%v err=%v", changed, err)
	}
	if len(res.Accountability) != 1 || len(res.Transitions) != 1 {
		t.Fatalf("sweep wrote %d acc, %d transitions", len(res.Accountability), len(res.Transitions))
	}
	a := res.Accountability[0]
	if a.ID != "t1#1" || a.Department != "A" || a.Cause != CauseOverdue || a.Phase != PhaseRespond || a.At != "2026-11-30T02:00:00Z" || a.RecordedAt != "2026-11-30T02:00:01Z" {
		t.Errorf("accountability: %+v", a)
	}
	tr := res.Transitions[0]
	if tr.Action != ActOverdue || tr.From != StateAssigned || tr.To != StateAssigned || len(tr.Accountability) != 1 || tr.Accountability[0] != "t1#1" {
		t.Errorf("overdue transition: %+v", tr)
	}
	tk2 := res.Ticket
	if !tk2.Overdue || tk2.State != StateAssigned || len(tk2.Dues()) != 1 || tk2.Dues()[0].Phase != PhaseResolve {
		t.Fatalf("after sweep: %+v dues %v", tk2, tk2.Dues())
	}
	if _, changed, _ := Sweep(tk2, c.env("2026-12-01T00:00:00Z"), ""); changed {
		t.Errorf("second sweep changed the ticket")
	}
	// Past resolve-by as well: one more record, then nothing.
	res, changed, _ = Sweep(tk2, c.env("2026-12-04T02:00:01Z"), "")
	if !changed || len(res.Accountability) != 1 || res.Accountability[0].Phase != PhaseResolve || res.Accountability[0].ID != "t1#2" {
		t.Fatalf("resolve sweep: %+v", res)
	}
	if _, changed, _ := Sweep(res.Ticket, c.env("2026-12-30T00:00:00Z"), ""); changed {
		t.Errorf("third sweep changed the ticket")
	}
	// A ticket missing both deadlines at once gets one transition with two records.
	res, changed, _ = Sweep(tk, c.env("2026-12-10T00:00:00Z"), "")
	if !changed || len(res.Accountability) != 2 || len(res.Transitions) != 1 || len(res.Transitions[0].Accountability) != 2 {
		t.Fatalf("double sweep: %+v", res)
	}
}

func TestLateAcceptIsHeldToAccount(t *testing.T) {
	c := &clock{t: t}
	tk := submit(t, c, "2026-11-27T02:00:00Z")
	res := apply(t, tk, Request{Action: ActAccept, Actor: deptA}, c.env("2026-11-30T03:00:00Z"))
	if len(res.Transitions) != 2 || res.Transitions[0].Action != ActOverdue || res.Transitions[1].Action != ActAccept ||
		res.Transitions[0].Seq != 3 || res.Transitions[1].Seq != 4 {
		t.Fatalf("transitions: %+v", res.Transitions)
	}
	if len(res.Accountability) != 1 || res.Accountability[0].Phase != PhaseRespond {
		t.Fatalf("accountability: %+v", res.Accountability)
	}
	resp, _, _ := res.Ticket.Facts()
	if resp[0].Outcome("2026-12-31T00:00:00Z") != OutcomeLate {
		t.Errorf("late accept not late: %+v", resp[0])
	}
	// Sweeping afterwards adds nothing for the respond deadline.
	if _, changed, _ := Sweep(res.Ticket, c.env("2026-11-30T04:00:00Z"), ""); changed {
		t.Errorf("sweep after late accept changed the ticket")
	}
}

func TestTransferAndEscalate(t *testing.T) {
	c := &clock{t: t}
	tk := submit(t, c, "2026-11-27T02:00:00Z")
	// A passes it to B on Monday: B gets a fresh respond-by (Tue) and resolve-by (next Mon).
	res := apply(t, tk, Request{Action: ActTransfer, Actor: deptA, Target: "B", NoteHash: hashN}, c.env("2026-11-30T01:00:00Z"))
	tk = res.Ticket
	if tk.State != StateAssigned || tk.Department != "B" || tk.RespondBy != "2026-12-01T01:00:00Z" || tk.ResolveBy != "2026-12-07T01:00:00Z" || tk.Transfers != 1 {
		t.Fatalf("after transfer: %+v", tk)
	}
	if e := tk.Episodes[0]; e.RespondedAt != "2026-11-30T01:00:00Z" || e.HandedOverAt != "2026-11-30T01:00:00Z" || e.HandedOverBy != ActTransfer {
		t.Errorf("A's episode: %+v", e)
	}
	if tr := res.Transitions[0]; tr.Department != "A" || tr.AssignedTo != "B" || tr.Target != "B" {
		t.Errorf("transition: %+v", tr)
	}
	// A may no longer act (neither with its real role nor claiming "assigned"); B's supervisor P escalates to C.
	asA := deptA
	asA.Role = RoleFor("A", tk.Department, "P")
	if _, err := Apply(tk, Request{Action: ActAccept, Actor: asA}, c.env("2026-11-30T02:00:00Z")); !errors.Is(err, ErrIllegalTransition) {
		t.Errorf("old department accepted: %v", err)
	}
	if _, err := Apply(tk, Request{Action: ActAccept, Actor: deptA}, c.env("2026-11-30T02:00:00Z")); !errors.Is(err, ErrIllegalTransition) {
		t.Errorf("old department accepted: %v", err)
	}
	res = apply(t, tk, Request{Action: ActEscalate, Actor: superP, Target: "C", NoteHash: hashN}, c.env("2026-12-02T01:00:00Z"))
	tk = res.Ticket
	// B missed its respond-by (Tue 01:00Z): escalation first marks that.
	if len(res.Accountability) != 1 || res.Accountability[0].Department != "B" || res.Transitions[0].Action != ActOverdue {
		t.Errorf("escalate after B's deadline: %+v", res)
	}
	if tk.Department != "C" || tk.Escalations != 1 || tk.Overdue || len(tk.Episodes) != 3 || tk.Episodes[1].RespondedAt != "" {
		t.Errorf("after escalate: %+v", tk)
	}
}

func TestUnsatisfiedReopen(t *testing.T) {
	c := &clock{t: t}
	tk := submit(t, c, "2026-11-27T02:00:00Z")
	tk, _ = applyAll(t, c, tk,
		step{Request{Action: ActAccept, Actor: deptA}, "2026-11-27T03:00:00Z"},
		step{Request{Action: ActStart, Actor: deptA}, "2026-11-27T03:10:00Z"},
		step{Request{Action: ActResolve, Actor: deptA}, "2026-11-27T05:00:00Z"})
	res := apply(t, tk, Request{Action: ActRate, Actor: citizen, Rating: RatingUnsatisfied, CommentHash: hashN}, c.env("2026-11-30T02:00:00Z"))
	if len(res.Accountability) != 1 || res.Accountability[0].Cause != CauseUnsatisfied || res.Accountability[0].At != "2026-11-30T02:00:00Z" {
		t.Fatalf("unsatisfied: %+v", res.Accountability)
	}
	tk = res.Ticket
	if _, err := Apply(tk, Request{Action: ActClose, Actor: deptA}, c.env("2026-11-30T03:00:00Z")); !errors.Is(err, ErrIllegalTransition) {
		t.Errorf("assigned closed an unsatisfied ticket: %v", err)
	}
	res = apply(t, tk, Request{Action: ActReopen, Actor: citizen, NoteHash: hashN}, c.env("2026-11-30T03:00:00Z"))
	tk = res.Ticket
	if tk.State != StateInProgress || tk.Reopens != 1 || tk.ResolveBy != "2026-12-07T03:00:00Z" || len(tk.Episodes[0].Rounds) != 2 ||
		len(res.Accountability) != 1 || res.Accountability[0].Cause != CauseReopened {
		t.Fatalf("after reopen: %+v acc %+v", tk, res.Accountability)
	}
	tk = apply(t, tk, Request{Action: ActResolve, Actor: deptA}, c.env("2026-12-01T03:00:00Z")).Ticket
	tk = apply(t, tk, Request{Action: ActRate, Actor: citizen, Rating: RatingVerySatisfied}, c.env("2026-12-01T04:00:00Z")).Ticket
	tk = apply(t, tk, Request{Action: ActClose, Actor: deptA}, c.env("2026-12-01T05:00:00Z")).Ticket
	if tk.State != StateClosed || tk.Accountability != 2 || tk.Seq != 10 {
		t.Fatalf("final: %+v", tk)
	}
	_, rounds, ratings := tk.Facts()
	if len(rounds) != 2 || rounds[0].ResolvedAt != "2026-11-27T05:00:00Z" || rounds[1].ResolvedAt != "2026-12-01T03:00:00Z" || len(ratings) != 2 {
		t.Errorf("facts: %+v %+v", rounds, ratings)
	}
}

// Validate reports every bad field at once, each named (wire.FieldErrors).
func TestSubmitValidateListsEveryField(t *testing.T) {
	err := SubmitInput{ID: "t/1", Category: "", ContentHash: hashC, ReporterCommitment: "x", Channel: "fax"}.Validate()
	fe, got := testkit.FieldErrors(t, err)
	if got != "id,category,reporterCommitment,channel" {
		t.Fatalf("fields %s (%v)", got, err)
	}
	sla := SLA{Default: Limits{RespondDays: 0, ResolveDays: 1}, Categories: []CategorySLA{{Category: "a/b", RespondDays: 1, ResolveDays: 1}}}
	if err := sla.Validate(); !errors.As(err, &fe) || len(fe) != 2 || fe[0].Field != "default" || fe[1].Field != "categories[0]" {
		t.Fatalf("SLA.Validate = %v", err)
	}
	cal := Calendar{UTCOffset: "8", Holidays: []string{"2026-13-01"}, Workdays: []string{}}
	if err := cal.Validate(); !errors.As(err, &fe) || len(fe) != 2 || fe[0].Field != "utcOffset" || fe[1].Field != "holidays" {
		t.Fatalf("Calendar.Validate = %v", err)
	}
}
