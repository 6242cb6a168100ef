package workorder_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/chaincode/contract/workorder"
	"github.com/certledger/certledger/chaincode/ledgertest"
	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/codes"
	domain "github.com/certledger/certledger/internal/domain/workorder"
)

// withGovernance registers G, the governance office's department (GovMSP).
func (w *world) withGovernance() dept {
	w.t.Helper()
	s := ledgertest.NewSigner(w.t)
	w.l.RegisterDepartmentWith(map[string]any{"id": "G", "name": "Governance office", "mspId": ledgertest.GovMSP, "parent": "", "categories": []string{}}, s)
	return dept{"G", ledgertest.GovMSP, s}
}

// actNote is act with an explicit noteHash ("" = none).
func (w *world) actNote(d dept, fn, id, target, note string) ledgertest.Result {
	w.t.Helper()
	in := domain.ActionInput{SignedAction: domain.SignedAction{TicketID: id, Action: strings.ToLower(fn), Department: d.id, NoteHash: note,
		Target: target, PrevTxID: w.get(id).TxID, KeyID: d.s.KeyID}}
	in.Signature = d.s.Sign(w.t, canon.KindTicketAction, in.Signed())
	return w.l.Submit(d.tx(), "workorder:"+fn, ledgertest.JSON(in))
}

// TestRollupStraddle: a ticket timestamped 23:59:30 that commits after a 00:00:30
// sweep still counts in its day (issue 15): a day settles only when it ended at least
// the maximum skew before the sweep.
func TestRollupStraddle(t *testing.T) {
	w := newWorld(t)
	day := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC) // Tue 2026-12-01 10:00 +08:00
	w.l.SetNow(day)
	for _, id := range []string{"S1", "S2", "S3", "S4"} {
		w.must(w.submit(id, "noise"))
		w.must(w.act(w.a, "Accept", id, "")) // answered at once: nothing of the day is pending
	}
	midnight := time.Date(2026, 12, 1, 16, 0, 0, 0, time.UTC) // 2026-12-02 00:00 +08:00
	w.l.SetNow(midnight.Add(30 * time.Second))
	var sr workorder.SweepResult
	w.l.MustSubmit(w.a.tx(), "workorder:Sweep", "").MustDecode(t, &sr)
	if sr.RolledUp != 0 || sr.SettledBefore != "2026-12-01T15:55:30Z" {
		t.Fatalf("a sweep 30 s after midnight settled the day: %+v", sr)
	}
	// Timestamped 23:59:30, endorsed at 00:01:00 (inside the 5 min skew).
	w.l.SetNow(midnight.Add(time.Minute))
	late := ledgertest.Gov
	late.Time = midnight.Add(-30 * time.Second)
	w.must(w.l.Submit(late, "workorder:Submit", ledgertest.JSON(domain.SubmitInput{ID: "S5", Category: "noise", ContentHash: hContent, ReporterCommitment: hReporter, Channel: "hotline"})))
	if got := w.get("S5").CreatedAt; got != "2026-12-01T15:59:30Z" {
		t.Fatalf("S5 created at %s", got)
	}
	w.must(w.act(w.a, "Accept", "S5", ""))
	w.l.SetNow(midnight.Add(6 * time.Minute))
	w.l.MustSubmit(w.a.tx(), "workorder:Sweep", "").MustDecode(t, &sr)
	if sr.RolledUp != 1 {
		t.Fatalf("the day did not settle 6 min after midnight: %+v", sr)
	}
	var d workorder.DayRollup
	if err := jsonUnmarshal(w.l.State("wo/kd/A/2026-11-30T16:00:00Z"), &d); err != nil {
		t.Fatal(err)
	}
	if d.Counts.Received != 5 || d.Counts.ResponseOnTime != 5 {
		t.Errorf("day rollup: %+v", d.Counts)
	}
	var k domain.KPI
	w.l.MustEvaluate(w.p.tx(), "workorder:KPI", "A", "2026-12-01", "2026-12-31").MustDecode(t, &k)
	if k.Received != 5 {
		t.Errorf("month KPI received %d, want 5", k.Received)
	}
}

func TestCalendarLoad(t *testing.T) {
	w := newWorldAt(t, time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC))
	b, err := os.ReadFile("../../../data/calendar/2026.json")
	if err != nil {
		t.Fatal(err)
	}
	// A ticket before any calendar: default calendar (version 0).
	w.l.SetNow(time.Date(2026, 9, 30, 2, 0, 0, 0, time.UTC)) // Wed 09-30 10:00 +08:00
	before := w.must(w.submit("T0", "noise")).Ticket
	if before.CalendarVersion != 0 || before.RespondBy != "2026-10-01T02:00:00Z" {
		t.Fatalf("before the calendar: version %d respond-by %s", before.CalendarVersion, before.RespondBy)
	}
	wantCode(t, w.l.Submit(w.a.tx(), "workorder:LoadCalendarYear", string(b)), codes.Forbidden)
	bad := strings.Replace(string(b), `"days": 9`, `"days": 8`, 1)
	snap := len(w.l.Keys())
	wantCode(t, w.l.Submit(ledgertest.Gov, "workorder:LoadCalendarYear", bad), codes.InvalidArgument)
	wantCode(t, w.l.Submit(ledgertest.Gov, "workorder:LoadCalendarYear", `{"year":2026}`), codes.InvalidArgument)
	if len(w.l.Keys()) != snap {
		t.Fatal("a refused calendar wrote keys")
	}
	var cal domain.Calendar
	w.l.MustSubmit(ledgertest.Gov, "workorder:LoadCalendarYear", string(b)).MustDecode(t, &cal)
	if cal.Version != 1 || len(cal.Holidays) != 33 || len(cal.Workdays) != 6 || cal.Years[0].Source.Number != "国办发明电〔2025〕7号" {
		t.Fatalf("loaded calendar: %+v", cal)
	}
	var y workorder.CalendarYear
	w.l.MustEvaluate(w.a.tx(), "workorder:GetCalendarYear", "2026").MustDecode(t, &y)
	if y.Schedule == nil || y.Schedule.LoadedIn != 1 || len(y.Holidays) != 33 || y.Workdays[0] != "2026-01-04" || y.Version != 1 {
		t.Errorf("calendar year: %+v", y)
	}
	wantCode(t, w.l.Evaluate(w.a.tx(), "workorder:GetCalendarYear", "26"), codes.InvalidArgument)
	w.l.MustEvaluate(w.a.tx(), "workorder:GetCalendarYear", "2027").MustDecode(t, &y)
	if y.Schedule != nil || len(y.Holidays) != 0 {
		t.Errorf("2027: %+v", y)
	}
	// From the next ticket on: National Day 10-01..07, so 1 working day from 09-30 is 10-08.
	after := w.must(w.submit("T1", "noise")).Ticket
	if after.CalendarVersion != 1 || after.RespondBy != "2026-10-08T02:00:00Z" {
		t.Errorf("after the calendar: version %d respond-by %s", after.CalendarVersion, after.RespondBy)
	}
	// T0 keeps version 0: transferred on 10-02 (a holiday now, a Friday by its own calendar),
	// its new respond-by is Monday 10-05 by the default calendar.
	w.l.SetNow(time.Date(2026, 10, 2, 2, 0, 0, 0, time.UTC))
	tk := w.must(w.act(w.a, "Transfer", "T0", "B")).Ticket
	if tk.CalendarVersion != 0 || tk.RespondBy != "2026-10-05T02:00:00Z" {
		t.Errorf("T0 after the calendar changed: version %d respond-by %s", tk.CalendarVersion, tk.RespondBy)
	}
}

func TestAutoEscalation(t *testing.T) {
	w := newWorld(t)
	w.withGovernance()
	w.must(w.submit("T1", "noise")) // Fri 11-27 10:00 +08:00, respond-by Mon 11-30 02:00Z
	w.l.SetNow(time.Date(2026, 11, 30, 2, 0, 1, 0, time.UTC))
	var sr workorder.SweepResult
	w.l.MustSubmit(w.a.tx(), "workorder:Sweep", "").MustDecode(t, &sr)
	if len(sr.Escalated) != 1 || len(sr.Accountability) != 1 {
		t.Fatalf("sweep: %+v", sr)
	}
	tk := w.get("T1")
	if tk.Department != "P" || tk.Escalations != 1 || tk.Overdue {
		t.Fatalf("escalated ticket: %s escalations %d overdue %v", tk.Department, tk.Escalations, tk.Overdue)
	}
	// P has no supervisor: the next escalation goes to the governance department.
	w.l.SetNow(time.Date(2026, 12, 1, 2, 0, 2, 0, time.UTC))
	w.l.MustSubmit(w.a.tx(), "workorder:Sweep", "").MustDecode(t, &sr)
	if tk = w.get("T1"); tk.Department != "G" {
		t.Fatalf("second escalation to %s", tk.Department)
	}
	// G misses it too: marked, nowhere further to go.
	w.l.SetNow(time.Date(2026, 12, 2, 2, 0, 3, 0, time.UTC))
	w.l.MustSubmit(w.a.tx(), "workorder:Sweep", "").MustDecode(t, &sr)
	if tk = w.get("T1"); tk.Department != "G" || !tk.Overdue || len(sr.Escalated) != 0 {
		t.Fatalf("governance overdue: %+v / %+v", tk, sr)
	}
	var trace []domain.Transition
	w.l.MustEvaluate(w.p.tx(), "workorder:Trace", "T1").MustDecode(t, &trace)
	var escalations []string
	for _, tr := range trace {
		if tr.Action == domain.ActEscalate {
			escalations = append(escalations, tr.AssignedTo+":"+string(tr.Missed[0].Phase))
		}
		if tr.Action == domain.ActOverdue && len(tr.Missed) == 0 {
			t.Errorf("overdue record %d does not say which deadline", tr.Seq)
		}
	}
	if strings.Join(escalations, ",") != "P:respond,G:respond" {
		t.Errorf("escalations %v", escalations)
	}
	for _, tr := range trace {
		if tr.Role == domain.RoleSystem && tr.Action != domain.ActRoute && (tr.ActorMSP != "AMSP" || tr.ActorID != "clerk-A") {
			t.Errorf("system transition %d (%s) does not name the sweep's submitter: %q %q", tr.Seq, tr.Action, tr.ActorMSP, tr.ActorID)
		}
	}
	// A supervisor's escalation needs a reason.
	w.must(w.submit("T2", "noise"))
	wantCode(t, w.actNote(w.p, "Escalate", "T2", "B", ""), codes.InvalidArgument)
}

func TestAutoCloseUnratedAndTransferLimit(t *testing.T) {
	w := newWorld(t)
	g := w.withGovernance()
	w.must(w.submit("T1", "noise"))
	for _, fn := range []string{"Accept", "Start", "Resolve"} {
		w.must(w.act(w.a, fn, "T1", ""))
	}
	tk := w.get("T1")
	if tk.RateBy != "2026-12-04T02:00:00Z" {
		t.Fatalf("rate-by %s", tk.RateBy)
	}
	w.l.SetNow(time.Date(2026, 12, 4, 2, 0, 1, 0, time.UTC))
	var sr workorder.SweepResult
	w.l.MustSubmit(w.a.tx(), "workorder:Sweep", "").MustDecode(t, &sr)
	if len(sr.AutoClosed) != 1 || len(sr.Accountability) != 0 {
		t.Fatalf("sweep: %+v", sr)
	}
	if tk = w.get("T1"); tk.State != domain.StateClosed || !tk.AutoClosed {
		t.Fatalf("ticket %+v", tk)
	}
	var k domain.KPI
	w.l.MustEvaluate(w.p.tx(), "workorder:KPI", "A", "2026-11-01", "2026-12-31").MustDecode(t, &k)
	if k.AutoClosedUnrated != 1 || k.Satisfaction.Denominator != 0 {
		t.Errorf("KPI %s", ledgertest.JSON(k))
	}

	// Ping-pong: the third transfer goes to the governance department.
	w.must(w.submit("T2", "noise"))
	w.must(w.act(w.a, "Transfer", "T2", "B"))
	w.must(w.act(w.b, "Transfer", "T2", "A"))
	o := w.must(w.act(w.a, "Transfer", "T2", "B"))
	if o.Ticket.Department != "G" || o.Transitions[len(o.Transitions)-1].Requested != "B" {
		t.Fatalf("third transfer: %s %+v", o.Ticket.Department, o.Transitions)
	}
	w.must(w.act(g, "Transfer", "T2", "B"))
}

func TestReturnSuspendResume(t *testing.T) {
	w := newWorld(t)
	w.must(w.submit("T1", "noise"))
	wantCode(t, w.actNote(w.a, "Return", "T1", "", ""), codes.InvalidArgument)
	o := w.must(w.act(w.a, "Return", "T1", ""))
	if o.Ticket.State != domain.StateSubmitted {
		t.Fatalf("returned: %s", o.Ticket.State)
	}
	route := map[string]string{"ticketId": "T1", "target": "B"}
	wantCode(t, w.l.Submit(w.b.tx(), "workorder:Route", ledgertest.JSON(route)), codes.Forbidden) // intake only
	o = w.must(w.l.Submit(ledgertest.Gov, "workorder:Route", ledgertest.JSON(route)))
	if o.Ticket.Department != "B" || o.Ticket.State != domain.StateAssigned {
		t.Fatalf("routed: %+v", o.Ticket)
	}
	w.must(w.act(w.b, "Accept", "T1", ""))
	w.must(w.act(w.b, "Start", "T1", ""))
	w.l.Advance(time.Hour)
	o = w.must(w.act(w.b, "Suspend", "T1", ""))
	if o.Ticket.State != domain.StateSuspended || o.Transitions[0].Pause == nil {
		t.Fatalf("suspended: %+v", o.Transitions)
	}
	w.l.Advance(48 * time.Hour) // Fri 11:00 → Sun 11:00: 13 h of working time
	o = w.must(w.l.Submit(ledgertest.Gov, "workorder:Resume", ledgertest.JSON(map[string]string{"ticketId": "T1"})))
	if o.Ticket.State != domain.StateInProgress || o.Transitions[0].Pause.Added != "13h0m0s" {
		t.Fatalf("resumed: %+v", o.Transitions[0].Pause)
	}
	if o.Ticket.ResolveBy != "2026-12-04T15:00:00Z" { // Fri 12-04 10:00 + 13 h = 23:00 +08:00
		t.Errorf("resolve-by after the pause %s", o.Ticket.ResolveBy)
	}
	var trace []domain.Transition
	w.l.MustEvaluate(w.p.tx(), "workorder:Trace", "T1").MustDecode(t, &trace)
	for _, tr := range trace {
		if tr.Role == domain.RoleAssigned && !strings.HasPrefix(tr.ActorID, "clerk-") {
			t.Errorf("transition %d names no person: %q", tr.Seq, tr.ActorID)
		}
		if tr.TxID == "" {
			t.Errorf("transition %d has no tx id", tr.Seq)
		}
	}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
