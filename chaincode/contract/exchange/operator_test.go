package exchange_test

import (
	"testing"

	"github.com/certledger/certledger/chaincode/ledgertest"
	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/codes"
	domain "github.com/certledger/certledger/internal/domain/exchange"
)

// TestOperatorNamesThePerson: grants, their revocation, exchanges and answers
// record the operator id of the clerk who submitted them; a signed operator
// that is not the submitting identity's is refused with nothing written.
func TestOperatorNamesThePerson(t *testing.T) {
	w := newWorld(t)
	taxClerk := ledgertest.Tx{MSP: w.tax.msp, CommonName: "clerk1@dept-tax"}
	taxOther := ledgertest.Tx{MSP: w.tax.msp, CommonName: "clerk2@dept-tax"}
	socialClerk := ledgertest.Tx{MSP: w.social.msp, CommonName: "clerk1@dept-social"}

	signedFor := func(op string) func(*domain.GrantRequest) {
		return func(r *domain.GrantRequest) { r.Operator = op }
	}
	w.refused("grant signed for another clerk", taxOther, codes.Forbidden, "exchange:CreateGrant", ledgertest.JSON(w.grantReq("g-op", signedFor("clerk1@dept-tax"))))
	var g domain.Grant
	if err := w.l.MustSubmit(taxClerk, "exchange:CreateGrant", ledgertest.JSON(w.grantReq("g-op", signedFor("clerk1@dept-tax")))).Decode(&g); err != nil {
		t.Fatal(err)
	}
	if g.ActorID != "clerk1@dept-tax" || g.Operator != "clerk1@dept-tax" {
		t.Fatalf("grant actor %q operator %q", g.ActorID, g.Operator)
	}

	send := w.sendReq("x-op", g.ID, func(r *domain.SendRequest) { r.Operator = "clerk2@dept-tax" })
	w.refused("exchange signed for another clerk", taxClerk, codes.Forbidden, "exchange:Send", ledgertest.JSON(send))
	var x domain.Exchange
	if err := w.l.MustSubmit(taxOther, "exchange:Send", ledgertest.JSON(send)).Decode(&x); err != nil {
		t.Fatal(err)
	}
	if x.ActorID != "clerk2@dept-tax" {
		t.Fatalf("exchange sent by %q", x.ActorID)
	}

	ack := w.answer(x.ID, w.social, domain.DecisionAck, func(a *domain.AckRequest) { a.Operator = "clerk1@dept-social" })
	forged := ack
	forged.ActorID = "clerk1@dept-social"
	w.refused("actorId set by the request", socialClerk, codes.InvalidArgument, "exchange:Ack", ledgertest.JSON(forged))
	w.refused("ack signed for another clerk", ledgertest.Tx{MSP: w.social.msp, CommonName: "Admin@dept-social"}, codes.Forbidden, "exchange:Ack", ledgertest.JSON(ack))
	if err := w.l.MustSubmit(socialClerk, "exchange:Ack", ledgertest.JSON(ack)).Decode(&x); err != nil {
		t.Fatal(err)
	}
	if x.Ack == nil || x.Ack.ActorID != "clerk1@dept-social" || x.ActorID != "clerk2@dept-tax" {
		t.Fatalf("answered exchange %+v", x)
	}

	// Verification of the stored records passes: the signed operator is part of
	// the payloads, the ledger's actorId is not.
	var vr domain.VerifyResult
	w.l.MustEvaluate(ledgertest.Tx{MSP: "PoliceMSP"}, "exchange:Verify", `{"id":"x-op"}`).MustDecode(t, &vr)
	if vr.Verdict != "VALID" {
		t.Fatalf("verify %+v", vr)
	}

	// The revocation, signed without an operator, still names who submitted it.
	rev := domain.RevocationRequest{GrantID: g.ID, Reason: "purpose met", KeyID: w.tax.keyID, PrevTxID: g.TxID}
	rev.Signature = signed(t, w.tax, canon.KindGrantRevoke, rev)
	if err := w.l.MustSubmit(taxOther, "exchange:RevokeGrant", ledgertest.JSON(rev)).Decode(&g); err != nil {
		t.Fatal(err)
	}
	if g.Revocation == nil || g.Revocation.ActorID != "clerk2@dept-tax" || g.ActorID != "clerk1@dept-tax" {
		t.Fatalf("revoked grant %+v", g)
	}
}
