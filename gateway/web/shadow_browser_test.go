package web_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/certledger/certledger/gateway/web"
	"github.com/certledger/certledger/gateway/web/webtest"
	"github.com/certledger/certledger/internal/gm"
)

// shadowLedger answers GET /api/v1/verify as the gateway does since issue 14: by hash,
// every certificate anchoring the document (results), each with its issuer's full name,
// and a headline naming any disagreement. Certificates are table rows.
type shadowLedger struct {
	certs map[string]map[string]string
	names map[string]string // department id → full name
	pin   string

	mu       sync.Mutex
	requests []string
}

func (l *shadowLedger) one(id string) map[string]any {
	c := l.certs[id]
	steps := []step{{1, "format", "pass", "OK", "well-formed query"}, {2, "hash", "skipped", "CLIENT_HASHES", "the client computes the SM3 of the file"},
		{3, "lookup", "pass", "OK", "certificate " + id + " found"}, {4, "merkle", "skipped", "NOT_BATCHED", "not anchored in a batch"},
		{5, "signature", "pass", "OK", "SM2 signature verifies with key " + c["keyId"]},
		{6, "key", "pass", "OK", "key of " + c["issuer"] + " was valid at issue time " + c["issuedAt"]}}
	verdict := "VALID"
	switch c["status"] {
	case "revoked":
		verdict = "REVOKED"
		steps = append(steps, step{7, "status", "fail", "REVOKED", "revoked: " + c["statusReason"]})
	default:
		steps = append(steps, step{7, "status", "pass", "OK", "status valid"})
	}
	if c["validUntil"] < "2026-12-03" {
		verdict = "EXPIRED"
		steps = append(steps, step{8, "validity", "fail", "EXPIRED", "expired at " + c["validUntil"]})
	} else {
		steps = append(steps, step{8, "validity", "pass", "OK", "within " + c["validFrom"] + " .. " + c["validUntil"]})
	}
	return map[string]any{"verdict": verdict, "certificate": c, "issuerName": l.names[c["issuer"]], "steps": steps,
		"checkedAt": "2026-12-03T06:00:00.123456789Z", "matches": []string{id}}
}

func (l *shadowLedger) verify(w http.ResponseWriter, r *http.Request) {
	id, hash := r.URL.Query().Get("id"), r.URL.Query().Get("hash")
	var ids []string
	for cid, c := range l.certs {
		if cid == id || id == "" && c["docHash"] == hash {
			ids = append(ids, cid)
		}
	}
	if len(ids) == 0 {
		writeJSON(w, 200, map[string]any{"verdict": "NOT_FOUND", "steps": []step{{3, "lookup", "fail", "NOT_FOUND", "no certificate"}}})
		return
	}
	if len(ids) == 1 {
		res := l.one(ids[0])
		res["results"] = []any{l.one(ids[0])}
		writeJSON(w, 200, res)
		return
	}
	// The fixture's one document with two certificates: dept-b's VALID, dept-a's REVOKED.
	revoked, valid := l.one("lic-a"), l.one("prop-b")
	head := l.one("lic-a")
	head["verdict"] = "CONFLICTING"
	head["message"] = "2 certificates anchor this document and disagree: prop-b of dept-b (住房和城乡建设局) is VALID; lic-a of dept-a (市场监督管理局) is REVOKED (licence withdrawn)"
	head["results"] = []any{valid, revoked}
	head["matches"] = []string{"lic-a", "prop-b"}
	writeJSON(w, 200, head)
}

func startShadowPage(t *testing.T) (*shadowLedger, string, string) {
	t.Helper()
	salt := []byte("0123456789abcdef0123")
	doc := []byte("Business licence No. 2026-0001, ACME Ltd.\n")
	l := &shadowLedger{certs: map[string]map[string]string{}, names: map[string]string{"dept-a": "市场监督管理局", "dept-b": "住房和城乡建设局"},
		pin: gm.SM3Hex([]byte("governance key"))}
	add := func(id, issuer, typ, status, reason string) {
		l.certs[id] = map[string]string{"id": id, "docHash": gm.SM3Hex(doc), "type": typ, "issuer": issuer,
			"holderCommitment": gm.Commitment(salt, "91110000ACME"), "validFrom": "2026-01-01T00:00:00Z",
			"validUntil": "2031-12-31T15:59:59.999999999Z", "keyId": strings.Repeat("a", 64), "supersedes": "",
			"status": status, "statusReason": reason, "issuedAt": "2026-11-28T12:00:00.123456789Z", "txId": strings.Repeat("7", 64)}
	}
	add("lic-a", "dept-a", "business-licence", "revoked", "licence withdrawn")
	add("prop-b", "dept-b", "property", "valid", "")
	l.certs["own-1"] = map[string]string{}
	for k, v := range l.certs["prop-b"] {
		l.certs["own-1"][k] = v
	}
	l.certs["own-1"]["id"], l.certs["own-1"]["docHash"] = "own-1", gm.SM3Hex([]byte("another document"))
	l.certs["old-1"] = map[string]string{}
	for k, v := range l.certs["own-1"] {
		l.certs["old-1"][k] = v
	}
	l.certs["old-1"]["id"], l.certs["old-1"]["docHash"], l.certs["old-1"]["validUntil"] = "old-1", gm.SM3Hex([]byte("old")), "2026-06-30T15:59:59Z"

	mux := http.NewServeMux()
	mux.Handle("/", web.Handler())
	mux.HandleFunc("GET /api/v1/verify", l.verify)
	mux.HandleFunc("GET /api/v1/trust", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-Trust-Fingerprint", l.pin)
		writeJSON(w, 200, map[string]any{"bundle": map[string]any{}, "signature": ""})
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		l.requests = append(l.requests, r.Method+" "+r.URL.RequestURI())
		l.mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)

	receipt := map[string]any{"version": "certledger-receipt/v1", "record": l.certs["own-1"],
		"holder": map[string]string{"salt": base64.StdEncoding.EncodeToString(salt), "note": "PRIVATE"}}
	raw, _ := json.Marshal(receipt)
	rp := filepath.Join(t.TempDir(), "own-1.receipt.json")
	if err := os.WriteFile(rp, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	return l, srv.URL, rp
}

var han = regexp.MustCompile(`\p{Han}`)

// TestBrowserNobodyCanShadow: the page for the attacks of issue 14 in headless Chromium.
func TestBrowserNobodyCanShadow(t *testing.T) {
	t.Parallel()
	b := webtest.New(t)
	l, base, receipt := startShadowPage(t)
	doc := gm.SM3Hex([]byte("Business licence No. 2026-0001, ACME Ltd.\n"))

	t.Run("every certificate of the document, a revoked one included", func(t *testing.T) {
		r := b.VerifyInput(t, base+"/", "", doc)
		webtest.ExpectVerdict(t, r, "CONFLICTING")
		if !strings.Contains(r.Message, "lic-a of dept-a (市场监督管理局) is REVOKED") {
			t.Errorf("message %q", r.Message)
		}
		got := map[string]string{}
		for _, m := range r.Matches {
			got[m.ID] = m.Status + " " + m.Verdict
			if !strings.Contains(m.Text, "局") {
				t.Errorf("match without the issuer's full name: %q", m.Text)
			}
		}
		if got["lic-a"] != "revoked REVOKED" || got["prop-b"] != "valid VALID" {
			t.Errorf("matches %v", r.Matches)
		}
		if r.Certificate["id"] != "lic-a" || !strings.Contains(r.Certificate["issuer"], "市场监督管理局 (dept-a)") {
			t.Errorf("headline certificate %v", r.Certificate)
		}
	})
	t.Run("no valid status under a failing verdict; times in Asia/Shanghai to the second", func(t *testing.T) {
		// An expired certificate the issuer never revoked: its ledger status is "valid".
		r := b.VerifyInput(t, base+"/", "old-1", "")
		webtest.ExpectVerdict(t, r, "EXPIRED")
		if st := r.Certificate["status"]; strings.HasPrefix(st, "valid") || !strings.Contains(st, "NOT valid") {
			t.Errorf("status %q under verdict %s", st, r.Verdict)
		}
		r = b.VerifyInput(t, base+"/", "prop-b", "")
		webtest.ExpectVerdict(t, r, "VALID")
		if r.Certificate["issuedAt"] != "2026-11-28 20:00:00" || r.Certificate["validUntil"] != "2031-12-31 23:59:59" {
			t.Errorf("times %q %q, want Asia/Shanghai to the second", r.Certificate["issuedAt"], r.Certificate["validUntil"])
		}
		if strings.Contains(r.PageText, ".123456789") || strings.Contains(r.PageText, "12:00:00.") {
			t.Error("a time with fractional seconds is shown")
		}
		for _, s := range r.Steps {
			if !han.MatchString(s.Detail) || !strings.ContainsAny(s.Detail, "abcdefghijklmnopqrstuvwxyz") {
				t.Errorf("step %d detail has no Chinese: %q", s.Step, s.Detail)
			}
		}
		if r.Fingerprint != l.pin || !strings.Contains(r.PageText, l.pin[:4]+" "+l.pin[4:8]) {
			t.Errorf("fingerprint %q not shown (want %s)", r.Fingerprint, l.pin)
		}
	})
	t.Run("a QR link on a 390 px phone: the verdict first", func(t *testing.T) {
		r := b.OpenLinkOn(t, base+"/verify?hash="+doc, 390, 844)
		webtest.ExpectVerdict(t, r, "CONFLICTING")
		lay := r.Layout
		if lay.ViewportWidth != 390 || lay.VerdictTop < 0 || lay.VerdictBottom > lay.ViewportHeight ||
			lay.VerdictTop > lay.FormTop || lay.VerdictTop > lay.HeaderTop || lay.ScrollWidth > lay.ViewportWidth {
			t.Errorf("layout %+v: the verdict is not the first thing on screen", lay)
		}
	})
	t.Run("holder proof, computed in the browser", func(t *testing.T) {
		r := b.CheckHolder(t, base+"/", receipt, "91110000ACME")
		if r.Holder != "MATCH" || r.Verdict != "VALID" {
			t.Errorf("holder %q (%s), verdict %s", r.Holder, r.HolderText, r.Verdict)
		}
		webtest.ExpectNoProblems(t, r)
		r = b.CheckHolder(t, base+"/", receipt, "91110000ACMF")
		if r.Holder != "MISMATCH" {
			t.Errorf("wrong holder: %q %s", r.Holder, r.HolderText)
		}
		r = b.CheckHolder(t, base+"/", "", "91110000ACME")
		if r.Holder != "ERROR" {
			t.Errorf("no receipt: %q", r.Holder)
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		for _, req := range l.requests {
			if strings.Contains(req, "91110000") || strings.Contains(req, "MDEyMzQ1") {
				t.Errorf("the holder id or salt left the page: %s", req)
			}
		}
	})
}
