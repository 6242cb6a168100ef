package workorder

import (
	"fmt"
	"strconv"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/certledger/certledger/chaincode/internal/state"
	"github.com/certledger/certledger/internal/domain/workorder"
)

// Escalation is one escalation of a ticket away from a department: by its
// supervising department, or by the sweep when the ticket went overdue. The
// auditor's dashboard lists them per department; the ticket's trace has the
// transition record with its transaction id.
type Escalation struct {
	TicketID string `json:"ticketId"`
	Episode  int    `json:"episode"` // the episode that ended (1-based)
	From     string `json:"from"`    // the department it was taken from
	To       string `json:"to"`      // the department it went to
	At       string `json:"at"`
}

// escalationEntries are the index entries of t's escalations: one per episode that
// ended by escalation, keyed by the department it was taken from and the time.
func escalationEntries(t *workorder.Ticket) []kv {
	var out []kv
	for i, e := range t.Episodes {
		if e.HandedOverBy != workorder.ActEscalate || i+1 >= len(t.Episodes) {
			continue
		}
		out = append(out, kv{fmt.Sprintf("%s%s/%s/%s/%04d", pEsc, e.Department, e.HandedOverAt, t.ID, i+1),
			[]byte(t.Episodes[i+1].Department)})
	}
	return out
}

// Escalations returns the escalations away from dept whose time is in the period
// from..to (as for Accountability), oldest first, paged like ListByDepartment.
// Result {"records":[Escalation],"count","bookmark"}.
func (c *Contract) Escalations(ctx contractapi.TransactionContextInterface, dept, from, to, pageSize, bookmark string) (string, error) {
	if err := checkDept(dept); err != nil {
		return "", err
	}
	f, t, err := period(ctx, from, to)
	if err != nil {
		return "", err
	}
	size, err := parsePageSize(pageSize)
	if err != nil {
		return "", err
	}
	p := Page[Escalation]{Records: []Escalation{}}
	base := pEsc + dept + "/"
	p.Bookmark, err = page(ctx, base+f, base+t, size, bookmark, func(key string, v []byte) error {
		ep, _ := strconv.Atoi(keyPart(key, 0)) // written by escalationEntries as %04d
		p.Records = append(p.Records, Escalation{TicketID: keyPart(key, 1), Episode: ep, From: dept, To: string(v), At: keyPart(key, 2)})
		return nil
	})
	if err != nil {
		return "", err
	}
	p.Count = len(p.Records)
	return state.JSON(p)
}
