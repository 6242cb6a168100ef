package e2e

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/internal/gm"
	"github.com/certledger/certledger/internal/testkit"
)

// ---- a gateway of the test's own ----
//
// The shared gateway's department tokens act for dept-a and dept-b, which both handle
// the category "licence", so a ticket could not be routed to one of them (routing to
// several departments is CONFLICT by design). The work-order and exchange tests register
// departments of their own and start a second certledger-gateway on the shared devnet
// with tokens for them; its access log is theirs alone, which the exchange audit reads.

// gwToken is one bearer token of an own gateway: its role name, the department it acts
// for, the Fabric org (devnet profile) it submits as, and its gateway role.
type gwToken struct{ role, dept, org, kind string }

// ownGateway is a certledger-gateway started by one test.
type ownGateway struct {
	e      *stack
	url    string
	log    string
	tokens map[string]string
}

// startOwnGateway starts a gateway on the shared devnet with toks and stops it when t ends.
func startOwnGateway(t *testing.T, e *stack, toks []gwToken) *ownGateway {
	t.Helper()
	dir := t.TempDir()
	g := &ownGateway{e: e, log: filepath.Join(dir, "gateway.log"), tokens: map[string]string{}}
	prof := func(org string) string { return filepath.Join(e.devnetDir, "profiles", org+".yaml") }
	var b strings.Builder
	b.WriteString("listen: 127.0.0.1:0\ngovernanceDepartment: gov\n")
	fmt.Fprintf(&b, "orgs:\n  - {name: gov, profile: %s}\n  - {name: dept-a, profile: %s}\n  - {name: dept-b, profile: %s}\n",
		prof("gov"), prof("dept-a"), prof("dept-b"))
	b.WriteString("tokens:\n")
	for _, tk := range toks {
		g.tokens[tk.role] = testkit.RandomHex(24)
		fmt.Fprintf(&b, "  - {id: %s, sha256: %s, department: %s, org: %s, role: %s%s}\n",
			tk.role, testkit.SHA256Hex(g.tokens[tk.role]), tk.dept, tk.org, tk.kind, e.identityOf(tk.org, tk.kind))
	}
	b.WriteString("rateLimit: {perSecond: 0, burst: 0}\n")
	cfg := filepath.Join(dir, "gateway.yaml")
	if err := os.WriteFile(cfg, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := startGateway(e.bin, cfg, "", g.log)
	if err != nil {
		t.Fatal(err)
	}
	g.url = "http://" + p.addr
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			b, _ := os.ReadFile(g.log)
			if len(b) > 6000 {
				b = b[len(b)-6000:]
			}
			t.Logf("---- last lines of %s ----\n%s", g.log, b)
		}
	})
	return g
}

// cl runs certledger in dir as role of this gateway.
func (g *ownGateway) cl(t *testing.T, dir, role string, args ...string) result {
	t.Helper()
	tok, ok := g.tokens[role]
	if !ok {
		t.Fatalf("own gateway has no token %q", role)
	}
	return g.e.exec(dir, append([]string{"--gateway", g.url, "--token", tok}, args...)...)
}

// ok runs certledger as role and fails t unless it exits 0.
func (g *ownGateway) ok(t *testing.T, dir, role string, args ...string) result {
	t.Helper()
	r := g.cl(t, dir, role, args...)
	if r.code != 0 {
		t.Fatalf("want exit 0:\n%s", r)
	}
	return r
}

// registerDept makes a key pair with the CLI and registers department id (on msp, with
// the given ticket categories) through the shared gateway as the governance admin.
// It returns the private key file.
func registerDept(t *testing.T, e *stack, dir, id, msp string, categories ...string) string {
	t.Helper()
	key, pub := filepath.Join(dir, id+".pem"), filepath.Join(dir, id+".pub")
	if r := e.exec(dir, "keys", "generate", "--out", key, "--pub-out", pub); r.code != 0 {
		t.Fatalf("keys generate:\n%s", r)
	}
	args := []string{"dept", "register", "--id", id, "--name", "E2E " + id, "--msp-id", msp, "--pub", pub}
	for _, c := range categories {
		args = append(args, "--category", c)
	}
	e.ok(t, dir, tokGov, args...)
	return key
}

// ---- work orders ----

type woTicket struct {
	ID                 string `json:"id"`
	Category           string `json:"category"`
	Channel            string `json:"channel"`
	ContentHash        string `json:"contentHash"`
	ReporterCommitment string `json:"reporterCommitment"`
	State              string `json:"state"`
	Department         string `json:"department"`
	RespondBy          string `json:"respondBy"`
	ResolveBy          string `json:"resolveBy"`
	Overdue            bool   `json:"overdue"`
	Rating             string `json:"rating"`
	ClosedAt           string `json:"closedAt"`
	Transfers          int    `json:"transfers"`
	Reopens            int    `json:"reopens"`
	Accountability     int    `json:"accountability"`
	Seq                int    `json:"seq"`
	TxID               string `json:"txId"`
}

type woTransition struct {
	Seq            int      `json:"seq"`
	Action         string   `json:"action"`
	Role           string   `json:"role"`
	From           string   `json:"from"`
	To             string   `json:"to"`
	Department     string   `json:"department"`
	ActorID        string   `json:"actorId"`
	AssignedTo     string   `json:"assignedTo"`
	Target         string   `json:"target"`
	NoteHash       string   `json:"noteHash"`
	Rating         string   `json:"rating"`
	KeyID          string   `json:"keyId"`
	Signature      string   `json:"signature"`
	Accountability []string `json:"accountability"`
	TxID           string   `json:"txId"`
}

type woAccountability struct {
	ID         string `json:"id"`
	TicketID   string `json:"ticketId"`
	Department string `json:"department"`
	Cause      string `json:"cause"`
	At         string `json:"at"`
	TxID       string `json:"txId"`
}

// woWrite is the JSON of a ticket write (submit adds the salt).
type woWrite struct {
	TxID        string `json:"txId"`
	BlockNumber uint64 `json:"blockNumber"`
	Salt        string `json:"salt"`
	Record      struct {
		Ticket         woTicket           `json:"ticket"`
		Transitions    []woTransition     `json:"transitions"`
		Accountability []woAccountability `json:"accountability"`
	} `json:"record"`
}

type woRate struct {
	Numerator   int      `json:"numerator"`
	Denominator int      `json:"denominator"`
	Rate        *float64 `json:"rate"`
	Target      float64  `json:"target"`
	Met         *bool    `json:"met"`
}

type woKPI struct {
	Department        string `json:"department"`
	Received          int    `json:"received"`
	Response          woRate `json:"response"`
	ResponsePending   int    `json:"responsePending"`
	Resolution        woRate `json:"resolution"`
	ResolutionPending int    `json:"resolutionPending"`
	Satisfaction      woRate `json:"satisfaction"`
	Overdue           int    `json:"overdue"`
	Accountability    int    `json:"accountability"`
	Unsatisfied       int    `json:"unsatisfied"`
	Reopened          int    `json:"reopened"`
}

type woSweep struct {
	TxID   string `json:"txId"`
	Record struct {
		At             string   `json:"at"`
		Tickets        []string `json:"tickets"`
		Accountability []string `json:"accountability"`
		More           bool     `json:"more"`
		RolledUp       int      `json:"rolledUp"`
	} `json:"record"`
}

// TestWorkorderTicketsEndToEnd drives citizen appeals through the CLI on the devnet:
// routing (and an unknown category), an illegal transition that writes nothing, the
// whole life of a ticket with an unsatisfied rating, a reopen and a close, a transfer
// with a reason, the readable trace, an idempotent sweep, KPIs (table, JSON, CSV,
// --check) and the accountability records.
func TestWorkorderTicketsEndToEnd(t *testing.T) {
	e := need(t)
	t.Parallel()
	dir := t.TempDir()
	sfx := testkit.RandomHex(3)
	deptA, deptB := "wo-a-"+sfx, "wo-b-"+sfx
	catA, catB := "noise-"+sfx, "roads-"+sfx
	keyA := registerDept(t, e, dir, deptA, "DeptAMSP", catA)
	keyB := registerDept(t, e, dir, deptB, "DeptBMSP", catB)
	const intake, clerkA, clerkB, auditor = "intake", "clerk-a", "clerk-b", "auditor"
	g := startOwnGateway(t, e, []gwToken{
		{intake, "gov", "gov", "admin"}, // the intake channel is the governance org by default
		{clerkA, deptA, "dept-a", "clerk"},
		{clerkB, deptB, "dept-b", "clerk"},
		{auditor, "gov", "gov", "auditor"},
	})
	writeDoc(t, dir, "appeal.txt", "Loud building work every night after 23:00 at Elm Street 5. "+testkit.RandomHex(8)+"\n")
	contentHash, _, _ := gm.SM3File(filepath.Join(dir, "appeal.txt"))
	const reporter = "110101199003077777"
	t1, t2 := "t-"+sfx+"-1", "t-"+sfx+"-2"

	write := func(r result) woWrite {
		t.Helper()
		var w woWrite
		jsonOut(t, r, &w)
		if w.TxID == "" {
			t.Fatalf("write result without a tx id:\n%s", r)
		}
		return w
	}
	act := func(role, action, ticket string, extra ...string) woWrite {
		t.Helper()
		return write(g.ok(t, dir, role, append([]string{"-o", "json", "ticket", action, ticket}, extra...)...))
	}
	trace := func(ticket string) []woTransition {
		t.Helper()
		var tr struct {
			Ticket woTicket       `json:"ticket"`
			Trace  []woTransition `json:"trace"`
		}
		jsonOut(t, g.ok(t, dir, auditor, "-o", "json", "ticket", "trace", ticket), &tr)
		return tr.Trace
	}
	show := func(ticket string) woTicket {
		t.Helper()
		var tk woTicket
		jsonOut(t, g.ok(t, dir, auditor, "-o", "json", "ticket", "show", ticket), &tk)
		return tk
	}

	// An appeal in a category no department handles: NOT_FOUND, no default department.
	r := g.cl(t, dir, intake, "ticket", "submit", "--id", "t-"+sfx+"-0", "--category", "no-such-category-"+sfx,
		"--content", "appeal.txt", "--reporter", reporter)
	wantExit(t, r, 1, "NOT_FOUND")
	wantExit(t, g.cl(t, dir, auditor, "ticket", "show", "t-"+sfx+"-0"), 1, "NOT_FOUND")

	// Submit: routed to the one department registered for the category.
	r = g.ok(t, dir, intake, "-o", "json", "ticket", "submit", "--id", t1, "--category", catA,
		"--content", "appeal.txt", "--reporter", reporter, "--channel", "hotline")
	w := write(r)
	tk := w.Record.Ticket
	if tk.ID != t1 || tk.Department != deptA || tk.State != "assigned" || tk.Channel != "hotline" || tk.Category != catA {
		t.Fatalf("submitted ticket %+v: want %s assigned to %s", tk, t1, deptA)
	}
	if tk.ContentHash != contentHash || tk.RespondBy == "" || tk.ResolveBy == "" {
		t.Fatalf("submitted ticket %+v: want contentHash %s and both deadlines", tk, contentHash)
	}
	if len(w.Salt) != 32 || tk.ReporterCommitment == "" || strings.Contains(r.stdout, reporter) {
		t.Fatalf("submit: salt %q, commitment %q (the reporter's identifier must not be sent)", w.Salt, tk.ReporterCommitment)
	}
	if acts := actions(w.Record.Transitions); acts != "submit,route" {
		t.Fatalf("submit wrote transitions %s, want submit,route", acts)
	}

	t.Run("illegal transition writes nothing", func(t *testing.T) {
		before := trace(t1)
		r := g.cl(t, dir, clerkA, "ticket", "resolve", t1, "--key", keyA, "--note", "too early")
		wantExit(t, r, 1, "ILLEGAL_TRANSITION")
		after := trace(t1)
		if len(after) != len(before) || show(t1).TxID != tk.TxID {
			t.Fatalf("a refused resolve changed the ticket: trace %d -> %d records", len(before), len(after))
		}
		// Another department may not act on it either.
		wantExit(t, g.cl(t, dir, clerkB, "ticket", "accept", t1, "--key", keyB), 1)
		if got := len(trace(t1)); got != len(before) {
			t.Fatalf("a refused accept by %s wrote %d trace records", deptB, got-len(before))
		}
	})

	t.Run("lifecycle", func(t *testing.T) {
		if s := act(clerkA, "accept", t1, "--key", keyA).Record.Ticket.State; s != "accepted" {
			t.Fatalf("after accept: %s", s)
		}
		if s := act(clerkA, "start", t1, "--key", keyA).Record.Ticket.State; s != "in_progress" {
			t.Fatalf("after start: %s", s)
		}
		w := act(clerkA, "resolve", t1, "--key", keyA, "--note", "Work hours limited to 8:00-20:00.")
		if w.Record.Ticket.State != "resolved" || w.Record.Transitions[0].NoteHash != gm.SM3Hex([]byte("Work hours limited to 8:00-20:00.")) {
			t.Fatalf("after resolve: %+v", w.Record)
		}
		// An unsatisfied rating: an accountability record for the department.
		w = act(intake, "rate", t1, "--rating", "unsatisfied", "--comment", "still loud")
		if w.Record.Ticket.State != "rated" || w.Record.Ticket.Rating != "unsatisfied" {
			t.Fatalf("after rate: %+v", w.Record.Ticket)
		}
		if len(w.Record.Accountability) != 1 || w.Record.Accountability[0].Cause != "unsatisfied" ||
			w.Record.Accountability[0].Department != deptA || w.Record.Accountability[0].TicketID != t1 {
			t.Fatalf("unsatisfied rating wrote accountability %+v, want one 'unsatisfied' record of %s", w.Record.Accountability, deptA)
		}
		// Closing an unsatisfied ticket is not the assigned department's call.
		wantExit(t, g.cl(t, dir, clerkA, "ticket", "close", t1, "--key", keyA), 1, "ILLEGAL_TRANSITION")
		// The citizen (through the intake channel) reopens it; resolved again, rated satisfied, closed.
		w = act(intake, "reopen", t1, "--note", "noise continues")
		if w.Record.Ticket.State != "in_progress" || w.Record.Ticket.Reopens != 1 {
			t.Fatalf("after reopen: %+v", w.Record.Ticket)
		}
		act(clerkA, "resolve", t1, "--key", keyA, "--note", "Site inspected; permit suspended at night.")
		act(intake, "rate", t1, "--rating", "satisfied")
		w = act(clerkA, "close", t1, "--key", keyA)
		if w.Record.Ticket.State != "closed" || w.Record.Ticket.ClosedAt == "" {
			t.Fatalf("after close: %+v", w.Record.Ticket)
		}
		// Table output a clerk reads.
		wantExit(t, g.cl(t, dir, auditor, "ticket", "show", t1), 0, "closed", deptA, "satisfied")
	})

	t.Run("trace", func(t *testing.T) {
		tr := trace(t1)
		want := "submit,route,accept,start,resolve,rate,reopen,resolve,rate,close"
		if got := actions(tr); got != want {
			t.Fatalf("trace actions %s, want %s", got, want)
		}
		for i, x := range tr {
			if x.Seq != i+1 && x.Seq != i {
				t.Fatalf("trace record %d has seq %d", i, x.Seq)
			}
			if x.TxID == "" {
				t.Fatalf("trace record %d has no tx id: %+v", i, x)
			}
			if x.Role == "assigned" && (x.Department != deptA || x.KeyID == "" || x.Signature == "") {
				t.Fatalf("department action without its department's signature: %+v", x)
			}
			// The clerk signs with an identity of their own: the trace names the person.
			if x.Role == "assigned" && x.ActorID != "clerk-a@dept-a" {
				t.Fatalf("department action by %q, want clerk-a@dept-a: %+v", x.ActorID, x)
			}
		}
		// The timeline a person reads: one line per transition, who did it, the accountability.
		r := g.ok(t, dir, auditor, "ticket", "trace", t1)
		for _, s := range []string{"ticket " + t1, catA, "TIME (Asia/Shanghai, UTC+08:00)", "WHO", "citizen via", deptA + " (assigned)",
			"ledger", "assigned -> accepted", "rating 不满意 (unsatisfied)", "accountability " + t1, "signed by key"} {
			if !strings.Contains(r.stdout, s) {
				t.Fatalf("trace lacks %q:\n%s", s, r)
			}
		}
		if lines := strings.Count(strings.TrimSpace(r.stdout), "\n") + 1; lines < len(tr)+2 {
			t.Fatalf("trace has %d lines for %d transitions:\n%s", lines, len(tr), r.stdout)
		}
	})

	t.Run("transfer with a reason", func(t *testing.T) {
		r := g.ok(t, dir, intake, "ticket", "submit", "--id", t2, "--category", catA, "--content", "appeal.txt", "--reporter", reporter)
		if !strings.Contains(r.stdout, "routed to "+deptA) || !strings.Contains(r.stdout, "salt") {
			t.Fatalf("submit table output:\n%s", r)
		}
		const reason = "not ours: the road surface is the roads office's"
		w := act(clerkA, "transfer", t2, "--to", deptB, "--key", keyA, "--note", reason)
		if w.Record.Ticket.State != "assigned" || w.Record.Ticket.Department != deptB || w.Record.Ticket.Transfers != 1 {
			t.Fatalf("after transfer: %+v", w.Record.Ticket)
		}
		last := w.Record.Transitions[len(w.Record.Transitions)-1]
		if last.Action != "transfer" || last.Target != deptB || last.NoteHash != gm.SM3Hex([]byte(reason)) || last.Department != deptA {
			t.Fatalf("transfer record %+v: want target %s, the reason's SM3, by %s", last, deptB, deptA)
		}
		// The old department can no longer act; the new one accepts.
		wantExit(t, g.cl(t, dir, clerkA, "ticket", "accept", t2, "--key", keyA), 1)
		if s := act(clerkB, "accept", t2, "--key", keyB).Record.Ticket.State; s != "accepted" {
			t.Fatalf("after accept by %s: %s", deptB, s)
		}
		r = g.ok(t, dir, auditor, "ticket", "trace", t2)
		for _, s := range []string{"transfer", "at " + deptB, deptB + " (assigned)"} {
			if !strings.Contains(r.stdout, s) {
				t.Fatalf("trace of the transferred ticket lacks %q:\n%s", s, r)
			}
		}
		var list []woTicket
		jsonOut(t, g.ok(t, dir, clerkB, "-o", "json", "ticket", "list", "--dept", deptB), &list)
		if len(list) != 1 || list[0].ID != t2 {
			t.Fatalf("ticket list --dept %s: %+v", deptB, list)
		}
	})

	t.Run("sweep is idempotent", func(t *testing.T) {
		// Nothing of this test is late (deadlines are working days away); the point is
		// that sweeping twice is safe and the second sweep writes nothing: the CLI's
		// preview (GET /api/v1/audit/sweep) finds no work, so nothing is submitted.
		g.ok(t, dir, clerkA, "audit", "sweep")
		var runs []woSweep
		r := g.ok(t, dir, clerkA, "-o", "json", "audit", "sweep")
		jsonOut(t, r, &runs)
		if len(runs) != 0 {
			t.Fatalf("second sweep submitted: %+v", runs)
		}
		if r := g.ok(t, dir, clerkA, "audit", "sweep"); !strings.Contains(r.stdout, "nothing submitted") {
			t.Fatalf("idle sweep output:\n%s", r)
		}
		for _, id := range []string{t1, t2} {
			if tk := show(id); tk.Overdue {
				t.Fatalf("sweep marked %s overdue: %+v", id, tk)
			}
		}
	})

	now := time.Now().UTC()
	from, to := now.AddDate(0, 0, -1).Format("2006-01-02"), now.AddDate(0, 0, 40).Format("2006-01-02")

	t.Run("accountability", func(t *testing.T) {
		var recs []woAccountability
		jsonOut(t, g.ok(t, dir, auditor, "-o", "json", "audit", "accountability", "--dept", deptA, "--from", from, "--to", to), &recs)
		causes := map[string]int{}
		for _, a := range recs {
			if a.TicketID != t1 || a.Department != deptA || a.TxID == "" {
				t.Fatalf("accountability record %+v: want ticket %s of %s", a, t1, deptA)
			}
			causes[a.Cause]++
		}
		// The unsatisfied rating and the reopen each wrote one; nothing was late.
		if len(recs) != 2 || causes["unsatisfied"] != 1 || causes["reopened"] != 1 {
			t.Fatalf("accountability of %s: %+v, want one unsatisfied and one reopened", deptA, recs)
		}
		r := g.ok(t, dir, auditor, "audit", "accountability", "--dept", deptA, "--from", from, "--to", to)
		if !strings.Contains(r.stdout, "unsatisfied") || !strings.Contains(r.stdout, t1) {
			t.Fatalf("accountability table:\n%s", r)
		}
		jsonOut(t, g.ok(t, dir, auditor, "-o", "json", "audit", "accountability", "--dept", deptB, "--from", from, "--to", to), &recs)
		if len(recs) != 0 {
			t.Fatalf("%s has accountability records %+v, want none", deptB, recs)
		}
	})

	t.Run("kpi", func(t *testing.T) {
		var kpis []woKPI
		jsonOut(t, g.ok(t, dir, auditor, "-o", "json", "audit", "kpi", "--dept", deptA, "--dept", deptB, "--from", from, "--to", to), &kpis)
		if len(kpis) != 2 || kpis[0].Department != deptA || kpis[1].Department != deptB {
			t.Fatalf("kpi: %+v", kpis)
		}
		a, b := kpis[0], kpis[1]
		// deptA: t1 routed and accepted in time, t2 routed and transferred on in time;
		// t1 resolved twice in time (first round, then after the reopen); ratings
		// unsatisfied then satisfied: 1/2 = 50 % < 85 %.
		if a.Received != 2 || a.Response.Numerator != 2 || a.Response.Denominator != 2 || a.Response.Met == nil || !*a.Response.Met {
			t.Errorf("%s received/response: %+v", deptA, a)
		}
		if a.Resolution.Numerator != 2 || a.Resolution.Denominator != 2 {
			t.Errorf("%s resolution %+v, want 2/2", deptA, a.Resolution)
		}
		if a.Satisfaction.Numerator != 1 || a.Satisfaction.Denominator != 2 || a.Satisfaction.Met == nil || *a.Satisfaction.Met ||
			a.Satisfaction.Rate == nil || *a.Satisfaction.Rate != 0.5 {
			t.Errorf("%s satisfaction %+v, want 1/2 = 0.5, not met", deptA, a.Satisfaction)
		}
		if a.Overdue != 0 || a.Unsatisfied != 1 || a.Reopened != 1 || a.Accountability != 2 {
			t.Errorf("%s overdue %d, unsatisfied %d, accountability %d", deptA, a.Overdue, a.Unsatisfied, a.Accountability)
		}
		// deptB: t2 transferred in and accepted in time; not resolved yet (pending), never rated.
		if b.Received != 1 || b.Response.Numerator != 1 || b.Response.Denominator != 1 ||
			b.Resolution.Denominator != 0 || b.Resolution.Rate != nil || b.Satisfaction.Denominator != 0 || b.Accountability != 0 {
			t.Errorf("%s: %+v", deptB, b)
		}

		// Table.
		r := g.ok(t, dir, auditor, "audit", "kpi", "--dept", deptA, "--from", from, "--to", to)
		for _, s := range []string{deptA, "METRIC", "received", "response rate", "100.00%", "resolution rate",
			"satisfaction", "50.00%", "1/2", "85%", "NO", "accountability", "unsatisfied 1, reopened 1"} {
			if !strings.Contains(r.stdout, s) {
				t.Fatalf("kpi table lacks %q:\n%s", s, r)
			}
		}
		// CSV: a header and one row per department.
		r = g.ok(t, dir, auditor, "audit", "kpi", "--dept", deptA, "--dept", deptB, "--from", from, "--to", to, "--csv")
		rows, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
		if err != nil || len(rows) != 3 {
			t.Fatalf("kpi --csv: %v, %d rows:\n%s", err, len(rows), r)
		}
		col := map[string]int{}
		for i, h := range rows[0] {
			col[h] = i
		}
		for _, h := range []string{"department", "received", "response_rate", "satisfaction_rate", "satisfaction_met", "accountability"} {
			if _, ok := col[h]; !ok {
				t.Fatalf("kpi --csv header lacks %s: %v", h, rows[0])
			}
		}
		if row := rows[1]; row[col["department"]] != deptA || row[col["received"]] != "2" || row[col["response_rate"]] != "1.0000" ||
			row[col["satisfaction_rate"]] != "0.5000" || row[col["satisfaction_met"]] != "false" {
			t.Fatalf("kpi --csv row of %s: %v (header %v)", deptA, row, rows[0])
		}
		if row := rows[2]; row[col["department"]] != deptB || row[col["received"]] != "1" || row[col["satisfaction_rate"]] != "" {
			t.Fatalf("kpi --csv row of %s: %v", deptB, row)
		}
		// --check: deptA misses the satisfaction target (exit 1); deptB misses nothing (exit 0).
		wantExit(t, g.cl(t, dir, auditor, "audit", "kpi", "--dept", deptA, "--from", from, "--to", to, "--check"), 1, "satisfaction")
		wantExit(t, g.cl(t, dir, auditor, "audit", "kpi", "--dept", deptB, "--from", from, "--to", to, "--check"), 0, deptB)
	})
}

// actions lists the transitions' actions, comma-separated.
func actions(tr []woTransition) string {
	var s []string
	for _, x := range tr {
		s = append(s, x.Action)
	}
	return strings.Join(s, ",")
}
