package rawhttp

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The client reads Content-Length and chunked bodies, keeps connections
// alive, and dials again after the server closes one.
func TestGet(t *testing.T) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/len":
			w.Header().Set("Content-Length", "5")
			_, _ = w.Write([]byte("hello"))
		case "/chunked":
			for i := range 3 {
				_, _ = fmt.Fprintf(w, "part%d;", i)
				w.(http.Flusher).Flush()
			}
		case "/close":
			w.Header().Set("Connection", "close")
			_, _ = w.Write([]byte("bye"))
		case "/q":
			_, _ = w.Write([]byte(r.URL.Query().Get("id")))
		default:
			http.NotFound(w, r)
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	cl, err := New(srv.URL, 4, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx := context.Background()
	for _, c := range []struct {
		path, want string
		status     int
	}{
		{"/len", "hello", 200}, {"/chunked", "part0;part1;part2;", 200}, {"/q?id=a%2Fb", "a/b", 200},
		{"/close", "bye", 200}, {"/len", "hello", 200}, {"/missing", "404 page not found\n", 404},
	} {
		var b bytes.Buffer
		status, err := cl.Get(ctx, c.path, &b)
		if err != nil || status != c.status || b.String() != c.want {
			t.Fatalf("GET %s: %d %q %v, want %d %q", c.path, status, b.String(), err, c.status, c.want)
		}
	}
	// One connection until the server closed it, then a second one.
	if n := conns.Load(); n != 2 {
		t.Fatalf("%d connections, want 2", n)
	}
}

// Concurrent callers each get their own connection, at most as many as asked
// are kept.
func TestConcurrent(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(strings.Repeat("x", 10_000)))
	}))
	defer srv.Close()
	cl, err := New(srv.URL, 8, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			for range 50 {
				var b bytes.Buffer
				if status, err := cl.Get(context.Background(), "/", &b); err != nil || status != 200 || b.Len() != 10_000 {
					errs <- fmt.Errorf("%d %d %w", status, b.Len(), err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := len(cl.idle); n > 8 {
		t.Fatalf("%d idle connections kept, want at most 8", n)
	}
}

func TestNewRefusesOtherSchemes(t *testing.T) {
	for _, base := range []string{"https://x:1", "x:1", "http://"} {
		if _, err := New(base, 1, time.Second); err == nil {
			t.Errorf("New(%q): no error", base)
		}
	}
}

// A server that is gone is an error, not a hang.
func TestServerGone(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	cl, err := New(url, 1, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if _, err := cl.Get(context.Background(), "/", &b); err == nil {
		t.Fatal("no error from a closed server")
	}
}
