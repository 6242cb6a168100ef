package registry

import (
	"crypto/ecdsa"
	"sync"
)

// maxParsedKeys bounds parsedKeys: a registry holds a few keys per department;
// a verifier given many trust bundles should not grow without limit.
const maxParsedKeys = 1024

// parsedKeys memoises Key.Public: every signature check (a read model answers
// thousands a second) would otherwise parse the stored PEM and hash the key
// for its id again. An entry is keyed by id and PEM together, and stored only
// after the PEM parsed and matched the id, so a hit is what parsing would give.
var parsedKeys = &keyCache{m: map[[2]string]*ecdsa.PublicKey{}}

type keyCache struct {
	mu sync.RWMutex
	m  map[[2]string]*ecdsa.PublicKey
}

func (c *keyCache) get(id, pem string) (*ecdsa.PublicKey, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	pub, ok := c.m[[2]string{id, pem}]
	return pub, ok
}

// put stores pub; a full cache is emptied first (keys are few and cheap to
// parse again, so no recency is kept).
func (c *keyCache) put(id, pem string, pub *ecdsa.PublicKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxParsedKeys {
		clear(c.m)
	}
	c.m[[2]string{id, pem}] = pub
}
