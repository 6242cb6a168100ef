package httpapi

import (
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/certledger/certledger/gateway/internal/errmap"
)

// Stream limits (docs/api.md, "Event streams"). Defaults of Options.
const (
	DefaultMaxStreamsPerCaller = 4
	DefaultMaxReplays          = 4
	DefaultMaxReplayBlocks     = 1000
)

// streamLimits bounds event streams: how many one caller holds open at once, how
// many replays (streams starting from a past block) run at once on the gateway,
// and how far back a replay may start: at most maxReplayBlocks behind the newest
// block the gateway has seen (its own commits, the events it streams and follows).
type streamLimits struct {
	maxPerCaller, maxReplays int
	maxReplayBlocks          uint64

	mu        sync.Mutex
	perCaller map[string]int
	replays   int
	head      atomic.Uint64
}

func newStreamLimits(perCaller, replays, replayBlocks int) *streamLimits {
	if perCaller <= 0 {
		perCaller = DefaultMaxStreamsPerCaller
	}
	if replays <= 0 {
		replays = DefaultMaxReplays
	}
	if replayBlocks <= 0 {
		replayBlocks = DefaultMaxReplayBlocks
	}
	return &streamLimits{maxPerCaller: perCaller, maxReplays: replays, maxReplayBlocks: uint64(replayBlocks), perCaller: map[string]int{}}
}

// seen raises the newest block known.
func (l *streamLimits) seen(block uint64) {
	for {
		h := l.head.Load()
		if block <= h || l.head.CompareAndSwap(h, block) {
			return
		}
	}
}

// checkStart refuses a replay that starts too far behind the newest block known.
func (l *streamLimits) checkStart(start int64, param string) error {
	if start < 0 {
		return nil
	}
	head := l.head.Load()
	if head > l.maxReplayBlocks && uint64(start) < head-l.maxReplayBlocks {
		return badRequest("%s: block %d is more than %d blocks behind the newest block %d; replay from block %d or later, and read older records with the history endpoints",
			param, start, l.maxReplayBlocks, head, head-l.maxReplayBlocks)
	}
	return nil
}

// acquire takes a stream slot for caller key (a replay also takes a replay slot);
// release gives them back.
func (l *streamLimits) acquire(key string, replay bool) (release func(), err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.perCaller[key] >= l.maxPerCaller {
		return nil, &errmap.Error{Status: http.StatusTooManyRequests, Code: errmap.RateLimited, RetryAfter: errmap.RetryAfter,
			Msg: fmt.Sprintf("too many open event streams for this caller (at most %d); close one first", l.maxPerCaller)}
	}
	if replay && l.replays >= l.maxReplays {
		return nil, &errmap.Error{Status: http.StatusTooManyRequests, Code: errmap.RateLimited, RetryAfter: errmap.RetryAfter,
			Msg: fmt.Sprintf("too many replays running (at most %d at once); retry later or stream from the next commit", l.maxReplays)}
	}
	l.perCaller[key]++
	if replay {
		l.replays++
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			if l.perCaller[key]--; l.perCaller[key] <= 0 {
				delete(l.perCaller, key)
			}
			if replay {
				l.replays--
			}
		})
	}, nil
}
