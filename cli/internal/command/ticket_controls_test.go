package command

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/gateway/gatewaytest"
	"github.com/certledger/certledger/internal/domain/workorder"
)

// TestTicketControlsCLI: return, route, suspend, resume, the reasons they need, the
// rating labels, the policy and the calendar commands, against the real gateway over
// the real chaincode.
func TestTicketControlsCLI(t *testing.T) {
	e, pkPath, tk := ticketSetup(t)
	runAs, run, intake, supervisor, ticket := tk.runAs, tk.run, tk.intake, tk.supervisor, tk.ticket
	wantCode(t, intake("ticket", "submit", "--id", "t-1", "--category", "noise", "--content-hash", strings.Repeat("e", 64), "--commitment", strings.Repeat("f", 64)), 0)

	// Reasons: escalate and return without --note are usage errors, nothing sent.
	before, submits := ticket("t-1").TxID, e.GW.CountCalls("submit", "")
	for _, c := range []struct {
		run  func(...string) Result
		args []string
	}{
		{supervisor, []string{"ticket", "escalate", "t-1", "--key", pkPath, "--to", "dept-p"}},
		{run, []string{"ticket", "return", "t-1", "--key", e.KeyPath}},
	} {
		r := c.run(c.args...)
		wantCode(t, r, ExitUsage)
		if !strings.Contains(r.Stderr, "needs a reason") || ticket("t-1").TxID != before {
			t.Errorf("%v: %q", c.args, r.Stderr)
		}
	}
	if n := e.GW.CountCalls("submit", ""); n != submits {
		t.Errorf("actions without a reason submitted %d transactions", n-submits)
	}
	r := run("ticket", "return", "t-1", "--key", e.KeyPath, "--note", "this is a housing matter")
	wantCode(t, r, 0)
	if tk := ticket("t-1"); tk.State != workorder.StateSubmitted {
		t.Fatalf("return: %s\n%s", tk.State, r.Stdout)
	}
	r = intake("ticket", "route", "t-1", "--to", "dept-a")
	wantCode(t, r, 0)
	if !strings.Contains(r.Stdout, "route done, now assigned at dept-a") {
		t.Errorf("route: %s", r.Stdout)
	}
	wantCode(t, run("ticket", "accept", "t-1", "--key", e.KeyPath), 0)
	wantCode(t, run("ticket", "start", "t-1", "--key", e.KeyPath), 0)
	submits = e.GW.CountCalls("submit", "")
	r = run("ticket", "suspend", "t-1", "--key", e.KeyPath)
	wantCode(t, r, ExitUsage)
	if !strings.Contains(r.Stderr, "suspend needs a reason") || e.GW.CountCalls("submit", "") != submits {
		t.Errorf("suspend without a reason: %q", r.Stderr)
	}
	wantCode(t, run("ticket", "suspend", "t-1", "--key", e.KeyPath, "--note", "need the building permit number"), 0)
	// While suspended a resolve is refused, and the hint does not offer it.
	r = run("ticket", "resolve", "t-1", "--key", e.KeyPath, "--note", "done")
	wantCode(t, r, ExitInvalid)
	if !strings.Contains(r.Stderr, "(it may: resume)") || strings.Contains(r.Stderr, "it may: resolve") {
		t.Errorf("refusal hint: %q", r.Stderr)
	}
	if tk := ticket("t-1"); tk.State != workorder.StateSuspended {
		t.Errorf("after the refused resolve: %s", tk.State)
	}
	// The citizen answers two days later; the intake channel resumes the ticket.
	e.GW.Ledger.Advance(48 * time.Hour)
	wantCode(t, intake("ticket", "resume", "t-1"), 0)
	r = run("ticket", "trace", "t-1")
	wantCode(t, r, 0)
	for _, want := range []string{"returned to the intake channel", "resolve clock stopped", "paused 2026-11-27 10:00:00 .. 2026-11-29 10:00:00", "TX"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("trace lacks %q:\n%s", want, r.Stdout)
		}
	}
	wantCode(t, run("ticket", "resolve", "t-1", "--key", e.KeyPath, "--note", "done"), 0)
	wantCode(t, intake("ticket", "rate", "t-1", "--rating", "很好"), ExitUsage)
	r = intake("ticket", "rate", "t-1", "--rating", "非常满意")
	wantCode(t, r, 0)
	if tk := ticket("t-1"); tk.Rating != workorder.RatingVerySatisfied || tk.State != workorder.StateRated {
		t.Errorf("rating %q, state %s", tk.Rating, tk.State)
	}

	// Policy: shown (any token), then set by the governance office (flags not given
	// keep their value).
	policy := func() workorder.Policy {
		var cfg struct {
			Policy workorder.Policy `json:"policy"`
		}
		e.GW.Must(t, 200, &cfg, "GET", "/api/v1/workorder/config", clerkToken, nil)
		return cfg.Policy
	}
	r = run("ticket", "policy")
	wantCode(t, r, 0)
	if !strings.Contains(r.Stdout, "auto-close-days") || !strings.Contains(r.Stdout, "5 working days") {
		t.Errorf("policy: %s", r.Stdout)
	}
	submits = e.GW.CountCalls("submit", "workorder:SetPolicy")
	wantCode(t, runAs(adminToken, "ticket", "policy", "--max-transfers", "99"), ExitUsage)
	wantCode(t, run("ticket", "policy", "--auto-close-days", "3"), ExitInvalid) // a department clerk
	if n := e.GW.CountCalls("submit", "workorder:SetPolicy"); n != submits {
		t.Errorf("refused policies submitted %d transactions", n-submits)
	}
	if p := policy(); p != workorder.DefaultPolicy() {
		t.Errorf("policy changed by refused requests: %+v", p)
	}
	r = runAs(adminToken, "ticket", "policy", "--auto-close-days", "3")
	wantCode(t, r, 0)
	if p := policy(); p.AutoCloseDays != 3 || p.MaxTransfers != 2 || !p.AutoEscalate {
		t.Errorf("policy set: %+v\n%s", p, r.Stdout)
	}

	// Calendar: a bad file is refused here; the shipped one loads and shows.
	calendarVersion := func() int {
		var y struct {
			Version int `json:"version"`
		}
		e.GW.Must(t, 200, &y, "GET", "/api/v1/workorder/calendar/years/2026", clerkToken, nil)
		return y.Version
	}
	bad := e.file("bad.json", `{"year":2026,"utcOffset":"+08:00","source":{"title":"x","number":"y","url":"https://example.org"},"holidays":[{"name":"a","from":"2026-10-01","to":"2026-10-03","days":2,"workdays":[]}]}`)
	r = runAs(adminToken, "calendar", "load", bad)
	wantCode(t, r, ExitUsage)
	if n := e.GW.CountCalls("", "workorder:LoadCalendarYear"); n != 0 || !strings.Contains(r.Stderr, "says 2 days") {
		t.Errorf("bad calendar (%d ledger calls): %q", n, r.Stderr)
	}
	r = runAs(adminToken, "calendar", "load", filepath.Join("..", "..", "..", "data", "calendar", "2026.json"))
	wantCode(t, r, 0)
	if v := calendarVersion(); v != 1 || !strings.Contains(r.Stdout, "国办发明电〔2025〕7号") || !strings.Contains(r.Stdout, "2026-02-14") {
		t.Errorf("calendar load (version %d): %s", v, r.Stdout)
	}
	r = run("calendar", "show", "--year", "2026")
	wantCode(t, r, 0)
	for _, want := range []string{"春节", "2026-02-15", "2026-02-23", "2026-02-14, 2026-02-28", "https://"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("calendar show lacks %q:\n%s", want, r.Stdout)
		}
	}
}

// TestAuditHelpNamesTokens: each audit subcommand's help says which token it needs.
func TestAuditHelpNamesTokens(t *testing.T) {
	for _, c := range []struct{ cmd, want string }{
		{"sweep", "clerk or admin token"},
		{"kpi", "auditor token"},
		{"accountability", "auditor token"},
	} {
		r := runTickets(t, "audit", c.cmd, "--help")
		if !strings.Contains(r.Stdout, c.want) {
			t.Errorf("audit %s --help does not name the token (%q):\n%s", c.cmd, c.want, r.Stdout)
		}
	}
	r := runTickets(t, "audit", "--help")
	if strings.Contains(r.Stdout, "(auditor token)\n") && !strings.Contains(r.Stdout, "clerk") {
		t.Errorf("audit help claims one token for all:\n%s", r.Stdout)
	}
}

// TestSweepPreview: with nothing to do, audit sweep previews (an evaluation) and
// submits nothing; with work to do, it submits.
func TestSweepPreview(t *testing.T) {
	e := newEnvWith(t, []gatewaytest.Option{gatewaytest.At(time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC))},
		gatewaytest.Dept{ID: "dept-a", Categories: []string{"noise"}})
	block := e.GW.Ledger.Block()
	r := e.run("audit", "sweep")
	wantCode(t, r, 0)
	if n := e.GW.CountCalls("submit", "workorder:Sweep"); n != 0 || e.GW.Ledger.Block() != block ||
		!strings.Contains(r.Stdout, "nothing submitted") || !strings.Contains(r.Stdout, "2026-12-01 10:00:00") {
		t.Errorf("submits %d, blocks %d -> %d, output %q", n, block, e.GW.Ledger.Block(), r.Stdout)
	}
	if n := e.GW.CountCalls("evaluate", "workorder:Sweep"); n != 1 {
		t.Errorf("previews: %d", n)
	}

	// A ticket nobody answers: after its deadlines the preview has work and the sweep
	// is submitted.
	r = runTickets(t, "--gateway", e.GW.URL, "--token", e.GW.Token(gatewaytest.GovDept, gatewaytest.Clerk),
		"ticket", "submit", "--id", "t-1", "--category", "noise", "--content-hash", strings.Repeat("e", 64), "--commitment", strings.Repeat("f", 64))
	wantCode(t, r, 0)
	e.GW.Ledger.Advance(10 * 24 * time.Hour)
	r = e.run("audit", "sweep")
	wantCode(t, r, 0)
	if n := e.GW.CountCalls("submit", "workorder:Sweep"); n != 1 || !strings.Contains(r.Stdout, "1 ticket(s) changed") || strings.Contains(r.Stdout, "nothing submitted") {
		t.Errorf("sweep with work: %d submits, output %q", n, r.Stdout)
	}
}
