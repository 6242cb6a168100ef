package workorder

import (
	"fmt"
	"time"
)

// SyntheticTicket is synthetic ticket i of dept, a workload for benchmarks and demos:
// submitted every 4 minutes from 2026-01-05; 97 % accepted within 2 hours (the rest
// after the respond-by), 92 % resolved within 3 days, 80 % rated (1 in 8 unsatisfied).
// All through the domain rules, so facts and accountability are real.
func SyntheticTicket(dept string, i int) (Result, error) {
	const h64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	at := time.Date(2026, 1, 5, 1, 0, 0, 0, time.UTC).Add(time.Duration(i) * 4 * time.Minute)
	env := func(d time.Duration) Env {
		return Env{Now: at.Add(d), TxID: fmt.Sprintf("tx-%s-%d-%d", dept, i, d), Calendar: DefaultCalendar(), SLA: DefaultSLA()}
	}
	actor := Actor{Role: RoleAssigned, Department: dept}
	all := Result{}
	res, err := Submit(SubmitInput{ID: fmt.Sprintf("%s-%07d", dept, i), Category: "noise",
		ContentHash: h64, ReporterCommitment: h64, Channel: "web"}, dept, Actor{Role: RoleCitizen}, env(0))
	if err != nil {
		return all, err
	}
	t := res.Ticket
	all.Accountability = append(all.Accountability, res.Accountability...)
	acceptAfter := 2 * time.Hour
	if i%33 == 0 {
		acceptAfter = 100 * time.Hour
	}
	resolveAfter := 50 * time.Hour
	if i%12 == 0 {
		resolveAfter = 200 * time.Hour
	}
	type step struct {
		req Request
		d   time.Duration
	}
	steps := []step{
		{Request{Action: ActAccept, Actor: actor}, acceptAfter},
		{Request{Action: ActStart, Actor: actor}, acceptAfter + time.Hour},
		{Request{Action: ActResolve, Actor: actor}, acceptAfter + resolveAfter},
	}
	if i%5 != 0 {
		rating := []Rating{RatingVerySatisfied, RatingSatisfied, RatingSatisfied,
			RatingNeutral, RatingSatisfied, RatingVerySatisfied, RatingSatisfied, RatingUnsatisfied}[i%8]
		steps = append(steps, step{Request{Action: ActRate, Actor: Actor{Role: RoleCitizen}, Rating: rating}, acceptAfter + resolveAfter + 24*time.Hour})
	}
	for _, s := range steps {
		r, err := Apply(t, s.req, env(s.d))
		if err != nil {
			return all, err
		}
		t = r.Ticket
		all.Accountability = append(all.Accountability, r.Accountability...)
	}
	all.Ticket = t
	return all, nil
}
