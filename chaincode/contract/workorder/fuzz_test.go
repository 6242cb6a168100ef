package workorder_test

import (
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/certledger/certledger/chaincode/contract/registry"
	"github.com/certledger/certledger/chaincode/contract/workorder"
	"github.com/certledger/certledger/chaincode/ledgertest"
	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/codes"
	domain "github.com/certledger/certledger/internal/domain/workorder"
)

// FuzzWorkorderInputs sends arbitrary arguments to the work-order transactions
// (submit, every action, configuration, sweep, lists, KPI) on the in-memory
// ledger, with one ticket T1 submitted and assigned to department A. Each call
// succeeds or is refused with a stable client code (never INTERNAL, never a
// panic) and then writes nothing; the ledger runs each twice and compares.
func FuzzWorkorderInputs(f *testing.F) {
	cc, err := contractapi.NewChaincode(registry.New(), workorder.New())
	if err != nil {
		f.Fatal(err)
	}
	sp, sa := ledgertest.NewSigner(f), ledgertest.NewSigner(f)
	accept := domain.ActionInput{SignedAction: domain.SignedAction{TicketID: "T1", Action: "accept", Department: "A", NoteHash: hNote, KeyID: sa.KeyID}}
	fns := []string{"Submit", "Accept", "Start", "Transfer", "Resolve", "Rate", "Reopen", "Escalate", "Close",
		"SetCalendar", "SetSLA", "SetIntake", "Sweep", "ListByDepartment", "ListOverdue", "Accountability", "KPI", "Get", "Trace"}
	f.Add(uint8(0), ledgertest.JSON(domain.SubmitInput{ID: "T2", Category: "noise", ContentHash: hContent, ReporterCommitment: hReporter, Channel: "web"}), "", "", "")
	f.Add(uint8(0), `{"ID":"T2","category":"noise"}`, "", "", "")
	f.Add(uint8(0), `{"id":"T2","id":"T3"}`, "", "", "")
	f.Add(uint8(1), "", "", "", "")
	f.Add(uint8(1), ledgertest.JSON(accept), "", "", "")
	f.Add(uint8(9), `{"utcOffset":"+08:00","holidays":["2026-10-01"],"workdays":[]}`, "", "", "")
	f.Add(uint8(10), `{"noise":{"respondDays":1,"resolveDays":5}}`, "", "", "")
	f.Add(uint8(11), `{"mspIds":["HotlineMSP"]}`, "", "", "")
	f.Add(uint8(12), "10", "", "", "")
	f.Add(uint8(13), "A", "assigned", "10", "")
	f.Add(uint8(13), "A", "", "0", "\x00ticket\x00B\x00")
	f.Add(uint8(15), "A", "2026-01-01", "2026-12-31", "10")
	f.Add(uint8(16), "A", "2026-01-01T00:00:00Z", "2026-12-31T00:00:00+08:00", "")
	f.Add(uint8(18), "T1", "", "", "")
	f.Fuzz(func(t *testing.T, sel uint8, a, b, c, d string) {
		l := ledgertest.New(t, cc)
		l.SetNow(start.Add(-time.Hour))
		l.InitRegistry()
		l.RegisterDepartmentWith(map[string]any{"id": "P", "name": "Dept P", "mspId": "PMSP", "categories": []string{}}, sp)
		l.RegisterDepartmentWith(map[string]any{"id": "A", "name": "Dept A", "mspId": "AMSP", "parent": "P", "categories": []string{"noise"}}, sa)
		l.SetNow(start)
		l.MustSubmit(ledgertest.Gov, "workorder:Submit", ledgertest.JSON(domain.SubmitInput{ID: "T1", Category: "noise", ContentHash: hContent, ReporterCommitment: hReporter, Channel: "web"}))
		if strings.HasPrefix(a, `{"ticketId":"T1","action":"accept"`) {
			// A genuinely signed accept for the current ticket, so mutations start from a valid action.
			var tk struct {
				TxID string `json:"txId"`
			}
			l.MustEvaluate(ledgertest.Gov, "workorder:Get", "T1").MustDecode(t, &tk)
			in := accept
			in.PrevTxID = tk.TxID
			in.Signature = sa.Sign(t, canon.KindTicketAction, in.Signed())
			a = ledgertest.JSON(in)
		}
		fn := fns[int(sel)%len(fns)]
		ta := ledgertest.Tx{MSP: "AMSP", CommonName: "clerk-A"}
		var r ledgertest.Result
		switch fn {
		case "Submit", "SetCalendar", "SetSLA", "SetIntake":
			r = l.Submit(ledgertest.Gov, "workorder:"+fn, a)
		case "Sweep":
			r = l.Submit(ta, "workorder:Sweep", a)
		case "ListByDepartment":
			r = l.Evaluate(ta, "workorder:"+fn, a, b, c, d)
		case "ListOverdue":
			r = l.Evaluate(ta, "workorder:"+fn, a, b, c)
		case "Accountability":
			r = l.Evaluate(ta, "workorder:"+fn, a, b, c, d, "")
		case "KPI":
			r = l.Evaluate(ta, "workorder:"+fn, a, b, c)
		case "Get", "Trace":
			r = l.Evaluate(ta, "workorder:"+fn, a)
		default:
			r = l.Submit(ta, "workorder:"+fn, a)
		}
		if r.OK() {
			return
		}
		code, _, ok := codes.Parse(r.Message)
		if !ok || code == codes.Internal {
			t.Fatalf("%s refused without a client code: %q", fn, r.Message)
		}
		if len(r.Writes) != 0 || r.Event != nil || r.Committed {
			t.Fatalf("%s refused (%s) but wrote %d keys", fn, r.Message, len(r.Writes))
		}
	})
}
