package httpapi

import (
	"net/http"
	"testing"

	"github.com/certledger/certledger/gateway/internal/errmap"
)

func TestStreamLimitsUnit(t *testing.T) {
	l := newStreamLimits(2, 1, 10)
	// Head unknown: any start is allowed (bounded by the replay cap only).
	if err := l.checkStart(0, "fromBlock"); err != nil {
		t.Fatal(err)
	}
	l.seen(100)
	l.seen(50) // never goes back
	for _, c := range []struct {
		start int64
		ok    bool
	}{{-1, true}, {90, true}, {150, true}, {89, false}, {0, false}} {
		if err := l.checkStart(c.start, "fromBlock"); (err == nil) != c.ok {
			t.Errorf("start %d: %v", c.start, err)
		}
	}
	rel1, err := l.acquire("id:a", true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.acquire("id:b", true); errmap.Map(err).Status != http.StatusTooManyRequests {
		t.Errorf("second replay: %v", err)
	}
	rel2, err := l.acquire("id:a", false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.acquire("id:a", false); errmap.Map(err).Status != http.StatusTooManyRequests {
		t.Errorf("third stream of a: %v", err)
	}
	rel1()
	rel1() // releasing twice gives back one slot only
	rel2()
	if len(l.perCaller) != 0 || l.replays != 0 {
		t.Errorf("after release: %v %d", l.perCaller, l.replays)
	}
}
