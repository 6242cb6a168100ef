package httpapi

import (
	"github.com/certledger/certledger/gateway/internal/access"
	"github.com/certledger/certledger/internal/domain/workorder"
)

// TicketInput is the body of POST /api/v1/tickets (workorder:Submit).
type TicketInput = workorder.SubmitInput

// TicketAction is the body of POST /api/v1/tickets/{id}/<action>: a department's
// signed action (signature over ticketId, action, department, noteHash, target,
// prevTxId, keyId), or the intake channel's unsigned rate / reopen.
type TicketAction = workorder.ActionInput

// ticketActions are the POST /api/v1/tickets/{id}/<action> endpoints.
var ticketActions = []string{"accept", "start", "transfer", "resolve", "escalate", "close", "rate", "reopen"}

// ticketStates are the values of the state filter of GET /api/v1/tickets: the
// domain's states after submission.
var ticketStates = func() []string {
	out := make([]string, 0, len(workorder.States)-1)
	for _, st := range workorder.States[1:] {
		out = append(out, string(st))
	}
	return out
}()

// ticketRatings are the citizen's ratings.
var ticketRatings = []string{"very_satisfied", "satisfied", "neutral", "unsatisfied"}

// TicketStatus is where a ticket is and its clock, as the ledger's tickets,
// sweep events and progress streams carry it.
type TicketStatus struct {
	State      string `json:"state"`
	Department string `json:"department"`
	RespondBy  string `json:"respondBy"`
	ResolveBy  string `json:"resolveBy"`
	Overdue    bool   `json:"overdue"`
	UpdatedAt  string `json:"updatedAt"`
}

// storedTicket is the part of a ledger ticket the gateway reads.
type storedTicket struct {
	TicketInput
	TicketStatus
	TxID     string `json:"txId"`
	Episodes []struct {
		Department string `json:"department"`
	} `json:"episodes"`
}

// departments lists the departments the ticket is or was with.
func (t *storedTicket) departments() []string {
	eps := make([]string, len(t.Episodes))
	for i, e := range t.Episodes {
		eps[i] = e.Department
	}
	return access.TicketDepartments(t.Department, eps)
}

// TicketProgress is what an anonymous (citizen) progress stream carries per event:
// no actor identities, only where the ticket is.
type TicketProgress struct {
	TicketID string `json:"ticketId"`
	Event    string `json:"event"`
	TicketStatus
}

func progressOf(t *storedTicket, event string) TicketProgress {
	return TicketProgress{TicketID: t.ID, Event: event, TicketStatus: t.TicketStatus}
}
