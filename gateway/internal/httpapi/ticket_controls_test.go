package httpapi

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/domain/workorder"
)

// These tests drive the hotline controls, the calendar, the policy and the periods of
// the audit reads through the HTTP API over the real chaincode (ccledger): answers
// are the chaincode's, and the arguments the gateway passes are read from the fault
// injector's record of ledger calls.

// lastArgs is the arguments of the last ledger call of fn.
func (e *env) lastArgs(fn string) []string {
	e.t.Helper()
	calls := e.fake.Calls()
	for i := len(calls) - 1; i >= 0; i-- {
		if calls[i].Fn == fn {
			return calls[i].Args
		}
	}
	e.t.Fatalf("no ledger call of %s", fn)
	return nil
}

// ticket reads ticket id from the ledger.
func (e *env) ticket(id string) workorder.Ticket {
	e.t.Helper()
	var tk workorder.Ticket
	e.ledger.MustEvaluate(&tk, "gov", "workorder:Get", id)
	return tk
}

// ticketAct is dept's signed action on ticket id, naming its current transaction;
// with note, a reason's hash.
func (e *env) ticketAct(dept, id, action, target string, note bool) TicketAction {
	e.t.Helper()
	a := TicketAction{SignedAction: workorder.SignedAction{TicketID: id, Action: action, Department: dept, Target: target, PrevTxID: e.ticket(id).TxID, KeyID: keyOf[dept].KeyID}}
	if note {
		a.NoteHash = strings.Repeat("d", 64)
	}
	a.Signature = sign(dept, canon.KindTicketAction, a)
	return a
}

// TestPeriods: /audit/kpi, /audit/accountability and /exchanges read a period the one
// way (inclusive days in the deployment's zone) and pass RFC 3339 UTC to the chaincode.
func TestPeriods(t *testing.T) {
	e := newEnv(t, nil)
	// kpi answers the period the chaincode computed over, as RFC 3339 UTC.
	kpi := func(e *env, query string) workorder.KPI {
		t.Helper()
		r := e.do("GET", "/api/v1/audit/kpi?department=dept-a&"+query, aAuditor, nil)
		var k workorder.KPI
		if r.status != 200 || json.Unmarshal(r.body, &k) != nil {
			t.Fatalf("kpi %s: %d %s", query, r.status, r.body)
		}
		if args := e.lastArgs("workorder:KPI"); len(args) != 3 || args[1] != k.From || args[2] != k.To {
			t.Errorf("kpi %s: passed %v, answered %s .. %s", query, args, k.From, k.To)
		}
		return k
	}
	if k := kpi(e, "from=2026-12-01&to=2026-12-31"); k.From != "2026-11-30T16:00:00Z" || k.To != "2026-12-31T16:00:00Z" || k.Department != "dept-a" {
		t.Errorf("kpi period %s .. %s: want all of December in Asia/Shanghai", k.From, k.To)
	}
	if r := e.do("GET", "/api/v1/audit/accountability?department=dept-a&from=2026-12-31&to=2026-12-31", aAuditor, nil); r.status != 200 {
		t.Fatalf("accountability: %d %s", r.status, r.body)
	}
	if got := e.lastArgs("workorder:Accountability"); len(got) < 3 || got[1] != "2026-12-30T16:00:00Z" || got[2] != "2026-12-31T16:00:00Z" {
		t.Errorf("one day: %v", got)
	}
	if k := kpi(e, "from="+url.QueryEscape("2026-12-01T00:00:00+08:00")+"&to=2026-12-02T00:00:00Z"); k.From != "2026-11-30T16:00:00Z" || k.To != "2026-12-02T00:00:00Z" {
		t.Errorf("instants: %s .. %s", k.From, k.To)
	}
	before := e.fake.CountCalls("", "workorder:KPI")
	for _, q := range []string{"from=2026-12-02&to=2026-12-01", "from=yesterday&to=2026-12-01", "from=2026-12-01"} {
		if r := e.do("GET", "/api/v1/audit/kpi?department=dept-a&"+q, aAuditor, nil); r.status != 400 {
			t.Errorf("%s: %d %s", q, r.status, r.body)
		}
	}
	if n := e.fake.CountCalls("", "workorder:KPI"); n != before {
		t.Errorf("bad periods reached the ledger: %d calls", n-before)
	}

	// Exchanges: x-1 is sent at 2026-11-28T17:00Z, 01:00 on the 29th in Asia/Shanghai.
	// A day in the query is a day there (and a day in UTC where UTC is configured).
	utc, _ := time.LoadLocation("UTC")
	e2 := newEnv(t, func(o *Options) { o.TimeZone = utc })
	exchanges := func(e *env, day string) []string {
		t.Helper()
		r := e.do("GET", "/api/v1/exchanges?provider=dept-a&from="+day+"&to="+day, aAuditor, nil)
		var p struct {
			Records []struct {
				ID string `json:"id"`
			} `json:"records"`
		}
		if r.status != 200 || json.Unmarshal(r.body, &p) != nil {
			t.Fatalf("exchanges on %s: %d %s", day, r.status, r.body)
		}
		ids := []string{}
		for _, x := range p.Records {
			ids = append(ids, x.ID)
		}
		return ids
	}
	for _, env := range []*env{e, e2} {
		env.ledger.Advance(5 * time.Hour)
		for _, s := range []struct {
			path string
			body any
		}{
			{"/api/v1/catalog", CatalogItemInput{Provider: "dept-a", ID: "tax-record", Name: "Tax record", Fields: []string{"income", "name", "taxId"}}},
			{"/api/v1/grants", exGrantRec("g-1")},
			{"/api/v1/exchanges", exExchRec("x-1")},
		} {
			if r := env.do("POST", s.path, aClerk, s.body); r.status != 201 {
				t.Fatalf("seed %s: %d %s", s.path, r.status, r.body)
			}
		}
	}
	if got := exchanges(e, "2026-11-29"); strings.Join(got, ",") != "x-1" {
		t.Errorf("Asia/Shanghai 2026-11-29: %v", got)
	}
	var q struct{ From, To string }
	if err := json.Unmarshal([]byte(e.lastArgs("exchange:ListExchanges")[0]), &q); err != nil || q.From != "2026-11-28T16:00:00Z" || q.To != "2026-11-29T16:00:00Z" {
		t.Errorf("exchanges query %v: %+v", err, q)
	}
	if got := exchanges(e, "2026-11-28"); len(got) != 0 {
		t.Errorf("Asia/Shanghai 2026-11-28: %v", got)
	}
	if r := e.do("GET", "/api/v1/exchanges?provider=dept-a&from=2026-11-30&to=2026-11-29", aAuditor, nil); r.status != 400 {
		t.Errorf("exchanges, to before from: %d %s", r.status, r.body)
	}

	// Another zone, configured.
	if k := kpi(e2, "from=2026-12-01&to=2026-12-31"); k.From != "2026-12-01T00:00:00Z" || k.To != "2027-01-01T00:00:00Z" {
		t.Errorf("UTC days: %s .. %s", k.From, k.To)
	}
	if got := exchanges(e2, "2026-11-28"); strings.Join(got, ",") != "x-1" {
		t.Errorf("UTC 2026-11-28: %v", got)
	}
	if got := exchanges(e2, "2026-11-29"); len(got) != 0 {
		t.Errorf("UTC 2026-11-29: %v", got)
	}
}

// TestTicketControlRoutes: return, route, suspend and resume; the reasons they need;
// the calendar and the policy, against the real chaincode.
func TestTicketControlRoutes(t *testing.T) {
	depts := envDepts()
	depts[1].Categories = []string{"noise"} // dept-a
	e := newEnvDepts(t, nil, depts)
	h := strings.Repeat("b", 64)
	if r := e.do("POST", "/api/v1/tickets", govAdmin, TicketInput{ID: "T1", Category: "noise", ContentHash: h, ReporterCommitment: h, Channel: "web"}); r.status != 201 {
		t.Fatalf("submit: %d %s", r.status, r.body)
	}
	submits := func() int { return e.fake.CountCalls("submit", "") }

	// Refused in the gateway: nothing reaches the ledger.
	n := submits()
	noReason := e.ticketAct("dept-a", "T1", "", "", false)
	for _, a := range []string{"return", "suspend"} {
		if r := e.do("POST", "/api/v1/tickets/T1/"+a, aClerk, noReason); r.status != 400 || !strings.Contains(string(r.body), "noteHash") {
			t.Errorf("%s without a reason: %d %s", a, r.status, r.body)
		}
	}
	if r := e.do("POST", "/api/v1/tickets/T1/escalate", aClerk, e.ticketAct("dept-a", "T1", "escalate", "dept-b", false)); r.status != 400 {
		t.Errorf("escalate without a reason: %d %s", r.status, r.body)
	}
	signed := e.ticketAct("dept-a", "T1", "return", "", true)
	if r := e.do("POST", "/api/v1/tickets/T1/return", bClerk, signed); r.status != 403 {
		t.Errorf("signed for another department: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/v1/tickets/T1/route", govAdmin, map[string]any{"ticketId": "T1"}); r.status != 400 {
		t.Errorf("route without a target: %d %s", r.status, r.body)
	}
	if got := submits(); got != n {
		t.Errorf("refused requests submitted %d transactions", got-n)
	}

	// Return to the intake channel, which routes the ticket again.
	var out struct {
		TxID   string           `json:"txId"`
		Record workorder.Output `json:"record"`
	}
	r := e.do("POST", "/api/v1/tickets/T1/return", aClerk, signed)
	if r.status != 200 || json.Unmarshal(r.body, &out) != nil || out.Record.Ticket.State != workorder.StateSubmitted || out.TxID == "" {
		t.Fatalf("return: %d %s", r.status, r.body)
	}
	if tk := e.ticket("T1"); tk.State != workorder.StateSubmitted || tk.TxID != out.TxID {
		t.Fatalf("after return: %+v", tk)
	}
	r = e.do("POST", "/api/v1/tickets/T1/route", govAdmin, map[string]any{"ticketId": "T1", "target": "dept-b"})
	if r.status != 200 {
		t.Fatalf("route: %d %s", r.status, r.body)
	}
	if tk := e.ticket("T1"); tk.State != workorder.StateAssigned || tk.Department != "dept-b" {
		t.Fatalf("after route: %s at %s", tk.State, tk.Department)
	}

	// dept-b works on it, suspends it waiting for the citizen; the intake channel
	// resumes it when the citizen answers.
	for _, a := range []string{"accept", "start"} {
		if r := e.do("POST", "/api/v1/tickets/T1/"+a, bClerk, e.ticketAct("dept-b", "T1", a, "", false)); r.status != 200 {
			t.Fatalf("%s: %d %s", a, r.status, r.body)
		}
	}
	if r := e.do("POST", "/api/v1/tickets/T1/suspend", bClerk, e.ticketAct("dept-b", "T1", "suspend", "", true)); r.status != 200 {
		t.Fatalf("suspend: %d %s", r.status, r.body)
	}
	if tk := e.ticket("T1"); tk.State != workorder.StateSuspended {
		t.Fatalf("after suspend: %s", tk.State)
	}
	e.ledger.Advance(24 * time.Hour)
	if r := e.do("POST", "/api/v1/tickets/T1/resume", govAdmin, map[string]any{"ticketId": "T1"}); r.status != 200 {
		t.Errorf("intake resume: %d %s", r.status, r.body)
	}
	if tk := e.ticket("T1"); tk.State != workorder.StateInProgress {
		t.Errorf("after resume: %s", tk.State)
	}

	// The calendar: governance only; the domain's schedule rules answer in the gateway,
	// every bad field named.
	sched, err := os.ReadFile(filepath.Join("..", "..", "..", "data", "calendar", "2026.json"))
	if err != nil {
		t.Fatal(err)
	}
	if r := e.do("POST", "/api/v1/workorder/calendar/years", aAdmin, string(sched)); r.status != 403 {
		t.Errorf("calendar by a department admin: %d", r.status)
	}
	n = e.fake.CountCalls("submit", "workorder:LoadCalendarYear")
	if r := e.do("POST", "/api/v1/workorder/calendar/years", govAdmin, map[string]any{"year": 1999, "utcOffset": "+08:00"}); r.status != 400 ||
		!strings.Contains(string(r.body), `"field":"year"`) || !strings.Contains(string(r.body), `"field":"source.url"`) {
		t.Errorf("bad schedule: %d %s", r.status, r.body)
	}
	if got := e.fake.CountCalls("submit", "workorder:LoadCalendarYear"); got != n {
		t.Errorf("a refused schedule was submitted")
	}
	if r := e.do("POST", "/api/v1/workorder/calendar/years", govAdmin, string(sched)); r.status != 200 || !strings.Contains(e.lastArgs("workorder:LoadCalendarYear")[0], `"year":2026`) {
		t.Errorf("calendar: %d %s", r.status, r.body)
	}
	var year struct {
		Year     int      `json:"year"`
		Version  int      `json:"version"`
		Workdays []string `json:"workdays"`
		Schedule *struct {
			Year   int `json:"year"`
			Source struct {
				Number string `json:"number"`
			} `json:"source"`
		} `json:"schedule"`
	}
	if r := e.do("GET", "/api/v1/workorder/calendar/years/2026", aAuditor, nil); r.status != 200 || json.Unmarshal(r.body, &year) != nil ||
		year.Year != 2026 || year.Version != 1 || len(year.Workdays) != 6 || year.Schedule == nil || year.Schedule.Source.Number != "国办发明电〔2025〕7号" {
		t.Errorf("calendar year: %d %s", r.status, r.body)
	}
	if got := e.lastArgs("workorder:GetCalendarYear"); len(got) != 1 || got[0] != "2026" {
		t.Errorf("calendar year asked %v", got)
	}
	if r := e.do("GET", "/api/v1/workorder/calendar/years/26", aAuditor, nil); r.status != 400 {
		t.Errorf("bad year: %d", r.status)
	}

	// The policy: governance only, checked in the gateway.
	if r := e.do("PUT", "/api/v1/workorder/config/policy", govAdmin, map[string]any{"autoEscalate": true, "autoCloseDays": 3, "maxTransfers": 2}); r.status != 200 {
		t.Errorf("policy: %d %s", r.status, r.body)
	}
	var cfg struct {
		Policy workorder.Policy `json:"policy"`
	}
	if r := e.do("GET", "/api/v1/workorder/config", aClerk, nil); r.status != 200 || json.Unmarshal(r.body, &cfg) != nil ||
		cfg.Policy != (workorder.Policy{AutoEscalate: true, AutoCloseDays: 3, MaxTransfers: 2}) {
		t.Errorf("policy in force: %d %s", r.status, r.body)
	}
	n = e.fake.CountCalls("submit", "workorder:SetPolicy")
	if r := e.do("PUT", "/api/v1/workorder/config/policy", govAdmin, map[string]any{"autoCloseDays": -1, "maxTransfers": 99}); r.status != 400 ||
		!strings.Contains(string(r.body), `"field":"autoCloseDays"`) || !strings.Contains(string(r.body), `"field":"maxTransfers"`) {
		t.Errorf("bad policy: %d %s", r.status, r.body)
	}
	if r := e.do("PUT", "/api/v1/workorder/config/policy", aAdmin, map[string]any{"autoEscalate": false, "autoCloseDays": 3, "maxTransfers": 2}); r.status != 403 {
		t.Errorf("policy by a department admin: %d %s", r.status, r.body)
	}
	if got := e.fake.CountCalls("submit", "workorder:SetPolicy"); got != n {
		t.Errorf("a refused policy was submitted")
	}
}

func TestSweptTicket(t *testing.T) {
	payload := []byte(`{"tickets":["T1","T2"],"updated":[{"ticketId":"T1","state":"closed","department":"A","overdue":false},{"ticketId":"T2","state":"assigned","department":"P","overdue":false}]}`)
	if ok, tk := sweptTicket(payload, "T1"); !ok || tk == nil || tk.State != "closed" || tk.Overdue || tk.ID != "T1" {
		t.Errorf("T1: %v %+v", ok, tk)
	}
	if ok, tk := sweptTicket(payload, "T2"); !ok || tk.Department != "P" {
		t.Errorf("T2 escalated: %v %+v", ok, tk)
	}
	if ok, _ := sweptTicket(payload, "T3"); ok {
		t.Error("T3 is not in the sweep")
	}
	if ok, tk := sweptTicket([]byte(`{"tickets":["T1"]}`), "T1"); !ok || tk != nil {
		t.Errorf("old payload: %v %+v", ok, tk)
	}
	if ok, tk := ticketInEvent("TicketsSwept", payload, "T1"); !ok || tk == nil || tk.State != "closed" {
		t.Errorf("ticketInEvent: %v %+v", ok, tk)
	}
}

// act has dept, which holds ticket id, do action (signed, with a reason's hash).
func (e *polEnv) act(id, dept string, action workorder.Action) {
	e.t.Helper()
	var tk workorder.Ticket
	e.ledger.MustEvaluate(&tk, "gov", "workorder:Get", id)
	d := e.depts[dept]
	a := TicketAction{SignedAction: workorder.SignedAction{TicketID: id, Action: string(action), Department: dept, NoteHash: strings.Repeat("d", 64), PrevTxID: tk.TxID, KeyID: d.KeyID}}
	a.Signature = d.Sign(e.t, canon.KindTicketAction, a)
	fn := "workorder:" + strings.ToUpper(string(action[:1])) + string(action[1:])
	e.write(d.Org, fn, mustJSON(a))
}

// TestSweepPreviewAccess: the preview names tickets of every department, so only
// auditors and the governance department read it whole; a department reads the
// tickets that will be with it or a department it supervises, and how many others.
func TestSweepPreviewAccess(t *testing.T) {
	e := newPolEnv(t, nil)
	// T1 (dept-a) is resolved and never rated: the sweep closes it. T2 (dept-b, under
	// sup) and T3 (dept-c, no parent) are never answered: the sweep marks them overdue
	// and escalates them, T2 to sup, T3 to the governance department.
	e.submitTicket("T1", "cat-a", polCommitA)
	e.submitTicket("T2", "cat-b", polCommitA)
	e.submitTicket("T3", "cat-c", polCommitA)
	for _, a := range []workorder.Action{workorder.ActAccept, workorder.ActStart, workorder.ActResolve} {
		e.act("T1", "dept-a", a)
	}
	e.ledger.Advance(20 * 24 * time.Hour)
	block := e.ledger.Block()

	type preview struct {
		Tickets        []string `json:"tickets"`
		Escalated      []string `json:"escalated"`
		AutoClosed     []string `json:"autoClosed"`
		Accountability []string `json:"accountability"`
		Updated        []struct {
			TicketID   string `json:"ticketId"`
			Department string `json:"department"`
		} `json:"updated"`
		RolledUp int  `json:"rolledUp"`
		Hidden   *int `json:"hidden"`
	}
	read := func(token string) preview {
		t.Helper()
		res, body := e.get("/api/v1/audit/sweep", token)
		var p preview
		if res.StatusCode != 200 || json.Unmarshal(body, &p) != nil {
			t.Fatalf("%s: %d %s", token, res.StatusCode, body)
		}
		return p
	}
	all := read(polAuditor)
	where := map[string]string{}
	for _, u := range all.Updated {
		where[u.TicketID] = u.Department
	}
	tickets := slices.Sorted(slices.Values(all.Tickets)) // in the order of their deadlines
	slices.Sort(all.Escalated)
	if strings.Join(tickets, ",") != "T1,T2,T3" || strings.Join(all.Escalated, ",") != "T2,T3" || strings.Join(all.AutoClosed, ",") != "T1" ||
		where["T1"] != "dept-a" || where["T2"] != "sup" || where["T3"] != "gov" || all.Hidden != nil {
		t.Fatalf("auditor's preview: %+v", all)
	}
	if p := read(polGov); len(p.Tickets) != 3 || len(p.Updated) != 3 || p.Hidden != nil {
		t.Errorf("governance sees all: %+v", p)
	}
	// accountabilityOf is the accountability records of the whole preview for ticket id.
	accountabilityOf := func(id string) string {
		var out []string
		for _, a := range all.Accountability {
			if strings.HasPrefix(a, id+"#") {
				out = append(out, a)
			}
		}
		return strings.Join(out, ",")
	}
	if accountabilityOf("T2") == "" {
		t.Fatalf("no accountability record for overdue T2: %v", all.Accountability)
	}
	if p := read(polSup); strings.Join(p.Tickets, ",") != "T2" || strings.Join(p.Escalated, ",") != "T2" || len(p.AutoClosed) != 0 ||
		strings.Join(p.Accountability, ",") != accountabilityOf("T2") || len(p.Updated) != 1 || p.Hidden == nil || *p.Hidden != 2 || p.RolledUp != all.RolledUp {
		t.Errorf("supervisor of dept-b: %+v", p)
	}
	if p := read(polA); strings.Join(p.Tickets, ",") != "T1" || strings.Join(p.AutoClosed, ",") != "T1" || len(p.Escalated) != 0 ||
		strings.Join(p.Accountability, ",") != accountabilityOf("T1") || p.Hidden == nil || *p.Hidden != 2 {
		t.Errorf("dept-a: %+v", p)
	}
	// dept-c is told of its own ticket, escalated away to governance (it was
	// with dept-c before the sweep), and of nothing else.
	if p := read(polC); strings.Join(p.Tickets, ",") != "T3" || strings.Join(p.Escalated, ",") != "T3" || len(p.Updated) != 1 ||
		strings.Join(p.Accountability, ",") != accountabilityOf("T3") || p.Hidden == nil || *p.Hidden != 2 {
		t.Errorf("dept-c, whose ticket went to governance: %+v", p)
	}
	// A preview is an evaluation: nothing was ordered.
	if n := e.fake.CountCalls("submit", "workorder:Sweep"); n != 0 || e.ledger.Block() != block {
		t.Errorf("preview submitted %d sweeps, blocks %d -> %d", n, block, e.ledger.Block())
	}
	var tk workorder.Ticket
	e.ledger.MustEvaluate(&tk, "gov", "workorder:Get", "T1")
	if tk.State != workorder.StateResolved {
		t.Errorf("T1 after previews: %s", tk.State)
	}
	// The sweep itself, ordered by dept-a's clerk, acts on every department's
	// tickets but tells dept-a only of its own, as the preview does.
	res, body := e.call("POST", "/api/v1/audit/sweep", polA, "")
	var done struct {
		TxID   string  `json:"txId"`
		Record preview `json:"record"`
	}
	if res.StatusCode != 200 || json.Unmarshal(body, &done) != nil || done.TxID == "" || strings.Join(done.Record.Tickets, ",") != "T1" ||
		len(done.Record.Escalated) != 0 || done.Record.Hidden == nil || *done.Record.Hidden != 2 {
		t.Errorf("dept-a's sweep: %d %s", res.StatusCode, body)
	}
	e.ledger.MustEvaluate(&tk, "gov", "workorder:Get", "T2")
	if tk.Department != "sup" {
		t.Errorf("T2 after the sweep is with %s, want sup (escalated)", tk.Department)
	}
}
