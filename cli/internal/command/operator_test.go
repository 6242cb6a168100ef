package command

import (
	"encoding/json"
	"testing"

	"github.com/certledger/certledger/gateway/gatewaytest"
	"github.com/certledger/certledger/internal/domain/exchange"
)

// TestOperatorSignedIntoActions: the CLI asks the gateway which operator id its
// token signs as (GET /api/v1/whoami) and signs it into the action, so the stored
// record carries the clerk both as signed (operator) and as seen by the ledger
// (actorId); an --operator that is not the caller's identity is refused by the
// ledger and nothing is written; --operator none signs none.
func TestOperatorSignedIntoActions(t *testing.T) {
	w := newExWorld(t)
	ka := w.keyPath["dept-a"]
	clerk := gatewaytest.Operator("dept-a", gatewaytest.Clerk)
	wantCode(t, w.run("tok-a", "catalog", "add", "--dept", "dept-a", "--id", "tax-record", "--fields", "name,income"), 0)
	grant := func(id string, extra ...string) Result {
		args := append([]string{"grant", "create", "--id", id, "--consumer", "dept-b", "--item", "tax-record", "--fields", "income",
			"--purpose", "subsidy", "--legal-basis", "Reg. 12", "--valid-until", "2099-12-31", "--key", ka, "-o", "json"}, extra...)
		return w.run("tok-a", args...)
	}
	stored := func(id string) exchange.Grant {
		t.Helper()
		r := w.run("tok-audit", "grant", "show", id, "-o", "json")
		wantCode(t, r, 0)
		var g exchange.Grant
		if err := json.Unmarshal([]byte(r.Stdout), &g); err != nil {
			t.Fatalf("%v: %s", err, r.Stdout)
		}
		return g
	}

	wantCode(t, grant("g-op1"), 0)
	if g := stored("g-op1"); g.Operator != clerk || g.ActorID != clerk {
		t.Fatalf("grant operator %q actor %q, want %s", g.Operator, g.ActorID, clerk)
	}

	r := grant("g-op2", "--operator", "someone-else@dept-a")
	wantCode(t, r, ExitInvalid)
	oneLine(t, r, "FORBIDDEN")
	wantCode(t, w.run("tok-audit", "grant", "show", "g-op2"), ExitInvalid)

	wantCode(t, grant("g-op3", "--operator", "none"), 0)
	if g := stored("g-op3"); g.Operator != "" || g.ActorID != clerk {
		t.Fatalf("unsigned operator: grant operator %q actor %q", g.Operator, g.ActorID)
	}
}
