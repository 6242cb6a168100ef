package workorder

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/certledger/certledger/chaincode/contract/certificate"
	"github.com/certledger/certledger/chaincode/contract/exchange"
	"github.com/certledger/certledger/chaincode/contract/registry"
	idx "github.com/certledger/certledger/chaincode/internal/lineage"
	"github.com/certledger/certledger/chaincode/internal/state"
	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/lineage"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/domain/workorder"
)

func output(res workorder.Result) workorder.Output {
	o := workorder.Output(res)
	if o.Transitions == nil {
		o.Transitions = []workorder.Transition{}
	}
	if o.Accountability == nil {
		o.Accountability = []workorder.Accountability{}
	}
	return o
}

// submitter returns the submitter's MSP and operator id (state.SubmitterOperator).
func submitter(ctx state.Context) (msp, id string, err error) {
	op, err := state.SubmitterOperator(ctx)
	return op.MSP, op.ID, err
}

func requireIntake(ctx state.Context, msp string) error {
	intake, err := intakeMSPs(ctx)
	if err != nil {
		return err
	}
	if !slices.Contains(intake, msp) {
		return codes.New(codes.Forbidden, "only the intake channel (%v) may do this; submitter is %s", intake, msp)
	}
	return nil
}

// env is what a transition needs. calVersion is the ticket's calendar version (-1 for
// a new ticket, which takes the calendar in force).
func env(ctx state.Context, now time.Time, calVersion int) (workorder.Env, error) {
	cal, sla, err := loadConfig(ctx)
	if err != nil {
		return workorder.Env{}, err
	}
	if calVersion >= 0 && calVersion != cal.Version {
		if cal, err = calendarAt(ctx, calVersion); err != nil {
			return workorder.Env{}, err
		}
	}
	pol, err := loadPolicy(ctx)
	if err != nil {
		return workorder.Env{}, err
	}
	gov, err := governanceDept(ctx)
	if err != nil {
		return workorder.Env{}, err
	}
	msp, id, err := submitter(ctx)
	if err != nil {
		return workorder.Env{}, err
	}
	return workorder.Env{Now: now, TxID: state.TxID(ctx), Calendar: cal, SLA: sla, Policy: pol, Governance: gov,
		SubmitterMSP: msp, SubmitterID: id}, nil
}

// Submit records a citizen appeal (intake channel only) and routes it to the one active
// department registered for its category. Input
// {"id","category","contentHash","reporterCommitment","channel":"web|app|hotline"}.
// NOT_FOUND when no department handles the category, CONFLICT when several do or the id
// exists. Event TicketSubmitted with {ticket, transitions (submit, route), accountability}.
func (c *Contract) Submit(ctx contractapi.TransactionContextInterface, input string) (string, error) {
	now, err := state.BeginWrite(ctx)
	if err != nil {
		return "", err
	}
	msp, id, err := submitter(ctx)
	if err != nil {
		return "", err
	}
	if err := requireIntake(ctx, msp); err != nil {
		return "", err
	}
	var in workorder.SubmitInput
	if err := state.Decode("ticket", input, &in); err != nil {
		return "", err
	}
	if err := in.Validate(); err != nil {
		return "", err
	}
	exists, err := state.Exists(ctx, ticketKey(in.ID))
	if err != nil {
		return "", err
	}
	if exists {
		return "", codes.New(codes.Conflict, "ticket %s already exists", in.ID)
	}
	refs, err := checkRefs(ctx, in.Refs)
	if err != nil {
		return "", err
	}
	dept, err := route(ctx, in.Category)
	if err != nil {
		return "", err
	}
	e, err := env(ctx, now, -1)
	if err != nil {
		return "", err
	}
	res, err := workorder.Submit(in, dept, workorder.Actor{Role: workorder.RoleCitizen, MSP: msp, ID: id}, e)
	if err != nil {
		return "", err
	}
	if err := persist(ctx, nil, res); err != nil {
		return "", err
	}
	for _, r := range refs {
		if err := idx.Put(ctx, lineage.RefersTo(in.ID, r)); err != nil {
			return "", err
		}
	}
	return state.Respond(ctx, EventTicketSubmitted, output(res))
}

// checkRefs parses a submission's references and checks that each names a
// record on the ledger (NOT_FOUND otherwise).
func checkRefs(ctx contractapi.TransactionContextInterface, refs []string) ([]lineage.Ref, error) {
	out := make([]lineage.Ref, 0, len(refs))
	for _, s := range refs {
		r, err := lineage.ParseRef(s)
		if err != nil {
			return nil, err
		}
		switch r.Kind {
		case lineage.KindCertificate:
			_, err = certificate.New().Get(ctx, r.ID)
		case lineage.KindExchange:
			_, err = exchange.New().GetExchange(ctx, r.ID)
		default:
			err = codes.New(codes.InvalidArgument, "a ticket refers to certificates and exchanges, not %s", r)
		}
		if err != nil {
			return nil, codes.Prefix(err, "ticket reference")
		}
		out = append(out, r)
	}
	return out, nil
}

// deptInfo is what this contract reads of a registry department.
type deptInfo struct {
	ID         string   `json:"id"`
	Status     string   `json:"status"`
	Categories []string `json:"categories"`
}

// listDepartments returns the registry's departments (ordered by id) through the
// registry contract's ListDepartments.
func listDepartments(ctx state.Context) ([]deptInfo, error) {
	raw, err := registry.New().ListDepartments(ctx)
	if err != nil {
		return nil, err
	}
	var ds []deptInfo
	if err := decode("departments", []byte(raw), &ds); err != nil {
		return nil, err
	}
	return ds, nil
}

// route finds the one active department whose categories include category.
func route(ctx state.Context, category string) (string, error) {
	ds, err := listDepartments(ctx)
	if err != nil {
		return "", err
	}
	var found []string
	for _, d := range ds {
		if d.Status == "active" && slices.Contains(d.Categories, category) {
			found = append(found, d.ID)
		}
	}
	switch len(found) {
	case 0:
		return "", codes.New(codes.NotFound, "no department is registered for category %q", category)
	case 1:
		return found[0], nil
	default:
		slices.Sort(found)
		return "", codes.New(codes.Conflict, "category %q is registered to several departments %v; the registry must name one", category, found)
	}
}

// Accept: the assigned department takes the ticket (assigned → accepted). Signed.
func (c *Contract) Accept(ctx contractapi.TransactionContextInterface, input string) (string, error) {
	return c.act(ctx, workorder.ActAccept, input)
}

// Start: the assigned department starts work (accepted → in_progress). Signed.
func (c *Contract) Start(ctx contractapi.TransactionContextInterface, input string) (string, error) {
	return c.act(ctx, workorder.ActStart, input)
}

// Transfer: the assigned department passes the ticket to target (→ assigned, fresh
// deadlines for target); noteHash is the SM3 of the reason. Signed.
func (c *Contract) Transfer(ctx contractapi.TransactionContextInterface, input string) (string, error) {
	return c.act(ctx, workorder.ActTransfer, input)
}

// Resolve: the assigned department answers (in_progress → resolved); noteHash = SM3 of the answer. Signed.
func (c *Contract) Resolve(ctx contractapi.TransactionContextInterface, input string) (string, error) {
	return c.act(ctx, workorder.ActResolve, input)
}

// Rate: the intake channel relays the citizen's rating (resolved → rated); input
// {"ticketId","rating":"very_satisfied|satisfied|neutral|unsatisfied","commentHash","prevTxId"}.
// An unsatisfied rating writes an accountability record.
func (c *Contract) Rate(ctx contractapi.TransactionContextInterface, input string) (string, error) {
	return c.act(ctx, workorder.ActRate, input)
}

// Reopen: after an unsatisfied rating, the intake channel (unsigned) or the supervising
// department (signed) sends the ticket back to in_progress with a new resolve-by;
// writes an accountability record (reopened).
func (c *Contract) Reopen(ctx contractapi.TransactionContextInterface, input string) (string, error) {
	return c.act(ctx, workorder.ActReopen, input)
}

// Escalate: the supervising department (parent of the assigned one) reassigns the ticket
// to target (itself or another department) with fresh deadlines; noteHash = SM3 of the
// reason (required). Signed.
func (c *Contract) Escalate(ctx contractapi.TransactionContextInterface, input string) (string, error) {
	return c.act(ctx, workorder.ActEscalate, input)
}

// Close: rated → closed by the assigned department (not after an unsatisfied rating) or
// by the supervising department (also resolved → closed, when the citizen never rates). Signed.
func (c *Contract) Close(ctx contractapi.TransactionContextInterface, input string) (string, error) {
	return c.act(ctx, workorder.ActClose, input)
}

// Return: the assigned department hands a ticket that is not its business back to the
// intake channel (assigned/accepted → submitted); noteHash = SM3 of the reason
// (required). Signed.
func (c *Contract) Return(ctx contractapi.TransactionContextInterface, input string) (string, error) {
	return c.act(ctx, workorder.ActReturn, input)
}

// Route: the intake channel routes a returned ticket to target (submitted → assigned,
// fresh deadlines). Unsigned, intake channel only.
func (c *Contract) Route(ctx contractapi.TransactionContextInterface, input string) (string, error) {
	return c.act(ctx, workorder.ActRoute, input)
}

// Suspend: the assigned department stops the resolve clock while it waits for the
// citizen (挂起, in_progress → suspended); noteHash = SM3 of what it waits for
// (required). The pause is on the ledger (the round's pauses). Signed.
func (c *Contract) Suspend(ctx contractapi.TransactionContextInterface, input string) (string, error) {
	return c.act(ctx, workorder.ActSuspend, input)
}

// Resume: the citizen answered (intake channel, unsigned) or the assigned department
// (signed) restarts the clock (suspended → in_progress); the resolve-by moves later by
// the working time paused.
func (c *Contract) Resume(ctx contractapi.TransactionContextInterface, input string) (string, error) {
	return c.act(ctx, workorder.ActResume, input)
}

func (c *Contract) act(ctx contractapi.TransactionContextInterface, action workorder.Action, input string) (string, error) {
	now, err := state.BeginWrite(ctx)
	if err != nil {
		return "", err
	}
	var in workorder.ActionInput
	if err := state.Decode("ticket action", input, &in); err != nil {
		return "", err
	}
	if in.Action == "" && in.Signature == "" {
		in.Action = string(action)
	}
	if in.Action != string(action) {
		return "", codes.New(codes.InvalidArgument, "action %q does not match %s", in.Action, action)
	}
	t, err := loadTicket(ctx, in.TicketID)
	if err != nil {
		return "", err
	}
	actor, err := authenticate(ctx, t, in, now)
	if err != nil {
		return "", err
	}
	if in.Target != "" && (action == workorder.ActTransfer || action == workorder.ActEscalate || action == workorder.ActRoute) {
		d, err := registry.GetDepartment(ctx, in.Target)
		if err != nil {
			return "", err // NOT_FOUND: a ticket must not be handed to nobody
		}
		if d.Status != "active" {
			return "", codes.New(codes.Forbidden, "department %s is %s", d.ID, d.Status)
		}
	}
	e, err := env(ctx, now, t.CalendarVersion)
	if err != nil {
		return "", err
	}
	res, err := workorder.Apply(t, workorder.Request{
		Action: action, Actor: actor, Target: in.Target, NoteHash: in.NoteHash,
		Rating: workorder.Rating(in.Rating), CommentHash: in.CommentHash,
	}, e)
	if err != nil {
		return "", err
	}
	if err := persist(ctx, &t, res); err != nil {
		return "", err
	}
	return state.Respond(ctx, actionEvents[action], output(res))
}

// authenticate works out who acts and in which role. Unsigned input is the intake
// channel (citizen role); signed input is a department, which must be the submitter's,
// sign with a key valid now, and name the ticket's current txId.
func authenticate(ctx state.Context, t workorder.Ticket, in workorder.ActionInput, now time.Time) (workorder.Actor, error) {
	msp, id, err := submitter(ctx)
	if err != nil {
		return workorder.Actor{}, err
	}
	if in.Signature == "" {
		if in.Department != "" || in.KeyID != "" || in.Operator != "" {
			return workorder.Actor{}, codes.New(codes.InvalidArgument, "a department action needs a signature")
		}
		if err := requireIntake(ctx, msp); err != nil {
			return workorder.Actor{}, err // departments must sign their actions
		}
		if in.PrevTxID != "" && in.PrevTxID != t.TxID {
			return workorder.Actor{}, codes.New(codes.Conflict, "ticket %s changed (txId %s, not %s); re-read it", t.ID, t.TxID, in.PrevTxID)
		}
		return workorder.Actor{Role: workorder.RoleCitizen, MSP: msp, ID: id}, nil
	}
	if in.Rating != "" || in.CommentHash != "" {
		return workorder.Actor{}, codes.New(codes.InvalidArgument, "rating and commentHash are relayed by the intake channel, unsigned")
	}
	d, err := registry.RequireSubmitterOf(ctx, in.Department)
	if err != nil {
		return workorder.Actor{}, err
	}
	if _, err := state.CheckOperator(ctx, in.Operator); err != nil {
		return workorder.Actor{}, err
	}
	if _, err := registry.VerifySignature(ctx, d.ID, in.KeyID, now, canon.KindTicketAction, in.Signed(), in.Signature); err != nil {
		return workorder.Actor{}, err
	}
	if in.PrevTxID != t.TxID {
		return workorder.Actor{}, codes.New(codes.Conflict, "ticket %s changed (txId %s, signed prevTxId %s); re-read and sign again", t.ID, t.TxID, in.PrevTxID)
	}
	supervisor := ""
	if assigned, err := registry.GetDepartment(ctx, t.Department); err == nil {
		supervisor = assigned.Parent
	} else if codes.Code(err) != codes.NotFound {
		return workorder.Actor{}, err
	}
	return workorder.Actor{
		Role:       workorder.RoleFor(d.ID, t.Department, supervisor),
		Department: d.ID, MSP: msp, ID: id, KeyID: in.KeyID, Signature: in.Signature,
	}, nil
}

// SweepResult is Sweep's result and event payload.
type SweepResult struct {
	At             string   `json:"at"`
	Tickets        []string `json:"tickets"`        // tickets marked overdue, escalated or closed by this sweep
	Escalated      []string `json:"escalated"`      // of those, escalated (policy autoEscalate)
	AutoClosed     []string `json:"autoClosed"`     // of those, closed unrated (policy autoCloseDays)
	Accountability []string `json:"accountability"` // accountability record ids written
	Updated        []Swept  `json:"updated"`        // where each changed ticket is now (progress streams)
	More           bool     `json:"more"`           // more late tickets remain: sweep again
	RolledUp       int      `json:"rolledUp"`       // department-days rolled up for KPIs
	SettledBefore  string   `json:"settledBefore"`  // days ending after this are not rolled up yet (At − max skew)
}

// Swept is where a ticket changed by a sweep is now: enough for a progress stream,
// no personal data.
type Swept struct {
	TicketID   string          `json:"ticketId"`
	State      workorder.State `json:"state"`
	Department string          `json:"department"`
	Was        string          `json:"was"` // the department it was with before the sweep
	Overdue    bool            `json:"overdue"`
	RespondBy  string          `json:"respondBy"`
	ResolveBy  string          `json:"resolveBy"`
	UpdatedAt  string          `json:"updatedAt"`
}

// Changed reports whether the sweep wrote anything.
func (r SweepResult) Changed() bool { return len(r.Tickets) > 0 || r.RolledUp > 0 }

// add records in the result what the sweep did to one ticket, which was with
// department was before it.
func (r *SweepResult) add(res workorder.Result, was string) {
	nt := res.Ticket
	r.Tickets = append(r.Tickets, nt.ID)
	r.Updated = append(r.Updated, Swept{TicketID: nt.ID, State: nt.State, Department: nt.Department, Was: was, Overdue: nt.Overdue,
		RespondBy: nt.RespondBy, ResolveBy: nt.ResolveBy, UpdatedAt: nt.UpdatedAt})
	for _, tr := range res.Transitions {
		switch tr.Action {
		case workorder.ActEscalate:
			r.Escalated = append(r.Escalated, nt.ID)
		case workorder.ActClose:
			r.AutoClosed = append(r.AutoClosed, nt.ID)
		}
	}
	for _, a := range res.Accountability {
		r.Accountability = append(r.Accountability, a.ID)
	}
}

// Sweep limits.
const (
	DefaultSweepLimit = 100
	MaxSweepLimit     = 1000
)

// requireSweeper lets a registered department or the governance organisation sweep.
func requireSweeper(ctx contractapi.TransactionContextInterface) error {
	msp, err := state.SubmitterMSP(ctx)
	if err != nil {
		return err
	}
	ds, err := registry.DepartmentsByMSP(ctx, msp)
	if err != nil {
		return err
	}
	if len(ds) == 0 {
		if err := registry.RequireGovernance(ctx); err != nil {
			return codes.New(codes.Forbidden, "sweep needs a registered department or the governance organisation; submitter is %s", msp)
		}
	}
	return nil
}

// dueTickets lists, in index order and without repeats, up to n tickets with a
// running deadline (or rate-by) before at, and whether more remain.
func dueTickets(ctx contractapi.TransactionContextInterface, at string, n int) (ids []string, more bool, err error) {
	seen := map[string]bool{} // lookups only
	errStop := codes.New(codes.Internal, "stop")
	err = scanAll(ctx, pDue, pDue+at, func(key string, _ []byte) error {
		id := keyPart(key, 1)
		if seen[id] {
			return nil
		}
		if len(ids) == n {
			more = true
			return errStop
		}
		seen[id] = true
		ids = append(ids, id)
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return nil, false, err
	}
	return ids, more, nil
}

// Sweep does, for up to limit ("" = 100, at most 1000) tickets with a running deadline
// before the transaction time, what time alone does (workorder.Sweep): a missed respond-by
// or resolve-by is marked overdue with an accountability record, and — policy
// autoEscalate — the ticket is escalated to the supervising department (governance when
// none); a resolved ticket past its rate-by is closed unrated. Then it rolls up the KPI
// counts of settled days (rollup.go). Any registered department (or the governance
// organisation) may submit it. A sweep with nothing to do writes nothing and sets no
// event (idempotent: a deadline is handled once, then leaves the sweep index; a day is
// rolled up once). Event TicketsSwept.
func (c *Contract) Sweep(ctx contractapi.TransactionContextInterface, limit string) (string, error) {
	now, err := state.BeginWrite(ctx)
	if err != nil {
		return "", err
	}
	n := DefaultSweepLimit
	if limit != "" {
		if _, err := fmt.Sscanf(limit, "%d", &n); err != nil || fmt.Sprint(n) != limit || n < 1 || n > MaxSweepLimit {
			return "", codes.New(codes.InvalidArgument, "limit %q must be an integer from 1 to %d", limit, MaxSweepLimit)
		}
	}
	if err := requireSweeper(ctx); err != nil {
		return "", err
	}
	base, err := env(ctx, now, -1)
	if err != nil {
		return "", err
	}
	skew, err := state.MaxSkew()
	if err != nil {
		return "", err
	}
	out := SweepResult{At: wire.FormatSecond(now), Tickets: []string{}, Escalated: []string{}, AutoClosed: []string{},
		Accountability: []string{}, Updated: []Swept{}, SettledBefore: wire.FormatSecond(now.Add(-skew))}
	ids, more, err := dueTickets(ctx, out.At, n)
	if err != nil {
		return "", err
	}
	out.More = more
	for _, id := range ids {
		t, err := loadTicket(ctx, id)
		if err != nil {
			return "", err
		}
		e := base
		if t.CalendarVersion != e.Calendar.Version {
			if e.Calendar, err = calendarAt(ctx, t.CalendarVersion); err != nil {
				return "", err
			}
		}
		target, err := escalationTarget(ctx, t.Department, e.Governance)
		if err != nil {
			return "", err
		}
		was := t.Department
		res, changed, err := workorder.Sweep(t, e, target)
		if err != nil {
			return "", err
		}
		if !changed {
			continue
		}
		if err := persist(ctx, &t, res); err != nil {
			return "", err
		}
		out.add(res, was)
	}
	if out.RolledUp, err = rollUp(ctx, base.Calendar, now, skew); err != nil {
		return "", err
	}
	if !out.Changed() {
		return state.JSON(out) // nothing written, no event
	}
	return state.Respond(ctx, EventTicketsSwept, out)
}
