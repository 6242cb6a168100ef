package access

import (
	"crypto/subtle"

	"github.com/certledger/certledger/internal/domain/workorder"
)

// What the anonymous public reads, in one place. The policy above gives the
// anonymous caller nothing; two views are open to it, each a whitelist built here so
// that a field added to a ledger record never reaches the public by accident:
//
//   - aggregates (the results page, 结果公开): a department's KPI counts and rates
//     for a period — PublicKPI. No ticket id, commitment, hash, person or
//     transaction is in it;
//   - one ticket's progress, to whoever holds the ticket's reporter commitment
//     (the citizen: SM3(salt ‖ identifier), opened from the salt given at
//     submission) — Progress: where the ticket is, its deadlines and its steps,
//     without who acted (no identities, no signatures, no note or content hashes).

// PublicKPI is the public aggregate of a department's KPI over a period.
type PublicKPI struct {
	Department        string         `json:"department"`
	From              string         `json:"from"`
	To                string         `json:"to"`
	AsOf              string         `json:"asOf"`
	Received          int            `json:"received"`
	Response          workorder.Rate `json:"response"`
	ResponsePending   int            `json:"responsePending"`
	Resolution        workorder.Rate `json:"resolution"`
	ResolutionPending int            `json:"resolutionPending"`
	Satisfaction      workorder.Rate `json:"satisfaction"`
	AutoClosedUnrated int            `json:"autoClosedUnrated"`
	Overdue           int            `json:"overdue"`
}

// Aggregate is k as the public may read it. Everyone, the anonymous public
// included, reads the aggregates of every department.
func Aggregate(k workorder.KPI) PublicKPI {
	return PublicKPI{
		Department: k.Department, From: k.From, To: k.To, AsOf: k.AsOf,
		Received: k.Received, Response: k.Response, ResponsePending: k.ResponsePending,
		Resolution: k.Resolution, ResolutionPending: k.ResolutionPending,
		Satisfaction: k.Satisfaction, AutoClosedUnrated: k.AutoClosedUnrated, Overdue: k.Overdue,
	}
}

// OpensTicket reports whether commitment, given by an anonymous caller, is the
// ticket's reporter commitment (compared in constant time; an empty one opens nothing).
func OpensTicket(commitment, reporterCommitment string) bool {
	return commitment != "" && subtle.ConstantTimeCompare([]byte(commitment), []byte(reporterCommitment)) == 1
}

// ProgressTicket is where a ticket is, as its reporter reads it.
type ProgressTicket struct {
	ID         string           `json:"id"`
	Category   string           `json:"category"`
	Channel    string           `json:"channel"`
	State      workorder.State  `json:"state"`
	Department string           `json:"department"`
	RespondBy  string           `json:"respondBy"`
	ResolveBy  string           `json:"resolveBy"`
	Overdue    bool             `json:"overdue"`
	Rating     workorder.Rating `json:"rating"`
	RateBy     string           `json:"rateBy,omitempty"`
	AutoClosed bool             `json:"autoClosed,omitempty"`
	CreatedAt  string           `json:"createdAt"`
	AcceptedAt string           `json:"acceptedAt"`
	ResolvedAt string           `json:"resolvedAt"`
	ClosedAt   string           `json:"closedAt"`
	UpdatedAt  string           `json:"updatedAt"`
	TxID       string           `json:"txId"`
}

// ProgressStep is one step of the ticket's history without who acted: the role
// (citizen, assigned, supervisor, system) and the department it is with after it.
type ProgressStep struct {
	Seq        int              `json:"seq"`
	Action     workorder.Action `json:"action"`
	Role       workorder.Role   `json:"role"`
	From       workorder.State  `json:"from"`
	To         workorder.State  `json:"to"`
	Department string           `json:"department"`
	Rating     workorder.Rating `json:"rating,omitempty"`
	RespondBy  string           `json:"respondBy"`
	ResolveBy  string           `json:"resolveBy"`
	Missed     []workorder.Due  `json:"missed,omitempty"`
	Pause      *workorder.Pause `json:"pause,omitempty"`
	Time       string           `json:"time"`
	TxID       string           `json:"txId"`
}

// Progress is a ticket and its history as its reporter reads them.
type Progress struct {
	Ticket  ProgressTicket `json:"ticket"`
	History []ProgressStep `json:"history"`
}

// CitizenProgress is t and its trace (oldest first) as the reporter may read them.
func CitizenProgress(t workorder.Ticket, trace []workorder.Transition) Progress {
	p := Progress{
		Ticket: ProgressTicket{
			ID: t.ID, Category: t.Category, Channel: t.Channel, State: t.State, Department: t.Department,
			RespondBy: t.RespondBy, ResolveBy: t.ResolveBy, Overdue: t.Overdue, Rating: t.Rating,
			RateBy: t.RateBy, AutoClosed: t.AutoClosed, CreatedAt: t.CreatedAt, AcceptedAt: t.AcceptedAt,
			ResolvedAt: t.ResolvedAt, ClosedAt: t.ClosedAt, UpdatedAt: t.UpdatedAt, TxID: t.TxID,
		},
		History: make([]ProgressStep, 0, len(trace)),
	}
	for _, tr := range trace {
		p.History = append(p.History, ProgressStep{
			Seq: tr.Seq, Action: tr.Action, Role: tr.Role, From: tr.From, To: tr.To, Department: tr.AssignedTo,
			Rating: tr.Rating, RespondBy: tr.RespondBy, ResolveBy: tr.ResolveBy, Missed: tr.Missed,
			Pause: tr.Pause, Time: tr.Time, TxID: tr.TxID,
		})
	}
	return p
}
