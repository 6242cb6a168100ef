package httpapi

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certledger/certledger/gateway/internal/ledgerclient"
)

// recordArgs makes fn answer {} and remembers its last arguments.
func recordArgs(e *env, fn string) func() []string {
	var mu sync.Mutex
	var last []string
	e.fake.On(fn, func(_, _ string, args []string) ([]byte, *ledgerclient.Event, error) {
		mu.Lock()
		defer mu.Unlock()
		last = append([]string(nil), args...)
		return []byte(`{}`), &ledgerclient.Event{Name: "X", Payload: []byte(`{}`)}, nil
	})
	return func() []string { mu.Lock(); defer mu.Unlock(); return last }
}

// TestPeriods: /audit/kpi, /audit/accountability and /exchanges read a period the one
// way (inclusive days in the deployment's zone) and pass RFC 3339 UTC to the chaincode.
func TestPeriods(t *testing.T) {
	e := newEnv(t, nil)
	kpi := recordArgs(e, "workorder:KPI")
	acc := recordArgs(e, "workorder:Accountability")
	ex := recordArgs(e, "exchange:ListExchanges")
	r := e.do("GET", "/api/v1/audit/kpi?department=dept-a&from=2026-12-01&to=2026-12-31", aAuditor, nil)
	if r.status != 200 {
		t.Fatalf("kpi: %d %s", r.status, r.body)
	}
	if got := kpi(); got[1] != "2026-11-30T16:00:00Z" || got[2] != "2026-12-31T16:00:00Z" {
		t.Errorf("kpi period %v: want all of December in Asia/Shanghai", got)
	}
	e.do("GET", "/api/v1/audit/accountability?department=dept-a&from=2026-12-31&to=2026-12-31", aAuditor, nil)
	if got := acc(); got[1] != "2026-12-30T16:00:00Z" || got[2] != "2026-12-31T16:00:00Z" {
		t.Errorf("one day: %v", got)
	}
	e.do("GET", "/api/v1/audit/kpi?department=dept-a&from="+url.QueryEscape("2026-12-01T00:00:00+08:00")+"&to=2026-12-02T00:00:00Z", aAuditor, nil)
	if got := kpi(); got[1] != "2026-11-30T16:00:00Z" || got[2] != "2026-12-02T00:00:00Z" {
		t.Errorf("instants: %v", got)
	}
	r = e.do("GET", "/api/v1/exchanges?provider=dept-a&from=2026-12-01&to=2026-12-31", aAuditor, nil)
	if r.status != 200 {
		t.Fatalf("exchanges: %d %s", r.status, r.body)
	}
	if got := ex(); len(got) != 1 || !strings.Contains(got[0], `"from":"2026-11-30T16:00:00Z"`) || !strings.Contains(got[0], `"to":"2026-12-31T16:00:00Z"`) {
		t.Errorf("exchanges query %v", got)
	}
	for _, q := range []string{"from=2026-12-02&to=2026-12-01", "from=yesterday&to=2026-12-01", "from=2026-12-01"} {
		r := e.do("GET", "/api/v1/audit/kpi?department=dept-a&"+q, aAuditor, nil)
		if r.status != 400 {
			t.Errorf("%s: %d %s", q, r.status, r.body)
		}
	}
	// Another zone, configured.
	utc, _ := time.LoadLocation("UTC")
	e2 := newEnv(t, func(o *Options) { o.TimeZone = utc })
	kpi2 := recordArgs(e2, "workorder:KPI")
	e2.do("GET", "/api/v1/audit/kpi?department=dept-a&from=2026-12-01&to=2026-12-31", aAuditor, nil)
	if got := kpi2(); got[1] != "2026-12-01T00:00:00Z" || got[2] != "2027-01-01T00:00:00Z" {
		t.Errorf("UTC days: %v", got)
	}
}

func TestTicketControlRoutes(t *testing.T) {
	e := newEnv(t, nil)
	ret := recordArgs(e, "workorder:Return")
	route := recordArgs(e, "workorder:Route")
	recordArgs(e, "workorder:Resume")
	cal := recordArgs(e, "workorder:LoadCalendarYear")
	pol := recordArgs(e, "workorder:SetPolicy")
	year := recordArgs(e, "workorder:GetCalendarYear")
	h := strings.Repeat("b", 64)
	signed := map[string]any{"ticketId": "T1", "department": "dept-a", "noteHash": h, "prevTxId": "tx1", "keyId": h, "signature": sigB64}
	r := e.do("POST", "/api/v1/tickets/T1/return", aClerk, signed)
	if r.status != 200 || !strings.Contains(ret()[0], `"ticketId":"T1"`) {
		t.Fatalf("return: %d %s", r.status, r.body)
	}
	noReason := map[string]any{"ticketId": "T1", "department": "dept-a", "prevTxId": "tx1", "keyId": h, "signature": sigB64}
	for _, a := range []string{"return", "suspend"} {
		if r := e.do("POST", "/api/v1/tickets/T1/"+a, aClerk, noReason); r.status != 400 || !strings.Contains(string(r.body), "noteHash") {
			t.Errorf("%s without a reason: %d %s", a, r.status, r.body)
		}
	}
	if r := e.do("POST", "/api/v1/tickets/T1/escalate", aClerk, map[string]any{"ticketId": "T1", "department": "dept-a", "target": "dept-b", "prevTxId": "tx1", "keyId": h, "signature": sigB64}); r.status != 400 {
		t.Errorf("escalate without a reason: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/v1/tickets/T1/return", bClerk, signed); r.status != 403 {
		t.Errorf("signed for another department: %d", r.status)
	}
	if r := e.do("POST", "/api/v1/tickets/T1/route", govAdmin, map[string]any{"ticketId": "T1"}); r.status != 400 {
		t.Errorf("route without a target: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/v1/tickets/T1/route", govAdmin, map[string]any{"ticketId": "T1", "target": "dept-b"}); r.status != 200 || !strings.Contains(route()[0], `"target":"dept-b"`) {
		t.Errorf("route: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/v1/tickets/T1/resume", govAdmin, map[string]any{"ticketId": "T1"}); r.status != 200 {
		t.Errorf("intake resume: %d %s", r.status, r.body)
	}
	sched, err := os.ReadFile(filepath.Join("..", "..", "..", "data", "calendar", "2026.json"))
	if err != nil {
		t.Fatal(err)
	}
	if r := e.do("POST", "/api/v1/workorder/calendar/years", aAdmin, string(sched)); r.status != 403 {
		t.Errorf("calendar by a department admin: %d", r.status)
	}
	if r := e.do("POST", "/api/v1/workorder/calendar/years", govAdmin, string(sched)); r.status != 200 || !strings.Contains(cal()[0], `"year":2026`) {
		t.Errorf("calendar: %d %s", r.status, r.body)
	}
	// The domain's schedule rules answer in the gateway, every bad field named.
	if r := e.do("POST", "/api/v1/workorder/calendar/years", govAdmin, map[string]any{"year": 1999, "utcOffset": "+08:00"}); r.status != 400 ||
		!strings.Contains(string(r.body), `"field":"year"`) || !strings.Contains(string(r.body), `"field":"source.url"`) {
		t.Errorf("bad schedule: %d %s", r.status, r.body)
	}
	if r := e.do("PUT", "/api/v1/workorder/config/policy", govAdmin, map[string]any{"autoEscalate": true, "autoCloseDays": 3, "maxTransfers": 2}); r.status != 200 || !strings.Contains(pol()[0], `"autoCloseDays":3`) {
		t.Errorf("policy: %d %s", r.status, r.body)
	}
	if r := e.do("PUT", "/api/v1/workorder/config/policy", govAdmin, map[string]any{"autoCloseDays": -1, "maxTransfers": 99}); r.status != 400 ||
		!strings.Contains(string(r.body), `"field":"autoCloseDays"`) || !strings.Contains(string(r.body), `"field":"maxTransfers"`) {
		t.Errorf("bad policy: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/api/v1/workorder/calendar/years/2026", aAuditor, nil); r.status != 200 || year()[0] != "2026" {
		t.Errorf("calendar year: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/api/v1/workorder/calendar/years/26", aAuditor, nil); r.status != 400 {
		t.Errorf("bad year: %d", r.status)
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

// TestSweepPreviewAccess: the preview names tickets of every department, so only
// auditors and the governance department read it whole; a department reads the
// tickets that will be with it or a department it supervises, and how many others.
func TestSweepPreviewAccess(t *testing.T) {
	e := newPolEnv(t, nil)
	e.fake.On("workorder:Sweep", func(string, string, []string) ([]byte, *ledgerclient.Event, error) {
		return []byte(`{"at":"2026-12-01T00:00:00Z","tickets":["T1","T2","T3"],"escalated":["T2"],"autoClosed":["T3"],` +
			`"accountability":["T1#1","T2#1","T3#1"],"more":false,"rolledUp":2,"settledBefore":"2026-11-30T23:59:00Z",` +
			`"updated":[{"ticketId":"T1","department":"dept-a"},{"ticketId":"T2","department":"dept-b"},{"ticketId":"T3","department":"dept-c"}]}`), nil, nil
	})
	type preview struct {
		Tickets        []string          `json:"tickets"`
		Escalated      []string          `json:"escalated"`
		AutoClosed     []string          `json:"autoClosed"`
		Accountability []string          `json:"accountability"`
		Updated        []json.RawMessage `json:"updated"`
		RolledUp       int               `json:"rolledUp"`
		Hidden         *int              `json:"hidden"`
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
	for _, tok := range []string{polAuditor, polGov} {
		if p := read(tok); len(p.Tickets) != 3 || len(p.Updated) != 3 || p.Hidden != nil {
			t.Errorf("%s sees all: %+v", tok, p)
		}
	}
	if p := read(polSup); strings.Join(p.Tickets, ",") != "T2" || strings.Join(p.Escalated, ",") != "T2" || len(p.AutoClosed) != 0 ||
		strings.Join(p.Accountability, ",") != "T2#1" || len(p.Updated) != 1 || p.Hidden == nil || *p.Hidden != 2 || p.RolledUp != 2 {
		t.Errorf("supervisor of dept-b: %+v", p)
	}
	if p := read(polA); strings.Join(p.Tickets, ",") != "T1" || len(p.Escalated) != 0 || p.Hidden == nil || *p.Hidden != 2 {
		t.Errorf("dept-a: %+v", p)
	}
}
