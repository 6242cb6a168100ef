package gatewaytest_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certledger/certledger/gateway/gatewaytest"
	"github.com/certledger/certledger/internal/domain/certificate"
)

// refusal is one bad request of the matrix: what is sent and the answer it must
// get. Every refusal also must leave the ledger height and the number of
// chaincode events where they were.
type refusal struct {
	name   string
	method string
	path   string // may hold a raw query; sent as written (no cleaning)
	token  string // a name in Stack.Tokens, a raw token, or "" for none
	body   string // sent as written
	header map[string]string
	status int
	code   string // the error code of the JSON body ("" when the answer has none)
}

// TestRefusalMatrix sends well over a hundred bad requests to the real gateway
// in front of the devnet running the real chaincode — no or wrong tokens,
// another department's token and key, malformed, unknown, case-changed and
// duplicate keys, wrong types, huge bodies and headers, bad hashes and
// signatures, replays, path tricks, pagination and filter injection, bad SSE
// parameters, wrong methods, a slow header — and checks that each gets its
// status and error code, and that nothing reached the ledger: the block height
// and the chaincode event count stay where they were.
func TestRefusalMatrix(t *testing.T) {
	s := startStack(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	c := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	defer c.CloseIdleConnections()

	// Count chaincode events as the ledger delivers them, from block 0.
	var events atomic.Int64
	evCtx, stopEvents := context.WithCancel(ctx)
	evs, err := s.Fabric.Events(evCtx, gatewaytest.Governance, 0)
	if err != nil {
		t.Fatal(err)
	}
	evDone := make(chan struct{})
	go func() {
		defer close(evDone)
		for range evs {
			events.Add(1)
		}
	}()
	defer func() { stopEvents(); <-evDone }()

	// The world the bad requests aim at: two departments, a certificate of dept-a
	// (c-1), and a revoked one (c-r) whose revoke request is kept for a replay.
	depts, err := s.Seed(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	a, b := depts["dept-a"], depts["dept-b"]
	now := time.Now().UTC().Truncate(time.Second)
	issue := func(id string) certificate.Record {
		rec, err := a.Certificate(id, []byte("document "+id), now.Add(-time.Hour), now.AddDate(5, 0, 0))
		if err != nil {
			t.Fatal(err)
		}
		if r, err := s.Do(ctx, c, "POST", "/api/v1/certificates", gatewaytest.AClerk, rec); err != nil || r.Status != http.StatusCreated {
			t.Fatalf("issuing %s: %v %+v", id, err, r)
		}
		return rec
	}
	txOf := func(id string) string {
		var cert struct {
			TxID string `json:"txId"`
		}
		r, err := s.Do(ctx, c, "GET", "/api/v1/certificates/"+id, "", nil)
		if err != nil || r.JSON(&cert) != nil || cert.TxID == "" {
			t.Fatalf("reading %s: %v %+v", id, err, r)
		}
		return cert.TxID
	}
	c1 := issue("c-1")
	issue("c-r")
	revokeR, err := a.StatusRequest("c-r", "revoke", "withdrawn", txOf("c-r"))
	if err != nil {
		t.Fatal(err)
	}
	if r, err := s.Do(ctx, c, "POST", "/api/v1/certificates/c-r/revoke", gatewaytest.AClerk, revokeR); err != nil || r.Status != http.StatusOK {
		t.Fatalf("revoking c-r: %v %+v", err, r)
	}
	c1tx := txOf("c-1")

	// Bodies the cases bend.
	js := func(v any) string {
		out, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	fresh := func(id string, change func(*certificate.Record)) string { // a correctly signed record of dept-a, not yet issued
		rec, err := a.Certificate(id, []byte("document "+id), now.Add(-time.Hour), now.AddDate(5, 0, 0))
		if err != nil {
			t.Fatal(err)
		}
		if change != nil {
			change(&rec)
			if rec.Signature, err = signWith(a, rec); err != nil {
				t.Fatal(err)
			}
		}
		return js(rec)
	}
	good := fresh("c-2", nil)
	withKey := func(extra string) string { return strings.TrimSuffix(good, "}") + "," + extra + "}" }
	swapKey := func(body, from, to string) string {
		out := strings.Replace(body, `"`+from+`":`, `"`+to+`":`, 1)
		if out == body {
			t.Fatalf("key %s not in %s", from, body)
		}
		return out
	}
	set := func(body, key string, value any) string { // replace one field's value, keep the rest
		var m map[string]any
		if err := json.Unmarshal([]byte(body), &m); err != nil {
			t.Fatal(err)
		}
		m[key] = value
		return js(m)
	}
	signedBy := func(id string, by func(certificate.Record) (string, error), change func(*certificate.Record)) string {
		rec, err := a.Certificate(id, []byte("document "+id), now.Add(-time.Hour), now.AddDate(5, 0, 0))
		if err != nil {
			t.Fatal(err)
		}
		if change != nil {
			change(&rec)
		}
		if rec.Signature, err = by(rec); err != nil {
			t.Fatal(err)
		}
		return js(rec)
	}
	byB := func(r certificate.Record) (string, error) { return signWith(b, r) }
	statusBody := func(id, action, prev string) string {
		sr, err := a.StatusRequest(id, action, "court order", prev)
		if err != nil {
			t.Fatal(err)
		}
		return js(sr)
	}
	revokeC1 := statusBody("c-1", "revoke", c1tx)
	deptBody := func(id string) string {
		return js(map[string]any{"id": id, "name": "Dept " + id, "mspId": "DeptZMSP", "publicKeys": []string{a.PubPEM}})
	}
	h64 := strings.Repeat("ab", 32)
	grant := js(map[string]any{"id": "g-1", "provider": "dept-a", "consumer": "dept-b", "item": "licences", "fields": []string{"name"},
		"purpose": "checks", "legalBasis": "law 1", "validFrom": now.Format(time.RFC3339), "validUntil": now.AddDate(1, 0, 0).Format(time.RFC3339),
		"keyId": a.KeyID, "signature": "MEUCIQDzZ2hvc3QAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAIgAAAA"})
	exchange := js(map[string]any{"id": "x-1", "grantId": "g-1", "provider": "dept-a", "consumer": "dept-b", "fields": []string{"name"},
		"payloadHash": h64, "keyId": a.KeyID, "signature": "MEUCIQDzZ2hvc3QAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAIgAAAA"})
	ticket := js(map[string]any{"id": "t-1", "category": "noise", "contentHash": h64, "reporterCommitment": h64, "channel": "web"})
	huge := `{"id":"c-2","type":"` + strings.Repeat("x", 1<<20) + `"}`
	longID := strings.Repeat("c", 129)

	const (
		post, get, put = "POST", "GET", "PUT"
		certs          = "/api/v1/certificates"
		bad            = 400
		inv            = "INVALID_ARGUMENT"
	)
	cases := []refusal{
		// No token, wrong tokens, wrong roles.
		{name: "issue without a token", method: post, path: certs, body: good, status: 401, code: "UNAUTHENTICATED"},
		{name: "issue with an unknown token", method: post, path: certs, token: "not-a-token", body: good, status: 401, code: "UNAUTHENTICATED"},
		{name: "issue with an empty bearer", method: post, path: certs, header: map[string]string{"Authorization": "Bearer "}, body: good, status: 401, code: "UNAUTHENTICATED"},
		{name: "issue with basic auth", method: post, path: certs, header: map[string]string{"Authorization": "Basic ZGVwdC1hOnB3"}, body: good, status: 401, code: "UNAUTHENTICATED"},
		{name: "issue with a token in the query", method: post, path: certs + "?access_token=" + url.QueryEscape(s.Tokens[gatewaytest.AClerk]), body: good, status: 401, code: "UNAUTHENTICATED"},
		{name: "issue with the token's hash", method: post, path: certs, token: strings.Repeat("0", 64), body: good, status: 401, code: "UNAUTHENTICATED"},
		{name: "issue with a 8 KiB token", method: post, path: certs, token: strings.Repeat("t", 8<<10), body: good, status: 401, code: "UNAUTHENTICATED"},
		{name: "revoke without a token", method: post, path: certs + "/c-1/revoke", body: revokeC1, status: 401, code: "UNAUTHENTICATED"},
		{name: "register department without a token", method: post, path: "/api/v1/departments", body: deptBody("dept-z"), status: 401, code: "UNAUTHENTICATED"},
		{name: "grant without a token", method: post, path: "/api/v1/grants", body: grant, status: 401, code: "UNAUTHENTICATED"},
		{name: "exchange without a token", method: post, path: "/api/v1/exchanges", body: exchange, status: 401, code: "UNAUTHENTICATED"},
		{name: "ticket without a token", method: post, path: "/api/v1/tickets", body: ticket, status: 401, code: "UNAUTHENTICATED"},
		{name: "calendar without a token", method: put, path: "/api/v1/workorder/config/calendar", body: `{"utcOffset":"+08:00"}`, status: 401, code: "UNAUTHENTICATED"},
		{name: "sweep without a token", method: post, path: "/api/v1/audit/sweep", status: 401, code: "UNAUTHENTICATED"},
		{name: "history without a token", method: get, path: certs + "/c-1/history", status: 401, code: "UNAUTHENTICATED"},
		{name: "events without a token", method: get, path: "/api/v1/events", status: 401, code: "UNAUTHENTICATED"},
		{name: "issue as auditor", method: post, path: certs, token: gatewaytest.AAuditor, body: good, status: 403, code: "FORBIDDEN"},
		{name: "register department as a department admin", method: post, path: "/api/v1/departments", token: gatewaytest.AAdmin, body: deptBody("dept-z"), status: 403, code: "FORBIDDEN"},
		{name: "register department as a clerk", method: post, path: "/api/v1/departments", token: gatewaytest.AClerk, body: deptBody("dept-z"), status: 403, code: "FORBIDDEN"},
		{name: "add key as a department admin", method: post, path: "/api/v1/departments/dept-a/keys", token: gatewaytest.AAdmin, body: js(map[string]string{"publicKey": b.PubPEM}), status: 403, code: "FORBIDDEN"},
		{name: "calendar as a clerk", method: put, path: "/api/v1/workorder/config/calendar", token: gatewaytest.AClerk, body: `{"utcOffset":"+08:00"}`, status: 403, code: "FORBIDDEN"},

		// Another department's token and key.
		{name: "dept-b issues dept-a's record", method: post, path: certs, token: gatewaytest.BClerk, body: good, status: 403, code: "FORBIDDEN"},
		{name: "dept-a issues as dept-b", method: post, path: certs, token: gatewaytest.AClerk, body: signedBy("c-3", byB, func(r *certificate.Record) { r.Issuer, r.KeyID = "dept-b", b.KeyID }), status: 403, code: "FORBIDDEN"},
		{name: "dept-a record signed with dept-b's key", method: post, path: certs, token: gatewaytest.AClerk, body: signedBy("c-3", byB, func(r *certificate.Record) { r.KeyID = b.KeyID }), status: 403, code: "FORBIDDEN"},
		{name: "dept-a record signed by dept-b, dept-a's key id", method: post, path: certs, token: gatewaytest.AClerk, body: signedBy("c-3", byB, nil), status: 400, code: "BAD_SIGNATURE"},
		{name: "dept-b revokes dept-a's certificate", method: post, path: certs + "/c-1/revoke", token: gatewaytest.BClerk, body: revokeC1, status: 403, code: "FORBIDDEN"},
		{name: "dept-b suspends dept-a's certificate", method: post, path: certs + "/c-1/suspend", token: gatewaytest.BClerk, body: statusBody("c-1", "suspend", c1tx), status: 403, code: "FORBIDDEN"},
		{name: "dept-b supersedes dept-a's certificate", method: post, path: certs + "/c-1/supersede", token: gatewaytest.BClerk, body: fresh("c-4", func(r *certificate.Record) { r.Supersedes = "c-1" }), status: 403, code: "FORBIDDEN"},
		{name: "dept-a revokes dept-b's key", method: post, path: "/api/v1/departments/dept-b/keys/" + b.KeyID + "/revoke", token: gatewaytest.AAdmin, body: `{"reason":"compromised"}`, status: 403, code: "FORBIDDEN"},
		{name: "dept-a grants as provider dept-b", method: post, path: "/api/v1/grants", token: gatewaytest.AClerk, body: set(set(grant, "provider", "dept-b"), "consumer", "dept-a"), status: 403, code: "FORBIDDEN"},
		{name: "dept-b lists dept-a's tickets", method: get, path: "/api/v1/tickets?department=dept-a", token: gatewaytest.BClerk, status: 403, code: "FORBIDDEN"},
		{name: "dept-b lists dept-a's grants", method: get, path: "/api/v1/grants?provider=dept-a", token: gatewaytest.BClerk, status: 403, code: "FORBIDDEN"},
		{name: "dept-b KPI of dept-a", method: get, path: "/api/v1/audit/kpi?department=dept-a&from=2026-01-01&to=2026-12-31", token: gatewaytest.BClerk, status: 403, code: "FORBIDDEN"},

		// Malformed JSON, unknown, case-changed and duplicate keys.
		{name: "empty body", method: post, path: certs, token: gatewaytest.AClerk, status: bad, code: inv},
		{name: "whitespace body", method: post, path: certs, token: gatewaytest.AClerk, body: " \n\t ", status: bad, code: inv},
		{name: "truncated JSON", method: post, path: certs, token: gatewaytest.AClerk, body: good[:len(good)/2], status: bad, code: inv},
		{name: "syntax error", method: post, path: certs, token: gatewaytest.AClerk, body: `{"id" "c-2"}`, status: bad, code: inv},
		{name: "single quotes", method: post, path: certs, token: gatewaytest.AClerk, body: `{'id':'c-2'}`, status: bad, code: inv},
		{name: "trailing comma", method: post, path: certs, token: gatewaytest.AClerk, body: strings.TrimSuffix(good, "}") + ",}", status: bad, code: inv},
		{name: "comment", method: post, path: certs, token: gatewaytest.AClerk, body: "/* x */" + good, status: bad, code: inv},
		{name: "byte order mark", method: post, path: certs, token: gatewaytest.AClerk, body: "\ufeff" + good, status: bad, code: inv},
		{name: "array body", method: post, path: certs, token: gatewaytest.AClerk, body: "[" + good + "]", status: bad, code: inv},
		{name: "string body", method: post, path: certs, token: gatewaytest.AClerk, body: `"c-2"`, status: bad, code: inv},
		{name: "null body", method: post, path: certs, token: gatewaytest.AClerk, body: `null`, status: bad, code: inv},
		{name: "two objects", method: post, path: certs, token: gatewaytest.AClerk, body: good + good, status: bad, code: inv},
		{name: "trailing garbage", method: post, path: certs, token: gatewaytest.AClerk, body: good + "x", status: bad, code: inv},
		{name: "unknown field", method: post, path: certs, token: gatewaytest.AClerk, body: withKey(`"holderName":"Zhang San"`), status: bad, code: inv},
		{name: "stored field sent in", method: post, path: certs, token: gatewaytest.AClerk, body: withKey(`"status":"revoked"`), status: bad, code: inv},
		{name: "ID and DOCHASH", method: post, path: certs, token: gatewaytest.AClerk, body: swapKey(swapKey(good, "id", "ID"), "docHash", "DOCHASH"), status: bad, code: inv},
		{name: "Signature capitalised", method: post, path: certs, token: gatewaytest.AClerk, body: swapKey(good, "signature", "Signature"), status: bad, code: inv},
		{name: "keyid lower case", method: post, path: certs, token: gatewaytest.AClerk, body: swapKey(good, "keyId", "keyid"), status: bad, code: inv},
		{name: "keyId with a Kelvin sign (K folds to k)", method: post, path: certs, token: gatewaytest.AClerk, body: swapKey(good, "keyId", "\u212aeyId"), status: bad, code: inv},
		{name: "duplicate id, signed one last", method: post, path: certs, token: gatewaytest.AClerk, body: `{"id":"c-9",` + good[1:], status: bad, code: inv},
		{name: "duplicate docHash", method: post, path: certs, token: gatewaytest.AClerk, body: withKey(`"docHash":"` + h64 + `"`), status: bad, code: inv},
		{name: "duplicate through an escape", method: post, path: certs, token: gatewaytest.AClerk, body: withKey(`"\u0069d":"c-9"`), status: bad, code: inv},
		{name: "revoke with Action", method: post, path: certs + "/c-1/revoke", token: gatewaytest.AClerk, body: swapKey(revokeC1, "action", "Action"), status: bad, code: inv},
		{name: "revoke with two prevTxIds", method: post, path: certs + "/c-1/revoke", token: gatewaytest.AClerk, body: strings.TrimSuffix(revokeC1, "}") + `,"prevTxId":"` + c1tx + `"}`, status: bad, code: inv},
		{name: "department with PublicKeys", method: post, path: "/api/v1/departments", token: gatewaytest.GovAdmin, body: swapKey(deptBody("dept-z"), "publicKeys", "PublicKeys"), status: bad, code: inv},
		{name: "department with two ids", method: post, path: "/api/v1/departments", token: gatewaytest.GovAdmin, body: `{"id":"dept-y",` + deptBody("dept-z")[1:], status: bad, code: inv},
		{name: "grant with Provider", method: post, path: "/api/v1/grants", token: gatewaytest.AClerk, body: swapKey(grant, "provider", "Provider"), status: bad, code: inv},
		{name: "exchange with an unknown field", method: post, path: "/api/v1/exchanges", token: gatewaytest.AClerk, body: strings.TrimSuffix(exchange, "}") + `,"payload":"secret"}`, status: bad, code: inv},
		{name: "ticket with Category", method: post, path: "/api/v1/tickets", token: gatewaytest.AClerk, body: swapKey(ticket, "category", "Category"), status: bad, code: inv},
		{name: "ticket with two ids", method: post, path: "/api/v1/tickets", token: gatewaytest.AClerk, body: `{"id":"t-9",` + ticket[1:], status: bad, code: inv},
		{name: "key revoke with Reason", method: post, path: "/api/v1/departments/dept-a/keys/" + a.KeyID + "/revoke", token: gatewaytest.AAdmin, body: `{"Reason":"compromised"}`, status: bad, code: inv},

		// Wrong types.
		{name: "id as a number", method: post, path: certs, token: gatewaytest.AClerk, body: set(good, "id", 7), status: bad, code: inv},
		{name: "docHash as an object", method: post, path: certs, token: gatewaytest.AClerk, body: set(good, "docHash", map[string]string{"sm3": h64}), status: bad, code: inv},
		{name: "validFrom as a number", method: post, path: certs, token: gatewaytest.AClerk, body: set(good, "validFrom", 1767225600), status: bad, code: inv},
		{name: "signature as an array", method: post, path: certs, token: gatewaytest.AClerk, body: set(good, "signature", []string{"MEUC"}), status: bad, code: inv},
		{name: "type as true", method: post, path: certs, token: gatewaytest.AClerk, body: set(good, "type", true), status: bad, code: inv},
		{name: "publicKeys as a string", method: post, path: "/api/v1/departments", token: gatewaytest.GovAdmin, body: set(deptBody("dept-z"), "publicKeys", a.PubPEM), status: bad, code: inv},
		{name: "grant fields as a string", method: post, path: "/api/v1/grants", token: gatewaytest.AClerk, body: set(grant, "fields", "name"), status: bad, code: inv},
		{name: "ticket id null", method: post, path: "/api/v1/tickets", token: gatewaytest.AClerk, body: set(ticket, "id", nil), status: bad, code: inv},

		// Huge bodies and headers.
		{name: "body over the limit", method: post, path: certs, token: gatewaytest.AClerk, body: huge, status: 413, code: "TOO_LARGE"},
		{name: "department body over the limit", method: post, path: "/api/v1/departments", token: gatewaytest.GovAdmin, body: `{"id":"dept-z","name":"` + strings.Repeat("n", 1<<20) + `"}`, status: 413, code: "TOO_LARGE"},
		{name: "ticket action body over the limit", method: post, path: "/api/v1/tickets/t-1/accept", token: gatewaytest.AClerk, body: huge, status: 413, code: "TOO_LARGE"},
		{name: "header over 1 MiB", method: post, path: certs, token: gatewaytest.AClerk, header: map[string]string{"X-Padding": strings.Repeat("p", 1<<20+8192)}, body: good, status: 431},
		{name: "10,000 query parameters, one bad", method: get, path: "/api/v1/verify?" + strings.Repeat("x=1&", 10000) + "hash=" + h64[:10], status: bad, code: inv},
		{name: "id of 129 characters", method: get, path: certs + "/" + longID, status: bad, code: inv},
		{name: "id of 8 KiB in a revoke path", method: post, path: certs + "/" + strings.Repeat("c", 8<<10) + "/revoke", token: gatewaytest.AClerk, body: revokeC1, status: bad, code: inv},
		{name: "type of 65 characters", method: post, path: certs, token: gatewaytest.AClerk, body: fresh("c-5", func(r *certificate.Record) { r.Type = strings.Repeat("t", 65) }), status: bad, code: inv},

		// Bad hashes and signatures.
		{name: "docHash in upper case", method: post, path: certs, token: gatewaytest.AClerk, body: set(good, "docHash", strings.ToUpper(c1.DocHash)), status: bad, code: inv},
		{name: "docHash of 63 digits", method: post, path: certs, token: gatewaytest.AClerk, body: set(good, "docHash", c1.DocHash[:63]), status: bad, code: inv},
		{name: "docHash not hex", method: post, path: certs, token: gatewaytest.AClerk, body: set(good, "docHash", strings.Repeat("zz", 32)), status: bad, code: inv},
		{name: "holderCommitment as an ID number", method: post, path: certs, token: gatewaytest.AClerk, body: set(good, "holderCommitment", "110101199001011234"), status: bad, code: inv},
		{name: "holderCommitment missing", method: post, path: certs, token: gatewaytest.AClerk, body: set(good, "holderCommitment", ""), status: bad, code: inv},
		{name: "keyId short", method: post, path: certs, token: gatewaytest.AClerk, body: set(good, "keyId", "abc"), status: bad, code: inv},
		{name: "signature not base64", method: post, path: certs, token: gatewaytest.AClerk, body: set(good, "signature", "MEUC!!"), status: bad, code: inv},
		{name: "signature unpadded base64", method: post, path: certs, token: gatewaytest.AClerk, body: set(good, "signature", "aGVsbG8"), status: bad, code: inv},
		{name: "signature not DER", method: post, path: certs, token: gatewaytest.AClerk, body: set(good, "signature", "aGVsbG8gd29ybGQ="), status: bad, code: inv},
		{name: "signature DER of zeros", method: post, path: certs, token: gatewaytest.AClerk, body: set(good, "signature", "MAYCAQACAQA="), status: 400, code: "BAD_SIGNATURE"},
		{name: "signature over other fields", method: post, path: certs, token: gatewaytest.AClerk, body: set(good, "holderCommitment", h64), status: 400, code: "BAD_SIGNATURE"},
		{name: "signature of c-1 on c-2", method: post, path: certs, token: gatewaytest.AClerk, body: set(good, "signature", c1.Signature), status: 400, code: "BAD_SIGNATURE"},
		{name: "unknown key id", method: post, path: certs, token: gatewaytest.AClerk, body: fresh("c-6", func(r *certificate.Record) { r.KeyID = h64 }), status: 403, code: "FORBIDDEN"},
		{name: "validity in +08:00", method: post, path: certs, token: gatewaytest.AClerk, body: fresh("c-7", func(r *certificate.Record) {
			r.ValidFrom = now.In(time.FixedZone("CST", 8*3600)).Format(time.RFC3339)
		}), status: bad, code: inv},
		{name: "validity from year 1", method: post, path: certs, token: gatewaytest.AClerk, body: fresh("c-7", func(r *certificate.Record) { r.ValidFrom = "0001-01-01T00:00:00Z" }), status: bad, code: inv},
		{name: "validity until 9999", method: post, path: certs, token: gatewaytest.AClerk, body: fresh("c-7", func(r *certificate.Record) { r.ValidUntil = "9999-12-31T23:59:59Z" }), status: bad, code: inv},
		{name: "verify with a bad hash", method: get, path: "/api/v1/verify?hash=" + h64[:63] + "G", status: bad, code: inv},
		{name: "find with an upper-case hash", method: get, path: certs + "?hash=" + strings.ToUpper(h64), status: bad, code: inv},
		{name: "key id not a hash", method: get, path: "/api/v1/keys/not-a-key", status: bad, code: inv},
		{name: "add a key that is not PEM", method: post, path: "/api/v1/departments/dept-a/keys", token: gatewaytest.GovAdmin, body: `{"publicKey":"not pem"}`, status: bad, code: inv},

		// Replays and conflicts.
		// The same signed revoke again is a safe retry: answered with the committed
		// result (200, Idempotent-Replay), and nothing is written.
		{name: "replayed revoke of a revoked certificate", method: post, path: certs + "/c-r/revoke", token: gatewaytest.AClerk, body: js(revokeR), status: 200},
		{name: "revoke with a stale prevTxId", method: post, path: certs + "/c-1/revoke", token: gatewaytest.AClerk, body: statusBody("c-1", "revoke", strings.Repeat("0", 64)), status: 409, code: "CONFLICT"},
		{name: "revoke request sent to suspend", method: post, path: certs + "/c-1/suspend", token: gatewaytest.AClerk, body: revokeC1, status: bad, code: inv},
		{name: "revoke of c-1 sent to c-r", method: post, path: certs + "/c-r/revoke", token: gatewaytest.AClerk, body: revokeC1, status: bad, code: inv},
		{name: "reinstate a valid certificate", method: post, path: certs + "/c-1/reinstate", token: gatewaytest.AClerk, body: statusBody("c-1", "reinstate", c1tx), status: 409, code: "ILLEGAL_TRANSITION"},
		{name: "same id, other document", method: post, path: certs, token: gatewaytest.AClerk, body: fresh("c-1", func(r *certificate.Record) { r.DocHash = h64 }), status: 409, code: "CONFLICT"},
		{name: "register dept-a again", method: post, path: "/api/v1/departments", token: gatewaytest.GovAdmin, body: js(map[string]any{"id": "dept-a", "name": "A", "mspId": "DeptAMSP", "publicKeys": []string{a.PubPEM}}), status: 409, code: "CONFLICT"},
		{name: "supersede a revoked certificate", method: post, path: certs + "/c-r/supersede", token: gatewaytest.AClerk, body: fresh("c-8", func(r *certificate.Record) { r.Supersedes = "c-r" }), status: 409, code: "ILLEGAL_TRANSITION"},

		// Path tricks.
		{name: "dot-dot in an id", method: get, path: certs + "/..%2F..%2Fdepartments", status: bad, code: inv},
		{name: "encoded slash in a revoke path", method: post, path: certs + "/c-1%2Frevoke/revoke", token: gatewaytest.AClerk, body: revokeC1, status: bad, code: inv},
		{name: "NUL in an id", method: get, path: certs + "/c-1%00", status: bad, code: inv},
		{name: "newline in an id", method: get, path: certs + "/c-1%0Aadmin", status: bad, code: inv},
		{name: "unicode look-alike id", method: get, path: certs + "/c%E2%80%901", status: bad, code: inv},
		{name: "composite-key separator in a department", method: get, path: "/api/v1/departments/dept-a%00x", status: bad, code: inv},
		{name: "unknown action", method: post, path: certs + "/c-1/delete", token: gatewaytest.AClerk, body: revokeC1, status: 404, code: "NOT_FOUND"},
		{name: "unknown api path", method: get, path: "/api/v2/certificates", status: 404, code: "NOT_FOUND"},
		// An unclean path is redirected to its clean form (ServeMux), never served as is.
		{name: "double slash", method: post, path: "/api//v1/certificates", token: gatewaytest.AClerk, body: good, status: 307},
		{name: "dot segment", method: post, path: "/api/v1/./certificates", token: gatewaytest.AClerk, body: good, status: 307},
		{name: "dot-dot segment to another route", method: post, path: "/api/v1/certificates/c-1/../../departments", token: gatewaytest.GovAdmin, body: deptBody("dept-z"), status: 307},

		// Pagination and filter injection.
		{name: "pageSize 0", method: get, path: "/api/v1/tickets?department=dept-a&pageSize=0", token: gatewaytest.AClerk, status: bad, code: inv},
		{name: "pageSize 501", method: get, path: "/api/v1/tickets?department=dept-a&pageSize=501", token: gatewaytest.AClerk, status: bad, code: inv},
		{name: "pageSize negative", method: get, path: "/api/v1/grants?provider=dept-a&pageSize=-1", token: gatewaytest.AClerk, status: bad, code: inv},
		{name: "pageSize not a number", method: get, path: "/api/v1/exchanges?provider=dept-a&pageSize=1e3", token: gatewaytest.AClerk, status: bad, code: inv},
		{name: "bookmark of 2 KiB", method: get, path: "/api/v1/tickets?department=dept-a&bookmark=" + strings.Repeat("b", 2048), token: gatewaytest.AClerk, status: bad, code: inv},
		{name: "bookmark into another department's keys", method: get, path: "/api/v1/tickets?department=dept-a&bookmark=" + url.QueryEscape("\x00ticket-dept\x00dept-b\x00"), token: gatewaytest.AClerk, status: bad, code: inv},
		{name: "department with a wildcard", method: get, path: "/api/v1/tickets?department=dept-%2A", token: gatewaytest.AClerk, status: bad, code: inv},
		{name: "department with a NUL", method: get, path: "/api/v1/tickets?department=dept-a%00dept-b", token: gatewaytest.AClerk, status: bad, code: inv},
		{name: "unknown ticket state", method: get, path: "/api/v1/tickets?department=dept-a&state=all", token: gatewaytest.AClerk, status: bad, code: inv},
		{name: "grant status injection", method: get, path: "/api/v1/grants?provider=dept-a&status=" + url.QueryEscape(`active","provider":"dept-b`), token: gatewaytest.AClerk, status: bad, code: inv},
		{name: "exchange provider injection", method: get, path: "/api/v1/exchanges?provider=" + url.QueryEscape(`dept-a","consumer":"dept-b`), token: gatewaytest.AClerk, status: bad, code: inv},
		{name: "exchanges from not a time", method: get, path: "/api/v1/exchanges?provider=dept-a&from=yesterday", token: gatewaytest.AClerk, status: bad, code: inv},
		{name: "KPI without a period", method: get, path: "/api/v1/audit/kpi?department=dept-a", token: gatewaytest.AClerk, status: bad, code: inv},
		{name: "sweep limit 0", method: post, path: "/api/v1/audit/sweep?limit=0", token: gatewaytest.AClerk, status: bad, code: inv},
		{name: "sweep limit huge", method: post, path: "/api/v1/audit/sweep?limit=99999999999999999999", token: gatewaytest.AClerk, status: bad, code: inv},

		// Bad SSE parameters.
		{name: "events fromBlock negative", method: get, path: "/api/v1/events?fromBlock=-1", token: gatewaytest.AAuditor, status: bad, code: inv},
		{name: "events fromBlock not a number", method: get, path: "/api/v1/events?fromBlock=abc", token: gatewaytest.AAuditor, status: bad, code: inv},
		{name: "events fromBlock overflow", method: get, path: "/api/v1/events?fromBlock=99999999999999999999", token: gatewaytest.AAuditor, status: bad, code: inv},
		{name: "events misspelt parameter", method: get, path: "/api/v1/events?from=0", token: gatewaytest.AAuditor, status: bad, code: inv},
		{name: "events Last-Event-ID not a number", method: get, path: "/api/v1/events", token: gatewaytest.AAuditor, header: map[string]string{"Last-Event-ID": "abc.tx"}, status: bad, code: inv},
		{name: "events Last-Event-ID negative", method: get, path: "/api/v1/events", token: gatewaytest.AAuditor, header: map[string]string{"Last-Event-ID": "-5.tx"}, status: bad, code: inv},
		{name: "ticket events, no such ticket, anonymous", method: get, path: "/api/v1/tickets/t-404/events?commitment=" + h64, status: 403, code: "FORBIDDEN"},
		{name: "ticket events, bad id", method: get, path: "/api/v1/tickets/..%2Fx/events", status: bad, code: inv},

		// Wrong methods.
		{name: "DELETE a certificate", method: "DELETE", path: certs + "/c-1", token: gatewaytest.AClerk, status: 405, code: "METHOD_NOT_ALLOWED"},
		{name: "PUT a certificate", method: put, path: certs, token: gatewaytest.AClerk, body: good, status: 405, code: "METHOD_NOT_ALLOWED"},
		{name: "PATCH a department", method: "PATCH", path: "/api/v1/departments/dept-a", token: gatewaytest.GovAdmin, body: `{"name":"x"}`, status: 405, code: "METHOD_NOT_ALLOWED"},
		{name: "GET a revoke", method: get, path: certs + "/c-1/revoke", token: gatewaytest.AClerk, status: 405, code: "METHOD_NOT_ALLOWED"},
		{name: "POST to verify", method: post, path: "/api/v1/verify", body: good, status: 405, code: "METHOD_NOT_ALLOWED"},
		{name: "POST to events", method: post, path: "/api/v1/events", token: gatewaytest.AAuditor, status: 405, code: "METHOD_NOT_ALLOWED"},
		{name: "GET the calendar setter", method: get, path: "/api/v1/workorder/config/calendar", token: gatewaytest.GovAdmin, status: 405, code: "METHOD_NOT_ALLOWED"},
	}

	height := func() uint64 { return s.Node.Height() }
	// Let the event stream catch up with the seeding before the first case.
	settle := func() int64 {
		last, stable := events.Load(), 0
		for deadline := time.Now().Add(10 * time.Second); stable < 5 && time.Now().Before(deadline); {
			time.Sleep(40 * time.Millisecond)
			if n := events.Load(); n == last && n > 0 {
				stable++
			} else {
				last, stable = n, 0
			}
		}
		return last
	}
	h0, e0 := height(), settle()
	if e0 == 0 {
		t.Fatal("no chaincode events seen after seeding")
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, code, body := send(ctx, t, c, s, tc)
			if status != tc.status || code != tc.code {
				t.Errorf("%s %s: %d %q, want %d %q; body %.300s", tc.method, tc.path[:min(len(tc.path), 80)], status, code, tc.status, tc.code, body)
			}
			if h, e := height(), events.Load(); h != h0 || e != e0 {
				t.Fatalf("ledger moved: height %d → %d, events %d → %d", h0, h, e0, e)
			}
		})
	}
	t.Run("slow header", func(t *testing.T) { slowHeader(t, s) })
	if h, e := height(), settle(); h != h0 || e != e0 {
		t.Fatalf("ledger moved during the matrix: height %d → %d, events %d → %d", h0, h, e0, e)
	}
	t.Logf("refusal matrix: %d requests + a slow header, ledger height %d and %d events unchanged", len(cases), h0, e0)
	if len(cases)+1 < 100 {
		t.Fatalf("the matrix has %d cases, want at least 100", len(cases)+1)
	}
}

// send sends tc and returns the status, the error code of a JSON body and the body.
func send(ctx context.Context, t *testing.T, c *http.Client, s *gatewaytest.Stack, tc refusal) (int, string, []byte) {
	t.Helper()
	// A server that refuses a header too large hangs up while the client may
	// still be writing it; the client then sometimes sees the reset before the
	// 431. Such a case is sent again (it is refused each time; nothing is written).
	for attempt := 1; ; attempt++ {
		status, code, body, err := sendOnce(ctx, t, c, s, tc)
		if err == nil {
			return status, code, body
		}
		if tc.status != http.StatusRequestHeaderFieldsTooLarge || attempt == 5 {
			t.Fatalf("%s %s: %v", tc.method, tc.path[:min(len(tc.path), 80)], err)
		}
	}
}

func sendOnce(ctx context.Context, t *testing.T, c *http.Client, s *gatewaytest.Stack, tc refusal) (int, string, []byte, error) {
	t.Helper()
	var body io.Reader
	if tc.body != "" {
		body = strings.NewReader(tc.body)
	}
	req, err := http.NewRequestWithContext(ctx, tc.method, s.URL+"/", body)
	if err != nil {
		t.Fatal(err)
	}
	// The path goes out as written: no cleaning, no re-encoding.
	req.URL.Opaque = "//" + req.URL.Host + strings.Split(tc.path, "?")[0]
	if _, q, ok := strings.Cut(tc.path, "?"); ok {
		req.URL.RawQuery = q
	}
	if tc.token != "" {
		tok := tc.token
		if named, ok := s.Tokens[tok]; ok {
			tok = named
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if tc.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range tc.header {
		req.Header.Set(k, v)
	}
	res, err := c.Do(req)
	if err != nil {
		return 0, "", nil, err
	}
	defer func() { _ = res.Body.Close() }()
	var b []byte
	if strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		b = []byte("(event stream)") // a stream that opened is no refusal; do not wait for it
	} else if b, err = io.ReadAll(res.Body); err != nil {
		return 0, "", nil, err
	}
	var p struct{ Code string }
	_ = json.Unmarshal(b, &p)
	return res.StatusCode, p.Code, b, nil
}

// slowHeader opens a connection, sends half a request line and waits: after its
// ReadHeaderTimeout the server must give up on it (an error status at most) and
// close the connection.
func slowHeader(t *testing.T, s *gatewaytest.Stack) {
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	if _, err := conn.Write([]byte("POST /api/v1/certificates HTTP/1.1\r\nHost: x\r\nAuthor")); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(60 * time.Second))
	answer, err := io.ReadAll(conn) // until the server closes
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("the server kept a connection with an unfinished header open for 60 s")
	}
	if line, _, _ := strings.Cut(string(answer), "\r\n"); line != "" && !strings.HasPrefix(line, "HTTP/1.1 4") {
		t.Fatalf("answer to an unfinished header: %q", line)
	}
}
