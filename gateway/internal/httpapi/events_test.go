package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

type sseEvent struct {
	id, name string
	data     EventMessage
}

// readEvents reads n events (skipping comments and retry lines) from an SSE body.
func readEvents(t *testing.T, sc *bufio.Scanner, n int) []sseEvent {
	t.Helper()
	var out []sseEvent
	var cur sseEvent
	for len(out) < n && sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if cur.id != "" {
				out = append(out, cur)
			}
			cur = sseEvent{}
		case strings.HasPrefix(line, "id: "):
			cur.id = strings.TrimPrefix(line, "id: ")
		case strings.HasPrefix(line, "event: "):
			cur.name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &cur.data); err != nil {
				t.Fatalf("data %q: %v", line, err)
			}
		}
	}
	if len(out) < n {
		t.Fatalf("got %d events, want %d (scan error %v)", len(out), n, sc.Err())
	}
	return out
}

func openStream(t *testing.T, ctx context.Context, c *http.Client, url, token string, hdr ...string) (*http.Response, *bufio.Scanner) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return res, bufio.NewScanner(res.Body)
}

func TestEvents(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Heartbeat = 20 * time.Millisecond })
	ts := httptest.NewServer(e.srv.Handler())
	defer ts.Close()
	c := ts.Client()
	defer c.CloseIdleConnections()

	var blocks []float64
	for _, id := range []string{"c-1", "c-2"} {
		r := e.do("POST", "/api/v1/certificates", aClerk, certRecord(id, "dept-a"))
		if r.status != 201 {
			t.Fatal(r.status)
		}
		blocks = append(blocks, r.json(t)["blockNumber"].(float64))
	}
	if blocks[1] != blocks[0]+1 {
		t.Fatalf("issues in blocks %v, want consecutive blocks", blocks)
	}
	from := uint64(blocks[0])
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// Replay from the first issue's block (the set-up wrote the blocks before), then a live event.
	res, sc := openStream(t, ctx, c, ts.URL+"/api/v1/events?fromBlock="+strconv.FormatUint(from, 10), aAuditor)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("%d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	got := readEvents(t, sc, 2)
	if got[0].name != "CertificateIssued" || got[0].data.BlockNumber != from || got[1].data.BlockNumber != from+1 {
		t.Fatalf("replay %+v", got)
	}
	var rec map[string]any
	if err := json.Unmarshal(got[0].data.Payload, &rec); err != nil || rec["id"] != "c-1" {
		t.Fatalf("payload %s", got[0].data.Payload)
	}
	if got[0].id != strconv.FormatUint(from, 10)+"."+got[0].data.TxID {
		t.Fatalf("id %q", got[0].id)
	}
	if r := e.do("POST", "/api/v1/certificates/c-1/revoke", aClerk, e.statusReq("c-1", "revoke")); r.status != 200 {
		t.Fatal(r.status, string(r.body))
	}
	live := readEvents(t, sc, 1)
	if live[0].name != "CertificateRevoked" || live[0].data.BlockNumber != from+2 {
		t.Fatalf("live %+v", live)
	}
	_ = res.Body.Close()

	// Resume after the first event with Last-Event-ID: the next one is the second issue.
	res2, sc2 := openStream(t, ctx, c, ts.URL+"/api/v1/events?fromBlock=0", aAuditor, "Last-Event-ID", got[0].id)
	resumed := readEvents(t, sc2, 1)
	if resumed[0].data.BlockNumber != from+1 {
		t.Fatalf("resumed at %+v", resumed[0])
	}
	_ = res2.Body.Close()
}

func TestEventsRefusals(t *testing.T) {
	e := newEnv(t, nil)
	if r := e.do("GET", "/api/v1/events", "", nil); r.status != 401 {
		t.Fatalf("anonymous: %d", r.status)
	}
	if r := e.do("GET", "/api/v1/events?fromBlock=-1", aAuditor, nil); r.status != 400 {
		t.Fatalf("bad fromBlock: %d", r.status)
	}
	if r := e.do("GET", "/api/v1/events?from=0", aAuditor, nil); r.status != 400 || !strings.Contains(string(r.body), "fromBlock") {
		t.Fatalf("misspelt parameter: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/api/v1/events", aAuditor, nil, "Last-Event-ID", "x.y"); r.status != 400 {
		t.Fatalf("bad Last-Event-ID: %d", r.status)
	}
}

// TestEventsOutliveServerTimeouts keeps a stream open past the server's read and
// write timeouts.
func TestEventsOutliveServerTimeouts(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Heartbeat = 50 * time.Millisecond })
	ts := httptest.NewUnstartedServer(e.srv.Handler())
	ts.Config.ReadTimeout = 200 * time.Millisecond
	ts.Config.WriteTimeout = 200 * time.Millisecond
	ts.Start()
	defer ts.Close()
	c := ts.Client()
	defer c.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, sc := openStream(t, ctx, c, ts.URL+"/api/v1/events", aAuditor)
	defer func() { _ = res.Body.Close() }()
	start := time.Now()
	pings := 0
	for time.Since(start) < 800*time.Millisecond && sc.Scan() {
		if sc.Text() == ": ping" {
			pings++
		}
	}
	if time.Since(start) < 800*time.Millisecond || pings < 5 {
		t.Fatalf("stream ended after %v with %d pings (%v)", time.Since(start), pings, sc.Err())
	}
}
