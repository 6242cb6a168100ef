package workorder_test

import (
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/certledger/certledger/chaincode/contract/registry"
	"github.com/certledger/certledger/chaincode/contract/workorder"
	"github.com/certledger/certledger/chaincode/ledgertest"
	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/codes"
	domain "github.com/certledger/certledger/internal/domain/workorder"
)

var (
	hContent  = strings.Repeat("c", 64)
	hReporter = strings.Repeat("a", 64)
	hNote     = strings.Repeat("b", 64)
)

type dept struct {
	id, msp string
	s       ledgertest.Signer
}

func (d dept) tx() ledgertest.Tx { return ledgertest.Tx{MSP: d.msp, CommonName: "clerk-" + d.id} }

type world struct {
	t       *testing.T
	l       *ledgertest.Ledger
	p, a, b dept // P supervises A and B; A handles "noise", B "housing"
}

var signers []ledgertest.Signer

// start: Friday 2026-11-27 10:00 in UTC+08:00.
var start = time.Date(2026, 11, 27, 2, 0, 0, 0, time.UTC)

func newWorld(t *testing.T) *world {
	t.Helper()
	return newWorldAt(t, start)
}

// newWorldAt is newWorld with the departments registered an hour before at.
func newWorldAt(t *testing.T, start time.Time) *world {
	t.Helper()
	cc, err := contractapi.NewChaincode(registry.New(), workorder.New())
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, l: ledgertest.New(t, cc)}
	w.l.SetNow(start.Add(-time.Hour))
	w.l.InitRegistry()
	for len(signers) < 3 {
		signers = append(signers, ledgertest.NewSigner(t))
	}
	reg := func(id, msp, parent string, cats []string, s ledgertest.Signer) dept {
		w.l.RegisterDepartmentWith(map[string]any{"id": id, "name": "Dept " + id, "mspId": msp, "parent": parent, "categories": cats}, s)
		return dept{id, msp, s}
	}
	w.p = reg("P", "PMSP", "", []string{}, signers[0])
	w.a = reg("A", "AMSP", "P", []string{"noise"}, signers[1])
	w.b = reg("B", "BMSP", "P", []string{"housing"}, signers[2])
	w.l.SetNow(start)
	return w
}

func (w *world) submit(id, category string) ledgertest.Result {
	return w.l.Submit(ledgertest.Gov, "workorder:Submit", ledgertest.JSON(domain.SubmitInput{
		ID: id, Category: category, ContentHash: hContent, ReporterCommitment: hReporter, Channel: "hotline"}))
}

func (w *world) get(id string) domain.Ticket {
	w.t.Helper()
	var t domain.Ticket
	if err := w.l.MustEvaluate(ledgertest.Gov, "workorder:Get", id).Decode(&t); err != nil {
		w.t.Fatal(err)
	}
	return t
}

// act submits a signed department action fn ("Accept", ...) on ticket id.
func (w *world) act(d dept, fn, id, target string) ledgertest.Result {
	w.t.Helper()
	in := domain.ActionInput{SignedAction: domain.SignedAction{TicketID: id, Action: strings.ToLower(fn), Department: d.id, NoteHash: hNote,
		Target: target, PrevTxID: w.get(id).TxID, KeyID: d.s.KeyID}}
	in.Signature = d.s.Sign(w.t, canon.KindTicketAction, in.Signed())
	return w.l.Submit(d.tx(), "workorder:"+fn, ledgertest.JSON(in))
}

func (w *world) must(r ledgertest.Result) domain.Output {
	w.t.Helper()
	if !r.OK() {
		w.t.Fatalf("unexpected failure: %s", r.Message)
	}
	var o domain.Output
	if err := r.Decode(&o); err != nil {
		w.t.Fatal(err)
	}
	return o
}

func (w *world) rate(id, rating string) ledgertest.Result {
	return w.l.Submit(ledgertest.Gov, "workorder:Rate", ledgertest.JSON(map[string]string{"ticketId": id, "rating": rating, "commentHash": hNote}))
}

func wantCode(t *testing.T, r ledgertest.Result, code string) {
	t.Helper()
	if r.Code() != code {
		t.Fatalf("want %s, got status %d %q", code, r.Status, r.Message)
	}
}

func TestLifecycleTraceAndEvents(t *testing.T) {
	w := newWorld(t)
	o := w.must(w.submit("T1", "noise"))
	if o.Ticket.State != domain.StateAssigned || o.Ticket.Department != "A" || o.Ticket.RespondBy != "2026-11-30T02:00:00Z" ||
		o.Ticket.ResolveBy != "2026-12-04T02:00:00Z" || len(o.Transitions) != 2 {
		t.Fatalf("submit: %+v", o)
	}
	steps := []struct {
		fn   string
		want domain.State
	}{{"Accept", domain.StateAccepted}, {"Start", domain.StateInProgress}, {"Resolve", domain.StateResolved}}
	for _, s := range steps {
		w.l.Advance(time.Hour)
		if got := w.must(w.act(w.a, s.fn, "T1", "")).Ticket.State; got != s.want {
			t.Fatalf("%s: state %s", s.fn, got)
		}
	}
	w.l.Advance(time.Hour)
	w.must(w.rate("T1", "very_satisfied"))
	w.l.Advance(time.Hour)
	final := w.must(w.act(w.a, "Close", "T1", "")).Ticket
	if final.State != domain.StateClosed || final.Seq != 7 {
		t.Fatalf("final: %+v", final)
	}

	var trace []domain.Transition
	if err := w.l.MustEvaluate(w.b.tx(), "workorder:Trace", "T1").Decode(&trace); err != nil {
		t.Fatal(err)
	}
	var got []string
	for i, tr := range trace {
		if tr.Seq != i+1 || tr.TicketID != "T1" || tr.TxID == "" {
			t.Errorf("trace[%d]: %+v", i, tr)
		}
		got = append(got, fmt.Sprintf("%s:%s>%s", tr.Action, tr.From, tr.To))
	}
	want := "submit:>submitted route:submitted>assigned accept:assigned>accepted start:accepted>in_progress resolve:in_progress>resolved rate:resolved>rated close:rated>closed"
	if strings.Join(got, " ") != want {
		t.Errorf("trace:\n got %s\nwant %s", strings.Join(got, " "), want)
	}
	if tr := trace[2]; tr.Department != "A" || tr.ActorMSP != "AMSP" || !strings.Contains(tr.ActorID, "clerk-A") || tr.KeyID != w.a.s.KeyID || tr.NoteHash != hNote {
		t.Errorf("accept record: %+v", tr)
	}
	if tr := trace[5]; tr.Role != domain.RoleCitizen || tr.Rating != domain.RatingVerySatisfied || tr.Department != "" {
		t.Errorf("rate record: %+v", tr)
	}

	var names []string
	for _, e := range w.l.Events() {
		if strings.HasPrefix(e.Name, "Ticket") {
			names = append(names, e.Name)
		}
	}
	if strings.Join(names, ",") != "TicketSubmitted,TicketAccepted,TicketStarted,TicketResolved,TicketRated,TicketClosed" {
		t.Errorf("events: %v", names)
	}
	// The ticket's department index follows its state.
	var p workorder.Page[domain.Ticket]
	w.l.MustEvaluate(w.a.tx(), "workorder:ListByDepartment", "A", "closed", "", "").MustDecode(t, &p)
	if p.Count != 1 || p.Records[0].ID != "T1" {
		t.Errorf("closed list: %+v", p)
	}
	w.l.MustEvaluate(w.a.tx(), "workorder:ListByDepartment", "A", "assigned", "", "").MustDecode(t, &p)
	if p.Count != 0 {
		t.Errorf("assigned list: %+v", p)
	}
}

func TestSubmitRouting(t *testing.T) {
	w := newWorld(t)
	wantCode(t, w.submit("T1", "potholes"), codes.NotFound)
	wantCode(t, w.l.Submit(w.a.tx(), "workorder:Submit", ledgertest.JSON(domain.SubmitInput{ID: "T1", Category: "noise", ContentHash: hContent, ReporterCommitment: hReporter, Channel: "web"})), codes.Forbidden)
	wantCode(t, w.l.Submit(ledgertest.Gov, "workorder:Submit", `{"id":"T1","category":"noise","contentHash":"x","reporterCommitment":"`+hReporter+`","channel":"web"}`), codes.InvalidArgument)
	wantCode(t, w.l.Submit(ledgertest.Gov, "workorder:Submit", `{"id":"T1","category":"noise","extra":1}`), codes.InvalidArgument)
	w.must(w.submit("T1", "noise"))
	wantCode(t, w.submit("T1", "noise"), codes.Conflict)
	if got := w.must(w.submit("T2", "housing")).Ticket.Department; got != "B" {
		t.Errorf("housing routed to %s", got)
	}
	// A second department claiming "noise" makes routing ambiguous: a clear error.
	w.l.RegisterDepartmentWith(map[string]any{"id": "A2", "name": "A2", "mspId": "A2MSP", "categories": []string{"noise"}})
	wantCode(t, w.submit("T3", "noise"), codes.Conflict)
	// Governance names another intake organisation; the governance org is then not one.
	wantCode(t, w.l.Submit(w.a.tx(), "workorder:SetIntake", `{"mspIds":["HotlineMSP"]}`), codes.Forbidden)
	w.l.MustSubmit(ledgertest.Gov, "workorder:SetIntake", `{"mspIds":["HotlineMSP"]}`)
	wantCode(t, w.submit("T4", "housing"), codes.Forbidden)
	if r := w.l.Submit(ledgertest.Tx{MSP: "HotlineMSP"}, "workorder:Submit", ledgertest.JSON(domain.SubmitInput{ID: "T4", Category: "housing", ContentHash: hContent, ReporterCommitment: hReporter, Channel: "app"})); !r.OK() {
		t.Fatal(r.Message)
	}
}

func TestIllegalTransitionWritesNothing(t *testing.T) {
	w := newWorld(t)
	w.must(w.submit("T1", "noise"))
	w.l.SetNow(start.Add(10 * 24 * time.Hour)) // long past both deadlines: still nothing may be written
	before := w.l.Snapshot()
	nEvents := len(w.l.Events())
	tests := []struct {
		name string
		r    func() ledgertest.Result
	}{
		{"resolve before accept", func() ledgertest.Result { return w.act(w.a, "Resolve", "T1", "") }},
		{"other department accepts", func() ledgertest.Result { return w.act(w.b, "Accept", "T1", "") }},
		{"supervisor accepts", func() ledgertest.Result { return w.act(w.p, "Accept", "T1", "") }},
		{"assigned escalates", func() ledgertest.Result { return w.act(w.a, "Escalate", "T1", "B") }},
		{"other transfers", func() ledgertest.Result { return w.act(w.b, "Transfer", "T1", "P") }},
		{"rate before resolve", func() ledgertest.Result { return w.rate("T1", "satisfied") }},
		{"close unresolved", func() ledgertest.Result { return w.act(w.p, "Close", "T1", "") }},
		{"citizen reopens unrated", func() ledgertest.Result {
			return w.l.Submit(ledgertest.Gov, "workorder:Reopen", `{"ticketId":"T1"}`)
		}},
	}
	for _, tc := range tests {
		r := tc.r()
		if r.Code() != codes.IllegalTransition {
			t.Errorf("%s: want ILLEGAL_TRANSITION, got %q", tc.name, r.Message)
		}
	}
	if !maps.EqualFunc(before, w.l.Snapshot(), func(a, b []byte) bool { return string(a) == string(b) }) || len(w.l.Events()) != nEvents {
		t.Errorf("a refused transition changed the ledger")
	}
}

func TestTransferWithoutReasonWritesNothing(t *testing.T) {
	w := newWorld(t)
	w.must(w.submit("T1", "noise"))
	w.l.Advance(time.Hour)
	before := w.l.Snapshot()
	nEvents := len(w.l.Events())
	in := domain.ActionInput{SignedAction: domain.SignedAction{TicketID: "T1", Action: "transfer", Department: w.a.id, Target: "B",
		PrevTxID: w.get("T1").TxID, KeyID: w.a.s.KeyID}}
	in.Signature = w.a.s.Sign(t, canon.KindTicketAction, in.Signed())
	r := w.l.Submit(w.a.tx(), "workorder:Transfer", ledgertest.JSON(in))
	wantCode(t, r, codes.InvalidArgument)
	if !strings.Contains(r.Message, "transfer needs a reason (noteHash)") {
		t.Errorf("message: %q", r.Message)
	}
	if !maps.EqualFunc(before, w.l.Snapshot(), func(a, b []byte) bool { return string(a) == string(b) }) || len(w.l.Events()) != nEvents {
		t.Errorf("a refused transfer changed the ledger")
	}
	if tk := w.get("T1"); tk.Department != "A" || tk.Transfers != 0 {
		t.Errorf("ticket: %+v", tk)
	}
}

func TestAuthentication(t *testing.T) {
	w := newWorld(t)
	w.must(w.submit("T1", "noise"))
	tk := w.get("T1")
	signed := func(d dept, s ledgertest.Signer, mutate func(*domain.ActionInput)) string {
		in := domain.ActionInput{SignedAction: domain.SignedAction{TicketID: "T1", Action: "accept", Department: d.id, PrevTxID: tk.TxID, KeyID: s.KeyID}}
		in.Signature = s.Sign(t, canon.KindTicketAction, in.Signed())
		if mutate != nil {
			mutate(&in)
		}
		return ledgertest.JSON(in)
	}
	// Signature over different fields.
	wantCode(t, w.l.Submit(w.a.tx(), "workorder:Accept", signed(w.a, w.a.s, func(in *domain.ActionInput) { in.NoteHash = hNote })), codes.BadSignature)
	// B's key claimed for A.
	wantCode(t, w.l.Submit(w.a.tx(), "workorder:Accept", signed(w.a, w.b.s, nil)), codes.Forbidden)
	// A's action submitted from B's MSP.
	wantCode(t, w.l.Submit(w.b.tx(), "workorder:Accept", signed(w.a, w.a.s, nil)), codes.Forbidden)
	// Stale prevTxId (replay of an action signed for an older version).
	wantCode(t, w.l.Submit(w.a.tx(), "workorder:Accept", signed(w.a, w.a.s, func(in *domain.ActionInput) {
		in.PrevTxID = strings.Repeat("0", 64)
		in.Signature = w.a.s.Sign(t, canon.KindTicketAction, in.Signed())
	})), codes.Conflict)
	// Unsigned action from a department is not the intake channel.
	wantCode(t, w.l.Submit(w.a.tx(), "workorder:Accept", `{"ticketId":"T1"}`), codes.Forbidden)
	// Action field must match the function.
	wantCode(t, w.l.Submit(w.a.tx(), "workorder:Start", signed(w.a, w.a.s, nil)), codes.InvalidArgument)
	// Backdated transaction: refused by the skew check.
	in := signed(w.a, w.a.s, nil)
	wantCode(t, w.l.Submit(ledgertest.Tx{MSP: "AMSP", Time: w.l.Now().Add(-time.Hour)}, "workorder:Accept", in), codes.InvalidArgument)
	w.must(w.l.Submit(w.a.tx(), "workorder:Accept", in))
	// The same signed action again: the ticket moved on (and the state too).
	wantCode(t, w.l.Submit(w.a.tx(), "workorder:Accept", in), codes.Conflict)
}

func TestTransferEscalateReopen(t *testing.T) {
	w := newWorld(t)
	w.must(w.submit("T1", "noise"))
	w.l.Advance(time.Hour)
	wantCode(t, w.act(w.a, "Transfer", "T1", "A"), codes.Forbidden)
	wantCode(t, w.act(w.a, "Transfer", "T1", "Nowhere"), codes.NotFound)
	o := w.must(w.act(w.a, "Transfer", "T1", "B"))
	if o.Ticket.Department != "B" || o.Ticket.RespondBy != "2026-11-30T03:00:00Z" {
		t.Fatalf("transfer: %+v", o.Ticket)
	}
	w.l.Advance(time.Hour)
	wantCode(t, w.act(w.a, "Accept", "T1", ""), codes.IllegalTransition)
	o = w.must(w.act(w.p, "Escalate", "T1", "P"))
	if o.Ticket.Department != "P" || o.Ticket.Escalations != 1 {
		t.Fatalf("escalate: %+v", o.Ticket)
	}
	for _, fn := range []string{"Accept", "Start", "Resolve"} {
		w.l.Advance(time.Hour)
		w.must(w.act(w.p, fn, "T1", ""))
	}
	o = w.must(w.rate("T1", "unsatisfied"))
	if len(o.Accountability) != 1 || o.Accountability[0].Cause != domain.CauseUnsatisfied || o.Accountability[0].Department != "P" {
		t.Fatalf("unsatisfied: %+v", o.Accountability)
	}
	wantCode(t, w.act(w.p, "Close", "T1", ""), codes.IllegalTransition) // P is assigned now, has no supervisor
	o = w.must(w.l.Submit(ledgertest.Gov, "workorder:Reopen", ledgertest.JSON(map[string]string{"ticketId": "T1", "noteHash": hNote})))
	if o.Ticket.State != domain.StateInProgress || o.Ticket.Reopens != 1 || o.Accountability[0].Cause != domain.CauseReopened {
		t.Fatalf("reopen: %+v", o)
	}
	var p workorder.Page[domain.Accountability]
	w.l.MustEvaluate(w.p.tx(), "workorder:Accountability", "P", "2026-11-01", "2026-12-01", "", "").MustDecode(t, &p)
	if p.Count != 2 {
		t.Errorf("accountability of P: %+v", p)
	}
}

func TestSweepOverdueAccountability(t *testing.T) {
	w := newWorld(t)
	// Marking only (automatic escalation has its own test).
	w.l.MustSubmit(ledgertest.Gov, "workorder:SetPolicy", `{"autoEscalate":false,"autoCloseDays":5,"maxTransfers":2}`)
	for i := 1; i <= 3; i++ {
		w.must(w.submit(fmt.Sprintf("T%d", i), "noise"))
	}
	w.l.Advance(time.Minute)
	w.must(w.act(w.a, "Accept", "T3", "")) // T3 responds in time
	// Respond-by is Mon 2026-11-30 02:00Z.
	w.l.SetNow(time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC))
	var sr workorder.SweepResult
	w.l.MustSubmit(w.b.tx(), "workorder:Sweep", "").MustDecode(t, &sr)
	if len(sr.Tickets) != 0 {
		t.Fatalf("sweep at the deadline marked %v", sr.Tickets)
	}
	w.l.Advance(time.Second)
	wantCode(t, w.l.Submit(ledgertest.Tx{MSP: "NobodyMSP"}, "workorder:Sweep", ""), codes.Forbidden)
	w.l.MustSubmit(w.b.tx(), "workorder:Sweep", "1").MustDecode(t, &sr)
	if len(sr.Tickets) != 1 || !sr.More {
		t.Fatalf("limited sweep: %+v", sr)
	}
	w.l.MustSubmit(w.b.tx(), "workorder:Sweep", "").MustDecode(t, &sr)
	if len(sr.Tickets) != 1 || sr.More || len(sr.Accountability) != 1 {
		t.Fatalf("second sweep: %+v", sr)
	}
	before, events := w.l.Snapshot(), len(w.l.Events())
	r := w.l.MustSubmit(w.a.tx(), "workorder:Sweep", "")
	r.MustDecode(t, &sr)
	if len(sr.Tickets) != 0 || len(r.Writes) != 0 || r.Event != nil || len(w.l.Events()) != events ||
		!maps.EqualFunc(before, w.l.Snapshot(), func(a, b []byte) bool { return string(a) == string(b) }) {
		t.Fatalf("a no-op sweep wrote %d keys, event %v: %+v", len(r.Writes), r.Event, sr)
	}
	var over workorder.Page[domain.Ticket]
	w.l.MustEvaluate(w.p.tx(), "workorder:ListOverdue", "A", "", "").MustDecode(t, &over)
	if over.Count != 2 || over.Records[0].ID != "T1" || over.Records[1].ID != "T2" {
		t.Errorf("overdue: %+v", over)
	}
	// A late accept is not overdue-marked twice, and ends "currently overdue": T1 leaves
	// the overdue list; its accountability record stays.
	w.must(w.act(w.a, "Accept", "T1", ""))
	if tk := w.get("T1"); tk.Accountability != 1 || tk.Overdue {
		t.Errorf("T1 accountability %d overdue %v", tk.Accountability, tk.Overdue)
	}
	w.l.MustEvaluate(w.p.tx(), "workorder:ListOverdue", "A", "", "").MustDecode(t, &over)
	if over.Count != 1 || over.Records[0].ID != "T2" {
		t.Errorf("overdue after T1's late accept: %+v", over)
	}
	// Past resolve-by (Fri 12-04 02:00Z) everything open gets a resolve overdue.
	w.l.SetNow(time.Date(2026, 12, 4, 3, 0, 0, 0, time.UTC))
	w.l.MustSubmit(w.a.tx(), "workorder:Sweep", "").MustDecode(t, &sr)
	if len(sr.Tickets) != 3 || len(sr.Accountability) != 3 {
		t.Fatalf("resolve sweep: %+v", sr)
	}
	var acc workorder.Page[domain.Accountability]
	w.l.MustEvaluate(w.p.tx(), "workorder:Accountability", "A", "2026-11-30", "2026-12-07", "2", "").MustDecode(t, &acc)
	if acc.Count != 2 || acc.Bookmark == "" {
		t.Fatalf("accountability page 1: %+v", acc)
	}
	first := acc.Records
	w.l.MustEvaluate(w.p.tx(), "workorder:Accountability", "A", "2026-11-30", "2026-12-07", "2", acc.Bookmark).MustDecode(t, &acc)
	all := append(first, acc.Records...)
	for acc.Bookmark != "" {
		w.l.MustEvaluate(w.p.tx(), "workorder:Accountability", "A", "2026-11-30", "2026-12-07", "2", acc.Bookmark).MustDecode(t, &acc)
		all = append(all, acc.Records...)
	}
	if len(all) != 5 {
		t.Errorf("accountability records: %d, want 5 (2 respond + 3 resolve)", len(all))
	}
	wantCode(t, w.l.Evaluate(w.p.tx(), "workorder:Accountability", "A", "2026-11-30", "2026-12-07", "2", "bogus"), codes.InvalidArgument)

	var k domain.KPI
	w.l.MustEvaluate(w.p.tx(), "workorder:KPI", "A", "2026-11-23", "2026-12-07").MustDecode(t, &k)
	// received 3; response: T3 on time, T1 late (accepted after respond-by), T2 late → 1/3;
	// resolution: all three due 12-04 02:00Z, none resolved → 0/3; overdue 5.
	if k.Received != 3 || k.Response.Numerator != 1 || k.Response.Denominator != 3 || k.Resolution.Denominator != 3 ||
		k.Resolution.Numerator != 0 || k.Overdue != 5 || k.Accountability != 5 {
		t.Errorf("KPI: %s", ledgertest.JSON(k))
	}
}

func TestConfig(t *testing.T) {
	w := newWorld(t)
	wantCode(t, w.l.Submit(w.a.tx(), "workorder:SetCalendar", `{"utcOffset":"+08:00","holidays":[],"workdays":[]}`), codes.Forbidden)
	wantCode(t, w.l.Submit(ledgertest.Gov, "workorder:SetCalendar", `{"utcOffset":"+08:00","holidays":["2026-11-30"],"workdays":["2026-11-30"]}`), codes.InvalidArgument)
	w.l.MustSubmit(ledgertest.Gov, "workorder:SetCalendar", `{"utcOffset":"+08:00","holidays":["2026-11-30"],"workdays":[]}`)
	wantCode(t, w.l.Submit(ledgertest.Gov, "workorder:SetSLA", `{"default":{"respondDays":0,"resolveDays":5},"categories":[]}`), codes.InvalidArgument)
	w.l.MustSubmit(ledgertest.Gov, "workorder:SetSLA", `{"default":{"respondDays":1,"resolveDays":5},"categories":[{"category":"noise","respondDays":2,"resolveDays":3}]}`)
	var cfg workorder.Config
	w.l.MustEvaluate(w.a.tx(), "workorder:GetConfig").MustDecode(t, &cfg)
	if len(cfg.Calendar.Holidays) != 1 || cfg.SLA.For("noise").ResolveDays != 3 || cfg.IntakeMSPIDs[0] != "GovMSP" {
		t.Errorf("config: %+v", cfg)
	}
	// Fri 10:00 local + 2 working days with Monday a holiday = Wed 10:00; +3 = Thu.
	o := w.must(w.submit("T1", "noise"))
	if o.Ticket.RespondBy != "2026-12-02T02:00:00Z" || o.Ticket.ResolveBy != "2026-12-03T02:00:00Z" {
		t.Errorf("deadlines: %s %s", o.Ticket.RespondBy, o.Ticket.ResolveBy)
	}
}

func TestListPaging(t *testing.T) {
	w := newWorld(t)
	for i := 1; i <= 7; i++ {
		w.must(w.submit(fmt.Sprintf("T%d", i), "noise"))
	}
	var ids []string
	bookmark, pages := "", 0
	for {
		var p workorder.Page[domain.Ticket]
		w.l.MustEvaluate(w.a.tx(), "workorder:ListByDepartment", "A", "assigned", "3", bookmark).MustDecode(t, &p)
		pages++
		for _, tk := range p.Records {
			ids = append(ids, tk.ID)
		}
		if bookmark = p.Bookmark; bookmark == "" {
			break
		}
	}
	if pages != 3 || strings.Join(ids, ",") != "T1,T2,T3,T4,T5,T6,T7" {
		t.Errorf("pages %d ids %v", pages, ids)
	}
	wantCode(t, w.l.Evaluate(w.a.tx(), "workorder:ListByDepartment", "A", "assigned", "501", ""), codes.InvalidArgument)
	wantCode(t, w.l.Evaluate(w.a.tx(), "workorder:ListByDepartment", "A", "sleeping", "", ""), codes.InvalidArgument)
	wantCode(t, w.l.Evaluate(w.a.tx(), "workorder:Get", "nope"), codes.NotFound)
}
