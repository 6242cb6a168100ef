package httpapi

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certledger/certledger/internal/domain/workorder"
)

// TestTicketControlsDevnet: against the in-process devnet through the gateway — the
// shipped 2026 calendar loads, a new ticket takes its version, a sweep preview is an
// evaluation that writes nothing, return and route work, and the trace names the
// Fabric identity that submitted each department action and its tx id.
func TestTicketControlsDevnet(t *testing.T) {
	s := startTicketStack(t)
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "data", "calendar", "2026.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sched map[string]any
	if err := json.Unmarshal(b, &sched); err != nil {
		t.Fatal(err)
	}
	s.must(t, "POST", "/api/v1/workorder/calendar/years", "a", sched, 403)
	s.must(t, "POST", "/api/v1/workorder/calendar/years", "gov", sched, 200)
	var y struct {
		Version  int      `json:"version"`
		Workdays []string `json:"workdays"`
		Schedule *struct {
			Source struct {
				Number string `json:"number"`
			} `json:"source"`
		} `json:"schedule"`
	}
	if err := json.Unmarshal(s.must(t, "GET", "/api/v1/workorder/calendar/years/2026", "auditor", nil, 200), &y); err != nil {
		t.Fatal(err)
	}
	if y.Version != 1 || len(y.Workdays) != 6 || y.Schedule == nil || y.Schedule.Source.Number != "国办发明电〔2025〕7号" {
		t.Fatalf("calendar year: %+v", y)
	}

	var pre struct {
		Tickets  []string `json:"tickets"`
		RolledUp int      `json:"rolledUp"`
	}
	if err := json.Unmarshal(s.must(t, "GET", "/api/v1/audit/sweep", "auditor", nil, 200), &pre); err != nil || len(pre.Tickets) != 0 {
		t.Fatalf("sweep preview: %v %+v", err, pre)
	}

	h := strings.Repeat("c", 64)
	var sub struct {
		Record workorder.Output `json:"record"`
	}
	if err := json.Unmarshal(s.must(t, "POST", "/api/v1/tickets", "gov", TicketInput{ID: "tc-1", Category: "noise", ContentHash: h, ReporterCommitment: h, Channel: "web"}, 201), &sub); err != nil {
		t.Fatal(err)
	}
	if sub.Record.Ticket.CalendarVersion != 1 {
		t.Errorf("new ticket calendar version %d", sub.Record.Ticket.CalendarVersion)
	}
	s.must(t, "POST", "/api/v1/tickets/tc-1/return", "a", s.signed(t, "dept-a", "return", "tc-1", ""), 200)
	s.must(t, "POST", "/api/v1/tickets/tc-1/route", "gov", map[string]any{"ticketId": "tc-1", "target": "dept-b"}, 200)
	var trace []workorder.Transition
	if err := json.Unmarshal(s.must(t, "GET", "/api/v1/tickets/tc-1/trace", "auditor", nil, 200), &trace); err != nil {
		t.Fatal(err)
	}
	if len(trace) != 4 || trace[2].Action != workorder.ActReturn || trace[3].AssignedTo != "dept-b" {
		t.Fatalf("trace %+v", trace)
	}
	for _, tr := range trace {
		if tr.TxID == "" || tr.ActorMSP == "" || tr.ActorID == "" || strings.Contains(tr.ActorID, "CN=") {
			t.Errorf("transition %d (%s): msp %q identity %q tx %q", tr.Seq, tr.Action, tr.ActorMSP, tr.ActorID, tr.TxID)
		}
	}
}
