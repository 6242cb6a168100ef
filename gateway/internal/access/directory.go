package access

import (
	"encoding/json"
	"fmt"
	"sort"
	"sync"
)

// Entry is what the directory keeps of a registered department. A department's
// MSP and parent are fixed when it is registered; later registry events (keys)
// do not change them.
type Entry struct {
	ID     string `json:"id"`
	MSP    string `json:"mspId"`
	Parent string `json:"parent"`
}

// Directory maps department ids to their MSP and parent, and MSPs back to their
// departments. It is filled from the registry's department list (Replace) and
// kept current from registry events (Apply). Safe for concurrent use; the zero
// value is not usable, call NewDirectory.
type Directory struct {
	mu     sync.RWMutex
	byID   map[string]Entry
	loaded bool
}

// NewDirectory returns an empty directory.
func NewDirectory() *Directory { return &Directory{byID: map[string]Entry{}} }

// Lookup returns the entry of department id.
func (d *Directory) Lookup(id string) (Entry, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	e, ok := d.byID[id]
	return e, ok
}

// Has reports whether every id is known.
func (d *Directory) Has(ids ...string) bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	for _, id := range ids {
		if _, ok := d.byID[id]; !ok {
			return false
		}
	}
	return true
}

// Loaded reports whether a full list has been read (Replace was called).
func (d *Directory) Loaded() bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.loaded
}

// ByMSP returns the departments that submit as msp, ordered by id.
func (d *Directory) ByMSP(msp string) []Entry {
	d.mu.RLock()
	defer d.mu.RUnlock()
	var out []Entry
	for _, e := range d.byID {
		if e.MSP == msp {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Len is the number of departments known.
func (d *Directory) Len() int {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return len(d.byID)
}

// Put adds or replaces one department.
func (d *Directory) Put(e Entry) {
	if e.ID == "" {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.byID[e.ID] = e
}

// Replace adds every department of a full list (registry:ListDepartments).
// Departments are never deleted from the registry, so entries learnt from
// events after the list was read are kept.
func (d *Directory) Replace(entries []Entry) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, e := range entries {
		if e.ID != "" {
			d.byID[e.ID] = e
		}
	}
	d.loaded = true
}

// registryEvents are the registry events whose payload is the department written.
var registryEvents = map[string]bool{"DepartmentRegistered": true, "KeyAdded": true, "KeyRotated": true, "KeyRevoked": true}

// Apply takes a chaincode event into the directory when it is a registry event
// carrying a department, and reports whether it was one.
func (d *Directory) Apply(name string, payload []byte) bool {
	if !registryEvents[name] {
		return false
	}
	var e Entry
	if json.Unmarshal(payload, &e) != nil || e.ID == "" {
		return false
	}
	d.Put(e)
	return true
}

// DecodeList reads the result of registry:ListDepartments.
func DecodeList(raw []byte) ([]Entry, error) {
	var out []Entry
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("decoding the department list: %w", err)
	}
	return out, nil
}
