package command

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/urfave/cli/v2"

	"github.com/certledger/certledger/cli/internal/fakegw"
	"github.com/certledger/certledger/cli/internal/keyfile"
	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/domain/exchange"
	"github.com/certledger/certledger/internal/domain/wire"
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

// exWorld is a fake gateway whose exchange routes run the exchange domain rules
// with real SM2 verification against the departments' registered keys.
type exWorld struct {
	t       *testing.T
	gw      *fakegw.Gateway
	dir     string
	keyPath map[string]string // dept -> private key file
	keys    map[string]*sm2.PrivateKey
	tokens  map[string]string // token -> dept ("auditor" token: role auditor of gov)

	mu     sync.Mutex
	now    time.Time
	tx     int
	items  map[string]exchange.CatalogItem
	grants map[string]exchange.Grant
	exchs  map[string]exchange.Exchange
	refuse []string // access-log lines of refused writes
	lie    bool     // the verify route claims VALID whatever the records say
}

func newExWorld(t *testing.T) *exWorld {
	t.Helper()
	w := &exWorld{t: t, gw: fakegw.New(), dir: t.TempDir(), keyPath: map[string]string{}, keys: map[string]*sm2.PrivateKey{},
		tokens: map[string]string{"tok-a": "dept-a", "tok-b": "dept-b", "tok-c": "dept-c", "tok-audit": "auditor"},
		now:    time.Now().UTC(), items: map[string]exchange.CatalogItem{}, grants: map[string]exchange.Grant{}, exchs: map[string]exchange.Exchange{}}
	t.Cleanup(w.gw.Close)
	for _, d := range []string{"dept-a", "dept-b", "dept-c"} {
		k, err := gm.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		priv, _ := gm.MarshalPrivateKeyPEM(k, nil)
		pubPEM, _, _ := keyfile.PublicPEM(&k.PublicKey)
		w.keyPath[d] = filepath.Join(w.dir, d+".pem")
		if err := os.WriteFile(w.keyPath[d], priv, 0o600); err != nil {
			t.Fatal(err)
		}
		w.keys[d] = k
		if err := w.gw.AddDepartment(d, strings.ToUpper(d)+"MSP", pubPEM); err != nil {
			t.Fatal(err)
		}
	}
	w.routes()
	return w
}

func (w *exWorld) run(token string, args ...string) Result {
	w.t.Helper()
	return exRun("", append([]string{"--gateway", w.gw.URL, "--token", token}, args...)...)
}

func (w *exWorld) file(name, content string) string {
	p := filepath.Join(w.dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		w.t.Fatal(err)
	}
	return p
}

// VerifySigned checks a signature with the department's registered key.
func (w *exWorld) VerifySigned(kind canon.Kind, dept, keyID string, _ time.Time, record any, sig string) error {
	k, ok := w.keys[dept]
	if !ok || gm.KeyID(&k.PublicKey) != keyID {
		return fmt.Errorf("%w: key %s is not a key of %s", exchange.ErrKeyInvalid, keyID, dept)
	}
	if err := canon.Verify(&k.PublicKey, kind, record, sig); err != nil {
		return fmt.Errorf("%w: %w", exchange.ErrBadSignature, err)
	}
	return nil
}

func (w *exWorld) fail(rw http.ResponseWriter, r *http.Request, dept, route string, err error) {
	status, code := 500, "INTERNAL"
	for _, m := range []struct {
		s      error
		status int
		code   string
	}{{exchange.ErrBadSignature, 400, "BAD_SIGNATURE"}, {exchange.ErrKeyInvalid, 403, "FORBIDDEN"}, {exchange.ErrForbidden, 403, "FORBIDDEN"},
		{exchange.ErrConflict, 409, "CONFLICT"}, {exchange.ErrInvalid, 400, "INVALID_ARGUMENT"}} {
		if errors.Is(err, m.s) {
			status, code = m.status, m.code
			break
		}
	}
	w.fail2(rw, r, dept, route, status, code, err.Error())
}

func (w *exWorld) fail2(rw http.ResponseWriter, r *http.Request, dept, route string, status int, code, msg string) {
	if r.Method == "POST" {
		line, _ := json.Marshal(map[string]any{"time": w.now.Format(time.RFC3339Nano), "level": "INFO", "msg": "access",
			"route": route, "status": status, "who": "tok", "department": dept, "record": r.URL.Path, "code": code})
		w.refuse = append(w.refuse, string(line))
	}
	fakegw.WriteError(rw, status, code, "%s", msg)
}

func (w *exWorld) nextTx() string {
	w.tx++
	w.now = w.now.Add(time.Second)
	return fmt.Sprintf("tx%04d", w.tx)
}

func (w *exWorld) routes() {
	h := func(pattern string, fn func(rw http.ResponseWriter, r *http.Request, dept string)) {
		route := pattern
		w.gw.Handle(pattern, func(rw http.ResponseWriter, r *http.Request) {
			w.mu.Lock()
			defer w.mu.Unlock()
			dept, ok := w.tokens[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
			if !ok {
				fakegw.WriteError(rw, 401, "UNAUTHENTICATED", "token")
				return
			}
			_ = route
			fn(rw, r, dept)
		})
	}
	decode := func(r *http.Request, v any) error {
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		return dec.Decode(v)
	}
	write := func(rw http.ResponseWriter, status int, tx string, rec any) {
		fakegw.WriteJSON(rw, status, map[string]any{"txId": tx, "blockNumber": w.tx, "record": rec})
	}
	view := func(g exchange.Grant) map[string]any {
		b, _ := json.Marshal(g)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		m["effectiveStatus"] = g.EffectiveStatus(w.now)
		return m
	}
	h("POST /api/v1/catalog", func(rw http.ResponseWriter, r *http.Request, dept string) {
		var in exchange.CatalogInput
		if err := decode(r, &in); err != nil {
			fakegw.WriteError(rw, 400, "INVALID_ARGUMENT", "%v", err)
			return
		}
		if in.Provider != dept {
			w.fail2(rw, r, dept, "POST /api/v1/catalog", 403, "FORBIDDEN", "not your department")
			return
		}
		tx := w.nextTx()
		item, err := exchange.NewCatalogItem(in, w.now, tx)
		if err != nil {
			w.fail(rw, r, dept, "POST /api/v1/catalog", err)
			return
		}
		w.items[item.Provider+"/"+item.ID] = item
		write(rw, 201, tx, item)
	})
	h("GET /api/v1/catalog", func(rw http.ResponseWriter, r *http.Request, _ string) {
		out := []exchange.CatalogItem{}
		for _, it := range w.items {
			if p := r.URL.Query().Get("provider"); p == "" || it.Provider == p {
				out = append(out, it)
			}
		}
		fakegw.WriteJSON(rw, 200, out)
	})
	h("GET /api/v1/catalog/{provider}/{item}", func(rw http.ResponseWriter, r *http.Request, _ string) {
		it, ok := w.items[r.PathValue("provider")+"/"+r.PathValue("item")]
		if !ok {
			fakegw.WriteError(rw, 404, "NOT_FOUND", "item")
			return
		}
		fakegw.WriteJSON(rw, 200, it)
	})
	h("POST /api/v1/grants", func(rw http.ResponseWriter, r *http.Request, dept string) {
		var req exchange.GrantRequest
		if err := decode(r, &req); err != nil {
			fakegw.WriteError(rw, 400, "INVALID_ARGUMENT", "%v", err)
			return
		}
		if req.Provider != dept {
			w.fail2(rw, r, dept, "POST /api/v1/grants", 403, "FORBIDDEN", "not your department")
			return
		}
		item, ok := w.items[req.Provider+"/"+req.Item]
		if !ok {
			w.fail2(rw, r, dept, "POST /api/v1/grants", 404, "NOT_FOUND", "item "+req.Item)
			return
		}
		tx := w.nextTx()
		g, err := exchange.NewGrant(req, item, w.now, tx, w)
		if err != nil {
			w.fail(rw, r, dept, "POST /api/v1/grants", err)
			return
		}
		w.grants[g.ID] = g
		write(rw, 201, tx, g)
	})
	h("GET /api/v1/grants/{id}", func(rw http.ResponseWriter, r *http.Request, _ string) {
		g, ok := w.grants[r.PathValue("id")]
		if !ok {
			fakegw.WriteError(rw, 404, "NOT_FOUND", "grant")
			return
		}
		fakegw.WriteJSON(rw, 200, view(g))
	})
	h("GET /api/v1/grants", func(rw http.ResponseWriter, r *http.Request, _ string) {
		q := r.URL.Query()
		recs := []map[string]any{}
		var ids []string
		for id := range w.grants {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			g := w.grants[id]
			if (q.Get("provider") == "" || g.Provider == q.Get("provider")) && (q.Get("consumer") == "" || g.Consumer == q.Get("consumer")) {
				recs = append(recs, view(g))
			}
		}
		fakegw.WriteJSON(rw, 200, map[string]any{"records": recs, "count": len(recs), "bookmark": ""})
	})
	h("POST /api/v1/grants/{id}/revoke", func(rw http.ResponseWriter, r *http.Request, dept string) {
		var rev exchange.Revocation
		if err := decode(r, &rev); err != nil {
			fakegw.WriteError(rw, 400, "INVALID_ARGUMENT", "%v", err)
			return
		}
		g, ok := w.grants[r.PathValue("id")]
		if !ok || g.Provider != dept {
			w.fail2(rw, r, dept, "POST /api/v1/grants/{id}/revoke", 403, "FORBIDDEN", "not the provider")
			return
		}
		tx := w.nextTx()
		g, err := g.Revoke(rev, w.now, tx, w)
		if err != nil {
			w.fail(rw, r, dept, "POST /api/v1/grants/{id}/revoke", err)
			return
		}
		w.grants[g.ID] = g
		write(rw, 200, tx, g)
	})
	h("POST /api/v1/exchanges", func(rw http.ResponseWriter, r *http.Request, dept string) {
		const route = "POST /api/v1/exchanges"
		var req exchange.SendRequest
		if err := decode(r, &req); err != nil {
			fakegw.WriteError(rw, 400, "INVALID_ARGUMENT", "%v", err)
			return
		}
		if req.Provider != dept {
			w.fail2(rw, r, dept, route, 403, "FORBIDDEN", "not your department")
			return
		}
		g, ok := w.grants[req.GrantID]
		if !ok {
			w.fail2(rw, r, dept, route, 404, "NOT_FOUND", "grant")
			return
		}
		tx := w.nextTx()
		e, err := exchange.NewExchange(req, g, w.now, tx, w)
		if err != nil {
			w.fail(rw, r, dept, route, err)
			return
		}
		w.exchs[e.ID] = e
		write(rw, 201, tx, e)
	})
	h("GET /api/v1/exchanges/{id}", func(rw http.ResponseWriter, r *http.Request, _ string) {
		e, ok := w.exchs[r.PathValue("id")]
		if !ok {
			fakegw.WriteError(rw, 404, "NOT_FOUND", "exchange")
			return
		}
		fakegw.WriteJSON(rw, 200, e)
	})
	h("POST /api/v1/exchanges/{id}/{decision}", func(rw http.ResponseWriter, r *http.Request, dept string) {
		route := "POST /api/v1/exchanges/{id}/" + r.PathValue("decision")
		var a exchange.Ack
		if err := decode(r, &a); err != nil {
			fakegw.WriteError(rw, 400, "INVALID_ARGUMENT", "%v", err)
			return
		}
		e, ok := w.exchs[r.PathValue("id")]
		if !ok {
			fakegw.WriteError(rw, 404, "NOT_FOUND", "exchange")
			return
		}
		if e.Consumer != dept || a.Decision != r.PathValue("decision") {
			w.fail2(rw, r, dept, route, 403, "FORBIDDEN", "not the consumer")
			return
		}
		tx := w.nextTx()
		e, err := e.Answer(a, w.now, tx, w)
		if err != nil {
			w.fail(rw, r, dept, route, err)
			return
		}
		w.exchs[e.ID] = e
		write(rw, 200, tx, e)
	})
	h("GET /api/v1/exchanges", func(rw http.ResponseWriter, r *http.Request, _ string) {
		q := r.URL.Query()
		recs := []exchange.Exchange{}
		for _, e := range w.exchs {
			if (q.Get("grantId") == "" || e.GrantID == q.Get("grantId")) && (q.Get("provider") == "" || e.Provider == q.Get("provider")) &&
				(q.Get("consumer") == "" || e.Consumer == q.Get("consumer")) && (q.Get("status") == "" || e.Status == q.Get("status")) {
				recs = append(recs, e)
			}
		}
		sort.Slice(recs, func(i, j int) bool { return recs[i].SentAt < recs[j].SentAt })
		// Two pages when more than one record, to exercise --all and bookmarks.
		start := 0
		if q.Get("bookmark") == "p2" {
			start = 1
		}
		end, next := len(recs), ""
		if start == 0 && len(recs) > 1 {
			end, next = 1, "p2"
		}
		fakegw.WriteJSON(rw, 200, map[string]any{"records": recs[start:end], "count": end - start, "bookmark": next})
	})
	h("GET /api/v1/exchanges/verify", func(rw http.ResponseWriter, r *http.Request, _ string) {
		q := exchange.Query{ID: r.URL.Query().Get("id"), PayloadHash: r.URL.Query().Get("hash")}
		for _, e := range w.exchs {
			if e.ID == q.ID || (q.ID == "" && e.PayloadHash == q.PayloadHash) {
				g := w.grants[e.GrantID]
				res := exchange.Verify(q, &e, &g, w.now, w)
				if w.lie {
					res.Verdict = wire.VerdictValid
					for i := range res.Steps {
						res.Steps[i].Status, res.Steps[i].Code = wire.StepPass, ""
					}
				}
				fakegw.WriteJSON(rw, 200, res)
				return
			}
		}
		fakegw.WriteJSON(rw, 200, exchange.Verify(q, nil, nil, w.now, w))
	})
}

// TestExchangeCLI walks the whole flow through the CLI: catalogue, grant, send
// (payload hashed here), refusals, acknowledgement, verification, lists, audit.
func TestExchangeCLI(t *testing.T) {
	w := newExWorld(t)
	ka, kb, kc := w.keyPath["dept-a"], w.keyPath["dept-b"], w.keyPath["dept-c"]
	payload := w.file("extract.csv", "name,income\nZhang San,12000\n")
	other := w.file("other.csv", "name,income\nLi Si,9000\n")

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
	h, _, _ := gm.SM3File(payload)
	if !strings.Contains(r.Stdout, h) {
		t.Fatalf("send did not record the payload SM3 %s: %s", h, r.Stdout)
	}
	// Refusals: a field outside the grant, a key of another department.
	r = w.run("tok-a", "exchange", "send", "--grant", "g-1", "--file", payload, "--fields", "income,taxId", "--key", ka)
	wantCode(t, r, ExitInvalid)
	oneLine(t, r, "FORBIDDEN")
	r = w.run("tok-a", "exchange", "send", "--grant", "g-1", "--file", payload, "--fields", "income", "--key", kc)
	wantCode(t, r, ExitInvalid)

	// Verify before the acknowledgement: NOT_ACKNOWLEDGED, exit 1.
	r = w.run("tok-b", "exchange", "verify", "--file", payload)
	wantCode(t, r, ExitInvalid)
	t.Logf("exchange verify (table):\n%s", r.Stdout)
	if !strings.Contains(r.Stdout, "verdict: NOT_ACKNOWLEDGED") || !strings.Contains(r.Stdout, "SM3 of "+payload) {
		t.Fatalf("verify before ack: %s", r.Stdout)
	}
	// The consumer checks the payload it received: the wrong file is not acknowledged.
	r = w.run("tok-b", "exchange", "ack", "x-1", "--file", other, "--key", kb)
	wantCode(t, r, ExitInvalid)
	oneLine(t, r, "not the recorded")
	// A third department cannot acknowledge.
	r = w.run("tok-c", "exchange", "ack", "x-1", "--key", kc)
	wantCode(t, r, ExitInvalid)
	r = w.run("tok-b", "exchange", "ack", "x-1", "--file", payload, "--key", kb)
	wantCode(t, r, 0)
	if !strings.Contains(r.Stdout, "acknowledged") {
		t.Fatalf("ack: %s", r.Stdout)
	}
	// Only once.
	wantCode(t, w.run("tok-b", "exchange", "reject", "x-1", "--reason", "late", "--key", kb), ExitInvalid)

	for _, args := range [][]string{{"--file", payload}, {"--id", "x-1"}, {"--hash", h}, {payload}} {
		r = w.run("tok-b", append([]string{"exchange", "verify"}, args...)...)
		wantCode(t, r, 0)
		if !strings.Contains(r.Stdout, "verdict: VALID") || !strings.Contains(r.Stdout, "signatures checked locally with the registered keys of dept-a, dept-b: VALID (agrees") {
			t.Fatalf("verify %v: %s", args, r.Stdout)
		}
	}
	wantCode(t, w.run("tok-b", "exchange", "verify", "--hash", gm.SM3Hex([]byte("nothing"))), ExitInvalid)
	wantCode(t, w.run("tok-b", "exchange", "verify"), ExitUsage)

	// A second exchange, rejected.
	wantCode(t, w.run("tok-a", "exchange", "send", "--grant", "g-1", "--file", other, "--fields", "income,name", "--id", "x-2", "--key", ka), 0)
	wantCode(t, w.run("tok-b", "exchange", "reject", "x-2", "--reason", "wrong person", "--key", kb), 0)

	// Lists: one page and a bookmark hint, or --all.
	r = w.run("tok-b", "exchange", "list", "--consumer", "dept-b")
	wantCode(t, r, 0)
	if !strings.Contains(r.Stderr, "--bookmark p2") {
		t.Fatalf("list without --all: stderr %q", r.Stderr)
	}
	r = w.run("tok-b", "exchange", "list", "--consumer", "dept-b", "--all", "--from", "2000-01-01", "--to", "2099-12-31", "-o", "json")
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

	// Audit: ledger side plus the refusals from the access log.
	logPath := filepath.Join(w.dir, "gateway.log")
	w.mu.Lock()
	lines := append([]string{`not json`, `{"msg":"startup"}`}, w.refuse...)
	w.mu.Unlock()
	if err := os.WriteFile(logPath, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
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
	if rep.Summary.Refused != 4 || rep.Summary.RefusedByCode["FORBIDDEN"] != 3 || rep.Summary.RefusedByCode["INVALID_ARGUMENT"] != 1 {
		t.Errorf("audit refusals %+v: %+v", rep.Summary, rep.Refused)
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
	payload := w.file("extract.csv", "name,income\nZhang San,12000\n")
	wantCode(t, w.run("tok-a", "catalog", "add", "--dept", "dept-a", "--id", "tax-record", "--fields", "name,income"), 0)
	wantCode(t, w.run("tok-a", "grant", "create", "--id", "g-1", "--consumer", "dept-b", "--item", "tax-record",
		"--fields", "name,income", "--purpose", "p", "--legal-basis", "l",
		"--valid-from", "2020-01-01", "--valid-until", "2099-12-31", "--key", ka), 0)
	wantCode(t, w.run("tok-a", "exchange", "send", "--grant", "g-1", "--file", payload, "--fields", "income", "--id", "x-1", "--key", ka), 0)
	wantCode(t, w.run("tok-b", "exchange", "ack", "x-1", "--key", kb), 0)
	wantCode(t, w.run("tok-b", "exchange", "verify", "--id", "x-1"), 0)

	// The stored exchange now carries a signature over another payload hash, and the
	// gateway still answers VALID.
	w.mu.Lock()
	e := w.exchs["x-1"]
	forged := e.SendRequest
	forged.PayloadHash = strings.Repeat("0", 64)
	sig, err := canon.Sign(w.keys["dept-a"], canon.KindExchange, forged)
	if err != nil {
		t.Fatal(err)
	}
	e.Signature = sig
	w.exchs["x-1"] = e
	w.lie = true
	w.mu.Unlock()

	r := w.run("tok-b", "exchange", "verify", "--file", payload)
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
