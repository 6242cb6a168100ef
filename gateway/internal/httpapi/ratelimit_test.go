package httpapi

import (
	"fmt"
	"net/http/httptest"
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	now := time.Unix(0, 0)
	l := newLimiter(2, 3, func() time.Time { return now })
	for i := range 3 {
		if ok, _ := l.allow("a"); !ok {
			t.Fatalf("burst request %d refused", i)
		}
	}
	ok, wait := l.allow("a")
	if ok || wait < time.Second {
		t.Fatalf("4th: %v %v", ok, wait)
	}
	if ok, _ := l.allow("b"); !ok {
		t.Fatal("other address limited")
	}
	now = now.Add(500 * time.Millisecond) // one token back at 2/s
	if ok, _ := l.allow("a"); !ok {
		t.Fatal("no refill")
	}
	// Idle full buckets are swept when the table is large.
	for i := range sweepAt {
		l.allow(fmt.Sprint(i))
	}
	now = now.Add(time.Hour)
	l.allow("late")
	if len(l.buckets) > 2 {
		t.Fatalf("%d buckets after sweep", len(l.buckets))
	}
	if ok, _ := newLimiter(0, 0, time.Now).allow("x"); !ok {
		t.Fatal("disabled limiter refused")
	}
}

func TestClientIP(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.0.0.1:1234"
	r.Header.Set("X-Forwarded-For", "203.0.113.9, 198.51.100.7")
	if got := clientIP(r, false); got != "10.0.0.1" {
		t.Fatal(got)
	}
	if got := clientIP(r, true); got != "198.51.100.7" {
		t.Fatal(got)
	}
	r.Header.Set("X-Forwarded-For", "garbage")
	if got := clientIP(r, true); got != "10.0.0.1" {
		t.Fatal(got)
	}
}
