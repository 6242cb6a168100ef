package command

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/certledger/certledger/gateway/gatewaytest"
	"github.com/certledger/certledger/internal/domain/exchange"
	"github.com/certledger/certledger/internal/domain/lineage"
)

// TestExchangeCLICatalogDeletionLineage: catalogue update, withdrawal and
// history; grant and exchange history; the consumer's deletion attestation once
// the grant ends and the audit's list of grants ended without one; lineage of a
// certificate carried by an exchange and referred to by a ticket.
func TestExchangeCLICatalogDeletionLineage(t *testing.T) {
	w := newExWorld(t)
	w.gw.Department(t, gatewaytest.Dept{ID: "dept-h", Categories: []string{"licence"}})
	w.tokens["tok-gov"] = w.gw.GovToken()
	ka, kb := w.keyPath["dept-a"], w.keyPath["dept-b"]

	wantCode(t, w.run("tok-a", "catalog", "add", "--dept", "dept-a", "--id", "licences", "--fields", "id,name"), 0)
	wantCode(t, w.run("tok-b", "catalog", "update", "dept-a", "licences", "--fields", "id,name,address"), ExitInvalid) // not its item
	r := w.run("tok-a", "catalog", "update", "dept-a", "licences", "--fields", "id,name,address", "--name", "Licences")
	wantCode(t, r, 0)
	if !strings.Contains(r.Stdout, "version 2") {
		t.Fatalf("update: %s", r.Stdout)
	}
	r = w.run("tok-a", "grant", "create", "--id", "g-1", "--consumer", "dept-b", "--item", "licences", "--fields", "id,name",
		"--purpose", "licence checks", "--legal-basis", "Reg. 1", "--valid-from", "2020-01-01", "--valid-until", "2099-12-31", "--key", ka)
	wantCode(t, r, 0)
	r = w.run("tok-b", "grant", "show", "g-1", "-o", "json")
	if strings.Contains(r.Stdout, "licence checks") || !strings.Contains(r.Stdout, `"purposeHash"`) {
		t.Fatalf("purpose in clear on the ledger: %s", r.Stdout)
	}

	// A certificate, an exchange that carries it, a ticket that refers to both.
	doc := w.file("licence.pdf", "licence document")
	r = w.run("tok-a", "cert", "issue", "--file", doc, "--type", "business-licence", "--holder-id", "91310000MA1FL000XX",
		"--valid-until", "2099-12-31", "--key", ka, "--id", "c-1", "--out-dir", w.dir, "-o", "json")
	wantCode(t, r, 0)
	payload := w.file("licences.json", `[{"id":"c-1","name":"Shop"}]`)
	wantCode(t, w.run("tok-a", "exchange", "send", "--grant", "g-1", "--file", payload, "--fields", "id,name", "--id", "x-1",
		"--certificates", "c-1", "--key", ka), 0)
	wantCode(t, w.run("tok-b", "exchange", "ack", "x-1", "--key", kb), 0)
	appeal := w.file("appeal.txt", "the licence was shared without my consent")
	wantCode(t, w.run("tok-gov", "ticket", "submit", "--id", "t-1", "--category", "licence", "--content", appeal,
		"--reporter", "110101199003077777", "--ref", "exchange:x-1", "--ref", "certificate:c-1"), 0)
	wantCode(t, w.run("tok-gov", "ticket", "submit", "--id", "t-2", "--category", "licence", "--content", appeal,
		"--reporter", "110101199003077777", "--ref", "certificate:c-404"), ExitInvalid)

	r = w.run("tok-audit", "audit", "lineage", "c-1", "-o", "json")
	wantCode(t, r, 0)
	var g lineage.Graph
	if err := json.Unmarshal([]byte(r.Stdout), &g); err != nil || len(g.Nodes) != 3 || len(g.Edges) != 3 {
		t.Fatalf("lineage: %v %s", err, r.Stdout)
	}
	r = w.run("tok-audit", "audit", "lineage", "t-1", "--kind", "ticket")
	wantCode(t, r, 0)
	t.Logf("audit lineage (table):\n%s", r.Stdout)
	for _, want := range []string{"ticket:t-1", "exchange:x-1", "certificate:c-1", "(above)", "3 records, 3 links"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("lineage table lacks %q", want)
		}
	}
	r = w.run("tok-b", "audit", "lineage", "c-1")
	wantCode(t, r, 0)
	if !strings.Contains(r.Stdout, "1 hidden") {
		t.Errorf("dept-b's lineage should hide the ticket: %s", r.Stdout)
	}
	wantCode(t, w.run("tok-audit", "audit", "lineage", "c-1", "--depth", "9"), ExitUsage)

	// Withdrawing the item: no new grant; the history keeps every version.
	wantCode(t, w.run("tok-a", "catalog", "withdraw", "dept-a", "licences", "--reason", "replaced by licences-v2"), 0)
	r = w.run("tok-a", "grant", "create", "--consumer", "dept-b", "--item", "licences", "--fields", "id", "--purpose", "p",
		"--legal-basis", "l", "--valid-until", "2099-12-31", "--key", ka)
	wantCode(t, r, ExitInvalid)
	r = w.run("tok-b", "catalog", "history", "dept-a", "licences", "-o", "json")
	wantCode(t, r, 0)
	var hist []historyEntry
	if err := json.Unmarshal([]byte(r.Stdout), &hist); err != nil || len(hist) != 3 {
		t.Fatalf("catalog history: %v %s", err, r.Stdout)
	}

	// The grant ends (revoked); the audit lists it until dept-b attests deletion.
	wantCode(t, w.run("tok-b", "grant", "attest-deletion", "g-1", "--key", kb), ExitInvalid) // still active
	wantCode(t, w.run("tok-a", "grant", "revoke", "g-1", "--reason", "checks done", "--key", ka), 0)
	audit := func() ExchangeAuditReport {
		r := w.run("tok-audit", "audit", "exchanges", "--dept", "dept-b", "--from", "2000-01-01", "--to", "2099-12-31", "-o", "json")
		wantCode(t, r, 0)
		var rep ExchangeAuditReport
		if err := json.Unmarshal([]byte(r.Stdout), &rep); err != nil {
			t.Fatal(err)
		}
		return rep
	}
	if rep := audit(); rep.Summary.NoDeletion != 1 || rep.NoDeletion[0].ID != "g-1" {
		t.Fatalf("ended without deletion: %+v", rep.Summary)
	}
	r = w.run("tok-b", "grant", "list", "--consumer", "dept-b", "--deletion", "missing")
	wantCode(t, r, 0)
	if !strings.Contains(r.Stdout, "g-1") || !strings.Contains(r.Stdout, "missing") {
		t.Fatalf("grant list --deletion missing: %s", r.Stdout)
	}
	wantCode(t, w.run("tok-a", "grant", "attest-deletion", "g-1", "--key", ka), ExitInvalid) // the provider
	wantCode(t, w.run("tok-b", "grant", "attest-deletion", "g-1", "--key", kb), 0)
	if rep := audit(); rep.Summary.NoDeletion != 0 {
		t.Fatalf("after the attestation: %+v", rep.Summary)
	}
	r = w.run("tok-b", "grant", "history", "g-1")
	wantCode(t, r, 0)
	t.Logf("grant history:\n%s", r.Stdout)
	for _, want := range []string{"consumer attested deletion", "revoked"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("grant history lacks %q", want)
		}
	}
	r = w.run("tok-b", "exchange", "history", "x-1", "-o", "json")
	wantCode(t, r, 0)
	hist = nil
	if err := json.Unmarshal([]byte(r.Stdout), &hist); err != nil || len(hist) != 2 {
		t.Fatalf("exchange history: %v %s", err, r.Stdout)
	}
	var e exchange.Exchange
	_ = json.Unmarshal(hist[0].Record, &e)
	if e.Ack == nil || strings.Join(e.Ack.Fields, ",") != "id,name" {
		t.Fatalf("newest version %+v", e.Ack)
	}

	// The governance office turns the declared forms off.
	wantCode(t, w.run("tok-a", "exchange", "policy", "set", "--require-envelope"), ExitInvalid)
	wantCode(t, w.run("tok-gov", "exchange", "policy", "set", "--require-envelope", "--require-sealed-text"), 0)
	r = w.run("tok-b", "exchange", "policy", "show")
	wantCode(t, r, 0)
	if strings.Count(r.Stdout, "required") != 2 || strings.Contains(r.Stdout, "not required") {
		t.Fatalf("policy show: %s", r.Stdout)
	}
}
