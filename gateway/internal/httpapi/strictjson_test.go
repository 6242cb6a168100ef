package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestStrictKeys: a body whose keys differ from the field names only in case,
// or that repeats a key, is refused with 400 before anything reaches the ledger
// (encoding/json alone would take {"ID":...} as "id" and the last of two "id"s).
func TestStrictKeys(t *testing.T) {
	cert, _ := json.Marshal(certRecord("c-2", "dept-a"))
	status, _ := json.Marshal(seeded(t).statusReq("c-1", "revoke"))
	upper := strings.NewReplacer(`"id"`, `"ID"`, `"docHash"`, `"DOCHASH"`).Replace(string(cert))
	for _, c := range []struct {
		name, path, body, msg string
	}{
		{"issue upper-case keys", "/api/v1/certificates", upper, `unknown field "ID" (field names are case-sensitive: want "id")`},
		{"issue one key in title case", "/api/v1/certificates", strings.Replace(string(cert), `"keyId"`, `"KeyId"`, 1), `"KeyId"`},
		{"issue duplicate key", "/api/v1/certificates", `{"id":"c-9",` + string(cert)[1:], `duplicate key "id"`},
		{"issue duplicate by escape", "/api/v1/certificates", strings.TrimSuffix(string(cert), "}") + `,"\u0074ype":"permit"}`, `duplicate key "type"`},
		{"revoke upper-case action", "/api/v1/certificates/c-1/revoke", strings.Replace(string(status), `"action"`, `"Action"`, 1), `"Action"`},
		{"revoke duplicate prevTxId", "/api/v1/certificates/c-1/revoke", strings.TrimSuffix(string(status), "}") + `,"prevTxId":"tx0002"}`, `duplicate key "prevTxId"`},
		{"register department case", "/api/v1/departments", `{"ID":"dept-c","name":"C","mspId":"OrgCMSP","publicKeys":[]}`, `"ID"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := seeded(t)
			before := len(e.fake.Calls())
			tok := aClerk
			if strings.Contains(c.path, "departments") {
				tok = govAdmin
			}
			r := e.do("POST", c.path, tok, c.body)
			if r.status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400; body %s", r.status, r.body)
			}
			m := r.json(t)
			if m["code"] != "INVALID_ARGUMENT" || !strings.Contains(fmt.Sprint(m["message"]), c.msg) {
				t.Fatalf("body %s, want INVALID_ARGUMENT containing %q", r.body, c.msg)
			}
			if calls := e.fake.Calls()[before:]; len(calls) != 0 {
				t.Fatalf("refused body reached the ledger: %+v", calls)
			}
		})
	}
}

// TestValidityTimes: signed validity times must be UTC and inside the window
// (not before 1949-10-01, at most 100 years ahead); refused with 400 before the ledger.
func TestValidityTimes(t *testing.T) {
	for _, c := range []struct {
		name, from, until, msg string
	}{
		{"offset", "2026-11-28T08:00:00+08:00", "2031-11-28T00:00:00Z", "validFrom: not a UTC time"},
		{"+00:00", "2026-11-28T00:00:00Z", "2031-11-28T00:00:00+00:00", "validUntil: not a UTC time"},
		{"year 1", "0001-01-01T00:00:00Z", "2031-11-28T00:00:00Z", "before the earliest validity time"},
		{"until 9999", "2026-11-28T00:00:00Z", "9999-12-31T23:59:59Z", "more than 100 years"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := seeded(t)
			before := len(e.fake.Calls())
			rec := certRecord("c-2", "dept-a")
			rec.ValidFrom, rec.ValidUntil = c.from, c.until
			r := e.do("POST", "/api/v1/certificates", aClerk, rec)
			if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), c.msg) {
				t.Fatalf("status %d body %s, want 400 containing %q", r.status, r.body, c.msg)
			}
			if calls := e.fake.Calls()[before:]; len(calls) != 0 {
				t.Fatalf("refused body reached the ledger: %+v", calls)
			}
		})
	}
}
