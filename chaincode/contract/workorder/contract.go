// Package workorder is the "workorder" contract: citizen appeals (tickets) routed by
// category to a department, moved through their states by signed department actions,
// held to working-day deadlines, rated, reopened, escalated, swept for overdue, and
// scored (KPIs) for auditors. The rules — transition table, calendar, deadlines,
// accountability, KPI definitions — live in internal/domain/workorder; this package
// decodes input, authenticates the actor, calls the domain and persists what it returns.
//
// Who may act:
//   - the intake channel (the organisations that take appeals from citizens: by default
//     the governance organisation, which runs the portal, app and 12345 hotline; the
//     governance organisation may name others with SetIntake) submits tickets and relays
//     the citizen's rating and reopen request. These carry no SM2 signature: the citizen
//     is not a department; the Fabric identity of the intake organisation vouches.
//   - departments act with an SM2 signature over canon.Payload(ticket-action, ...) by one
//     of their keys valid at the transaction time, submitted from their own MSP.
//   - Sweep may be submitted by any registered department (or the governance org).
package workorder

import (
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/certledger/certledger/chaincode/contract/registry"
	"github.com/certledger/certledger/chaincode/internal/state"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/domain/workorder"
)

// Name is the contract name ("workorder:Function").
const Name = "workorder"

// Event names. Each write emits exactly one event; its payload is the transaction's
// result (for ticket actions: the ticket, the transition records and accountability
// records written — no personal data, the reporter is only a commitment).
const (
	EventCalendarSet       = "WorkorderCalendarSet"
	EventSLASet            = "WorkorderSLASet"
	EventIntakeSet         = "WorkorderIntakeSet"
	EventPolicySet         = "WorkorderPolicySet"
	EventTicketSubmitted   = "TicketSubmitted"
	EventTicketAccepted    = "TicketAccepted"
	EventTicketStarted     = "TicketStarted"
	EventTicketTransferred = "TicketTransferred"
	EventTicketResolved    = "TicketResolved"
	EventTicketRated       = "TicketRated"
	EventTicketReopened    = "TicketReopened"
	EventTicketEscalated   = "TicketEscalated"
	EventTicketClosed      = "TicketClosed"
	EventTicketReturned    = "TicketReturned"
	EventTicketRouted      = "TicketRouted"
	EventTicketSuspended   = "TicketSuspended"
	EventTicketResumed     = "TicketResumed"
	EventTicketsSwept      = "TicketsSwept"
)

var actionEvents = map[workorder.Action]string{
	workorder.ActAccept:   EventTicketAccepted,
	workorder.ActStart:    EventTicketStarted,
	workorder.ActTransfer: EventTicketTransferred,
	workorder.ActResolve:  EventTicketResolved,
	workorder.ActRate:     EventTicketRated,
	workorder.ActReopen:   EventTicketReopened,
	workorder.ActEscalate: EventTicketEscalated,
	workorder.ActClose:    EventTicketClosed,
	workorder.ActReturn:   EventTicketReturned,
	workorder.ActRoute:    EventTicketRouted,
	workorder.ActSuspend:  EventTicketSuspended,
	workorder.ActResume:   EventTicketResumed,
}

// Contract is the workorder contract. Every transaction takes string arguments and
// returns JSON.
type Contract struct {
	contractapi.Contract
}

// New returns the workorder contract.
func New() *Contract {
	return &Contract{Contract: state.Contract(Name, "certledger citizen work orders")}
}

// GetEvaluateTransactions marks the read-only functions for the metadata.
func (c *Contract) GetEvaluateTransactions() []string {
	return []string{"GetConfig", "GetCalendarYear", "Get", "Trace", "ListByDepartment", "ListOverdue", "Accountability", "KPI", "Escalations"}
}

// SetCalendar sets the whole working-day calendar (governance only). Input
// {"utcOffset":"+08:00","holidays":["2026-10-01",..],"workdays":["2026-10-10",..]}.
// It becomes a new calendar version: tickets created from now on take it, earlier
// tickets keep theirs (LoadCalendarYear is the usual way, one official schedule at a
// time). Event WorkorderCalendarSet with the calendar.
func (c *Contract) SetCalendar(ctx contractapi.TransactionContextInterface, input string) (string, error) {
	if _, err := state.BeginWrite(ctx); err != nil {
		return "", err
	}
	if err := registry.RequireGovernance(ctx); err != nil {
		return "", err
	}
	var cal workorder.Calendar
	if err := state.Decode("calendar", input, &cal); err != nil {
		return "", err
	}
	cal.Normalize()
	if err := cal.Validate(); err != nil {
		return "", err
	}
	cur, _, err := currentCalendar(ctx)
	if err != nil {
		return "", err
	}
	cal.Version, cal.Years = cur.Version+1, nil
	if err := putCalendar(ctx, cal); err != nil {
		return "", err
	}
	return state.Respond(ctx, EventCalendarSet, cal)
}

// SetSLA sets the deadlines in working days (governance only). Input
// {"default":{"respondDays":1,"resolveDays":5},"categories":[{"category","respondDays","resolveDays"},..]}.
// Applies to assignments made after it. Event WorkorderSLASet with the SLA.
func (c *Contract) SetSLA(ctx contractapi.TransactionContextInterface, input string) (string, error) {
	if _, err := state.BeginWrite(ctx); err != nil {
		return "", err
	}
	if err := registry.RequireGovernance(ctx); err != nil {
		return "", err
	}
	var sla workorder.SLA
	if err := state.Decode("sla", input, &sla); err != nil {
		return "", err
	}
	sla.Normalize()
	if err := sla.Validate(); err != nil {
		return "", err
	}
	if err := state.PutJSON(ctx, keySLA, sla); err != nil {
		return "", err
	}
	return state.Respond(ctx, EventSLASet, sla)
}

// Intake lists the MSPs of the intake channel.
type Intake struct {
	MSPIDs []string `json:"mspIds"`
}

// SetIntake names the MSPs that act as the citizen intake channel (governance only).
// Input {"mspIds":["GovMSP","HotlineMSP"]}. Event WorkorderIntakeSet.
func (c *Contract) SetIntake(ctx contractapi.TransactionContextInterface, input string) (string, error) {
	if _, err := state.BeginWrite(ctx); err != nil {
		return "", err
	}
	if err := registry.RequireGovernance(ctx); err != nil {
		return "", err
	}
	var in Intake
	if err := state.Decode("intake", input, &in); err != nil {
		return "", err
	}
	if len(in.MSPIDs) == 0 {
		return "", codes.New(codes.InvalidArgument, "intake needs at least one MSP ID")
	}
	for _, m := range in.MSPIDs {
		if !wire.ValidID(m) {
			return "", codes.New(codes.InvalidArgument, "intake MSP ID %q", m)
		}
	}
	in.MSPIDs = sortedUnique(in.MSPIDs)
	if err := state.PutJSON(ctx, keyIntake, in); err != nil {
		return "", err
	}
	return state.Respond(ctx, EventIntakeSet, in)
}

// Config is GetConfig's result.
type Config struct {
	Calendar     workorder.Calendar `json:"calendar"`
	SLA          workorder.SLA      `json:"sla"`
	Policy       workorder.Policy   `json:"policy"`
	IntakeMSPIDs []string           `json:"intakeMspIds"`
	Governance   string             `json:"governanceDepartment"`
}

// GetConfig returns the calendar, SLA, policy and intake MSPs in force, and the
// governance department (where escalation ends).
func (c *Contract) GetConfig(ctx contractapi.TransactionContextInterface) (string, error) {
	cal, sla, err := loadConfig(ctx)
	if err != nil {
		return "", err
	}
	pol, err := loadPolicy(ctx)
	if err != nil {
		return "", err
	}
	intake, err := intakeMSPs(ctx)
	if err != nil {
		return "", err
	}
	gov, err := governanceDept(ctx)
	if err != nil {
		return "", err
	}
	return state.JSON(Config{Calendar: cal, SLA: sla, Policy: pol, IntakeMSPIDs: intake, Governance: gov})
}
