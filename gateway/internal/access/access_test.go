package access

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/certledger/certledger/gateway/internal/config"
	"github.com/certledger/certledger/internal/domain/exchange"
	"github.com/certledger/certledger/internal/domain/workorder"
)

// The directory of these tests: dept-b supervises dept-a; dept-c stands alone.
func testPolicy() Policy {
	d := NewDirectory()
	d.Replace([]Entry{
		{ID: "gov", MSP: "GovMSP"},
		{ID: "dept-a", MSP: "DeptAMSP", Parent: "dept-b"},
		{ID: "dept-b", MSP: "DeptBMSP"},
		{ID: "dept-c", MSP: "DeptCMSP"},
	})
	return Policy{Governance: "gov", Directory: d}
}

var (
	auditor = &Caller{Department: "audit-office", Role: config.RoleAuditor}
	govAdm  = &Caller{Department: "gov", Role: config.RoleAdmin}
	aClerk  = &Caller{Department: "dept-a", Role: config.RoleClerk}
	bClerk  = &Caller{Department: "dept-b", Role: config.RoleClerk}
	cClerk  = &Caller{Department: "dept-c", Role: config.RoleClerk}
)

func TestDepartment(t *testing.T) {
	p := testPolicy()
	for _, c := range []struct {
		who  *Caller
		dept string
		want bool
	}{
		{auditor, "dept-a", true},
		{govAdm, "dept-c", true},
		{aClerk, "dept-a", true},
		{aClerk, "dept-b", false}, // a does not supervise its parent
		{bClerk, "dept-a", true},  // b supervises a
		{cClerk, "dept-a", false},
		{bClerk, "unknown", false},
		{nil, "dept-a", false},
		{aClerk, "", false},
	} {
		if got := p.Department(c.who, c.dept); got != c.want {
			t.Errorf("Department(%v, %q) = %v, want %v", c.who, c.dept, got, c.want)
		}
	}
	// Without a governance department configured, "gov" is an ordinary department.
	if (Policy{Directory: p.Directory}).Department(govAdm, "dept-c") {
		t.Error("gov without Governance set reads dept-c")
	}
	if (Policy{}).Department(bClerk, "dept-a") {
		t.Error("supervision without a directory")
	}
}

func TestTicketAndParty(t *testing.T) {
	p := testPolicy()
	for _, c := range []struct {
		who   *Caller
		depts []string
		want  bool
	}{
		{aClerk, []string{"dept-a"}, true},
		{aClerk, []string{"dept-c", "dept-a"}, true}, // held it before a transfer
		{aClerk, []string{"dept-c"}, false},
		{bClerk, []string{"dept-a"}, true}, // supervises the holder
		{cClerk, []string{"dept-a", "dept-b"}, false},
		{auditor, nil, true},
		{govAdm, []string{"dept-c"}, true},
		{nil, []string{"dept-a"}, false},
	} {
		if got := p.Ticket(c.who, c.depts); got != c.want {
			t.Errorf("Ticket(%v, %v) = %v, want %v", c.who, c.depts, got, c.want)
		}
	}
	for _, c := range []struct {
		who                *Caller
		provider, consumer string
		want               bool
	}{
		{aClerk, "dept-a", "dept-c", true},
		{aClerk, "dept-c", "dept-a", true},
		{bClerk, "dept-a", "dept-c", false}, // supervision does not extend to exchanges
		{cClerk, "dept-a", "dept-b", false},
		{auditor, "dept-a", "dept-b", true},
		{govAdm, "dept-a", "dept-b", true},
		{nil, "dept-a", "dept-b", false},
		{&Caller{Role: config.RoleClerk}, "", "", false}, // no department matches empty parties
	} {
		if got := p.Party(c.who, c.provider, c.consumer); got != c.want {
			t.Errorf("Party(%v, %s, %s) = %v, want %v", c.who, c.provider, c.consumer, got, c.want)
		}
	}
}

func ticketEvent(t *testing.T, current string, episodes ...string) []byte {
	t.Helper()
	tk := workorder.Ticket{SubmitInput: workorder.SubmitInput{ID: "t-1", ReporterCommitment: "ab"}, Department: current}
	for _, d := range episodes {
		tk.Episodes = append(tk.Episodes, workorder.Episode{Department: d})
	}
	b, err := json.Marshal(workorder.Output{Ticket: tk})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestEvent(t *testing.T) {
	p := testPolicy()
	toB := ticketEvent(t, "dept-b", "dept-b")
	transferredCtoB := ticketEvent(t, "dept-b", "dept-c", "dept-b")
	toA := ticketEvent(t, "dept-a", "dept-a")
	bc := mustJSON(t, exchange.Exchange{SendRequest: exchange.SendRequest{ID: "x-1", Provider: "dept-b", Consumer: "dept-c"}})
	grantBC := mustJSON(t, exchange.Grant{GrantRequest: exchange.GrantRequest{ID: "g-1", Provider: "dept-b", Consumer: "dept-c"}})
	sweep := []byte(`{"tickets":["t-1"]}`)
	cert := []byte(`{"id":"c-1","issuer":"dept-b"}`)
	dept := []byte(`{"id":"dept-d","mspId":"DeptDMSP"}`)
	for _, c := range []struct {
		who     *Caller
		name    string
		payload []byte
		want    bool
	}{
		{aClerk, "TicketSubmitted", toB, false},
		{bClerk, "TicketSubmitted", toB, true},
		{cClerk, "TicketTransferred", transferredCtoB, true}, // c held it before
		{aClerk, "TicketTransferred", transferredCtoB, false},
		{bClerk, "TicketAccepted", toA, true}, // supervisor of a
		{auditor, "TicketSubmitted", toB, true},
		{govAdm, "TicketSubmitted", toB, true},
		{aClerk, "TicketSubmitted", []byte(`not json`), false},
		{aClerk, "TicketSubmitted", []byte(`{"id":"t-1"}`), false}, // no ticket in it
		{aClerk, "ExchangeSent", bc, false},
		{aClerk, "ExchangeAcknowledged", bc, false},
		{cClerk, "ExchangeSent", bc, true},
		{bClerk, "GrantCreated", grantBC, true},
		{aClerk, "GrantRevoked", grantBC, false},
		{aClerk, "TicketsSwept", sweep, false},
		{auditor, "TicketsSwept", sweep, true},
		{aClerk, "CertificateIssued", cert, true},
		{aClerk, "DepartmentRegistered", dept, true},
		{aClerk, "KeyRotated", dept, true},
		{aClerk, "CatalogItemAdded", []byte(`{}`), true},
		{aClerk, "WorkorderSLASet", []byte(`{}`), true},
		{aClerk, "SomethingNew", []byte(`{}`), false},
		{govAdm, "SomethingNew", []byte(`{}`), true},
		{nil, "CertificateIssued", cert, false}, // the public gets no stream
	} {
		if got := p.Event(c.who, c.name, c.payload); got != c.want {
			t.Errorf("Event(%v, %s, %s) = %v, want %v", c.who, c.name, c.payload, got, c.want)
		}
	}
}

func TestTicketDepartments(t *testing.T) {
	got := TicketDepartments("dept-b", []string{"dept-a", "", "dept-b", "dept-a", "dept-c"})
	if want := []string{"dept-b", "dept-a", "dept-c"}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	raw := mustJSON(t, workorder.Ticket{SubmitInput: workorder.SubmitInput{ID: "t-1"}, Department: "dept-c", Episodes: []workorder.Episode{{Department: "dept-a"}, {Department: "dept-c"}}})
	if got, ok := TicketRecordDepartments(raw); !ok || !slices.Equal(got, []string{"dept-c", "dept-a"}) {
		t.Errorf("record: %v %v", got, ok)
	}
	if _, ok := TicketRecordDepartments([]byte(`[`)); ok {
		t.Error("bad record decoded")
	}
}

func TestDirectory(t *testing.T) {
	d := NewDirectory()
	if d.Loaded() || d.Has("dept-a") {
		t.Fatal("new directory not empty")
	}
	list, err := DecodeList([]byte(`[{"id":"dept-a","name":"A","mspId":"OrgMSP","parent":"gov","keys":[]},{"id":"gov","mspId":"GovMSP"}]`))
	if err != nil {
		t.Fatal(err)
	}
	d.Replace(list)
	if !d.Loaded() || !d.Has("dept-a", "gov") || d.Has("dept-a", "dept-b") {
		t.Fatalf("after Replace: loaded %v len %d", d.Loaded(), d.Len())
	}
	if e, _ := d.Lookup("dept-a"); e != (Entry{ID: "dept-a", MSP: "OrgMSP", Parent: "gov"}) {
		t.Errorf("lookup: %+v", e)
	}
	// Registry events keep it current; other events and bad payloads are ignored.
	for _, c := range []struct {
		name, payload string
		applied       bool
	}{
		{"DepartmentRegistered", `{"id":"dept-b","mspId":"OrgMSP","parent":"dept-a"}`, true},
		{"KeyAdded", `{"id":"dept-c","mspId":"CMSP"}`, true},
		{"CertificateIssued", `{"id":"c-1"}`, false},
		{"DepartmentRegistered", `{"mspId":"X"}`, false},
		{"DepartmentRegistered", `nope`, false},
	} {
		if got := d.Apply(c.name, []byte(c.payload)); got != c.applied {
			t.Errorf("Apply(%s, %s) = %v", c.name, c.payload, got)
		}
	}
	if e, ok := d.Lookup("dept-b"); !ok || e.Parent != "dept-a" {
		t.Errorf("dept-b: %+v %v", e, ok)
	}
	if got := d.ByMSP("OrgMSP"); len(got) != 2 || got[0].ID != "dept-a" || got[1].ID != "dept-b" {
		t.Errorf("ByMSP: %+v", got)
	}
	// A later full list keeps what events taught.
	d.Replace([]Entry{{ID: "gov", MSP: "GovMSP"}})
	if !d.Has("dept-b", "dept-c") {
		t.Error("Replace dropped departments learnt from events")
	}
	if _, err := DecodeList([]byte(`{}`)); err == nil {
		t.Error("DecodeList accepted an object")
	}
}

func TestDirectoryConcurrent(t *testing.T) {
	d := NewDirectory()
	p := Policy{Directory: d}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for j := range 100 {
				d.Put(Entry{ID: fmt.Sprintf("d-%d-%d", i, j), Parent: "sup"})
			}
		}()
		go func() {
			defer wg.Done()
			for j := range 100 {
				p.Department(&Caller{Department: "sup"}, fmt.Sprintf("d-%d-%d", i, j))
			}
		}()
	}
	wg.Wait()
	if d.Len() != 800 {
		t.Errorf("len %d", d.Len())
	}
}

func TestEnvelopePolicy(t *testing.T) {
	p := Policy{Governance: "gov"}
	for _, c := range []struct {
		c    *Caller
		want bool
	}{
		{&Caller{Department: "dept-a", Role: "clerk"}, true},
		{&Caller{Department: "dept-b", Role: "clerk"}, true},
		{&Caller{Department: "dept-c", Role: "clerk"}, false},
		{&Caller{Department: "gov", Role: "admin"}, false},
		{&Caller{Department: "", Role: "auditor"}, false},
		{nil, false},
	} {
		if got := p.Envelope(c.c, "dept-a", "dept-b"); got != c.want {
			t.Errorf("Envelope(%+v) = %v", c.c, got)
		}
	}
	for _, name := range []string{"CatalogItemAdded", "CatalogItemUpdated", "CatalogItemWithdrawn", "ExchangePolicySet"} {
		if KindOf(name) != KindPublic {
			t.Errorf("%s is not public", name)
		}
	}
	if KindOf("GrantDeletionAttested") != KindParty {
		t.Error("GrantDeletionAttested is not a party event")
	}
}
