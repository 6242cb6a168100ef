package certificate_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/certledger/certledger/chaincode/contract/certificate"
	"github.com/certledger/certledger/chaincode/ledgertest"
	"github.com/certledger/certledger/internal/codes"
	domain "github.com/certledger/certledger/internal/domain/certificate"
)

func group(records ...domain.Record) string {
	return ledgertest.JSON(certificate.Group{Records: records})
}

func TestIssueGroupMixed(t *testing.T) {
	e := setup(t)
	existing := e.issue("c-old")
	replay := existing.Record // the same signed record again (SM2 signatures are randomised: a re-signed one differs)
	clash := e.record("c-old", e.market, func(r *domain.Record) { r.Type = "permit" })
	good1 := e.record("g-1", e.market, nil)
	good2 := e.record("g-2", e.market, nil)
	badSig := e.record("g-3", e.market, nil)
	badSig.Signature = e.record("g-4", e.market, nil).Signature
	policeRec := e.record("g-5", e.police, func(r *domain.Record) { r.Issuer = "police" }) // submitter is market
	badFormat := e.record("g 6", e.market, nil)
	twice := e.record("g-1", e.market, func(r *domain.Record) { r.Type = "permit" })
	supersede := e.record("g-7", e.market, func(r *domain.Record) { r.Supersedes = "c-old" })

	r := e.l.MustSubmit(market, "certificate:IssueGroup", group(good1, replay, clash, badSig, policeRec, good2, badFormat, twice, supersede))
	var ans certificate.GroupAnswer
	r.MustDecode(t, &ans)
	want := []struct{ id, outcome, code string }{
		{"g-1", "issued", ""}, {"c-old", "replay", ""}, {"c-old", "refused", codes.Conflict},
		{"g-3", "refused", codes.BadSignature}, {"g-5", "refused", codes.Forbidden}, {"g-2", "issued", ""},
		{"g 6", "refused", codes.InvalidArgument}, {"g-1", "refused", codes.Conflict}, {"g-7", "refused", codes.InvalidArgument},
	}
	if len(ans.Results) != len(want) || ans.Issued != 2 || ans.Replay != 1 || ans.Refused != 6 || ans.TxID != r.TxID {
		t.Fatalf("answer %+v", ans)
	}
	for i, w := range want {
		got := ans.Results[i]
		if got.ID != w.id || got.Outcome != w.outcome || got.Code != w.code || (w.outcome == "refused") != (got.Message != "") {
			t.Errorf("record %d: %+v, want %+v", i, got, w)
		}
	}
	if ans.Results[0].TxID != r.TxID || ans.Results[1].TxID != existing.TxID {
		t.Fatalf("txIds %+v", ans.Results)
	}
	// Only the two issued records were written (record + hash index each).
	if len(r.Writes) != 4 {
		t.Fatalf("%d writes: %+v", len(r.Writes), r.Writes)
	}
	for _, id := range []string{"g-3", "g-5", "g-7"} {
		if res := e.l.Evaluate(public, "certificate:Get", id); res.Code() != codes.NotFound {
			t.Fatalf("%s: %s", id, res.Message)
		}
	}
	if c := cert(t, e.l.MustEvaluate(public, "certificate:Get", "g-1")); c.Record != good1 || c.TxID != r.TxID {
		t.Fatalf("g-1 = %+v", c)
	}
	if c := cert(t, e.l.MustEvaluate(public, "certificate:Get", "c-old")); c != existing {
		t.Fatal("the replayed certificate changed")
	}
	// One event for the group naming the written certificates (id, document
	// hash, issuer), in input order, and nothing else.
	if r.Event == nil || r.Event.Name != certificate.EventGroupIssued {
		t.Fatalf("event %+v", r.Event)
	}
	wantEv := fmt.Sprintf(`{"txId":%q,"issuedAt":%q,"certificates":[{"id":"g-1","docHash":%q,"issuer":"market"},{"id":"g-2","docHash":%q,"issuer":"market"}]}`,
		r.TxID, ans.IssuedAt, good1.DocHash, good2.DocHash)
	if string(r.Event.Payload) != wantEv {
		t.Fatalf("event payload\n%s\nwant\n%s", r.Event.Payload, wantEv)
	}
	var ev certificate.GroupEvent
	if err := json.Unmarshal(r.Event.Payload, &ev); err != nil || ev.IssuedAt != cert(t, e.l.MustEvaluate(public, "certificate:Get", "g-2")).IssuedAt {
		t.Fatalf("event %+v: %v", ev, err)
	}
}

func TestIssueGroupAllRefusedWritesNothing(t *testing.T) {
	e := setup(t)
	bad := e.record("g-1", e.police, nil) // police key for a market record
	r := e.l.MustSubmit(market, "certificate:IssueGroup", group(bad))
	var ans certificate.GroupAnswer
	r.MustDecode(t, &ans)
	if ans.Refused != 1 || len(r.Writes) != 0 || r.Event != nil {
		t.Fatalf("answer %+v, writes %d, event %+v", ans, len(r.Writes), r.Event)
	}
}

func TestIssueGroupSize(t *testing.T) {
	e := setup(t)
	ledgertest.Refused(t, e.l.Submit(market, "certificate:IssueGroup", group()), codes.InvalidArgument)
	ledgertest.Refused(t, e.l.Submit(market, "certificate:IssueGroup", `{"records":[],"extra":1}`), codes.InvalidArgument)
	t.Setenv(certificate.MaxGroupEnv, "3")
	recs := make([]domain.Record, 4)
	for i := range recs {
		recs[i] = e.record(fmt.Sprintf("s-%d", i), e.market, nil)
	}
	r := e.l.Submit(market, "certificate:IssueGroup", group(recs...))
	ledgertest.Refused(t, r, codes.InvalidArgument)
	if !strings.Contains(r.Message, "1 to 3 records") {
		t.Fatalf("message %q", r.Message)
	}
	var ans certificate.GroupAnswer
	e.l.MustSubmit(market, "certificate:IssueGroup", group(recs[:3]...)).MustDecode(t, &ans)
	if ans.Issued != 3 {
		t.Fatalf("answer %+v", ans)
	}
	if got := string(e.l.MustEvaluate(public, "certificate:GroupLimit").Payload); got != `{"maxGroup":3}` {
		t.Fatalf("GroupLimit %s", got)
	}
	t.Setenv(certificate.MaxGroupEnv, "lots")
	ledgertest.Refused(t, e.l.Submit(market, "certificate:IssueGroup", group(recs[3])), codes.Internal)
}

// TestIssueGroupMayIssue: a grouped record is refused FORBIDDEN for a type its
// department may not issue, by the check single issue and batch anchoring make
// (domain certificate.CheckMayIssue); the group's other records are issued.
func TestIssueGroupMayIssue(t *testing.T) {
	e := setup(t)
	housing := ledgertest.NewSigner(t)
	e.l.RegisterDepartmentWith(map[string]any{"id": "housing", "name": "Housing", "mspId": "HousingMSP", "categories": []string{"property"}}, housing)
	rec := func(id, typ string) domain.Record {
		return e.record(id, housing, func(r *domain.Record) { r.Issuer, r.Type = "housing", typ })
	}
	tx := ledgertest.Tx{MSP: "HousingMSP"}
	var ans certificate.GroupAnswer
	e.l.MustSubmit(tx, "certificate:IssueGroup", group(rec("h-1", "property"), rec("h-2", "business-licence"))).MustDecode(t, &ans)
	if ans.Issued != 1 || ans.Results[1].Code != codes.Forbidden || !strings.Contains(ans.Results[1].Message, "property") {
		t.Fatalf("answer %+v", ans)
	}
	single := e.l.Submit(tx, "certificate:Issue", ledgertest.JSON(rec("h-3", "business-licence")))
	if single.Code() != codes.Forbidden || !strings.Contains(single.Message, ans.Results[1].Message) {
		t.Fatalf("single issue: %s", single.Message)
	}
}

// TestIssueGroupDuplicateAfterRefusal: an id twice in a group whose first record
// is refused (a bad signature) is issued by its second record, as record-by-record
// checking would; an id whose first record was issued refuses the second. The
// signatures of a large group are verified together; the verdicts stay each
// record's own.
func TestIssueGroupDuplicateAfterRefusal(t *testing.T) {
	e := setup(t)
	bad := e.record("d-1", e.market, nil)
	bad.Signature = e.record("d-x", e.market, nil).Signature
	good := e.record("d-1", e.market, func(r *domain.Record) { r.Type = "permit" })
	again := e.record("d-1", e.market, nil)
	recs := []domain.Record{bad, good, again}
	for i := range 60 {
		r := e.record(fmt.Sprintf("p-%02d", i), e.market, nil)
		if i%7 == 3 {
			r.Signature = bad.Signature
		}
		recs = append(recs, r)
	}
	r := e.l.MustSubmit(market, "certificate:IssueGroup", group(recs...))
	var ans certificate.GroupAnswer
	r.MustDecode(t, &ans)
	if got := ans.Results[:3]; got[0].Code != codes.BadSignature || got[1].Outcome != certificate.OutcomeIssued ||
		got[2].Code != codes.Conflict || !strings.Contains(got[2].Message, "twice") {
		t.Fatalf("d-1 results %+v", got)
	}
	if c := cert(t, e.l.MustEvaluate(public, "certificate:Get", "d-1")); c.Record != good {
		t.Fatalf("d-1 = %+v, want the second record", c.Record)
	}
	for i, res := range ans.Results[3:] {
		want := certificate.OutcomeIssued
		if i%7 == 3 {
			want = certificate.OutcomeRefused
		}
		if res.Outcome != want || (want == certificate.OutcomeRefused && res.Code != codes.BadSignature) {
			t.Errorf("%s: %+v, want %s", res.ID, res, want)
		}
	}
	if ans.Issued != 1+60-9 || ans.Refused != 2+9 {
		t.Fatalf("answer counts %d issued, %d refused", ans.Issued, ans.Refused)
	}
}
