package exchange

import (
	"encoding/json"
	"testing"
)

// FuzzSendRequest feeds arbitrary JSON to the request validators: they must
// never panic, and an accepted field list is sorted, unique and within limits.
func FuzzSendRequest(f *testing.F) {
	f.Add(`{"id":"x-1","grantId":"g-1","provider":"a","consumer":"b","fields":["a","b"],"payloadHash":"` + hashA + `","keyId":"` + hashA + `","signature":"MAYCAQECAQE="}`)
	f.Add(`{"fields":["b","a","a"]}`)
	f.Add(`{"id":"","fields":null}`)
	f.Fuzz(func(t *testing.T, doc string) {
		var r SendRequest
		if json.Unmarshal([]byte(doc), &r) != nil {
			return
		}
		if r.Validate() == nil {
			if CheckFields(r.Fields) != nil || len(r.Fields) == 0 {
				t.Fatalf("accepted bad fields %q", r.Fields)
			}
		}
		var a Ack
		_ = json.Unmarshal([]byte(doc), &a)
		_ = a.Validate()
		var g GrantRequest
		_ = json.Unmarshal([]byte(doc), &g)
		_ = g.Validate()
		var q Query
		_ = json.Unmarshal([]byte(doc), &q)
		_ = q.Validate()
	})
}
