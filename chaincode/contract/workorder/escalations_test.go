package workorder_test

import (
	"testing"
	"time"

	"github.com/certledger/certledger/chaincode/contract/workorder"
	"github.com/certledger/certledger/chaincode/ledgertest"
	"github.com/certledger/certledger/internal/codes"
)

// TestEscalations lists escalations away from a department: by the supervisor and by
// the sweep, in time order, within the period, paged; a transfer is not one.
func TestEscalations(t *testing.T) {
	w := newWorld(t)
	w.must(w.submit("T1", "noise"))
	w.must(w.submit("T2", "noise"))
	w.must(w.submit("T3", "housing"))
	w.l.Advance(time.Hour)
	w.must(w.act(w.b, "Transfer", "T3", "A")) // a transfer: not an escalation
	w.must(w.act(w.p, "Escalate", "T1", "P"))
	// T2 and T3 miss A's respond-by (Mon 10:00 +08:00); the sweep escalates them to P.
	w.l.SetNow(time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC))
	if r := w.l.Submit(w.a.tx(), "workorder:Sweep", ""); !r.OK() {
		t.Fatalf("sweep: %s", r.Message)
	}

	list := func(dept, from, to, size, bm string) workorder.Page[workorder.Escalation] {
		t.Helper()
		var p workorder.Page[workorder.Escalation]
		w.l.MustEvaluate(ledgertest.Gov, "workorder:Escalations", dept, from, to, size, bm).MustDecode(t, &p)
		return p
	}
	p := list("A", "2026-11-01", "2026-12-31", "", "")
	if p.Count != 3 || p.Records[0].TicketID != "T1" || p.Records[0].To != "P" || p.Records[0].From != "A" ||
		p.Records[0].At != "2026-11-27T03:00:00Z" || p.Records[0].Episode != 1 {
		t.Fatalf("escalations of A: %+v", p)
	}
	if r := p.Records[2]; r.TicketID != "T3" || r.Episode != 2 || r.At != "2026-12-01T02:00:00Z" {
		t.Errorf("T3 (escalated in its second episode): %+v", r)
	}
	first := list("A", "2026-11-01", "2026-12-31", "2", "")
	if first.Count != 2 || first.Bookmark == "" {
		t.Fatalf("first page: %+v", first)
	}
	if rest := list("A", "2026-11-01", "2026-12-31", "2", first.Bookmark); rest.Count != 1 || rest.Records[0].TicketID != "T3" {
		t.Errorf("second page: %+v", rest)
	}
	if p := list("A", "2026-11-28", "2026-11-30", "", ""); p.Count != 0 {
		t.Errorf("a period without escalations: %+v", p)
	}
	if p := list("B", "2026-11-01", "2026-12-31", "", ""); p.Count != 0 {
		t.Errorf("B transferred, never had a ticket escalated: %+v", p)
	}
	wantCode(t, w.l.Evaluate(ledgertest.Gov, "workorder:Escalations", "A", "2026-12-31", "2026-11-01", "", ""), codes.InvalidArgument)
	wantCode(t, w.l.Evaluate(ledgertest.Gov, "workorder:Escalations", "a/b", "2026-11-01", "2026-12-31", "", ""), codes.InvalidArgument)
}
