package command

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/certledger/certledger/cli/internal/client"
	"github.com/certledger/certledger/cli/internal/fakegw"
	"github.com/certledger/certledger/cli/internal/keyfile"
	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/domain/workorder"
	"github.com/certledger/certledger/internal/gm"
)

// runTickets runs the CLI with the ticket and audit command groups present, whether
// or not commandGroups lists them yet.
func runTickets(t *testing.T, args ...string) Result {
	t.Helper()
	runMu.Lock()
	defer runMu.Unlock()
	var out, errb bytes.Buffer
	a := New(strings.NewReader(""), &out, &errb)
	if findCommand(a.Commands, "ticket") == nil {
		c := ticketCommand()
		addGlobalsToLeaves(c)
		a.Commands = append(a.Commands, c)
	}
	audit := findCommand(a.Commands, "audit")
	if audit == nil {
		audit = auditGroup()
		a.Commands = append(a.Commands, audit)
	}
	for _, sub := range []func() *cli.Command{auditSweepCommand, auditKPICommand, auditAccountabilityCommand} {
		c := sub()
		if findCommand(audit.Subcommands, c.Name) == nil {
			addGlobalsToLeaves(c)
			audit.Subcommands = append(audit.Subcommands, c)
		}
	}
	var clients []*client.Client
	a.Metadata[metaClients] = &clients
	err := a.RunContext(context.Background(), interspersed(a, append([]string{"certledger"}, args...)))
	for _, cl := range clients {
		cl.Close()
	}
	if msg := errorLine(err); msg != "" {
		fmt.Fprintf(&errb, "certledger: %s\n", msg)
	}
	return Result{Stdout: out.String(), Stderr: errb.String(), Code: ExitCode(err)}
}

// ticketFake serves the ticket endpoints of the gateway on a fakegw, with the rules
// of chaincode/domain/workorder and SM2 verification of department actions: enough to
// check what the CLI sends (signed fields, prevTxId, paths) and how it prints results.
type ticketFake struct {
	mu      sync.Mutex
	now     time.Time
	tickets map[string]workorder.Ticket
	trace   map[string][]workorder.Transition
	acc     []workorder.Accountability
	keys    map[string]string // keyId -> department
	pubs    map[string]*ecdsa.PublicKey
	parent  map[string]string
	tx      int
}

func (f *ticketFake) env() workorder.Env {
	f.tx++
	return workorder.Env{Now: f.now, TxID: fmt.Sprintf("tx%03d", f.tx), Calendar: workorder.DefaultCalendar(), SLA: workorder.DefaultSLA()}
}

func (f *ticketFake) store(w http.ResponseWriter, status int, res workorder.Result) {
	f.tickets[res.Ticket.ID] = res.Ticket
	f.trace[res.Ticket.ID] = append(f.trace[res.Ticket.ID], res.Transitions...)
	f.acc = append(f.acc, res.Accountability...)
	if res.Transitions == nil {
		res.Transitions = []workorder.Transition{}
	}
	if res.Accountability == nil {
		res.Accountability = []workorder.Accountability{}
	}
	fakegw.WriteJSON(w, status, map[string]any{"txId": res.Ticket.TxID, "blockNumber": f.tx,
		"record": map[string]any{"ticket": res.Ticket, "transitions": res.Transitions, "accountability": res.Accountability}})
}

func domainError(w http.ResponseWriter, err error) {
	switch {
	case err == nil:
	case strings.Contains(err.Error(), "illegal transition"):
		fakegw.WriteError(w, 409, "ILLEGAL_TRANSITION", "%v", err)
	default:
		fakegw.WriteError(w, 400, "INVALID_ARGUMENT", "%v", err)
	}
}

func installTicketFake(g *fakegw.Gateway, f *ticketFake) {
	g.Handle("POST /api/v1/tickets", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		var in workorder.SubmitInput
		if json.NewDecoder(r.Body).Decode(&in) != nil {
			fakegw.WriteError(w, 400, "INVALID_ARGUMENT", "bad body")
			return
		}
		res, err := workorder.Submit(in, "dept-a", workorder.Actor{Role: workorder.RoleCitizen, MSP: "GovMSP"}, f.env())
		if err != nil {
			domainError(w, err)
			return
		}
		f.store(w, 201, res)
	})
	g.Handle("GET /api/v1/tickets/{id}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		t, ok := f.tickets[r.PathValue("id")]
		if !ok {
			fakegw.WriteError(w, 404, "NOT_FOUND", "ticket %s", r.PathValue("id"))
			return
		}
		fakegw.WriteJSON(w, 200, t)
	})
	g.Handle("GET /api/v1/tickets/{id}/trace", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		fakegw.WriteJSON(w, 200, f.trace[r.PathValue("id")])
	})
	g.Handle("POST /api/v1/tickets/{id}/{action}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		var in ticketAction
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if dec.Decode(&in) != nil || in.TicketID != r.PathValue("id") || in.Action != r.PathValue("action") {
			fakegw.WriteError(w, 400, "INVALID_ARGUMENT", "bad body")
			return
		}
		t, ok := f.tickets[in.TicketID]
		if !ok {
			fakegw.WriteError(w, 404, "NOT_FOUND", "ticket")
			return
		}
		if in.PrevTxID != t.TxID {
			fakegw.WriteError(w, 409, "CONFLICT", "stale prevTxId %q, ticket is at %s", in.PrevTxID, t.TxID)
			return
		}
		actor := workorder.Actor{Role: workorder.RoleCitizen, MSP: "GovMSP"}
		if in.Signature != "" {
			if f.keys[in.KeyID] != in.Department {
				fakegw.WriteError(w, 403, "FORBIDDEN", "key %s is not %s's", in.KeyID, in.Department)
				return
			}
			signed := ticketAction{TicketID: in.TicketID, Action: in.Action, Department: in.Department, NoteHash: in.NoteHash,
				Target: in.Target, PrevTxID: in.PrevTxID, KeyID: in.KeyID}
			if err := canon.Verify(f.pubs[in.KeyID], canon.KindTicketAction, signed, in.Signature); err != nil {
				fakegw.WriteError(w, 400, "BAD_SIGNATURE", "%v", err)
				return
			}
			actor = workorder.Actor{Role: workorder.RoleFor(in.Department, t.Department, f.parent[t.Department]), Department: in.Department, KeyID: in.KeyID}
		}
		res, err := workorder.Apply(t, workorder.Request{Action: workorder.Action(in.Action), Actor: actor, Target: in.Target,
			NoteHash: in.NoteHash, Rating: workorder.Rating(in.Rating), CommentHash: in.CommentHash}, f.env())
		if err != nil {
			domainError(w, err)
			return
		}
		f.store(w, 200, res)
	})
	g.Handle("GET /api/v1/tickets", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		out := []workorder.Ticket{}
		for _, id := range sortedKeys(f.tickets) {
			t := f.tickets[id]
			if t.Department == r.URL.Query().Get("department") && (r.URL.Query().Get("state") == "" || string(t.State) == r.URL.Query().Get("state")) {
				out = append(out, t)
			}
		}
		fakegw.WriteJSON(w, 200, map[string]any{"records": out, "count": len(out), "bookmark": ""})
	})
	g.Handle("POST /api/v1/audit/sweep", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		out := map[string]any{"at": wire.FormatSecond(f.now), "tickets": []string{}, "accountability": []string{}, "more": false}
		for _, id := range sortedKeys(f.tickets) {
			res, changed, _ := workorder.Sweep(f.tickets[id], f.env())
			if changed {
				f.tickets[id] = res.Ticket
				f.acc = append(f.acc, res.Accountability...)
				out["tickets"] = append(out["tickets"].([]string), id)
				for _, a := range res.Accountability {
					out["accountability"] = append(out["accountability"].([]string), a.ID)
				}
			}
		}
		fakegw.WriteJSON(w, 200, map[string]any{"txId": "sweep", "blockNumber": 9, "record": out})
	})
	period := func(r *http.Request) (string, string) {
		day := func(s string) string {
			if len(s) == 10 {
				d, _ := time.ParseInLocation("2006-01-02", s, time.FixedZone("CST", 8*3600))
				return wire.FormatSecond(d)
			}
			return s
		}
		return day(r.URL.Query().Get("from")), day(r.URL.Query().Get("to"))
	}
	g.Handle("GET /api/v1/audit/kpi", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		from, to := period(r)
		var ts []workorder.Ticket
		for _, id := range sortedKeys(f.tickets) {
			ts = append(ts, f.tickets[id])
		}
		fakegw.WriteJSON(w, 200, workorder.ComputeKPI(r.URL.Query().Get("department"), from, to, wire.FormatSecond(f.now), ts, f.acc))
	})
	g.Handle("GET /api/v1/audit/accountability", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		from, to := period(r)
		out := []workorder.Accountability{}
		for _, a := range f.acc {
			if a.Department == r.URL.Query().Get("department") && a.At >= from && a.At < to {
				out = append(out, a)
			}
		}
		fakegw.WriteJSON(w, 200, map[string]any{"records": out, "count": len(out), "bookmark": ""})
	})
}

func sortedKeys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	for i := range ks {
		for j := i + 1; j < len(ks); j++ {
			if ks[j] < ks[i] {
				ks[i], ks[j] = ks[j], ks[i]
			}
		}
	}
	return ks
}

func TestTicketCommands(t *testing.T) {
	e := newEnv(t)
	// dept-p supervises dept-a; both keys are registered in the fake gateway.
	pk, _ := gm.GenerateKey()
	ppriv, _ := gm.MarshalPrivateKeyPEM(pk, nil)
	ppub, pkeyID, _ := keyfile.PublicPEM(&pk.PublicKey)
	pkPath := filepath.Join(e.Dir, "p.pem")
	if err := os.WriteFile(pkPath, ppriv, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := e.GW.AddDepartment("dept-p", "OrgPMSP", ppub); err != nil {
		t.Fatal(err)
	}
	apub, _, _ := keyfile.LoadPublic(e.PubPath, "")
	f := &ticketFake{now: time.Date(2026, 11, 27, 2, 0, 0, 0, time.UTC), tickets: map[string]workorder.Ticket{},
		trace: map[string][]workorder.Transition{}, keys: map[string]string{e.KeyID: "dept-a", pkeyID: "dept-p"},
		pubs: map[string]*ecdsa.PublicKey{e.KeyID: apub, pkeyID: &pk.PublicKey}, parent: map[string]string{"dept-a": "dept-p"}}
	installTicketFake(e.GW, f)
	run := func(args ...string) Result {
		return runTickets(t, append([]string{"--gateway", e.GW.URL, "--token", clerkToken}, args...)...)
	}
	appeal := e.file("appeal.txt", "The bar downstairs plays music until 3 am.")

	r := run("ticket", "submit", "--id", "t-1", "--category", "noise", "--content", appeal, "--reporter", "110101199003077777", "--channel", "hotline", "-o", "json")
	wantCode(t, r, 0)
	var sub struct {
		Record ticketOutput `json:"record"`
		Salt   string       `json:"salt"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &sub); err != nil {
		t.Fatalf("%v\n%s", err, r.Stdout)
	}
	salt, _ := hex.DecodeString(sub.Salt)
	if sub.Record.Ticket.ReporterCommitment != gm.Commitment(salt, "110101199003077777") || sub.Record.Ticket.ContentHash != gm.SM3Hex([]byte("The bar downstairs plays music until 3 am.")) {
		t.Fatalf("submitted: %+v salt %s", sub.Record.Ticket, sub.Salt)
	}
	if strings.Contains(r.Stdout, "110101199003077777") {
		t.Fatal("the identifier was printed / sent")
	}
	wantCode(t, run("ticket", "submit", "--category", "noise", "--content", appeal), ExitUsage) // no reporter

	for _, step := range [][]string{
		{"ticket", "accept", "t-1", "--key", e.KeyPath},
		{"ticket", "start", "t-1", "--key", e.KeyPath, "--note", "inspector sent"},
		{"ticket", "resolve", "t-1", "--key", e.KeyPath, "--note", "licence suspended"},
	} {
		f.now = f.now.Add(time.Hour)
		wantCode(t, run(step...), 0)
	}
	// Illegal: the department cannot rate; the intake channel relays it.
	r = run("ticket", "resolve", "t-1", "--key", e.KeyPath)
	wantCode(t, r, ExitInvalid)
	oneLine(t, r, "ILLEGAL_TRANSITION")
	wantCode(t, run("ticket", "rate", "t-1", "--rating", "great"), ExitUsage)
	wantCode(t, run("ticket", "rate", "t-1", "--rating", "unsatisfied", "--comment", "still loud"), 0)
	wantCode(t, run("ticket", "close", "t-1", "--key", e.KeyPath), ExitInvalid) // assigned may not close after unsatisfied
	f.now = f.now.Add(time.Hour)
	r = run("ticket", "reopen", "t-1", "--key", pkPath, "--note", "check again at night")
	wantCode(t, r, 0)
	if !strings.Contains(r.Stdout, "reopen done, now in_progress at dept-a") || !strings.Contains(r.Stdout, "reopened") {
		t.Errorf("reopen output:\n%s", r.Stdout)
	}

	r = run("ticket", "trace", "t-1")
	wantCode(t, r, 0)
	t.Logf("ticket trace t-1:\n%s", r.Stdout)
	for _, want := range []string{"ticket t-1 (noise, via hotline): in_progress at dept-a", "submit", "citizen via GovMSP",
		"route", "(new) -> submitted", "submitted -> assigned at dept-a", "accept", "dept-a (assigned)", "rating unsatisfied",
		"reopen", "dept-p (supervisor)", "accountability t-1#"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("trace lacks %q:\n%s", want, r.Stdout)
		}
	}
	r = run("ticket", "show", "t-1")
	wantCode(t, r, 0)
	if !strings.Contains(r.Stdout, "in_progress") || !strings.Contains(r.Stdout, "0/0/1") { // transfers/escalations/reopens
		t.Errorf("show:\n%s", r.Stdout)
	}
	r = run("ticket", "list", "--dept", "dept-a", "--state", "in_progress")
	wantCode(t, r, 0)
	if !strings.Contains(r.Stdout, "t-1") {
		t.Errorf("list:\n%s", r.Stdout)
	}
	wantCode(t, run("ticket", "list"), ExitUsage)

	// A second ticket nobody answers: a sweep after its deadlines holds dept-a to account.
	wantCode(t, run("ticket", "submit", "--id", "t-2", "--category", "noise", "--content-hash", strings.Repeat("e", 64), "--commitment", strings.Repeat("f", 64)), 0)
	// A transfer must carry its reason: without --note/--note-file it is a usage error and nothing is sent.
	before := f.tickets["t-2"].TxID
	r = run("ticket", "transfer", "t-2", "--key", e.KeyPath, "--to", "dept-p")
	wantCode(t, r, ExitUsage)
	if !strings.Contains(r.Stderr, "transfer needs a reason") || f.tickets["t-2"].TxID != before || f.tickets["t-2"].Transfers != 0 {
		t.Errorf("transfer without a reason: %q, ticket %+v", r.Stderr, f.tickets["t-2"])
	}
	f.now = f.now.Add(10 * 24 * time.Hour)
	r = run("audit", "sweep")
	wantCode(t, r, 0)
	if !strings.Contains(r.Stdout, "2 ticket(s) marked overdue") {
		t.Errorf("sweep:\n%s", r.Stdout)
	}

	r = run("audit", "kpi", "--dept", "dept-a", "--from", "2026-11-01", "--to", "2026-12-31")
	wantCode(t, r, 0)
	t.Logf("audit kpi:\n%s", r.Stdout)
	for _, want := range []string{"response rate", "50.00%", "1/2", "resolution rate", "satisfaction", "0.00%", "NO", "accountability"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("kpi table lacks %q:\n%s", want, r.Stdout)
		}
	}
	r = run("audit", "kpi", "--dept", "dept-a", "--dept", "dept-p", "--from", "2026-11-01", "--to", "2026-12-31", "--csv")
	wantCode(t, r, 0)
	rows, err := csv.NewReader(strings.NewReader(r.Stdout)).ReadAll()
	if err != nil || len(rows) != 3 || rows[0][0] != "department" || rows[1][0] != "dept-a" || rows[1][4] != "2" || rows[2][4] != "0" {
		t.Errorf("csv: %v %q", err, r.Stdout)
	}
	r = run("audit", "kpi", "--dept", "dept-a", "--from", "2026-11-01", "--to", "2026-12-31", "-o", "json")
	wantCode(t, r, 0)
	var ks []workorder.KPI
	if err := json.Unmarshal([]byte(r.Stdout), &ks); err != nil || len(ks) != 1 || ks[0].Received != 2 {
		t.Errorf("kpi json: %v %s", err, r.Stdout)
	}
	wantCode(t, run("audit", "kpi", "--dept", "dept-a", "--from", "2026-11-01", "--to", "2026-12-31", "--check"), ExitInvalid)
	r = run("audit", "accountability", "--dept", "dept-a", "--from", "2026-11-01", "--to", "2026-12-31")
	wantCode(t, r, 0)
	for _, want := range []string{"unsatisfied", "reopened", "overdue (respond)", "overdue (resolve)", "t-2#1"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("accountability lacks %q:\n%s", want, r.Stdout)
		}
	}
	wantCode(t, run("audit", "kpi", "--dept", "dept-a", "--from", "last week", "--to", "2026-12-31"), ExitUsage)
}
