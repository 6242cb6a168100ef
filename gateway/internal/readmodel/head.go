package readmodel

import (
	"sync"
	"time"
)

// headTracker remembers what the model knows of the ledger's height and since
// when: observations (height, first seen) in increasing height. The lag of the
// model is the age of the oldest observation above its own height: the ledger
// has had a block the model lacks since at least then.
type headTracker struct {
	mu sync.Mutex
	// obs are increasing heights with the time each was first observed; the
	// first observation of a session has a zero time ("long ago").
	obs []observation
	// polled is when the head was last read from the ledger.
	polled time.Time
	fresh  bool // an observation has been made since start
}

type observation struct {
	height uint64
	at     time.Time
}

const maxObservations = 64

func (h *headTracker) noteLocked(height uint64, at time.Time) {
	if n := len(h.obs); n > 0 && h.obs[n-1].height >= height {
		return
	}
	if !h.fresh {
		// The first head seen after a start: the ledger may have had those
		// blocks for any time; the model is behind until it reaches them.
		at = time.Time{}
		h.fresh = true
	}
	if len(h.obs) == maxObservations {
		// Keep the oldest (it decides the lag) and make room at the end.
		copy(h.obs[1:], h.obs[2:])
		h.obs = h.obs[:len(h.obs)-1]
	}
	h.obs = append(h.obs, observation{height: height, at: at})
}

// polledHead records a head read from the ledger.
func (h *headTracker) polledHead(height uint64, at time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.polled = at
	h.noteLocked(height, at)
}

// lag returns how long the model at height applied has been behind, and
// whether the head is known (polled within maxAge).
func (h *headTracker) lag(applied uint64, now time.Time, maxAge time.Duration) (lag time.Duration, head uint64, known bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	i := 0
	for i < len(h.obs) && h.obs[i].height <= applied {
		i++
	}
	if i > 0 && i == len(h.obs) {
		i-- // keep the latest observation: it is the head
	}
	h.obs = h.obs[i:]
	if len(h.obs) == 0 || h.polled.IsZero() || now.Sub(h.polled) > maxAge {
		return 0, applied, false
	}
	head = h.obs[len(h.obs)-1].height
	if h.obs[0].height <= applied {
		return 0, max(head, applied), true
	}
	return now.Sub(h.obs[0].at), head, true
}
