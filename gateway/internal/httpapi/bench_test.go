package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// The gateway's own cost per request: a real HTTP round trip on loopback to a
// server whose ledger (ledgertest) answers at once. Compare with the ledger's
// latency to judge the overhead.

func benchServer(b *testing.B) (*httptest.Server, *http.Client) {
	e := newEnv(&testing.T{}, func(o *Options) {
		o.Logger = slog.New(slog.DiscardHandler)
		o.RateLimit.PerSecond = 0
	})
	ts := httptest.NewServer(e.srv.Handler())
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.Cleanup(func() { c.CloseIdleConnections(); ts.Close() })
	return ts, c
}

func BenchmarkIssueREST(b *testing.B) {
	ts, c := benchServer(b)
	var n atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			body, _ := json.Marshal(certRecord(fmt.Sprintf("c-%d", n.Add(1)), "dept-a"))
			req, _ := http.NewRequest("POST", ts.URL+"/api/v1/certificates", bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+aClerk)
			res, err := c.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, res.Body)
			_ = res.Body.Close()
			if res.StatusCode != 201 {
				b.Fatal(res.StatusCode)
			}
		}
	})
}

func BenchmarkVerifyREST(b *testing.B) {
	ts, c := benchServer(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			res, err := c.Get(ts.URL + "/api/v1/verify?id=c-1&hash=" + hashA)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, res.Body)
			_ = res.Body.Close()
			if res.StatusCode != 200 {
				b.Fatal(res.StatusCode)
			}
		}
	})
}
