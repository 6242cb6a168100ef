package command

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/certledger/certledger/cli/internal/client"
	"github.com/certledger/certledger/gateway/gatewaytest"
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

// ticketRunners run the CLI (ticket and audit groups) as the tests' callers, and
// read a ticket as the auditor.
type ticketRunners struct {
	runAs func(token string, args ...string) Result
	// run is dept-a's clerk; intake is the intake channel (the governance
	// organisation), which submits appeals and relays ratings; supervisor is
	// dept-p's clerk.
	run, intake, supervisor func(args ...string) Result
	ticket                  func(id string) workorder.Ticket
}

// ticketSetup is the hotline of the ticket tests: dept-p supervises dept-a, which
// handles "noise"; the ledger's clock starts on a Friday morning (10:00 in
// Asia/Shanghai) and moves only when the test says so. pkPath is dept-p's key.
func ticketSetup(t *testing.T) (e *env, pkPath string, tk ticketRunners) {
	t.Helper()
	e = newEnvWith(t, []gatewaytest.Option{gatewaytest.At(time.Date(2026, 11, 27, 2, 0, 0, 0, time.UTC))},
		gatewaytest.Dept{ID: "dept-p"}, gatewaytest.Dept{ID: "dept-a", Parent: "dept-p", Categories: []string{"noise"}})
	pkPath, _, _ = writeKey(t, e.Dir, "p", e.GW.Dept("dept-p"))
	tk.runAs = func(token string, args ...string) Result {
		return runTickets(t, append([]string{"--gateway", e.GW.URL, "--token", token}, args...)...)
	}
	tk.run = func(args ...string) Result { return tk.runAs(clerkToken, args...) }
	tk.intake = func(args ...string) Result {
		return tk.runAs(e.GW.Token(gatewaytest.GovDept, gatewaytest.Clerk), args...)
	}
	tk.supervisor = func(args ...string) Result { return tk.runAs(e.GW.Token("dept-p", gatewaytest.Clerk), args...) }
	tk.ticket = func(id string) (tk workorder.Ticket) {
		e.GW.Must(t, 200, &tk, "GET", "/api/v1/tickets/"+id, e.GW.AuditorToken(), nil)
		return tk
	}
	return e, pkPath, tk
}

func TestTicketCommands(t *testing.T) {
	e, pkPath, tk := ticketSetup(t)
	run, intake, supervisor, ticket := tk.run, tk.intake, tk.supervisor, tk.ticket
	appeal := e.file("appeal.txt", "The bar downstairs plays music until 3 am.")

	qrFile := filepath.Join(t.TempDir(), "t-1.progress.png")
	r := intake("ticket", "submit", "--id", "t-1", "--category", "noise", "--content", appeal, "--reporter", "110101199003077777", "--channel", "hotline", "--qr", qrFile, "-o", "json")
	wantCode(t, r, 0)
	var sub struct {
		Record   ticketOutput `json:"record"`
		Salt     string       `json:"salt"`
		Progress string       `json:"progressUrl"`
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
	if want := "/progress?ticket=t-1#salt=" + sub.Salt; !strings.HasSuffix(sub.Progress, want) {
		t.Errorf("progress link %q, want …%s", sub.Progress, want)
	}
	if png, err := os.ReadFile(qrFile); err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("QR code of the progress link: %v", err)
	}
	wantCode(t, intake("ticket", "submit", "--category", "noise", "--content", appeal, "--commitment", strings.Repeat("c", 64), "--qr", qrFile), ExitUsage)
	wantCode(t, intake("ticket", "submit", "--category", "noise", "--content", appeal), ExitUsage) // no reporter

	for _, step := range [][]string{
		{"ticket", "accept", "t-1", "--key", e.KeyPath},
		{"ticket", "start", "t-1", "--key", e.KeyPath, "--note", "inspector sent"},
		{"ticket", "resolve", "t-1", "--key", e.KeyPath, "--note", "licence suspended"},
	} {
		e.GW.Ledger.Advance(time.Hour)
		wantCode(t, run(step...), 0)
	}
	// Illegal: the department cannot rate; the intake channel relays it.
	r = run("ticket", "resolve", "t-1", "--key", e.KeyPath)
	wantCode(t, r, ExitInvalid)
	oneLine(t, r, "ILLEGAL_TRANSITION")
	wantCode(t, intake("ticket", "rate", "t-1", "--rating", "great"), ExitUsage)
	wantCode(t, intake("ticket", "rate", "t-1", "--rating", "unsatisfied", "--comment", "still loud"), 0)
	wantCode(t, run("ticket", "close", "t-1", "--key", e.KeyPath), ExitInvalid) // assigned may not close after unsatisfied
	e.GW.Ledger.Advance(time.Hour)
	r = supervisor("ticket", "reopen", "t-1", "--key", pkPath, "--note", "check again at night")
	wantCode(t, r, 0)
	if !strings.Contains(r.Stdout, "reopen done, now in_progress at dept-a") || !strings.Contains(r.Stdout, "reopened") {
		t.Errorf("reopen output:\n%s", r.Stdout)
	}

	r = run("ticket", "trace", "t-1")
	wantCode(t, r, 0)
	t.Logf("ticket trace t-1:\n%s", r.Stdout)
	for _, want := range []string{"ticket t-1 (noise, via hotline): in_progress at dept-a", "submit", "citizen via GovMSP",
		"route", "(new) -> submitted", "submitted -> assigned at dept-a", "accept", "dept-a (assigned)", "rating 不满意 (unsatisfied)",
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
	wantCode(t, intake("ticket", "submit", "--id", "t-2", "--category", "noise", "--content-hash", strings.Repeat("e", 64), "--commitment", strings.Repeat("f", 64)), 0)
	// A transfer must carry its reason: without --note/--note-file it is a usage error and nothing is sent.
	before := ticket("t-2").TxID
	r = run("ticket", "transfer", "t-2", "--key", e.KeyPath, "--to", "dept-p")
	wantCode(t, r, ExitUsage)
	if t2 := ticket("t-2"); !strings.Contains(r.Stderr, "transfer needs a reason") || t2.TxID != before || t2.Transfers != 0 {
		t.Errorf("transfer without a reason: %q, ticket %+v", r.Stderr, t2)
	}
	e.GW.Ledger.Advance(10 * 24 * time.Hour)
	r = run("audit", "sweep")
	wantCode(t, r, 0)
	// Both tickets are past a deadline: the default policy escalates them to dept-p.
	if !strings.Contains(r.Stdout, "2 ticket(s) changed (2 escalated") {
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
	// dept-a reads only its own figures; its supervisor dept-p reads both (it received
	// the two tickets the sweep escalated).
	r = run("audit", "kpi", "--dept", "dept-a", "--dept", "dept-p", "--from", "2026-11-01", "--to", "2026-12-31", "--csv")
	wantCode(t, r, ExitInvalid)
	oneLine(t, r, "FORBIDDEN")
	r = supervisor("audit", "kpi", "--dept", "dept-a", "--dept", "dept-p", "--from", "2026-11-01", "--to", "2026-12-31", "--csv")
	wantCode(t, r, 0)
	rows, err := csv.NewReader(strings.NewReader(r.Stdout)).ReadAll()
	if err != nil || len(rows) != 3 || rows[0][0] != "department" || rows[1][0] != "dept-a" || rows[1][4] != "2" || rows[2][0] != "dept-p" || rows[2][4] != "2" {
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
	for _, want := range []string{"unsatisfied", "reopened", "overdue (respond-by)", "overdue (resolve-by)", "t-2#1"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("accountability lacks %q:\n%s", want, r.Stdout)
		}
	}
	wantCode(t, run("audit", "kpi", "--dept", "dept-a", "--from", "last week", "--to", "2026-12-31"), ExitUsage)
}
