package workorder_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/chaincode/contract/workorder"
	"github.com/certledger/certledger/chaincode/ledgertest"
	"github.com/certledger/certledger/internal/domain/wire"
	domain "github.com/certledger/certledger/internal/domain/workorder"
)

// TestKPIIndexesMatchReference drives tickets through random (legal and illegal)
// actions over three weeks, then checks that the contract's KPI — computed from its
// time-keyed indexes only — equals the domain's reference ComputeKPI over the whole
// tickets and every accountability record, for each department and several periods.
func TestKPIIndexesMatchReference(t *testing.T) {
	legal := map[string]int{}
	for _, seed := range []uint64{1, 7, 42} {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) { kpiMatchesReference(t, seed, legal) })
	}
	for _, fn := range []string{"Suspend", "Resume", "Return", "Route", "Escalate", "Transfer", "Reopen"} {
		if legal[fn] == 0 {
			t.Errorf("no legal %s among the random actions of any seed: the test does not cover it", fn)
		}
	}
}

func kpiMatchesReference(t *testing.T, seed uint64, legal map[string]int) {
	w := newWorld(t)
	w.l.CheckDeterminism = false // covered by the other tests; this one is about the indexes
	rng := rand.New(rand.NewPCG(seed, 2))
	depts := []dept{w.p, w.a, w.b}
	const n = 24
	for i := 0; i < n; i++ {
		cat := []string{"noise", "housing"}[i%2]
		w.must(w.submit(fmt.Sprintf("T%02d", i), cat))
		w.l.Advance(time.Duration(rng.IntN(180)) * time.Minute)
	}
	fns := []string{"Accept", "Start", "Resolve", "Transfer", "Escalate", "Close", "Rate", "Reopen", "Sweep",
		"Return", "Route", "Suspend", "Resume"}
	next := map[domain.State]string{domain.StateAssigned: "Accept", domain.StateAccepted: "Start",
		domain.StateInProgress: "Resolve", domain.StateResolved: "Rate", domain.StateRated: "Close",
		domain.StateSuspended: "Resume", domain.StateSubmitted: "Route"}
	// Less common steps, by the department that may take them.
	side := map[domain.State][]string{domain.StateAssigned: {"Transfer", "Return", "Escalate"},
		domain.StateAccepted: {"Transfer", "Escalate"}, domain.StateInProgress: {"Suspend", "Transfer", "Escalate"}}
	supervisor := map[string]dept{"A": w.p, "B": w.p}
	byID := map[string]dept{"P": w.p, "A": w.a, "B": w.b}
	ok := 0
	for step := 0; step < 400; step++ {
		w.l.Advance(time.Duration(rng.IntN(150)) * time.Minute)
		id := fmt.Sprintf("T%02d", rng.IntN(n))
		tk := w.get(id)
		fn, actor := fns[rng.IntN(len(fns))], depts[rng.IntN(3)]
		if nf, found := next[tk.State]; found && rng.IntN(10) < 6 {
			fn, actor = nf, byID[tk.Department] // mostly, the natural next step by the right department
		} else if alt := side[tk.State]; len(alt) > 0 && rng.IntN(10) < 3 {
			fn, actor = alt[rng.IntN(len(alt))], byID[tk.Department]
			if sup, ok := supervisor[tk.Department]; ok && fn == "Escalate" {
				actor = sup
			}
		}
		var r ledgertest.Result
		switch fn {
		case "Rate":
			r = w.rate(id, []string{"very_satisfied", "satisfied", "neutral", "unsatisfied"}[rng.IntN(4)])
		case "Reopen":
			r = w.l.Submit(ledgertest.Gov, "workorder:Reopen", ledgertest.JSON(map[string]string{"ticketId": id}))
		case "Sweep":
			r = w.l.Submit(w.a.tx(), "workorder:Sweep", "")
		case "Route":
			r = w.l.Submit(ledgertest.Gov, "workorder:Route", ledgertest.JSON(map[string]string{"ticketId": id, "target": depts[rng.IntN(3)].id}))
		case "Resume":
			if rng.IntN(2) == 0 {
				r = w.l.Submit(ledgertest.Gov, "workorder:Resume", ledgertest.JSON(map[string]string{"ticketId": id}))
			} else {
				r = w.act(actor, fn, id, "")
			}
		default:
			target := ""
			if fn == "Transfer" || fn == "Escalate" {
				target = depts[rng.IntN(3)].id
			}
			r = w.act(actor, fn, id, target)
		}
		if r.OK() {
			ok++
			legal[fn]++
		}
	}
	t.Logf("%d of 400 random actions were legal (legal so far, all seeds: %v)", ok, legal)

	// A last sweep rolls up every settled day; KPIs must not change by it.
	before := map[string]domain.KPI{}
	for _, d := range depts {
		var k domain.KPI
		w.l.MustEvaluate(w.p.tx(), "workorder:KPI", d.id, "2026-11-20", "2026-12-31").MustDecode(t, &k)
		before[d.id] = k
	}
	var sr workorder.SweepResult
	w.l.MustSubmit(w.b.tx(), "workorder:Sweep", "").MustDecode(t, &sr)
	rollups := 0
	for _, k := range w.l.Keys() {
		if strings.HasPrefix(k, "wo/kd/") {
			rollups++
		}
	}
	t.Logf("%d department-days rolled up (%d by the last sweep)", rollups, sr.RolledUp)
	if rollups < 20 {
		t.Errorf("only %d day rollups after three weeks", rollups)
	}
	for _, d := range depts {
		var k domain.KPI
		w.l.MustEvaluate(w.p.tx(), "workorder:KPI", d.id, "2026-11-20", "2026-12-31").MustDecode(t, &k)
		k.AsOf = before[d.id].AsOf
		if !reflect.DeepEqual(k, before[d.id]) {
			t.Errorf("%s: KPI changed by a sweep:\n before %s\n after  %s", d.id, ledgertest.JSON(before[d.id]), ledgertest.JSON(k))
		}
	}

	var tickets []domain.Ticket
	for i := 0; i < n; i++ {
		tickets = append(tickets, w.get(fmt.Sprintf("T%02d", i)))
	}
	var acc []domain.Accountability
	for _, d := range depts {
		bm := ""
		for {
			var p workorder.Page[domain.Accountability]
			w.l.MustEvaluate(w.p.tx(), "workorder:Accountability", d.id, "2026-01-01", "2027-01-01", "500", bm).MustDecode(t, &p)
			acc = append(acc, p.Records...)
			if bm = p.Bookmark; bm == "" {
				break
			}
		}
	}
	total := 0
	for _, tk := range tickets {
		total += tk.Accountability
	}
	if total != len(acc) {
		t.Fatalf("tickets count %d accountability records, the listing has %d", total, len(acc))
	}
	asOf := wire.FormatSecond(w.l.Now())
	periods := [][2]string{
		{"2026-11-20T00:00:00Z", "2026-12-31T00:00:00Z"},
		{"2026-11-19T16:00:00Z", "2026-12-05T16:00:00Z"}, // whole days in UTC+08:00: rollups only
		{"2026-11-28T16:00:00Z", "2026-12-02T04:00:00Z"}, // rollups plus a partial day
		{"2026-11-27T00:00:00Z", "2026-12-01T00:00:00Z"},
		{"2026-12-01T00:00:00Z", "2026-12-08T00:00:00Z"},
		{"2026-12-08T00:00:00Z", "2026-12-20T00:00:00Z"},
	}
	for _, d := range depts {
		for _, p := range periods {
			var got domain.KPI
			w.l.MustEvaluate(w.p.tx(), "workorder:KPI", d.id, p[0], p[1]).MustDecode(t, &got)
			want := domain.ComputeKPI(d.id, p[0], p[1], asOf, tickets, acc)
			if p == periods[0] {
				t.Logf("%s: received %d response %d/%d resolution %d/%d satisfaction %d/%d accountability %d", d.id, got.Received, got.Response.Numerator, got.Response.Denominator, got.Resolution.Numerator, got.Resolution.Denominator, got.Satisfaction.Numerator, got.Satisfaction.Denominator, got.Accountability)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("KPI %s %v:\n got %s\nwant %s", d.id, p, ledgertest.JSON(got), ledgertest.JSON(want))
			}
		}
	}
}

// TestRollupOnlySettledDays: a day is rolled up only once nothing counted in it can change.
func TestRollupOnlySettledDays(t *testing.T) {
	w := newWorld(t)
	w.must(w.submit("T1", "noise")) // Fri 2026-11-27 10:00 (+08:00); respond-by Mon 10:00
	sweep := func() workorder.SweepResult {
		t.Helper()
		var sr workorder.SweepResult
		w.l.MustSubmit(w.a.tx(), "workorder:Sweep", "").MustDecode(t, &sr)
		return sr
	}
	kpi := func() domain.KPI {
		var k domain.KPI
		w.l.MustEvaluate(w.p.tx(), "workorder:KPI", "A", "2026-11-23", "2026-12-31").MustDecode(t, &k)
		k.AsOf = ""
		return k
	}
	w.l.SetNow(time.Date(2026, 11, 27, 20, 0, 0, 0, time.UTC)) // Saturday 04:00: Friday is over
	if sr := sweep(); sr.RolledUp != 0 {
		t.Fatalf("rolled up a day whose response is pending: %+v", sr)
	}
	w.must(w.act(w.a, "Accept", "T1", "")) // Saturday: responded in time
	before := kpi()
	if sr := sweep(); sr.RolledUp != 1 {
		t.Fatalf("Friday not rolled up once settled: %+v", sr)
	}
	if sr := sweep(); sr.RolledUp != 0 {
		t.Fatalf("a second sweep rolled up again: %+v", sr)
	}
	if after := kpi(); !reflect.DeepEqual(before, after) || after.Received != 1 || after.Response.Numerator != 1 {
		t.Fatalf("KPI changed by the rollup:\n before %s\n after  %s", ledgertest.JSON(before), ledgertest.JSON(after))
	}
	// A missed deadline blocks the days it falls in until a sweep has marked it.
	w.must(w.submit("T2", "noise"))                           // Sat: respond-by Tue 00:00 (+08:00) = Mon 16:00Z
	w.l.SetNow(time.Date(2026, 12, 1, 20, 0, 0, 0, time.UTC)) // Wed 04:00 local
	sr := sweep()
	if len(sr.Tickets) != 1 {
		t.Fatalf("T2 not marked: %+v", sr)
	}
	var cur workorder.RollupCursor
	if err := json.Unmarshal(w.l.State("wo/kc/A"), &cur); err != nil {
		t.Fatal(err)
	}
	if cur.Through > "2026-11-30T16:00:00Z" {
		t.Fatalf("rolled past T2's unmarked deadline in the same sweep: %+v", cur)
	}
	sweep() // Tuesday (+08:00) ended at 12-01 16:00Z: every day before it is settled now
	if err := json.Unmarshal(w.l.State("wo/kc/A"), &cur); err != nil {
		t.Fatal(err)
	}
	if cur.Through != "2026-12-01T16:00:00Z" || cur.From != "2026-11-26T16:00:00Z" {
		t.Fatalf("cursor after the deadline was marked: %+v", cur)
	}
	k := kpi()
	if k.Received != 2 || k.Response.Numerator != 1 || k.Response.Denominator != 2 || k.Overdue != 1 {
		t.Fatalf("KPI: %s", ledgertest.JSON(k))
	}
}
