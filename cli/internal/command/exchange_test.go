package command

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/urfave/cli/v2"

	"github.com/certledger/certledger/gateway/gatewaytest"
	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/domain/exchange"
	"github.com/certledger/certledger/internal/gm"
)

// exchangeCommands are this file group's commands; exRun adds them to the
// application when commandGroups does not list them yet.
func exchangeCommands() []*cli.Command {
	return []*cli.Command{catalogCommand(), grantCommand(), exchangeCommand(),
		{Name: "audit", Usage: "audit reports", Subcommands: []*cli.Command{auditExchangesCommand()}}}
}

// exRun is Run with the exchange commands present.
func exRun(stdin string, args ...string) Result {
	var out, errb bytes.Buffer
	a := New(strings.NewReader(stdin), &out, &errb)
	for _, c := range exchangeCommands() {
		if findCommand(a.Commands, c.Name) == nil {
			addGlobalsToLeaves(c)
			a.Commands = append(a.Commands, c)
		}
	}
	err := a.RunContext(context.Background(), interspersed(a, append([]string{"certledger"}, args...)))
	if name, ok := a.Metadata[metaNotFound].(string); ok && err == nil {
		err = Usagef("no command %q (see --help)", name)
	}
	if msg := errorLine(err); msg != "" {
		fmt.Fprintf(&errb, "certledger: %s\n", msg)
	}
	return Result{Stdout: out.String(), Stderr: errb.String(), Code: ExitCode(err)}
}

// exWorld is the real gateway and chaincode (gatewaytest) with dept-a, dept-b and
// dept-c registered, their keys in files; tokens "tok-a", "tok-b", "tok-c" are their
// clerks', "tok-audit" an auditor's.
type exWorld struct {
	t       *testing.T
	gw      *gatewaytest.Server
	url     string // where the CLI sends its requests (the gateway, or a proxy before it)
	dir     string
	keyPath map[string]string // dept -> private key file
	keys    map[string]*sm2.PrivateKey
	tokens  map[string]string // short name -> bearer token
}

func newExWorld(t *testing.T) *exWorld {
	t.Helper()
	gw := gatewaytest.New(t)
	w := &exWorld{t: t, gw: gw, url: gw.URL, dir: t.TempDir(), keyPath: map[string]string{}, keys: map[string]*sm2.PrivateKey{},
		tokens: map[string]string{"tok-audit": gw.AuditorToken()}}
	for _, d := range []string{"dept-a", "dept-b", "dept-c"} {
		reg := gw.Department(t, gatewaytest.Dept{ID: d})
		w.keyPath[d], _, _ = writeKey(t, w.dir, d, reg)
		w.keys[d] = reg.Key
		w.tokens["tok-"+strings.TrimPrefix(d, "dept-")] = gw.Token(d, gatewaytest.Clerk)
	}
	return w
}

func (w *exWorld) run(token string, args ...string) Result {
	w.t.Helper()
	return exRun("", append([]string{"--gateway", w.url, "--token", w.tokens[token]}, args...)...)
}

// envelope reads an envelope from the gateway's store as the consumer.
func (w *exWorld) envelope(digest string) []byte {
	w.t.Helper()
	var raw json.RawMessage
	w.gw.Must(w.t, 200, &raw, "GET", "/api/v1/envelopes/"+digest, w.tokens["tok-b"], nil)
	return raw
}

func (w *exWorld) file(name, content string) string {
	p := filepath.Join(w.dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		w.t.Fatal(err)
	}
	return p
}

// lyingGateway puts a proxy before the gateway whose /api/v1/exchanges/verify answer
// keeps the gateway's verdict but passes alter over the record it returns; the CLI
// then talks to the proxy.
func (w *exWorld) lyingGateway(alter func(rec map[string]any)) {
	target, err := url.Parse(w.gw.URL)
	if err != nil {
		w.t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ModifyResponse = func(res *http.Response) error {
		if res.Request.URL.Path != "/api/v1/exchanges/verify" || res.StatusCode != 200 {
			return nil
		}
		var v map[string]any
		if err := json.NewDecoder(res.Body).Decode(&v); err != nil {
			return err
		}
		_ = res.Body.Close()
		if x, ok := v["exchange"].(map[string]any); ok {
			alter(x)
		}
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		res.Body = io.NopCloser(bytes.NewReader(b))
		res.ContentLength = int64(len(b))
		res.Header.Set("Content-Length", strconv.Itoa(len(b)))
		return nil
	}
	srv := httptest.NewServer(proxy)
	w.t.Cleanup(srv.Close)
	w.url = srv.URL
}

// TestExchangeCLI walks the whole flow through the CLI: catalogue, grant, send
// (payload sealed here as an SM2/SM4 envelope), refusals, receipt,
// verification, lists, audit.
func TestExchangeCLI(t *testing.T) {
	w := newExWorld(t)
	ka, kb, kc := w.keyPath["dept-a"], w.keyPath["dept-b"], w.keyPath["dept-c"]
	payload := w.file("extract.json", `{"income":12000}`+"\n")
	other := w.file("other.json", `{"name":"Li Si","income":9000}`)

	r := w.run("tok-a", "catalog", "add", "--dept", "dept-a", "--id", "tax-record", "--fields", "taxId, name,income,address")
	wantCode(t, r, 0)
	r = w.run("tok-b", "catalog", "list", "--provider", "dept-a", "-o", "json")
	wantCode(t, r, 0)
	if !strings.Contains(r.Stdout, `"address"`) {
		t.Fatalf("catalog list: %s", r.Stdout)
	}
	wantCode(t, w.run("tok-b", "catalog", "show", "dept-a", "tax-record"), 0)

	r = w.run("tok-a", "grant", "create", "--id", "g-1", "--consumer", "dept-b", "--item", "tax-record",
		"--fields", "name,income", "--purpose", "subsidy eligibility", "--legal-basis", "Reg. 12/2025",
		"--valid-from", "2020-01-01", "--valid-until", "2099-12-31", "--key", ka)
	wantCode(t, r, 0)
	if !strings.Contains(r.Stdout, "granted g-1 to dept-b") {
		t.Fatalf("grant create: %s", r.Stdout)
	}
	// A grant wider than the item is refused.
	r = w.run("tok-a", "grant", "create", "--consumer", "dept-b", "--item", "tax-record", "--fields", "medical",
		"--purpose", "p", "--legal-basis", "l", "--valid-until", "2099-12-31", "--key", ka)
	wantCode(t, r, ExitInvalid)

	r = w.run("tok-a", "exchange", "send", "--grant", "g-1", "--file", payload, "--fields", "income", "--id", "x-1", "--key", ka, "-o", "json")
	wantCode(t, r, 0)
	var sent sendOutcome
	if err := json.Unmarshal([]byte(r.Stdout), &sent); err != nil || !sent.Stored || sent.Record.EnvelopeHash != sent.EnvelopeHash {
		t.Fatalf("send: %v %s", err, r.Stdout)
	}
	// The ledger has the salted digest, not the plain SM3 of the payload.
	if plain, _, _ := gm.SM3File(payload); sent.Record.PayloadHash == plain || strings.Contains(r.Stdout, plain) {
		t.Fatalf("send recorded the plain payload SM3: %s", r.Stdout)
	}
	// The payload must hold only declared fields.
	r = w.run("tok-a", "exchange", "send", "--grant", "g-1", "--file", other, "--fields", "income", "--key", ka)
	wantCode(t, r, ExitUsage)
	// Refusals: a field outside the grant, a key of another department.
	r = w.run("tok-a", "exchange", "send", "--grant", "g-1", "--file", payload, "--fields", "income,taxId", "--key", ka)
	wantCode(t, r, ExitInvalid)
	oneLine(t, r, "FORBIDDEN")
	r = w.run("tok-a", "exchange", "send", "--grant", "g-1", "--file", payload, "--fields", "income", "--key", kc)
	wantCode(t, r, ExitInvalid)

	// Verify before the acknowledgement: NOT_ACKNOWLEDGED, exit 1.
	r = w.run("tok-b", "exchange", "verify", "--id", "x-1")
	wantCode(t, r, ExitInvalid)
	t.Logf("exchange verify (table):\n%s", r.Stdout)
	if !strings.Contains(r.Stdout, "verdict: NOT_ACKNOWLEDGED") {
		t.Fatalf("verify before ack: %s", r.Stdout)
	}
	// A third department can neither fetch the envelope nor open it.
	r = w.run("tok-c", "exchange", "ack", "x-1", "--key", kc)
	wantCode(t, r, ExitInvalid)
	envFile := filepath.Join(w.dir, "x-1.env")
	if err := os.WriteFile(envFile, w.envelope(sent.EnvelopeHash), 0o600); err != nil {
		t.Fatal(err)
	}
	// Nor does a key other than the one it was sealed for open it.
	r = w.run("tok-b", "exchange", "ack", "x-1", "--envelope", envFile, "--key", kc)
	wantCode(t, r, ExitInvalid)
	oneLine(t, r, "does not open")
	// The consumer opens it, writes the payload out and signs the receipt.
	got := filepath.Join(w.dir, "received.json")
	r = w.run("tok-b", "exchange", "ack", "x-1", "--out", got, "--key", kb, "-o", "json")
	wantCode(t, r, 0)
	var acked answerOutcome
	if err := json.Unmarshal([]byte(r.Stdout), &acked); err != nil || acked.Record.Status != exchange.StatusAcknowledged ||
		strings.Join(acked.Received, ",") != "income" || len(acked.Salt) != 64 {
		t.Fatalf("ack: %v %s", err, r.Stdout)
	}
	if b, _ := os.ReadFile(got); string(b) != `{"income":12000}`+"\n" {
		t.Fatalf("payload written: %q", b)
	}
	h := sent.Record.PayloadHash
	// Only once.
	wantCode(t, w.run("tok-b", "exchange", "reject", "x-1", "--reason", "late", "--key", kb), ExitInvalid)

	for _, args := range [][]string{{"--file", payload, "--salt", acked.Salt}, {"--id", "x-1"}, {"--hash", h}, {payload, "--salt", acked.Salt}} {
		r = w.run("tok-b", append([]string{"exchange", "verify"}, args...)...)
		wantCode(t, r, 0)
		if !strings.Contains(r.Stdout, "verdict: VALID") || !strings.Contains(r.Stdout, "signatures checked locally with the registered keys of dept-a, dept-b: VALID (agrees") {
			t.Fatalf("verify %v: %s", args, r.Stdout)
		}
	}
	wantCode(t, w.run("tok-b", "exchange", "verify", "--hash", gm.SM3Hex([]byte("nothing"))), ExitInvalid)
	// The plain SM3 of the file finds nothing: the ledger has the salted digest.
	r = w.run("tok-b", "exchange", "verify", "--file", payload)
	wantCode(t, r, ExitInvalid)
	if !strings.Contains(r.Stdout, "verdict: NOT_FOUND") || !strings.Contains(r.Stdout, "give --salt") {
		t.Fatalf("verify without the salt: %s", r.Stdout)
	}
	wantCode(t, w.run("tok-b", "exchange", "verify"), ExitUsage)

	// A second exchange, rejected; its reason stays here (only its SM3 is recorded).
	wantCode(t, w.run("tok-a", "exchange", "send", "--grant", "g-1", "--file", other, "--fields", "income,name", "--id", "x-2",
		"--certificates", "", "--envelope-out", filepath.Join(w.dir, "x-2.env"), "--key", ka), 0)
	r = w.run("tok-b", "exchange", "reject", "x-2", "--reason", "wrong person", "--envelope", filepath.Join(w.dir, "x-2.env"), "--key", kb)
	wantCode(t, r, 0)
	r = w.run("tok-b", "exchange", "show", "x-2", "-o", "json")
	if strings.Contains(r.Stdout, "wrong person") || !strings.Contains(r.Stdout, gm.SM3Hex([]byte("wrong person"))) {
		t.Fatalf("reason in clear on the ledger: %s", r.Stdout)
	}

	// Lists: one page and a bookmark hint, or --all.
	r = w.run("tok-b", "exchange", "list", "--consumer", "dept-b", "--page-size", "1")
	wantCode(t, r, 0)
	if !strings.Contains(r.Stderr, "--bookmark ") {
		t.Fatalf("list without --all: stderr %q", r.Stderr)
	}
	r = w.run("tok-b", "exchange", "list", "--consumer", "dept-b", "--page-size", "1", "--all", "--from", "2000-01-01", "--to", "2099-12-31", "-o", "json")
	wantCode(t, r, 0)
	var list []exchange.Exchange
	if err := json.Unmarshal([]byte(r.Stdout), &list); err != nil || len(list) != 2 {
		t.Fatalf("list --all: %v %s", err, r.Stdout)
	}
	wantCode(t, w.run("tok-b", "exchange", "show", "x-2"), 0)
	r = w.run("tok-b", "grant", "list", "--consumer", "dept-b")
	wantCode(t, r, 0)
	if !strings.Contains(r.Stdout, "g-1") || !strings.Contains(r.Stdout, "active") {
		t.Fatalf("grant list: %s", r.Stdout)
	}

	// Revoke; then sending is refused.
	wantCode(t, w.run("tok-b", "grant", "revoke", "g-1", "--reason", "x", "--key", kb), ExitInvalid)
	wantCode(t, w.run("tok-a", "grant", "revoke", "g-1", "--reason", "purpose fulfilled", "--key", ka), 0)
	r = w.run("tok-a", "grant", "show", "g-1")
	wantCode(t, r, 0)
	if !strings.Contains(r.Stdout, "revoked") {
		t.Fatalf("grant show: %s", r.Stdout)
	}
	r = w.run("tok-a", "exchange", "send", "--grant", "g-1", "--file", payload, "--fields", "income", "--key", ka)
	wantCode(t, r, ExitInvalid)
	oneLine(t, r, "grant revoked")

	// Audit: ledger side plus the refusals from the gateway's access log.
	logPath := filepath.Join(w.dir, "gateway.log")
	if err := os.WriteFile(logPath, []byte("not json\n"+`{"msg":"startup"}`+"\n"+w.gw.Logs()), 0o644); err != nil {
		t.Fatal(err)
	}
	r = w.run("tok-audit", "audit", "exchanges", "--dept", "dept-a", "--from", "2000-01-01", "--to", "2099-12-31", "--access-log", logPath, "-o", "json")
	wantCode(t, r, 0)
	var rep ExchangeAuditReport
	if err := json.Unmarshal([]byte(r.Stdout), &rep); err != nil {
		t.Fatalf("audit json: %v\n%s", err, r.Stdout)
	}
	if rep.Summary.Sent != 2 || rep.Summary.Acknowledged != 1 || rep.Summary.Rejected != 1 || rep.Summary.TotalGrants != 1 {
		t.Errorf("audit summary %+v", rep.Summary)
	}
	// dept-a's refused grant (400) and sends (403), and the refused second answer to
	// its exchange x-1 (409, made by dept-b: the line names both parties).
	if rep.Summary.Refused != 5 || rep.Summary.RefusedByCode["FORBIDDEN"] != 3 || rep.Summary.RefusedByCode["INVALID_ARGUMENT"] != 1 || rep.Summary.RefusedByCode["CONFLICT"] != 1 {
		t.Errorf("audit refusals %+v: %+v", rep.Summary, rep.Refused)
	}
	// The consumer's audit shows the refused answer aimed at it.
	r = w.run("tok-audit", "audit", "exchanges", "--dept", "dept-b", "--from", "2000-01-01", "--to", "2099-12-31", "--access-log", logPath, "-o", "json")
	wantCode(t, r, 0)
	rep = ExchangeAuditReport{}
	if err := json.Unmarshal([]byte(r.Stdout), &rep); err != nil || rep.Summary.RefusedByCode["CONFLICT"] != 1 || rep.Summary.Received != 2 {
		t.Errorf("dept-b audit: %v %+v", err, rep.Summary)
	}
	r = w.run("tok-audit", "audit", "exchanges", "--dept", "dept-a", "--from", "2000-01-01", "--to", "2099-12-31")
	wantCode(t, r, 0)
	t.Logf("audit exchanges (table):\n%s", r.Stdout)
	if !strings.Contains(r.Stdout, "not read (give --access-log") {
		t.Errorf("audit without a log: %s", r.Stdout)
	}
	wantCode(t, w.run("tok-audit", "audit", "exchanges", "--dept", "dept-a", "--from", "2000-01-01", "--to", "2099-12-31", "--access-log", filepath.Join(w.dir, "none.log")), ExitUsage)
	wantCode(t, w.run("tok-audit", "audit", "exchanges", "--dept", "dept-a", "--from", "yesterday", "--to", "2099-12-31"), ExitUsage)
}

// TestExchangeVerifyChecksSignaturesLocally: a gateway that claims VALID for an
// exchange whose signature is wrong is caught by the CLI's own check (exit 1).
func TestExchangeVerifyChecksSignaturesLocally(t *testing.T) {
	w := newExWorld(t)
	ka, kb := w.keyPath["dept-a"], w.keyPath["dept-b"]
	payload := w.file("extract.json", `{"name":"Zhang San","income":12000}`)
	wantCode(t, w.run("tok-a", "catalog", "add", "--dept", "dept-a", "--id", "tax-record", "--fields", "name,income"), 0)
	wantCode(t, w.run("tok-a", "grant", "create", "--id", "g-1", "--consumer", "dept-b", "--item", "tax-record",
		"--fields", "name,income", "--purpose", "p", "--legal-basis", "l",
		"--valid-from", "2020-01-01", "--valid-until", "2099-12-31", "--key", ka), 0)
	wantCode(t, w.run("tok-a", "exchange", "send", "--grant", "g-1", "--file", payload, "--fields", "income,name", "--id", "x-1", "--key", ka), 0)
	wantCode(t, w.run("tok-b", "exchange", "ack", "x-1", "--key", kb), 0)
	wantCode(t, w.run("tok-b", "exchange", "verify", "--id", "x-1"), 0)

	// The gateway now returns the exchange with a signature over another payload hash,
	// and still answers VALID.
	var e exchange.Exchange
	w.gw.Must(t, 200, &e, "GET", "/api/v1/exchanges/x-1", w.tokens["tok-b"], nil)
	forged := e.SendRequest
	forged.PayloadHash = strings.Repeat("0", 64)
	kind, rec := forged.SignedForm()
	sig, err := canon.Sign(w.keys["dept-a"], kind, rec)
	if err != nil {
		t.Fatal(err)
	}
	w.lyingGateway(func(rec map[string]any) { rec["signature"] = sig })

	r := w.run("tok-b", "exchange", "verify", "--id", "x-1")
	wantCode(t, r, ExitInvalid)
	t.Logf("verify through a lying gateway:\n%s", r.Stdout)
	if !strings.Contains(r.Stdout, "verdict: VALID") || !strings.Contains(r.Stdout, "LOCAL CHECK DISAGREES WITH THE GATEWAY") ||
		!strings.Contains(r.Stdout, "exchange-signature") || !strings.Contains(r.Stdout, "BAD_SIGNATURE") {
		t.Fatalf("stdout:\n%s", r.Stdout)
	}
	if !strings.Contains(r.Stderr, "differs from the local signature check: BAD_SIGNATURE") {
		t.Errorf("stderr: %q", r.Stderr)
	}
	r = w.run("tok-b", "exchange", "verify", "--id", "x-1", "-o", "json")
	wantCode(t, r, ExitInvalid)
	var rep struct {
		Verdict    string `json:"verdict"`
		LocalCheck struct {
			Verdict string `json:"verdict"`
			Agrees  bool   `json:"agrees"`
		} `json:"localCheck"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &rep); err != nil || rep.Verdict != "VALID" || rep.LocalCheck.Verdict != "BAD_SIGNATURE" || rep.LocalCheck.Agrees {
		t.Fatalf("json: %v %s", err, r.Stdout)
	}
}

// TestExchangeAuditRefusalsAsProvider: a refused send made by another department in
// dept-a's name (record "... provider/dept-a") is among dept-a's refused attempts; a
// department whose id only starts with dept-a is not matched.
func TestExchangeAuditRefusalsAsProvider(t *testing.T) {
	dir := t.TempDir()
	line := func(dept, record, code string) string {
		b, _ := json.Marshal(map[string]any{"time": "2026-11-28T10:00:00Z", "level": "INFO", "msg": "access",
			"route": "POST /api/v1/exchanges", "status": 403, "who": "tok", "department": dept, "record": record, "code": code})
		return string(b)
	}
	lines := []string{
		line("dept-c", "exchange/x-1 grant/g-1 consumer/dept-b provider/dept-a", "FORBIDDEN"),     // in dept-a's name
		line("dept-c", "exchange/x-2 grant/g-1 consumer/dept-a provider/dept-c", "FORBIDDEN"),     // to dept-a
		line("dept-c", "exchange/x-3 grant/g-2 consumer/dept-b provider/dept-a2", "FORBIDDEN"),    // another department
		line("dept-a", "exchange/x-4 grant/g-1 consumer/dept-b provider/dept-a", "BAD_SIGNATURE"), // by dept-a
	}
	path := filepath.Join(dir, "gateway.log")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := exReadRefusals(path, "dept-a", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	var recs []string
	for _, r := range got {
		recs = append(recs, strings.Fields(r.Record)[0])
	}
	if strings.Join(recs, ",") != "exchange/x-1,exchange/x-2,exchange/x-4" {
		t.Errorf("refusals of dept-a: %v", recs)
	}
}

func TestExchangeCLIUsage(t *testing.T) {
	w := newExWorld(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"exchange", "send", "--grant", "g", "--fields", "a", "--key", "k"}, "--file"},
		{[]string{"exchange", "send", "--grant", "g", "--file", "f", "--fields", "b,1x", "--key", w.keyPath["dept-a"]}, "--fields"},
		{[]string{"grant", "create", "--consumer", "b", "--item", "i", "--fields", "a", "--purpose", "p", "--legal-basis", "l", "--valid-until", "soon", "--key", w.keyPath["dept-a"]}, "--valid-until"},
		{[]string{"catalog", "add", "--dept", "dept-a", "--id", "x", "--fields", " , "}, "--fields"},
		{[]string{"exchange", "verify", "--hash", "abc"}, "--hash"},
		{[]string{"exchange", "list", "--consumer", "dept-b", "--page-size", "0"}, "--page-size"},
	} {
		r := w.run("tok-a", c.args...)
		if r.Code != ExitUsage || !strings.Contains(r.Stderr, c.want) {
			t.Errorf("%v: exit %d stderr %q, want 2 mentioning %s", c.args, r.Code, r.Stderr, c.want)
		}
	}
}
