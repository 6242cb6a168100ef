package certificate_test

import (
	"encoding/json"
	"testing"

	"github.com/certledger/certledger/chaincode/internal/state"
	"github.com/certledger/certledger/chaincode/ledgertest"
	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/codes"
	domain "github.com/certledger/certledger/internal/domain/certificate"
)

// TestOperatorNamesThePerson: with per-person identities, the certificate and
// every version in its history name the clerk who acted (the creator's CN), not
// the organisation's Admin; a signed operator must be the submitting identity.
func TestOperatorNamesThePerson(t *testing.T) {
	e := setup(t)
	clerk1 := ledgertest.Tx{MSP: "MarketMSP", CommonName: "clerk1@market"}
	clerk2 := ledgertest.Tx{MSP: "MarketMSP", CommonName: "clerk2@market"}
	c := cert(t, e.l.MustSubmit(clerk1, "certificate:Issue", js(e.record("c-op", e.market, nil))))
	if c.ActorID != "clerk1@market" {
		t.Fatalf("issued by %q, want clerk1@market", c.ActorID)
	}

	// clerk2 submits a suspension the department signed for clerk1: refused, nothing written.
	req := domain.StatusRequest{CertificateID: c.ID, Action: domain.ActionSuspend, Reason: "check", KeyID: e.market.KeyID, PrevTxID: c.TxID, Operator: "clerk1@market"}
	req.Signature = e.market.Sign(t, canon.KindCertificateStatus, req)
	refused(t, e.l.Submit(clerk2, "certificate:Suspend", js(req)), codes.Forbidden)

	// The operator is signed: removing it from clerk1's request breaks the signature.
	stripped := req
	stripped.Operator = ""
	refused(t, e.l.Submit(clerk2, "certificate:Suspend", js(stripped)), codes.BadSignature)

	// clerk1 submits it: accepted, the version names clerk1.
	s := cert(t, e.l.MustSubmit(clerk1, "certificate:Suspend", js(req)))
	if s.ActorID != "clerk1@market" || s.Status != domain.StatusSuspended {
		t.Fatalf("suspended %+v", s)
	}

	// A request signed without an operator (an older CLI) is accepted; the ledger
	// still records who submitted it.
	r := cert(t, e.l.MustSubmit(clerk2, "certificate:Reinstate", js(e.status(s, domain.ActionReinstate, e.market))))
	if r.ActorID != "clerk2@market" {
		t.Fatalf("reinstated by %q, want clerk2@market", r.ActorID)
	}

	var hist []state.HistoryEntry
	if err := e.l.MustEvaluate(public, "certificate:History", c.ID).Decode(&hist); err != nil {
		t.Fatal(err)
	}
	var actors []string
	for _, h := range hist {
		var v domain.Certificate
		if err := json.Unmarshal(h.Record, &v); err != nil {
			t.Fatal(err)
		}
		actors = append(actors, v.ActorID)
	}
	if len(actors) != 3 || actors[0] != "clerk2@market" || actors[1] != "clerk1@market" || actors[2] != "clerk1@market" {
		t.Fatalf("history actors (newest first) %v", actors)
	}

	// An operator that is not printable text is refused before anything else.
	bad := e.status(r, domain.ActionRevoke, e.market)
	bad.Operator = "clerk\n1"
	refused(t, e.l.Submit(clerk1, "certificate:Revoke", js(bad)), codes.InvalidArgument)
}
