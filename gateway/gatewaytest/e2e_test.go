package gatewaytest_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/certledger/certledger/gateway/gatewaytest"
	"github.com/certledger/certledger/gateway/internal/errmap"
	"github.com/certledger/certledger/gateway/internal/httpapi"
	"github.com/certledger/certledger/gateway/internal/ledgerclient"
	"github.com/certledger/certledger/internal/gm"
	"github.com/certledger/certledger/internal/profile"
	"github.com/certledger/certledger/internal/testkit"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func startStack(t *testing.T) *gatewaytest.Stack {
	t.Helper()
	return startStackWith(t, gatewaytest.Options{})
}

// skipUnlessE2E skips an end-to-end test under -short or CERTLEDGER_SKIP_E2E.
func skipUnlessE2E(t *testing.T) {
	t.Helper()
	if testing.Short() || os.Getenv("CERTLEDGER_SKIP_E2E") != "" {
		t.Skip("end-to-end test against an in-process devnet skipped (-short or CERTLEDGER_SKIP_E2E)")
	}
}

// startStackWith starts the devnet and the gateway with o; they stop when the
// test ends (or earlier, on s.Close).
func startStackWith(t *testing.T, o gatewaytest.Options) *gatewaytest.Stack {
	t.Helper()
	skipUnlessE2E(t)
	s, err := gatewaytest.Start(t.TempDir(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("closing stack: %v", err)
		}
	})
	return s
}

type verifyResult struct {
	Verdict string `json:"verdict"`
	Steps   []struct {
		Step   int    `json:"step"`
		Name   string `json:"name"`
		Status string `json:"status"`
	} `json:"steps"`
}

// TestE2E drives the REST API against the devnet running the real chaincode:
// departments, issue, idempotent retry, verify, refusals, revoke, history, events.
func TestE2E(t *testing.T) {
	s := startStack(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := &http.Client{Timeout: 30 * time.Second}
	defer c.CloseIdleConnections()
	must := func(r *gatewaytest.Response, err error) *gatewaytest.Response {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	expect := func(what string, r *gatewaytest.Response, status int, code string) {
		t.Helper()
		if r.Status != status || (code != "" && r.Code() != code) {
			t.Fatalf("%s: %d %s, want %d %s", what, r.Status, r.Body, status, code)
		}
	}

	if r := must(s.Do(ctx, c, "GET", "/readyz", "", nil)); r.Status != 200 {
		t.Fatalf("readyz %d %s", r.Status, r.Body)
	}
	depts, err := s.Seed(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	a, b := depts["dept-a"], depts["dept-b"]
	expect("register again", must(s.Do(ctx, c, "POST", "/api/v1/departments", gatewaytest.GovAdmin, httpapi.DepartmentInput{
		ID: "dept-a", Name: "x", MSPID: "DeptAMSP", PublicKeys: []string{a.PubPEM}})), 409, "CONFLICT")
	expect("register by a department", must(s.Do(ctx, c, "POST", "/api/v1/departments", gatewaytest.AAdmin, httpapi.DepartmentInput{
		ID: "dept-z", Name: "x", MSPID: "DeptAMSP", PublicKeys: []string{a.PubPEM}})), 403, "FORBIDDEN")
	var dept struct {
		ID   string `json:"id"`
		Keys []struct {
			KeyID string `json:"keyId"`
		} `json:"keys"`
	}
	r := must(s.Do(ctx, c, "GET", "/api/v1/departments/dept-a", "", nil))
	if err := r.JSON(&dept); err != nil || dept.ID != "dept-a" || len(dept.Keys) != 1 || dept.Keys[0].KeyID != a.KeyID {
		t.Fatalf("department: %s", r.Body)
	}
	expect("get key", must(s.Do(ctx, c, "GET", "/api/v1/keys/"+a.KeyID, "", nil)), 200, "")

	// Issue, then retry the very same request: one certificate, same answer.
	now := time.Now().UTC().Truncate(time.Second)
	doc := []byte("business licence of ACME Ltd, 2026")
	rec, err := a.Certificate("c-1", doc, now.Add(-time.Hour), now.AddDate(5, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	first := must(s.Do(ctx, c, "POST", "/api/v1/certificates", gatewaytest.AClerk, rec))
	expect("issue", first, 201, "")
	var w1, w2 httpapi.WriteResult
	_ = first.JSON(&w1)
	if w1.TxID == "" || w1.BlockNumber == 0 {
		t.Fatalf("write result %s", first.Body)
	}
	again := must(s.Do(ctx, c, "POST", "/api/v1/certificates", gatewaytest.AClerk, rec))
	expect("idempotent retry", again, 200, "")
	_ = again.JSON(&w2)
	if w2.TxID != w1.TxID || w2.BlockNumber != w1.BlockNumber {
		t.Fatalf("retry gave %s/%d, first %s/%d", w2.TxID, w2.BlockNumber, w1.TxID, w1.BlockNumber)
	}
	other, _ := a.Certificate("c-1", []byte("another document"), now.Add(-time.Hour), now.AddDate(1, 0, 0))
	expect("same id, other record", must(s.Do(ctx, c, "POST", "/api/v1/certificates", gatewaytest.AClerk, other)), 409, "CONFLICT")

	// Refusals.
	expect("no token", must(s.Do(ctx, c, "POST", "/api/v1/certificates", "", rec)), 401, "UNAUTHENTICATED")
	recB, _ := a.Certificate("c-2", doc, now.Add(-time.Hour), now.AddDate(1, 0, 0))
	expect("wrong department token", must(s.Do(ctx, c, "POST", "/api/v1/certificates", gatewaytest.BClerk, recB)), 403, "FORBIDDEN")
	forged := recB
	forged.Signature, _ = signWith(b, forged) // dept-b's key, dept-a's record
	expect("signature by another department's key", must(s.Do(ctx, c, "POST", "/api/v1/certificates", gatewaytest.AClerk, forged)), 400, "")
	tampered := recB
	tampered.DocHash = gm.SM3Hex([]byte("tampered"))
	expect("tampered record", must(s.Do(ctx, c, "POST", "/api/v1/certificates", gatewaytest.AClerk, tampered)), 400, "BAD_SIGNATURE")

	// Verify: the genuine document, a one-byte change, by id.
	var vr verifyResult
	r = must(s.Do(ctx, c, "GET", "/api/v1/verify?id=c-1&hash="+gm.SM3Hex(doc), "", nil))
	if err := r.JSON(&vr); err != nil || vr.Verdict != "VALID" || len(vr.Steps) != 8 {
		t.Fatalf("verify genuine: %s", r.Body)
	}
	changed := append([]byte(nil), doc...)
	changed[0] ^= 1
	r = must(s.Do(ctx, c, "GET", "/api/v1/verify?hash="+gm.SM3Hex(changed), "", nil))
	if err := r.JSON(&vr); err != nil || vr.Verdict != "NOT_FOUND" {
		t.Fatalf("verify changed: %s", r.Body)
	}
	var found []map[string]any
	r = must(s.Do(ctx, c, "GET", "/api/v1/certificates?hash="+gm.SM3Hex(doc), "", nil))
	if err := r.JSON(&found); err != nil || len(found) != 1 || found[0]["id"] != "c-1" {
		t.Fatalf("find by hash: %s", r.Body)
	}

	// An expired certificate verifies as EXPIRED.
	old, _ := a.Certificate("c-old", []byte("old permit"), now.AddDate(-3, 0, 0), now.AddDate(-1, 0, 0))
	expect("issue expired", must(s.Do(ctx, c, "POST", "/api/v1/certificates", gatewaytest.AClerk, old)), 201, "")
	r = must(s.Do(ctx, c, "GET", "/api/v1/verify?id=c-old", "", nil))
	if err := r.JSON(&vr); err != nil || vr.Verdict != "EXPIRED" {
		t.Fatalf("verify expired: %s", r.Body)
	}

	// Revoke (by the issuer only), then verify says REVOKED.
	var cert struct {
		TxID string `json:"txId"`
	}
	_ = must(s.Do(ctx, c, "GET", "/api/v1/certificates/c-1", "", nil)).JSON(&cert)
	sr, _ := a.StatusRequest("c-1", "revoke", "licence withdrawn", cert.TxID)
	expect("revoke by other department", must(s.Do(ctx, c, "POST", "/api/v1/certificates/c-1/revoke", gatewaytest.BClerk, sr)), 403, "FORBIDDEN")
	expect("revoke", must(s.Do(ctx, c, "POST", "/api/v1/certificates/c-1/revoke", gatewaytest.AClerk, sr)), 200, "")
	// Issue 12 item 7: a retry of the same signed revoke (its answer lost) is
	// answered with the committed result; a different request on the same
	// prevTxId is still stale.
	revoked := must(s.Do(ctx, c, "GET", "/api/v1/certificates/c-1", "", nil))
	retry := must(s.Do(ctx, c, "POST", "/api/v1/certificates/c-1/revoke", gatewaytest.AClerk, sr))
	expect("retried revoke", retry, 200, "")
	var replay struct {
		TxID   string          `json:"txId"`
		Record json.RawMessage `json:"record"`
	}
	if retry.Header.Get("Idempotent-Replay") != "true" || retry.JSON(&replay) != nil || !strings.Contains(string(revoked.Body), `"txId":"`+replay.TxID+`"`) ||
		!strings.Contains(string(replay.Record), `"status":"revoked"`) {
		t.Fatalf("retried revoke: %v %s (stored %s)", retry.Header, retry.Body, revoked.Body)
	}
	stale, _ := a.StatusRequest("c-1", "revoke", "another reason", cert.TxID)
	expect("stale revoke", must(s.Do(ctx, c, "POST", "/api/v1/certificates/c-1/revoke", gatewaytest.AClerk, stale)), 409, "CONFLICT")
	r = must(s.Do(ctx, c, "GET", "/api/v1/verify?id=c-1", "", nil))
	if err := r.JSON(&vr); err != nil || vr.Verdict != "REVOKED" {
		t.Fatalf("verify revoked: %s", r.Body)
	}
	var hist []map[string]any
	r = must(s.Do(ctx, c, "GET", "/api/v1/certificates/c-1/history", gatewaytest.AAuditor, nil))
	if err := r.JSON(&hist); err != nil || len(hist) != 2 {
		t.Fatalf("history: %s", r.Body)
	}

	// Supersede c-old with c-new; a retry of the same request returns the original.
	repl, _ := a.Certificate("c-new", []byte("new permit"), now.Add(-time.Hour), now.AddDate(2, 0, 0))
	repl.Supersedes = "c-old"
	repl.Signature, _ = signWith(a, repl)
	sup := must(s.Do(ctx, c, "POST", "/api/v1/certificates/c-old/supersede", gatewaytest.AClerk, repl))
	expect("supersede", sup, 201, "")
	supAgain := must(s.Do(ctx, c, "POST", "/api/v1/certificates/c-old/supersede", gatewaytest.AClerk, repl))
	expect("supersede retry", supAgain, 200, "")
	var ws1, ws2 httpapi.WriteResult
	_, _ = sup.JSON(&ws1), supAgain.JSON(&ws2)
	if ws1.TxID != ws2.TxID {
		t.Fatalf("supersede retry tx %s, first %s", ws2.TxID, ws1.TxID)
	}
	r = must(s.Do(ctx, c, "GET", "/api/v1/verify?id=c-old", "", nil))
	if err := r.JSON(&vr); err != nil || vr.Verdict != "SUPERSEDED" {
		t.Fatalf("verify superseded: %s", r.Body)
	}

	// A revoked key can no longer issue.
	expect("revoke own key", must(s.Do(ctx, c, "POST", "/api/v1/departments/dept-a/keys/"+a.KeyID+"/revoke", gatewaytest.AAdmin,
		httpapi.RevokeKeyInput{Reason: "compromised"})), 200, "")
	late, _ := a.Certificate("c-late", []byte("late"), now, now.AddDate(1, 0, 0))
	r = must(s.Do(ctx, c, "POST", "/api/v1/certificates", gatewaytest.AClerk, late))
	if r.Status < 400 || r.Status >= 500 {
		t.Fatalf("issue with revoked key: %d %s", r.Status, r.Body)
	}

	// The event stream replays the ledger's events from block 0.
	events := readEvents(t, ctx, s, 4)
	if want := "RegistryInitialized DepartmentRegistered DepartmentRegistered CertificateIssued"; strings.Join(events, " ") != want {
		t.Fatalf("events %v, want %s", events, want)
	}

	// Metrics saw ledger calls.
	// (on the operations listener only; the public one answers 404).
	if r = must(s.Do(ctx, c, "GET", "/metrics", "", nil)); r.Status != 404 {
		t.Fatalf("public /metrics: %d", r.Status)
	}
	ops := httptest.NewRecorder()
	s.API.OperationsHandler().ServeHTTP(ops, httptest.NewRequest("GET", "/metrics", nil))
	if !strings.Contains(ops.Body.String(), `certledger_gateway_ledger_call_duration_seconds_count{fn="certificate:Issue",op="submit"}`) {
		t.Fatal("no ledger metrics")
	}
}

func readEvents(t *testing.T, ctx context.Context, s *gatewaytest.Stack, n int) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", s.URL+"/api/v1/events?fromBlock=0", nil)
	req.Header.Set("Authorization", "Bearer "+s.Tokens[gatewaytest.AAuditor])
	c := &http.Client{}
	defer c.CloseIdleConnections()
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = res.Body.Close() }()
	var names []string
	sc := bufio.NewScanner(res.Body)
	for len(names) < n && sc.Scan() {
		if name, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
			names = append(names, name)
		}
		if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok && !json.Valid([]byte(data)) {
			t.Fatalf("event data %q", data)
		}
	}
	if len(names) < n {
		t.Fatalf("got events %v (%v)", names, sc.Err())
	}
	return names
}

// TestEvaluateFallback points an organisation's main peer at a dead address: reads
// and writes go to the fallback peer.
func TestEvaluateFallback(t *testing.T) {
	s := startStack(t)
	p, err := profile.Load(s.Profiles["dept-a"])
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := testkit.DeadAddr(t)
	p.Fallbacks = []profile.Peer{p.Peer}
	p.Peer.Endpoint = deadAddr
	f, err := ledgerclient.Connect([]ledgerclient.Org{{Name: "dept-a", Profile: p}}, ledgerclient.Timeouts{Evaluate: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	res, err := f.Evaluate(context.Background(), "dept-a", "registry:GetGovernance")
	if err != nil || !strings.Contains(string(res), "GovMSP") {
		t.Fatalf("%s %v", res, err)
	}
	// Submits fail over too (issue 12 item 13): another peer's Gateway endorses
	// for the organisation's identity, and the commit is confirmed there.
	if _, err = f.Submit(context.Background(), "dept-a", "registry:GetGovernance"); err != nil {
		t.Fatalf("submit with the main peer dead: %v → %d", err, errmap.Map(err).Status)
	}
}

// TestE2EConcurrentRetries sends the same issue five times at once (a client
// retrying impatiently) and two conflicting status changes at once: MVCC conflicts
// are retried, the duplicates come back as the original, nothing is a 5xx.
func TestE2EConcurrentRetries(t *testing.T) {
	s := startStack(t)
	ctx, c, depts := seeded(t, s, time.Minute)
	a := depts["dept-a"]
	now := time.Now().UTC()
	rec, _ := a.Certificate("c-dup", []byte("dup"), now.Add(-time.Hour), now.AddDate(1, 0, 0))
	type answer struct {
		status int
		tx     string
		err    error
	}
	fire := func(n int, f func(i int) (*gatewaytest.Response, error)) []answer {
		out := make([]answer, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := f(i)
				if err != nil {
					out[i] = answer{err: err}
					return
				}
				var w httpapi.WriteResult
				_ = r.JSON(&w)
				out[i] = answer{status: r.Status, tx: w.TxID}
			}()
		}
		wg.Wait()
		return out
	}
	answers := fire(5, func(int) (*gatewaytest.Response, error) {
		return s.Do(ctx, c, "POST", "/api/v1/certificates", gatewaytest.AClerk, rec)
	})
	created := 0
	for _, a := range answers {
		if a.err != nil || (a.status != 201 && a.status != 200) || a.tx != answers[0].tx {
			t.Fatalf("duplicate issues: %+v", answers)
		}
		if a.status == 201 {
			created++
		}
	}
	if created != 1 {
		t.Fatalf("%d creations: %+v", created, answers)
	}

	var cert struct {
		TxID string `json:"txId"`
	}
	r, err := s.Do(ctx, c, "GET", "/api/v1/certificates/c-dup", "", nil)
	if err != nil || r.JSON(&cert) != nil {
		t.Fatal(err)
	}
	suspend, _ := a.StatusRequest("c-dup", "suspend", "audit", cert.TxID)
	revoke, _ := a.StatusRequest("c-dup", "revoke", "fraud", cert.TxID)
	answers = fire(2, func(i int) (*gatewaytest.Response, error) {
		if i == 0 {
			return s.Do(ctx, c, "POST", "/api/v1/certificates/c-dup/suspend", gatewaytest.AClerk, suspend)
		}
		return s.Do(ctx, c, "POST", "/api/v1/certificates/c-dup/revoke", gatewaytest.AClerk, revoke)
	})
	ok := 0
	for _, a := range answers {
		if a.err != nil || a.status >= 500 {
			t.Fatalf("conflicting status changes: %+v", answers)
		}
		if a.status == 200 {
			ok++
		}
	}
	if ok != 1 {
		t.Fatalf("both or neither status change succeeded: %+v", answers)
	}
}
