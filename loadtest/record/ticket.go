package record

import (
	"fmt"
	"time"

	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/domain/workorder"
)

// Ticket is synthetic ticket i of dept, the work-order workload of the KPI
// benchmarks: submitted every 4 minutes from 2026-01-05; 97 % accepted within 2
// hours (the rest after the respond-by), 92 % resolved within 3 days, 80 % rated
// (1 in 8 unsatisfied). It goes through the domain rules, so its facts and
// accountability records are the ones real transactions would leave.
func Ticket(dept string, i int) (workorder.Result, error) {
	const h64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	at := time.Date(2026, 1, 5, 1, 0, 0, 0, time.UTC).Add(time.Duration(i) * 4 * time.Minute)
	env := func(d time.Duration) workorder.Env {
		return workorder.Env{Now: at.Add(d), TxID: fmt.Sprintf("tx-%s-%d-%d", dept, i, d),
			Calendar: workorder.DefaultCalendar(), SLA: workorder.DefaultSLA()}
	}
	all := workorder.Result{}
	res, err := workorder.Submit(workorder.SubmitInput{ID: fmt.Sprintf("%s-%07d", dept, i), Category: "noise",
		ContentHash: h64, ReporterCommitment: h64, Channel: "web"}, dept, workorder.Actor{Role: workorder.RoleCitizen}, env(0))
	if err != nil {
		return all, err
	}
	t := res.Ticket
	all.Accountability = append(all.Accountability, res.Accountability...)
	for _, s := range ticketSteps(dept, i) {
		r, err := workorder.Apply(t, s.req, env(s.after))
		if err != nil {
			return all, err
		}
		t = r.Ticket
		all.Accountability = append(all.Accountability, r.Accountability...)
	}
	all.Ticket = t
	return all, nil
}

type ticketStep struct {
	req   workorder.Request
	after time.Duration // since submission
}

// ticketSteps is the life of synthetic ticket i after its submission.
func ticketSteps(dept string, i int) []ticketStep {
	actor := workorder.Actor{Role: workorder.RoleAssigned, Department: dept}
	acceptAfter := 2 * time.Hour
	if i%33 == 0 {
		acceptAfter = 100 * time.Hour
	}
	resolveAfter := 50 * time.Hour
	if i%12 == 0 {
		resolveAfter = 200 * time.Hour
	}
	steps := []ticketStep{
		{workorder.Request{Action: workorder.ActAccept, Actor: actor}, acceptAfter},
		{workorder.Request{Action: workorder.ActStart, Actor: actor}, acceptAfter + time.Hour},
		{workorder.Request{Action: workorder.ActResolve, Actor: actor}, acceptAfter + resolveAfter},
	}
	if i%5 != 0 {
		rating := []workorder.Rating{workorder.RatingVerySatisfied, workorder.RatingSatisfied, workorder.RatingSatisfied,
			workorder.RatingNeutral, workorder.RatingSatisfied, workorder.RatingVerySatisfied, workorder.RatingSatisfied,
			workorder.RatingUnsatisfied}[i%8]
		steps = append(steps, ticketStep{workorder.Request{Action: workorder.ActRate, Actor: workorder.Actor{Role: workorder.RoleCitizen}, Rating: rating},
			acceptAfter + resolveAfter + 24*time.Hour})
	}
	return steps
}

// TicketSubmission is the workorder:Submit input of ticket id in category noise.
func TicketSubmission(id string) workorder.SubmitInput {
	const h64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	return workorder.SubmitInput{ID: id, Category: "noise", ContentHash: h64, ReporterCommitment: h64, Channel: "web"}
}

// TicketAction returns in signed by d (Department and KeyID set to d's).
func (d *Dept) TicketAction(in workorder.ActionInput) (workorder.ActionInput, error) {
	in.Department, in.KeyID = d.ID, d.KeyID
	var err error
	in.Signature, err = canon.Sign(d.Key, canon.KindTicketAction, in.Signed())
	return in, err
}
