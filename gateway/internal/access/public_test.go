package access

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/certledger/certledger/internal/domain/workorder"
)

// TestPublicViews checks the whitelists: the public aggregate carries counts and
// rates only, the citizen's progress no identity, signature, note or content hash.
func TestPublicViews(t *testing.T) {
	one := 0.5
	k := workorder.KPI{Department: "dept-a", From: "2026-01-01T00:00:00Z", To: "2026-04-01T00:00:00Z", Received: 4,
		Response: workorder.Rate{Numerator: 1, Denominator: 2, Rate: &one, Target: 0.95}, Unsatisfied: 1, Reopened: 1, Accountability: 3}
	b, _ := json.Marshal(Aggregate(k))
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	for _, f := range []string{"accountability", "unsatisfied", "reopened"} {
		if _, ok := m[f]; ok {
			t.Errorf("aggregate has %s: %s", f, b)
		}
	}
	if m["received"] != float64(4) || m["department"] != "dept-a" {
		t.Errorf("aggregate: %s", b)
	}

	secret := map[string]string{"commitment": strings.Repeat("c", 64), "content": strings.Repeat("d", 64),
		"note": strings.Repeat("e", 64), "actor": "CN=clerk.zhang", "msp": "DeptAMSP", "key": strings.Repeat("f", 64), "sig": "MEUCIQ=="}
	tk := workorder.Ticket{SubmitInput: workorder.SubmitInput{ID: "t-1", Category: "noise", ContentHash: secret["content"],
		ReporterCommitment: secret["commitment"], Channel: "web"}, State: workorder.StateAccepted, Department: "dept-a", TxID: strings.Repeat("1", 64)}
	tr := []workorder.Transition{{TicketID: "t-1", Seq: 1, Action: workorder.ActAccept, Role: workorder.RoleAssigned,
		From: workorder.StateAssigned, To: workorder.StateAccepted, Department: "dept-a", ActorMSP: secret["msp"], ActorID: secret["actor"],
		AssignedTo: "dept-a", NoteHash: secret["note"], KeyID: secret["key"], Signature: secret["sig"], Time: "2026-11-27T03:00:00Z", TxID: strings.Repeat("2", 64)}}
	b, _ = json.Marshal(CitizenProgress(tk, tr))
	for what, v := range secret {
		if strings.Contains(string(b), v) {
			t.Errorf("progress carries the %s %q: %s", what, v, b)
		}
	}
	var p Progress
	if err := json.Unmarshal(b, &p); err != nil || p.Ticket.State != workorder.StateAccepted || len(p.History) != 1 ||
		p.History[0].Action != workorder.ActAccept || p.History[0].Department != "dept-a" || p.History[0].TxID != tr[0].TxID {
		t.Errorf("progress: %s (%v)", b, err)
	}
	if OpensTicket("", "") || OpensTicket(strings.Repeat("a", 64), strings.Repeat("b", 64)) || !OpensTicket(secret["commitment"], secret["commitment"]) {
		t.Error("OpensTicket")
	}
}
