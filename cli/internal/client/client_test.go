package client

import (
	"context"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestDoAndErrors(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		switch r.URL.Path {
		case "/api/v1/ok":
			if r.Header.Get("Authorization") != "Bearer tok" || r.Header.Get("Content-Type") != "application/json" {
				w.WriteHeader(401)
				return
			}
			_, _ = w.Write([]byte(`{"txId":"t1","blockNumber":7,"record":{"id":"c/1"}}`))
		case "/api/v1/certificates/a b":
			_, _ = w.Write([]byte(`{"id":"a b"}`))
		case "/api/v1/forbidden":
			w.WriteHeader(403)
			_, _ = w.Write([]byte(`{"code":"FORBIDDEN","message":"not yours"}`))
		case "/api/v1/busy":
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(503)
			_, _ = w.Write([]byte(`{"code":"UNAVAILABLE","message":"mvcc"}`))
		case "/api/v1/html":
			w.WriteHeader(502)
			_, _ = w.Write([]byte(`<html>bad gateway</html>`))
		}
	}))
	defer srv.Close()
	c, err := New(srv.URL+"/", "tok", "")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var out WriteResult[Certificate]
	if err := c.Do(ctx, "POST", "/api/v1/ok", map[string]string{"a": "b"}, &out); err != nil || out.TxID != "t1" || out.BlockNumber != 7 || out.Record.ID != "c/1" {
		t.Fatalf("%v %+v", err, out)
	}
	if cert, err := c.GetCertificate(ctx, "a b"); err != nil || cert.ID != "a b" {
		t.Fatalf("escaping: %v %+v", err, cert)
	}
	err = c.Do(ctx, "GET", "/api/v1/forbidden", nil, nil)
	var e *Error
	if !errors.As(err, &e) || e.Status != 403 || e.Code != "FORBIDDEN" || e.Message != "not yours" || !HasCode(err, "FORBIDDEN") {
		t.Fatalf("%#v", err)
	}
	if errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "FORBIDDEN: not yours (HTTP 403") {
		t.Fatal(err)
	}
	calls.Store(0)
	err = c.Do(ctx, "GET", "/api/v1/busy", nil, nil)
	if !errors.Is(err, ErrUnreachable) || calls.Load() != 3 || StatusOf(err) != 503 {
		t.Fatalf("busy: %v after %d calls", err, calls.Load())
	}
	err = c.Do(ctx, "GET", "/api/v1/html", nil, nil)
	if !errors.As(err, &e) || e.Code != "" || !strings.Contains(e.Message, "bad gateway") || !errors.Is(err, ErrUnreachable) {
		t.Fatalf("html: %v", err)
	}
}

func TestUnreachableAndConfig(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	u := srv.URL
	srv.Close()
	c, _ := New(u, "", "", WithTimeout(2*time.Second), WithRetries(0))
	err := c.Do(context.Background(), "GET", "/x", nil, nil)
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("%v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Do(ctx, "GET", "/x", nil, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
	for _, bad := range []string{"", "127.0.0.1:8080", "ftp://x", "http://"} {
		if _, err := New(bad, "", ""); !errors.Is(err, ErrConfig) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if _, err := New("https://x", "", "/nonexistent/ca.pem"); !errors.Is(err, ErrConfig) {
		t.Fatal(err)
	}
}

func TestCACert(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(`{}`)) }))
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := New(srv.URL, "", ca)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Do(context.Background(), "GET", "/", nil, nil); err != nil {
		t.Fatal(err)
	}
	// without the CA the handshake fails: unreachable
	c2, _ := New(srv.URL, "", "", WithRetries(0))
	if err := c2.Do(context.Background(), "GET", "/", nil, nil); !errors.Is(err, ErrUnreachable) {
		t.Fatal(err)
	}
}

// Issue 12 items 7 and 14: a write whose commit the gateway could not confirm
// (504 COMMIT_UNKNOWN) is retried with the same body, and answered by the
// committed result; one that stays unknown says to rerun with the same record.
func TestCommitUnknownIsRetriedWithTheSameBody(t *testing.T) {
	var (
		calls  atomic.Int32
		bodies = make(chan string, 10)
		give   atomic.Int32 // answers COMMIT_UNKNOWN this many times
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		b := make([]byte, 512)
		n, _ := r.Body.Read(b)
		bodies <- string(b[:n])
		if give.Add(-1) >= 0 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(504)
			_, _ = w.Write([]byte(`{"code":"COMMIT_UNKNOWN","message":"transaction t9 was sent for ordering but its commit could not be confirmed in time; retry the same request"}`))
			return
		}
		w.Header().Set("Idempotent-Replay", "true")
		_, _ = w.Write([]byte(`{"txId":"t9","blockNumber":4,"record":{"id":"c-1","status":"revoked"}}`))
	}))
	defer srv.Close()
	c, err := New(srv.URL, "tok", "")
	if err != nil {
		t.Fatal(err)
	}
	give.Store(1)
	var out WriteResult[Certificate]
	if err := c.Do(context.Background(), "POST", "/api/v1/certificates/c-1/revoke", map[string]string{"prevTxId": "t1"}, &out); err != nil || out.TxID != "t9" {
		t.Fatalf("retry after COMMIT_UNKNOWN: %v %+v", err, out)
	}
	if first, second := <-bodies, <-bodies; first != second || calls.Load() != 2 {
		t.Fatalf("retry sent %q after %q (%d calls)", second, first, calls.Load())
	}

	calls.Store(0)
	give.Store(100)
	err = c.Do(context.Background(), "POST", "/api/v1/certificates/c-1/revoke", map[string]string{"prevTxId": "t1"}, &out)
	if !errors.Is(err, ErrOutcomeUnknown) || !HasCode(err, CodeCommitUnknown) || calls.Load() != 3 ||
		!strings.Contains(err.Error(), "same record") || !strings.Contains(err.Error(), "new id would issue twice") {
		t.Fatalf("unknown outcome after retries: %v (%d calls)", err, calls.Load())
	}
	// A read that fails is not a write of unknown outcome.
	if err := c.Do(context.Background(), "GET", "/api/v1/x", nil, nil); errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("GET: %v", err)
	}
}

// A 503 says nothing was written: no "may have committed" hint; a refused
// connection neither. A connection cut after the request was sent is unknown.
func TestOutcomeOfFailedWrites(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/cut" {
			hj, _ := w.(http.Hijacker)
			conn, _, _ := hj.Hijack()
			_ = conn.Close()
			return
		}
		w.Header().Set("Retry-After", "0")
		w.WriteHeader(503)
		_, _ = w.Write([]byte(`{"code":"UNAVAILABLE","message":"ledger unavailable, nothing was written; retry later"}`))
	}))
	c, _ := New(srv.URL, "", "", WithRetries(0))
	if err := c.Do(context.Background(), "POST", "/busy", map[string]string{}, nil); err == nil || errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("503: %v", err)
	}
	if err := c.Do(context.Background(), "POST", "/cut", map[string]string{}, nil); !errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("connection cut: %v", err)
	}
	u := srv.URL
	srv.Close()
	c2, _ := New(u, "", "", WithRetries(0))
	if err := c2.Do(context.Background(), "POST", "/x", map[string]string{}, nil); !errors.Is(err, ErrUnreachable) || errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("refused: %v", err)
	}
}
