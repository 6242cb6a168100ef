package workorder_test

import (
	"testing"

	"github.com/certledger/certledger/chaincode/ledgertest"
	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/codes"
	domain "github.com/certledger/certledger/internal/domain/workorder"
)

// TestOperatorInTrace: a clerk's signed action names the clerk in the trace
// (actorId is the certificate's CN, not the Admin's nor the whole subject), and
// an action the department signed for another clerk is refused unwritten.
func TestOperatorInTrace(t *testing.T) {
	w := newWorld(t)
	w.must(w.submit("T-op", "noise"))
	action := func(operator string) domain.ActionInput {
		in := domain.ActionInput{SignedAction: domain.SignedAction{TicketID: "T-op", Action: "accept", Department: w.a.id, NoteHash: hNote,
			PrevTxID: w.get("T-op").TxID, KeyID: w.a.s.KeyID, Operator: operator}}
		in.Signature = w.a.s.Sign(t, canon.KindTicketAction, in.Signed())
		return in
	}
	admin := ledgertest.Tx{MSP: w.a.msp, CommonName: "Admin@a"}
	clerk := ledgertest.Tx{MSP: w.a.msp, CommonName: "clerk1@a"}

	before := len(w.l.Events())
	r := w.l.Submit(admin, "workorder:Accept", ledgertest.JSON(action("clerk1@a")))
	wantCode(t, r, codes.Forbidden)
	if len(r.Writes) != 0 || len(w.l.Events()) != before {
		t.Fatalf("refused action wrote %d keys", len(r.Writes))
	}
	// The citizen channel signs nothing, so it cannot name an operator.
	unsigned := domain.ActionInput{SignedAction: domain.SignedAction{TicketID: "T-op", Action: "accept", Operator: "clerk1@a"}}
	wantCode(t, w.l.Submit(ledgertest.Gov, "workorder:Accept", ledgertest.JSON(unsigned)), codes.InvalidArgument)

	o := w.must(w.l.Submit(clerk, "workorder:Accept", ledgertest.JSON(action("clerk1@a"))))
	if got := o.Transitions[0]; got.ActorID != "clerk1@a" || got.ActorMSP != w.a.msp {
		t.Fatalf("transition names %q (%s), want clerk1@a", got.ActorID, got.ActorMSP)
	}
	var trace []domain.Transition
	w.l.MustEvaluate(ledgertest.Gov, "workorder:Trace", "T-op").MustDecode(t, &trace)
	last := trace[len(trace)-1]
	if last.Action != domain.ActAccept || last.ActorID != "clerk1@a" {
		t.Fatalf("trace ends with %+v", last)
	}
}
