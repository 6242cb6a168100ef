package httpapi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/gateway/gatewaytest/ccledger"
	"github.com/certledger/certledger/gateway/internal/auth"
	"github.com/certledger/certledger/gateway/internal/config"
	"github.com/certledger/certledger/gateway/internal/ledgerclient/faultledger"
	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/domain/exchange"
	"github.com/certledger/certledger/internal/domain/workorder"
	"github.com/certledger/certledger/internal/gm"
	"github.com/certledger/certledger/internal/testkit"
)

// These tests drive the read policy, the stream limits and the error pipeline
// through the HTTP API over the real chaincode (ccledger): every event they stream
// was written by a real transaction.

// Departments: sup supervises dept-b; dept-a and dept-c stand alone; gov governs.
// Each handles its own ticket category and issues "licence" certificates (a
// department issues only the types among its categories); the tokens all submit
// as the gov org (these tests only read through the API; their writes go to the
// ledger directly).
var polDepartments = []ccledger.Dept{
	{ID: "gov", Org: ccledger.GovOrg, MSP: ccledger.GovMSP},
	{ID: "sup", MSP: "SupMSP"},
	{ID: "dept-a", MSP: "AMSP", Categories: []string{"cat-a", "licence"}},
	{ID: "dept-b", MSP: "BMSP", Parent: "sup", Categories: []string{"cat-b", "licence"}},
	{ID: "dept-c", MSP: "CMSP", Categories: []string{"cat-c", "licence"}},
}

const (
	polA       = "pol-token-a"
	polA2      = "pol-token-a2"
	polB       = "pol-token-b"
	polC       = "pol-token-c"
	polSup     = "pol-token-sup"
	polAuditor = "pol-token-auditor"
	polGov     = "pol-token-gov"
)

type polEnv struct {
	t      *testing.T
	ledger *ccledger.Ledger
	fake   *faultledger.Ledger
	depts  map[string]ccledger.Department
	srv    *Server
	ts     *httptest.Server
	logs   *testkit.SyncBuffer
}

// newPolEnv registers the departments and dept-b's catalogue item "records", then
// serves the API.
func newPolEnv(t *testing.T, mutate func(*Options)) *polEnv {
	t.Helper()
	e := &polEnv{t: t, logs: &testkit.SyncBuffer{}, depts: map[string]ccledger.Department{},
		ledger: ccledger.New(t, ccledger.At(time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)))}
	for _, d := range polDepartments {
		e.depts[d.ID] = e.ledger.Department(t, d)
	}
	e.ledger.MustSubmit("dept-b", "exchange:AddCatalogItem", mustJSON(exchange.CatalogInput{Provider: "dept-b", ID: "records", Name: "records", Fields: []string{"income"}}))
	e.fake = faultledger.Wrap(e.ledger)
	cfg := config.Defaults()
	cfg.Orgs = []config.Org{{Name: "gov", Profile: "x"}}
	tok := func(tok, id, dept, role string) config.Token {
		return config.Token{ID: id, SHA256: config.HashToken(tok), Principal: config.Principal{Department: dept, Org: "gov", Role: role}}
	}
	cfg.Tokens = []config.Token{
		tok(polA, "a", "dept-a", config.RoleClerk), tok(polA2, "a2", "dept-a", config.RoleClerk),
		tok(polB, "b", "dept-b", config.RoleClerk), tok(polC, "c", "dept-c", config.RoleClerk),
		tok(polSup, "sup", "sup", config.RoleClerk), tok(polAuditor, "auditor", "dept-a", config.RoleAuditor),
		tok(polGov, "gov", "gov", config.RoleAdmin),
	}
	o := Options{
		Ledger: e.fake, Auth: auth.New(&cfg), DefaultOrg: "gov", GovernanceDepartment: "gov",
		Logger: slog.New(slog.NewJSONHandler(e.logs, nil)), Heartbeat: time.Hour,
	}
	srv := newServer(t, o, mutate)
	e.srv = srv
	e.ts = httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		srv.CloseStreams()
		e.ts.Client().CloseIdleConnections()
		e.ts.Close()
	})
	return e
}

// listCalls counts the gateway's reads of the department list.
func (e *polEnv) listCalls() int { return e.fake.CountCalls("evaluate", "registry:ListDepartments") }

// write submits fn as org on the ledger (not through the API) and returns its block.
func (e *polEnv) write(org, fn string, args ...string) uint64 {
	e.t.Helper()
	return e.ledger.MustSubmit(org, fn, args...).BlockNumber
}

// issue records certificate id issued by dept.
func (e *polEnv) issue(dept, id string) uint64 {
	e.t.Helper()
	d := e.depts[dept]
	c := CertificateRecord{Fields: CertificateFields{ID: id, DocHash: gm.SM3Hex([]byte(id)), Type: "licence", Issuer: dept, HolderCommitment: polCommitA,
		ValidFrom: "2026-01-01T00:00:00Z", ValidUntil: "2030-01-01T00:00:00Z", KeyID: d.KeyID}}
	c.Signature = d.Sign(e.t, canon.KindCertificate, c)
	return e.write(d.Org, "certificate:Issue", mustJSON(c))
}

// submitTicket records a citizen's ticket in category, through the intake channel.
func (e *polEnv) submitTicket(id, category, commitment string) {
	e.t.Helper()
	e.write("gov", "workorder:Submit", mustJSON(workorder.SubmitInput{ID: id, Category: category,
		ContentHash: strings.Repeat("e", 64), ReporterCommitment: commitment, Channel: "web"}))
}

// transfer has dept, which holds ticket id, hand it to target.
func (e *polEnv) transfer(id, dept, target string) {
	e.t.Helper()
	var tk struct {
		TxID string `json:"txId"`
	}
	e.ledger.MustEvaluate(&tk, "gov", "workorder:Get", id)
	d := e.depts[dept]
	a := TicketAction{SignedAction: workorder.SignedAction{TicketID: id, Action: "transfer", Department: dept, NoteHash: strings.Repeat("d", 64), Target: target, PrevTxID: tk.TxID, KeyID: d.KeyID}}
	a.Signature = d.Sign(e.t, canon.KindTicketAction, a)
	e.write(d.Org, "workorder:Transfer", mustJSON(a))
}

func (e *polEnv) get(path, token string, hdr ...string) (*http.Response, []byte) {
	e.t.Helper()
	return e.call("GET", path, token, "", hdr...)
}

func (e *polEnv) call(method, path, token, body string, hdr ...string) (*http.Response, []byte) {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.ts.URL+path, strings.NewReader(body))
	res, err := e.send(req, token, hdr)
	if err != nil {
		e.t.Fatal(err)
	}
	defer func() { _ = res.Body.Close() }()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

// send sends req with token ("" = anonymous) and hdr (name/value pairs).
func (e *polEnv) send(req *http.Request, token string, hdr []string) (*http.Response, error) {
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return e.ts.Client().Do(req)
}

// stream opens an event stream; cancel closes it.
func (e *polEnv) stream(path, token string, hdr ...string) (*http.Response, *bufio.Scanner, context.CancelFunc) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	req, _ := http.NewRequestWithContext(ctx, "GET", e.ts.URL+path, nil)
	res, err := e.send(req, token, hdr)
	if err != nil {
		cancel()
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { cancel(); _ = res.Body.Close() })
	return res, bufio.NewScanner(res.Body), cancel
}

type polEvent struct {
	name string
	data string
}

// untilMarker reads events up to and including the one whose data contains marker.
func untilMarker(t *testing.T, sc *bufio.Scanner, marker string) []polEvent {
	t.Helper()
	var out []polEvent
	var cur polEvent
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			cur.name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			cur.data = strings.TrimPrefix(line, "data: ")
		case line == "" && cur.name != "":
			out = append(out, cur)
			if strings.Contains(cur.data, marker) {
				return out
			}
			cur = polEvent{}
		}
	}
	t.Fatalf("stream ended before %q (%d events, scan error %v)", marker, len(out), sc.Err())
	return nil
}

const (
	polCommitB = "b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0"
	polCommitA = "a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0"
)

// seedMixed records events of every kind: a ticket routed to dept-b, one to
// dept-a, an exchange and a grant between dept-b and dept-c, a sweep, and
// public records; the last event is the marker "c-end". It returns the block of the
// first (the set-up wrote the blocks before it).
func (e *polEnv) seedMixed() uint64 {
	e.t.Helper()
	first := e.issue("dept-c", "c-1")
	e.submitTicket("t-b", "cat-b", polCommitB)
	e.submitTicket("t-a", "cat-a", polCommitA)
	b := e.depts["dept-b"]
	g := GrantRecord{ID: "g-bc", Provider: "dept-b", Consumer: "dept-c", Item: "records", Fields: []string{"income"}, Purpose: "audit",
		LegalBasis: "Reg. 1", ValidFrom: "2026-11-01T00:00:00Z", ValidUntil: "2027-11-01T00:00:00Z", KeyID: b.KeyID}
	g.Signature = b.Sign(e.t, canon.KindGrant, g)
	e.write("dept-b", "exchange:CreateGrant", mustJSON(g))
	x := ExchangeRecord{ID: "x-bc", GrantID: "g-bc", Provider: "dept-b", Consumer: "dept-c", Fields: []string{"income"},
		PayloadHash: strings.Repeat("f", 64), KeyID: b.KeyID}
	x.Signature = b.Sign(e.t, canon.KindExchange, x)
	e.write("dept-b", "exchange:Send", mustJSON(x))
	e.ledger.Advance(10 * 24 * time.Hour) // both tickets are overdue now
	e.write("gov", "workorder:Sweep", "")
	e.ledger.Department(e.t, ccledger.Dept{ID: "dept-d", MSP: "DMSP"})
	e.issue("dept-a", "c-end")
	return first
}

func names(evs []polEvent) string {
	var out []string
	for _, ev := range evs {
		var m EventMessage
		_ = json.Unmarshal([]byte(ev.data), &m)
		var rec struct {
			ID     string `json:"id"`
			Ticket struct {
				ID string `json:"id"`
			} `json:"ticket"`
		}
		_ = json.Unmarshal(m.Payload, &rec)
		id := rec.ID
		if id == "" {
			id = rec.Ticket.ID
		}
		out = append(out, ev.name+":"+id)
	}
	return strings.Join(out, " ")
}

// Issue 12 item 1: the event stream applies the single-record read policy per event.
func TestEventStreamReadPolicy(t *testing.T) {
	e := newPolEnv(t, nil)
	first := e.seedMixed()
	for _, c := range []struct {
		who, token string
		want       string
	}{
		{"dept-a", polA, "CertificateIssued:c-1 TicketSubmitted:t-a DepartmentRegistered:dept-d CertificateIssued:c-end"},
		{"dept-b", polB, "CertificateIssued:c-1 TicketSubmitted:t-b GrantCreated:g-bc ExchangeSent:x-bc DepartmentRegistered:dept-d CertificateIssued:c-end"},
		{"dept-c", polC, "CertificateIssued:c-1 GrantCreated:g-bc ExchangeSent:x-bc DepartmentRegistered:dept-d CertificateIssued:c-end"},
		{"sup, dept-b's parent", polSup, "CertificateIssued:c-1 TicketSubmitted:t-b DepartmentRegistered:dept-d CertificateIssued:c-end"},
		{"auditor", polAuditor, "CertificateIssued:c-1 TicketSubmitted:t-b TicketSubmitted:t-a GrantCreated:g-bc ExchangeSent:x-bc TicketsSwept: DepartmentRegistered:dept-d CertificateIssued:c-end"},
		{"governance", polGov, "CertificateIssued:c-1 TicketSubmitted:t-b TicketSubmitted:t-a GrantCreated:g-bc ExchangeSent:x-bc TicketsSwept: DepartmentRegistered:dept-d CertificateIssued:c-end"},
	} {
		t.Run(c.who, func(t *testing.T) {
			res, sc, cancel := e.stream("/api/v1/events?fromBlock="+strconv.FormatUint(first, 10), c.token)
			defer cancel()
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status %d", res.StatusCode)
			}
			evs := untilMarker(t, sc, `"c-end"`)
			if got := names(evs); got != c.want {
				t.Errorf("events\n got %s\nwant %s", got, c.want)
			}
			if c.token == polA || c.token == polC {
				for _, ev := range evs {
					if strings.Contains(ev.data, polCommitB) {
						t.Errorf("%s received dept-b's reporter commitment in %s", c.who, ev.name)
					}
				}
			}
		})
	}
	// The single-record endpoint agrees for the ticket routed to dept-b.
	for tok, want := range map[string]int{polA: 403, polC: 403, polB: 200, polSup: 200, polAuditor: 200, polGov: 200} {
		if res, body := e.get("/api/v1/tickets/t-b", tok); res.StatusCode != want {
			t.Errorf("GET /tickets/t-b as %s: %d, want %d: %s", tok, res.StatusCode, want, body)
		}
	}
}

// The directory is read once (the list), not once per department per request.
func TestDirectoryCachedAcrossRequests(t *testing.T) {
	e := newPolEnv(t, nil)
	// t-1 went from dept-c to dept-a to dept-b.
	e.submitTicket("t-1", "cat-c", polCommitB)
	e.transfer("t-1", "dept-c", "dept-a")
	e.transfer("t-1", "dept-a", "dept-b")
	for range 5 {
		if res, body := e.get("/api/v1/tickets/t-1", polSup); res.StatusCode != 200 {
			t.Fatalf("%d %s", res.StatusCode, body)
		}
	}
	if res, _ := e.get("/api/v1/tickets?department=dept-c", polSup); res.StatusCode != 403 {
		t.Errorf("sup lists dept-c: %d", res.StatusCode)
	}
	if n := e.fake.CountCalls("", "registry:GetDepartment"); n != 0 {
		t.Errorf("%d registry:GetDepartment calls", n)
	}
	if n := e.listCalls(); n != 1 {
		t.Errorf("%d registry:ListDepartments calls, want 1", n)
	}
}

// FollowRegistry learns a new department (and its parent) from its event.
func TestFollowRegistry(t *testing.T) {
	e := newPolEnv(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.srv.FollowRegistry(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	waitFor(t, func() bool { return e.srv.dir.Loaded() })
	e.ledger.Department(t, ccledger.Dept{ID: "dept-new", MSP: "NewMSP", Parent: "dept-a", Categories: []string{"cat-new"}})
	waitFor(t, func() bool { return e.srv.dir.Has("dept-new") })
	e.submitTicket("t-1", "cat-new", polCommitB)
	if res, body := e.get("/api/v1/tickets/t-1", polA); res.StatusCode != 200 {
		t.Fatalf("dept-a reading its sub-department's ticket: %d %s", res.StatusCode, body)
	}
	if n := e.listCalls(); n != 1 {
		t.Errorf("%d list reads, want 1 (the new department came from its event)", n)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func problem(t *testing.T, body []byte) (code, message string, fields []map[string]string) {
	t.Helper()
	var p struct {
		Code    string              `json:"code"`
		Message string              `json:"message"`
		Fields  []map[string]string `json:"fields"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("body %q: %v", body, err)
	}
	return p.Code, p.Message, p.Fields
}

func TestStreamCapPerCaller(t *testing.T) {
	e := newPolEnv(t, func(o *Options) { o.MaxStreamsPerCaller = 2 })
	var cancels []context.CancelFunc
	for range 2 {
		res, _, cancel := e.stream("/api/v1/events", polA)
		if res.StatusCode != 200 {
			t.Fatalf("status %d", res.StatusCode)
		}
		cancels = append(cancels, cancel)
	}
	res, body := e.get("/api/v1/events", polA)
	if code, msg, _ := problem(t, body); res.StatusCode != 429 || code != "RATE_LIMITED" || !strings.Contains(msg, "at most 2") || res.Header.Get("Retry-After") == "" {
		t.Fatalf("third stream: %d %s", res.StatusCode, body)
	}
	// Another token of the same department has its own cap.
	if res, _, _ := e.stream("/api/v1/events", polA2); res.StatusCode != 200 {
		t.Fatalf("other token: %d", res.StatusCode)
	}
	// Closing a stream frees its slot.
	cancels[0]()
	waitFor(t, func() bool {
		res, _, cancel := e.stream("/api/v1/events", polA)
		defer cancel()
		return res.StatusCode == 200
	})
}

func TestReplayBounds(t *testing.T) {
	e := newPolEnv(t, func(o *Options) { o.MaxReplayBlocks = 5; o.MaxReplays = 1 })
	var block []uint64 // of c-0 .. c-9
	for i := range 10 {
		block = append(block, e.issue("dept-a", fmt.Sprintf("c-%d", i)))
	}
	from := func(i int) string { return strconv.FormatUint(block[i], 10) }
	// The gateway learns the head from the events it streams.
	res, sc, cancel := e.stream("/api/v1/events?fromBlock="+from(8), polAuditor)
	if res.StatusCode != 200 {
		t.Fatalf("%d", res.StatusCode)
	}
	untilMarker(t, sc, `"c-9"`)
	cancel()
	waitFor(t, func() bool { return e.srv.streams.head.Load() >= block[9] })
	waitFor(t, func() bool {
		e.srv.streams.mu.Lock()
		defer e.srv.streams.mu.Unlock()
		return e.srv.streams.replays == 0
	})

	res, body := e.get("/api/v1/events?fromBlock="+from(1), polAuditor)
	if code, msg, _ := problem(t, body); res.StatusCode != 400 || code != "INVALID_ARGUMENT" || !strings.Contains(msg, "fromBlock: block "+from(1)+" is more than 5 blocks behind") {
		t.Errorf("old fromBlock: %d %s", res.StatusCode, body)
	}
	res, body = e.get("/api/v1/events", polAuditor, "Last-Event-ID", "1.tx0001")
	if code, msg, _ := problem(t, body); res.StatusCode != 400 || code != "INVALID_ARGUMENT" || !strings.Contains(msg, "Last-Event-ID") {
		t.Errorf("old Last-Event-ID: %d %s", res.StatusCode, body)
	}
	// One replay at a time (MaxReplays 1): a second waits for the first to end.
	res, sc, cancel = e.stream("/api/v1/events?fromBlock="+from(5), polAuditor)
	if res.StatusCode != 200 {
		t.Fatalf("recent replay: %d", res.StatusCode)
	}
	untilMarker(t, sc, `"c-9"`)
	res, body = e.get("/api/v1/events?fromBlock="+from(6), polB)
	if code, msg, _ := problem(t, body); res.StatusCode != 429 || code != "RATE_LIMITED" || !strings.Contains(msg, "replays") {
		t.Errorf("second replay: %d %s", res.StatusCode, body)
	}
	if res, _, _ := e.stream("/api/v1/events", polB); res.StatusCode != 200 {
		t.Errorf("live stream beside a replay: %d", res.StatusCode)
	}
	cancel()
}

// Issue 12 item 10: a wrong method is answered through the error pipeline.
func TestMethodNotAllowed(t *testing.T) {
	e := newPolEnv(t, nil)
	for _, c := range []struct {
		method, path, allow string
	}{
		{"POST", "/api/v1/verify", "GET, HEAD"},
		{"DELETE", "/api/v1/certificates/c-1", "GET, HEAD"},
		{"PUT", "/api/v1/certificates", "GET, HEAD, POST"},
		{"GET", "/api/v1/tickets/t-1/accept", "POST"},
	} {
		res, body := e.call(c.method, c.path, polA, "")
		code, msg, _ := problem(t, body)
		if res.StatusCode != 405 || code != "METHOD_NOT_ALLOWED" || res.Header.Get("Allow") != c.allow || !strings.Contains(msg, c.allow) {
			t.Errorf("%s %s: %d allow %q %s", c.method, c.path, res.StatusCode, res.Header.Get("Allow"), body)
		}
		if res.Header.Get("X-Request-Id") == "" || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
			t.Errorf("%s %s: headers %v", c.method, c.path, res.Header)
		}
	}
	// An unknown path under /api/ with any method is a JSON 404, not a 405.
	res, body := e.call("PUT", "/api/v1/nothing", "", "")
	if code, _, _ := problem(t, body); res.StatusCode != 404 || code != "NOT_FOUND" {
		t.Errorf("PUT unknown: %d %s", res.StatusCode, body)
	}
	if !strings.Contains(e.logs.String(), `"route":"(method not allowed)","status":405`) {
		t.Errorf("no access-log line for the 405: %s", e.logs.String())
	}
	rec := httptest.NewRecorder()
	e.srv.OperationsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 || !bytes.Contains(rec.Body.Bytes(), []byte(`route="(method not allowed)",status="405"`)) {
		t.Errorf("no 405 metric")
	}
}

// Issue 12 item 11 and issue 10 §1: bodies are checked by the domain's Validate;
// holderCommitment and validFrom are required up front; nothing is submitted.
func TestDomainValidation(t *testing.T) {
	e := newPolEnv(t, nil)
	valid := CertificateRecord{Fields: CertificateFields{
		ID: "c-1", DocHash: polCommitA, Type: "licence", Issuer: "dept-a", HolderCommitment: polCommitB,
		ValidFrom: "2026-01-01T00:00:00Z", KeyID: polCommitA,
	}, Signature: "MAYCAQECAQE="}
	if err := validateCertificate(&valid); err != nil {
		t.Fatalf("valid record refused: %v", err)
	}
	for _, c := range []struct {
		name  string
		mut   func(*CertificateRecord)
		field string
	}{
		{"no holderCommitment", func(r *CertificateRecord) { r.HolderCommitment = "" }, "holderCommitment"},
		{"no validFrom", func(r *CertificateRecord) { r.ValidFrom = "" }, "validFrom"},
		{"bad issuer", func(r *CertificateRecord) { r.Issuer = "a:b" }, "issuer"},
	} {
		rec := valid
		c.mut(&rec)
		b, _ := json.Marshal(rec)
		res, body := e.call("POST", "/api/v1/certificates", polA, string(b))
		code, msg, _ := problem(t, body)
		if res.StatusCode != 400 || code != "INVALID_ARGUMENT" || !strings.Contains(msg, c.field) {
			t.Errorf("%s: %d %s", c.name, res.StatusCode, body)
		}
	}
	if n := e.fake.CountCalls("submit", "certificate:Issue"); n != 0 {
		t.Errorf("%d submits", n)
	}
	// The gateway's own checks come back field by field.
	res, body := e.call("POST", "/api/v1/tickets/t-1/accept", polA,
		`{"ticketId":"t-2","department":"dept-a","keyId":"`+polCommitA+`","prevTxId":"tx1","signature":"MEUC!!"}`)
	code, _, fields := problem(t, body)
	if res.StatusCode != 400 || code != "INVALID_ARGUMENT" || len(fields) != 2 || fields[0]["field"] != "ticketId" || fields[1]["field"] != "signature" {
		t.Errorf("action: %d %s", res.StatusCode, body)
	}
}
