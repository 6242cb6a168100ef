// Package access decides who may read what through the gateway, in one place:
// the single-record endpoints, the lists and the event streams all ask it.
//
//   - An auditor, and any caller of the governance department, reads everything.
//   - A department reads the tickets it holds or held (every episode of the ticket
//     counts, so a transfer does not take a ticket out of the sender's sight), the
//     tickets of the departments it supervises (their registry parent), and the
//     grants and exchanges it is the provider or the consumer of.
//   - Public records (departments and their keys, certificates, Merkle batch headers
//     and the batch files they anchor, the catalogue, the work-order configuration)
//     are readable by every authenticated caller; the anonymous public reads only
//     what the public verification endpoints answer and is given nothing by the
//     policy itself.
//
// The package does no I/O: the department directory it consults (Directory) is
// filled by its caller, from the registry's list and its events.
package access

import (
	"encoding/json"
	"strings"

	"github.com/certledger/certledger/gateway/internal/config"
)

// Caller is an authenticated caller as the policy sees it. A nil *Caller is the
// anonymous public.
type Caller struct {
	Department string
	Role       string
}

// Policy is the read policy. Directory may be nil (then nobody supervises anyone).
type Policy struct {
	// Governance is the governance department's id ("" when none is configured).
	Governance string
	// Directory answers who supervises a department.
	Directory *Directory
}

// SeesAll reports whether c reads every record: an auditor, or the governance department.
func (p Policy) SeesAll(c *Caller) bool {
	if c == nil {
		return false
	}
	return c.Role == config.RoleAuditor || (p.Governance != "" && c.Department == p.Governance)
}

// Department reports whether c may read department dept's tickets and figures:
// it sees all, dept is its own, or it supervises dept (dept's registry parent).
func (p Policy) Department(c *Caller, dept string) bool {
	if c == nil || dept == "" {
		return false
	}
	if p.SeesAll(c) || c.Department == dept {
		return true
	}
	if p.Directory == nil {
		return false
	}
	e, ok := p.Directory.Lookup(dept)
	return ok && e.Parent != "" && e.Parent == c.Department
}

// Ticket reports whether c may read a ticket that is or was with the departments depts.
func (p Policy) Ticket(c *Caller, depts []string) bool {
	if p.SeesAll(c) {
		return true
	}
	for _, d := range depts {
		if p.Department(c, d) {
			return true
		}
	}
	return false
}

// Party reports whether c may read a grant or exchange between provider and consumer.
func (p Policy) Party(c *Caller, provider, consumer string) bool {
	if c == nil {
		return false
	}
	return p.SeesAll(c) || (c.Department != "" && (c.Department == provider || c.Department == consumer))
}

// Envelope reports whether c may deposit or fetch an exchange envelope between
// provider and consumer: only the two parties. Not those who see all: an
// envelope is ciphertext for the consumer, and the ledger's record of it (its
// digest, fields and receipt) is what an auditor reads.
func (p Policy) Envelope(c *Caller, provider, consumer string) bool {
	return c != nil && c.Department != "" && (c.Department == provider || c.Department == consumer)
}

// Kind is what a chaincode event is about, as far as reading it goes.
type Kind int

// The kinds of chaincode events.
const (
	// KindUnknown is an event the policy does not know: only those who see all read it.
	KindUnknown Kind = iota
	// KindPublic is about a public record (departments, keys, certificates, the
	// catalogue, the work-order configuration).
	KindPublic
	// KindParty is about a grant or an exchange (payload has provider and consumer).
	KindParty
	// KindTicket is about one ticket (payload {"ticket": {...}}).
	KindTicket
	// KindSweep is an overdue sweep: it names tickets of many departments.
	KindSweep
)

// KindOf classifies a chaincode event by its name.
func KindOf(name string) Kind {
	switch {
	case name == "ExchangePolicySet":
		return KindPublic
	case name == "TicketsSwept":
		return KindSweep
	case strings.HasPrefix(name, "Ticket"):
		return KindTicket
	case strings.HasPrefix(name, "Grant"), strings.HasPrefix(name, "Exchange"):
		return KindParty
	case strings.HasPrefix(name, "Certificate"), strings.HasPrefix(name, "Department"),
		strings.HasPrefix(name, "Key"), strings.HasPrefix(name, "Registry"),
		strings.HasPrefix(name, "Workorder"), strings.HasPrefix(name, "CatalogItem"):
		return KindPublic
	}
	return KindUnknown
}

// Event reports whether c may receive the chaincode event name with payload. The
// anonymous public receives none; a payload that does not decode is refused to
// everyone who does not see all.
func (p Policy) Event(c *Caller, name string, payload []byte) bool {
	if c == nil {
		return false
	}
	if p.SeesAll(c) {
		return true
	}
	switch KindOf(name) {
	case KindPublic:
		return true
	case KindParty:
		var rec struct {
			Provider string `json:"provider"`
			Consumer string `json:"consumer"`
		}
		return json.Unmarshal(payload, &rec) == nil && p.Party(c, rec.Provider, rec.Consumer)
	case KindTicket:
		depts, ok := TicketEventDepartments(payload)
		return ok && p.Ticket(c, depts)
	}
	return false // KindSweep and KindUnknown: those who see all only
}

// TicketDepartments lists, without repeats, the departments a ticket is or was
// with: the current one and those of every episode.
func TicketDepartments(current string, episodes []string) []string {
	var out []string
	add := func(d string) {
		if d == "" {
			return
		}
		for _, x := range out {
			if x == d {
				return
			}
		}
		out = append(out, d)
	}
	add(current)
	for _, d := range episodes {
		add(d)
	}
	return out
}

// ticketParties is the part of a ticket the policy reads.
type ticketParties struct {
	Department string `json:"department"`
	Episodes   []struct {
		Department string `json:"department"`
	} `json:"episodes"`
}

func (t ticketParties) departments() []string {
	eps := make([]string, len(t.Episodes))
	for i, e := range t.Episodes {
		eps[i] = e.Department
	}
	return TicketDepartments(t.Department, eps)
}

// TicketRecordDepartments reads the departments of a ticket record (workorder:Get).
func TicketRecordDepartments(raw []byte) ([]string, bool) {
	var t ticketParties
	if json.Unmarshal(raw, &t) != nil {
		return nil, false
	}
	return t.departments(), true
}

// TicketEventDepartments reads the departments of the ticket a ticket event
// carries ({"ticket": {...}, ...}); false when the payload holds no ticket.
func TicketEventDepartments(payload []byte) ([]string, bool) {
	var ev struct {
		Ticket *ticketParties `json:"ticket"`
	}
	if json.Unmarshal(payload, &ev) != nil || ev.Ticket == nil {
		return nil, false
	}
	return ev.Ticket.departments(), true
}
