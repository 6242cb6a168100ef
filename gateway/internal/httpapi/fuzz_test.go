package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certledger/certledger/gateway/internal/config"
	"github.com/certledger/certledger/gateway/internal/ledgerclient"
	"github.com/certledger/certledger/internal/domain/wire"
)

// fuzzRoute is a write endpoint and a token allowed to call it.
type fuzzRoute struct{ method, path, token string }

// fuzzRoutes are every write endpoint that takes a JSON body.
func fuzzRoutes() []fuzzRoute {
	key := "/api/v1/departments/dept-a/keys/" + keyA
	routes := []fuzzRoute{
		{"POST", "/api/v1/certificates", aClerk},
		{"POST", "/api/v1/certificates/c-1/supersede", aClerk},
		{"POST", "/api/v1/certificates/c-1/revoke", aClerk},
		{"POST", "/api/v1/certificates/c-1/suspend", aClerk},
		{"POST", "/api/v1/certificates/c-1/reinstate", aClerk},
		{"POST", "/api/v1/departments", govAdmin},
		{"POST", "/api/v1/departments/dept-a/keys", govAdmin},
		{"POST", key + "/rotate", govAdmin},
		{"POST", key + "/revoke", aAdmin},
		{"POST", "/api/v1/catalog", aClerk},
		{"POST", "/api/v1/grants", aClerk},
		{"POST", "/api/v1/grants/g-1/revoke", aClerk},
		{"POST", "/api/v1/exchanges", aClerk},
		{"POST", "/api/v1/exchanges/x-1/ack", bClerk},
		{"POST", "/api/v1/exchanges/x-1/reject", bClerk},
		{"POST", "/api/v1/tickets", aClerk},
		{"PUT", "/api/v1/workorder/config/calendar", govAdmin},
		{"PUT", "/api/v1/workorder/config/sla", govAdmin},
		{"PUT", "/api/v1/workorder/config/intake", govAdmin},
	}
	for _, a := range ticketActions {
		routes = append(routes, fuzzRoute{"POST", "/api/v1/tickets/t-1/" + a, aClerk})
	}
	return routes
}

// FuzzWriteBodies sends arbitrary bodies to every write endpoint of a gateway
// in front of the real chaincode on the in-memory ledger. The JSON decoding (wire.Decode) and the field
// validation must never panic; a 500 may only come from the ledger side; a body
// that is not one JSON object with distinct keys is a 400 (or 413) and never
// reaches the ledger; every error answer is {code, message}.
func FuzzWriteBodies(f *testing.F) {
	// One server for every input (New costs milliseconds) over the real chaincode;
	// the ledger in front of it counts the calls each input causes.
	var ledger *countingLedger
	e := newEnvDepts(f, func(o *Options) {
		ledger = &countingLedger{Ledger: o.Ledger}
		o.Ledger = ledger
		o.Logger = slog.New(slog.DiscardHandler)
		o.MVCCRetries = 1
		o.RateLimit = config.RateLimit{}
	}, envDepts())
	srv := e.srv
	cert, _ := json.Marshal(certRecord("c-2", "dept-a"))
	status, _ := json.Marshal(e.statusReq("c-1", "revoke"))
	for i := range fuzzRoutes() {
		f.Add(uint8(i), []byte(`{}`))
	}
	f.Add(uint8(0), cert)
	f.Add(uint8(0), bytes.Replace(cert, []byte(`"id"`), []byte(`"ID"`), 1))
	f.Add(uint8(0), append([]byte(`{"id":"x",`), cert[1:]...))
	f.Add(uint8(2), status)
	f.Add(uint8(5), []byte(`{"id":"dept-c","name":"C","mspId":"OrgCMSP","publicKeys":["x"]}`))
	f.Add(uint8(10), []byte(`{"id":"g-1","provider":"dept-a","consumer":"dept-b","item":"i","fields":["a"],"purpose":"p","legalBasis":"l","validFrom":"2026-01-01T00:00:00Z","validUntil":"2027-01-01T00:00:00Z","keyId":"`+keyA+`","signature":"`+sigB64+`"}`))
	f.Add(uint8(15), []byte(`{"id":"t-1","category":"noise","contentHash":"`+hashA+`","reporterCommitment":"`+commitA+`","channel":"web"}`))
	f.Add(uint8(16), []byte(`{"utcOffset":"+08:00","holidays":["2026-10-01"]}`))
	f.Add(uint8(19), []byte(`{"ticketId":"t-1","action":"accept","department":"dept-a","prevTxId":"tx","keyId":"`+keyA+`","signature":"`+sigB64+`"}`))
	routes := fuzzRoutes()
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		rt := routes[int(route)%len(routes)]
		req := httptest.NewRequest(rt.method, rt.path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+rt.token)
		rec := httptest.NewRecorder()
		before := ledger.calls.Load()
		srv.Handler().ServeHTTP(rec, req)
		calls := ledger.calls.Load() - before
		strict := strictlyDecodes(body)
		switch {
		case rec.Code == http.StatusInternalServerError && calls == 0:
			t.Fatalf("%s %s: 500 without a ledger call for %q: %s", rt.method, rt.path, body, rec.Body)
		case !strict && calls > 0:
			t.Fatalf("%s %s: a body the strict decoder refuses reached the ledger: %q", rt.method, rt.path, body)
		case !strict && rec.Code != http.StatusBadRequest && rec.Code != http.StatusRequestEntityTooLarge:
			t.Fatalf("%s %s: a body the strict decoder refuses got %d: %q", rt.method, rt.path, rec.Code, body)
		case rec.Code == http.StatusRequestEntityTooLarge && calls > 0:
			t.Fatalf("%s %s: 413 but the ledger was called", rt.method, rt.path)
		}
		if rec.Code >= 400 {
			var p struct{ Code, Message string }
			if json.Unmarshal(rec.Body.Bytes(), &p) != nil || p.Code == "" || p.Message == "" {
				t.Fatalf("%s %s: %d without {code, message}: %s", rt.method, rt.path, rec.Code, rec.Body)
			}
		}
	})
}

// countingLedger counts the Evaluate and Submit calls that reach the ledger.
type countingLedger struct {
	ledgerclient.Ledger
	calls atomic.Int64
}

func (c *countingLedger) Evaluate(ctx context.Context, org, fn string, args ...string) ([]byte, error) {
	c.calls.Add(1)
	return c.Ledger.Evaluate(ctx, org, fn, args...)
}

func (c *countingLedger) Submit(ctx context.Context, org, fn string, args ...string) (*ledgerclient.Result, error) {
	c.calls.Add(1)
	return c.Ledger.Submit(ctx, org, fn, args...)
}

// strictlyDecodes reports whether body is one JSON object without duplicate keys.
func strictlyDecodes(body []byte) bool {
	var m map[string]json.RawMessage
	return wire.DecodeBytes(body, &m) == nil
}

// FuzzStreamParams: the event stream's Last-Event-ID and ?fromBlock, as
// parseResume reads them, and the events endpoint's query check. A resume
// point is accepted only when it is a block number the header or the query
// spells in decimal.
func FuzzStreamParams(f *testing.F) {
	for _, s := range [][2]string{
		{"", ""}, {"12.abc", ""}, {"", "fromBlock=7"}, {"-1.x", ""}, {"", "fromBlock=-1"}, {"18446744073709551616", ""},
		{" 5 ", "from=0"}, {"5", "fromBlock=1&fromBlock=2"}, {"", "fromBlock=%zz"}, {"\x00", ""},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, lastEventID, rawQuery string) {
		r := httptest.NewRequest("GET", "/api/v1/events", nil)
		r.URL.RawQuery = rawQuery
		r.Header.Set("Last-Event-ID", lastEventID)
		start, after, err := parseResume(r)
		if err != nil {
			return
		}
		lei := strings.TrimSpace(lastEventID)
		q := r.URL.Query().Get("fromBlock")
		switch {
		case lei != "":
			b, tx, _ := strings.Cut(lei, ".")
			n, perr := strconv.ParseUint(b, 10, 63)
			if perr != nil || start != int64(n) || after != tx {
				t.Fatalf("Last-Event-ID %q gave start %d after %q", lastEventID, start, after)
			}
		case q != "":
			n, perr := strconv.ParseUint(q, 10, 63)
			if perr != nil || start != int64(n) || after != "" {
				t.Fatalf("fromBlock %q gave start %d", q, start)
			}
		default:
			if start != -1 || after != "" {
				t.Fatalf("no resume point gave start %d after %q", start, after)
			}
		}
		if start < -1 {
			t.Fatalf("negative start %d", start)
		}
	})
}

// FuzzListQueries: the paging, period and filter parameters of the list
// endpoints. What passes the checks is what the chaincode accepts: pageSize
// 1..500, a bookmark of at most 1024 bytes, ids and times of the shared rules;
// and the chaincode's query object is always valid JSON holding only them.
func FuzzListQueries(f *testing.F) {
	for _, s := range []string{
		"", "pageSize=10&bookmark=abc", "pageSize=0", "pageSize=501", "pageSize=1e3", "pageSize=-1", "bookmark=" + strings.Repeat("b", 1100),
		"from=2026-01-01&to=2026-12-31", "from=yesterday", "provider=dept-a&consumer=dept-b&grantId=g-1&status=sent",
		"provider=" + url.QueryEscape(`a","consumer":"b`), "from=2026-01-01T00:00:00%2B08:00",
	} {
		f.Add(s)
	}
	zone, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		f.Fatal(err)
	}
	srv := &Server{opts: Options{TimeZone: zone}}
	f.Fuzz(func(t *testing.T, rawQuery string) {
		r := httptest.NewRequest("GET", "/api/v1/exchanges", nil)
		r.URL.RawQuery = rawQuery
		var c checks
		ps, bm := pageQuery(r, &c)
		from, to := srv.period(r, &c, false)
		q := map[string]any{}
		exchangeListQuery(r, &c, q, "grantId", "status", "from", "to")
		if c.err() != nil {
			return
		}
		if ps != "" {
			if n, err := strconv.Atoi(ps); err != nil || n < 1 || n > 500 {
				t.Fatalf("pageSize %q passed", ps)
			}
		}
		if len(bm) > 1024 {
			t.Fatalf("bookmark of %d bytes passed", len(bm))
		}
		for _, s := range []string{from, to} {
			if s == "" { // an absent optional bound
				continue
			}
			if _, err := time.Parse(time.DateOnly, s); err != nil {
				if _, err := wire.ParseTime(s); err != nil {
					t.Fatalf("period %q passed", s)
				}
			}
		}
		for _, k := range []string{"provider", "consumer"} {
			if v := q[k].(string); v != "" && !wire.ValidID(v) {
				t.Fatalf("%s %q passed", k, v)
			}
		}
		var back map[string]any
		if err := json.Unmarshal([]byte(mustJSON(q)), &back); err != nil {
			t.Fatalf("query object is not JSON: %v", err)
		}
		for k := range back {
			switch k {
			case "provider", "consumer", "pageSize", "bookmark", "grantId", "status", "from", "to":
			default:
				t.Fatalf("query object grew key %q from %q", k, rawQuery)
			}
		}
	})
}
