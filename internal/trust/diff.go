package trust

import (
	"reflect"
	"slices"
	"time"
)

// Diff lists what the live registry and channel (src) say differently from b: one
// entry per department added, removed or changed (keys, revocations, names,
// categories, status), and "orgs" / "endorsementPolicy" / "channel" when those
// differ. An empty list means b is still current, whatever its height.
func Diff(b *Bundle, src Source) []string {
	live := Build(src, time.Time{})
	var out []string
	if live.Channel != b.Channel || live.Chaincode != b.Chaincode {
		out = append(out, "channel")
	}
	old := map[string]*Department{}
	for i := range b.Departments {
		old[b.Departments[i].ID] = &b.Departments[i]
	}
	for i := range live.Departments {
		d := &live.Departments[i]
		o, ok := old[d.ID]
		switch {
		case !ok:
			out = append(out, "department "+d.ID+": registered since")
		case !reflect.DeepEqual(d.Keys, o.Keys):
			out = append(out, "department "+d.ID+": keys")
		case !reflect.DeepEqual(d, o):
			out = append(out, "department "+d.ID+": details")
		}
		delete(old, d.ID)
	}
	var gone []string
	for id := range old {
		gone = append(gone, id)
	}
	slices.Sort(gone)
	for _, id := range gone {
		out = append(out, "department "+id+": no longer in the registry")
	}
	if len(src.Orgs) > 0 && !reflect.DeepEqual(live.Orgs, b.Orgs) {
		out = append(out, "orgs")
	}
	if len(src.Policy.MSPs) > 0 && !reflect.DeepEqual(live.Policy, b.Policy) {
		out = append(out, "endorsementPolicy")
	}
	return out
}
