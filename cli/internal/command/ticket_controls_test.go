package command

import (
	"crypto/ecdsa"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/cli/internal/fakegw"
	"github.com/certledger/certledger/cli/internal/keyfile"
	"github.com/certledger/certledger/internal/domain/workorder"
	"github.com/certledger/certledger/internal/gm"
)

// TestTicketControlsCLI: return, route, suspend, resume, the reasons they need, the
// rating labels, the policy and the calendar commands, against the fake gateway.
func TestTicketControlsCLI(t *testing.T) {
	e := newEnv(t)
	pk, _ := gm.GenerateKey()
	ppub, pkeyID, _ := keyfile.PublicPEM(&pk.PublicKey)
	if err := e.GW.AddDepartment("dept-p", "OrgPMSP", ppub); err != nil {
		t.Fatal(err)
	}
	ppriv, _ := gm.MarshalPrivateKeyPEM(pk, nil)
	pkPath := filepath.Join(e.Dir, "p.pem")
	if err := os.WriteFile(pkPath, ppriv, 0o600); err != nil {
		t.Fatal(err)
	}
	apub, _, _ := keyfile.LoadPublic(e.PubPath, "")
	f := &ticketFake{now: time.Date(2026, 11, 27, 2, 0, 0, 0, time.UTC), tickets: map[string]workorder.Ticket{},
		trace: map[string][]workorder.Transition{}, keys: map[string]string{e.KeyID: "dept-a", pkeyID: "dept-p"},
		pubs: map[string]*ecdsa.PublicKey{e.KeyID: apub, pkeyID: &pk.PublicKey}, parent: map[string]string{"dept-a": "dept-p"}}
	installTicketFake(e.GW, f)
	var loaded []workorder.YearSchedule
	policy := workorder.DefaultPolicy()
	e.GW.Handle("POST /api/v1/workorder/calendar/years", func(w http.ResponseWriter, r *http.Request) {
		var y workorder.YearSchedule
		if json.NewDecoder(r.Body).Decode(&y) != nil {
			fakegw.WriteError(w, 400, "INVALID_ARGUMENT", "bad body")
			return
		}
		cal, err := workorder.DefaultCalendar().Merge(y, nil)
		if err != nil {
			fakegw.WriteError(w, 400, "INVALID_ARGUMENT", "%v", err)
			return
		}
		loaded = append(loaded, y)
		fakegw.WriteJSON(w, 200, map[string]any{"txId": "txcal", "blockNumber": 7, "record": cal})
	})
	e.GW.Handle("GET /api/v1/workorder/calendar/years/{year}", func(w http.ResponseWriter, r *http.Request) {
		out := map[string]any{"year": 2026, "version": len(loaded), "holidays": []string{}, "workdays": []string{}, "schedule": nil}
		if len(loaded) > 0 {
			hol, work, _ := loaded[0].Days()
			out["schedule"] = map[string]any{"year": loaded[0].Year, "utcOffset": "+08:00", "source": loaded[0].Source,
				"holidays": loaded[0].Holidays, "loadedIn": 1, "txId": "txcal"}
			out["holidays"], out["workdays"] = hol, work
		}
		fakegw.WriteJSON(w, 200, out)
	})
	e.GW.Handle("GET /api/v1/workorder/config", func(w http.ResponseWriter, r *http.Request) {
		fakegw.WriteJSON(w, 200, map[string]any{"policy": policy, "governanceDepartment": "gov"})
	})
	e.GW.Handle("PUT /api/v1/workorder/config/policy", func(w http.ResponseWriter, r *http.Request) {
		if json.NewDecoder(r.Body).Decode(&policy) != nil {
			fakegw.WriteError(w, 400, "INVALID_ARGUMENT", "bad body")
			return
		}
		fakegw.WriteJSON(w, 200, map[string]any{"txId": "txpol", "blockNumber": 8, "record": policy})
	})
	run := func(args ...string) Result {
		return runTickets(t, append([]string{"--gateway", e.GW.URL, "--token", clerkToken}, args...)...)
	}
	wantCode(t, run("ticket", "submit", "--id", "t-1", "--category", "noise", "--content-hash", strings.Repeat("e", 64), "--commitment", strings.Repeat("f", 64)), 0)

	// Reasons: escalate, return and suspend without --note are usage errors, nothing sent.
	before := f.tickets["t-1"].TxID
	for _, args := range [][]string{
		{"ticket", "escalate", "t-1", "--key", pkPath, "--to", "dept-p"},
		{"ticket", "return", "t-1", "--key", e.KeyPath},
	} {
		r := run(args...)
		wantCode(t, r, ExitUsage)
		if !strings.Contains(r.Stderr, "needs a reason") || f.tickets["t-1"].TxID != before {
			t.Errorf("%v: %q", args, r.Stderr)
		}
	}
	r := run("ticket", "return", "t-1", "--key", e.KeyPath, "--note", "this is a housing matter")
	wantCode(t, r, 0)
	if f.tickets["t-1"].State != workorder.StateSubmitted {
		t.Fatalf("return: %s\n%s", f.tickets["t-1"].State, r.Stdout)
	}
	r = run("ticket", "route", "t-1", "--to", "dept-a")
	wantCode(t, r, 0)
	if !strings.Contains(r.Stdout, "route done, now assigned at dept-a") {
		t.Errorf("route: %s", r.Stdout)
	}
	wantCode(t, run("ticket", "accept", "t-1", "--key", e.KeyPath), 0)
	wantCode(t, run("ticket", "start", "t-1", "--key", e.KeyPath), 0)
	wantCode(t, run("ticket", "suspend", "t-1", "--key", e.KeyPath), ExitUsage)
	wantCode(t, run("ticket", "suspend", "t-1", "--key", e.KeyPath, "--note", "need the building permit number"), 0)
	// While suspended a resolve is refused, and the hint does not offer it.
	r = run("ticket", "resolve", "t-1", "--key", e.KeyPath, "--note", "done")
	wantCode(t, r, ExitInvalid)
	if !strings.Contains(r.Stderr, "(it may: resume)") || strings.Contains(r.Stderr, "it may: resolve") {
		t.Errorf("refusal hint: %q", r.Stderr)
	}
	f.now = f.now.Add(48 * time.Hour)
	r = run("ticket", "resume", "t-1")
	wantCode(t, r, 0)
	r = run("ticket", "trace", "t-1")
	wantCode(t, r, 0)
	for _, want := range []string{"returned to the intake channel", "resolve clock stopped", "paused 2026-11-27 10:00:00 .. 2026-11-29 10:00:00", "TX"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("trace lacks %q:\n%s", want, r.Stdout)
		}
	}
	wantCode(t, run("ticket", "resolve", "t-1", "--key", e.KeyPath, "--note", "done"), 0)
	wantCode(t, run("ticket", "rate", "t-1", "--rating", "很好"), ExitUsage)
	r = run("ticket", "rate", "t-1", "--rating", "非常满意")
	wantCode(t, r, 0)
	if f.tickets["t-1"].Rating != workorder.RatingVerySatisfied {
		t.Errorf("rating %q", f.tickets["t-1"].Rating)
	}

	// Policy: shown, then set (flags not given keep their value).
	r = run("ticket", "policy")
	wantCode(t, r, 0)
	if !strings.Contains(r.Stdout, "auto-close-days") || !strings.Contains(r.Stdout, "5 working days") {
		t.Errorf("policy: %s", r.Stdout)
	}
	wantCode(t, run("ticket", "policy", "--max-transfers", "99"), ExitUsage)
	wantCode(t, run("ticket", "policy", "--auto-close-days", "3"), 0)
	if policy.AutoCloseDays != 3 || policy.MaxTransfers != 2 || !policy.AutoEscalate {
		t.Errorf("policy set: %+v", policy)
	}

	// Calendar: a bad file is refused here; the shipped one loads and shows.
	bad := e.file("bad.json", `{"year":2026,"utcOffset":"+08:00","source":{"title":"x","number":"y","url":"https://example.org"},"holidays":[{"name":"a","from":"2026-10-01","to":"2026-10-03","days":2,"workdays":[]}]}`)
	r = run("calendar", "load", bad)
	wantCode(t, r, ExitUsage)
	if len(loaded) != 0 || !strings.Contains(r.Stderr, "says 2 days") {
		t.Errorf("bad calendar: %q", r.Stderr)
	}
	r = run("calendar", "load", filepath.Join("..", "..", "..", "data", "calendar", "2026.json"))
	wantCode(t, r, 0)
	if len(loaded) != 1 || !strings.Contains(r.Stdout, "国办发明电〔2025〕7号") || !strings.Contains(r.Stdout, "2026-02-14") {
		t.Errorf("calendar load: %s", r.Stdout)
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

// TestSweepPreview: with nothing to do, audit sweep submits nothing.
func TestSweepPreview(t *testing.T) {
	e := newEnv(t)
	posts := 0
	e.GW.Handle("GET /api/v1/audit/sweep", func(w http.ResponseWriter, r *http.Request) {
		fakegw.WriteJSON(w, 200, map[string]any{"at": "2026-12-01T02:00:00Z", "tickets": []string{}, "rolledUp": 0})
	})
	e.GW.Handle("POST /api/v1/audit/sweep", func(w http.ResponseWriter, r *http.Request) {
		posts++
		fakegw.WriteJSON(w, 200, map[string]any{"txId": "tx", "blockNumber": 1, "record": map[string]any{"at": "2026-12-01T02:00:00Z"}})
	})
	r := runTickets(t, "--gateway", e.GW.URL, "--token", clerkToken, "audit", "sweep")
	wantCode(t, r, 0)
	if posts != 0 || !strings.Contains(r.Stdout, "nothing submitted") || !strings.Contains(r.Stdout, "2026-12-01 10:00:00") {
		t.Errorf("posts %d, output %q", posts, r.Stdout)
	}
}
