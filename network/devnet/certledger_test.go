package devnet_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/loadtest/record"
	"github.com/certledger/certledger/network/devnet"
)

// TestCertledger runs the real certledger chaincode through the official client over
// gRPC with TLS: the init transaction, register a department, issue, verify, revoke,
// the events of all of it replayed from block 0, then a restart and a verification.
func TestCertledger(t *testing.T) {
	cc, err := chaincode.New()
	if err != nil {
		t.Fatal(err)
	}
	tn := startNet(t, testConfig(), cc)
	gov, deptA := tn.contract("gov"), tn.contract("dept-a")

	g, err := deptA.EvaluateTransaction("registry:GetGovernance")
	if err != nil || !strings.Contains(string(g), "GovMSP") {
		t.Fatalf("governance after start = %s, %v", g, err)
	}
	d, err := record.NewDept("market", "DeptAMSP")
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Register(gov); err != nil {
		t.Fatal(err)
	}
	// Only the governance organisation may register departments.
	if err := (&record.Dept{ID: "rogue", MSPID: "DeptBMSP", PubPEM: d.PubPEM}).Register(tn.contract("dept-b")); err == nil || !strings.Contains(err.Error(), "FORBIDDEN") {
		t.Fatalf("register by a department = %v", err)
	}

	cr, err := d.Certificate("c-1", []byte("licence #1"), time.Now().Add(-time.Hour), time.Time{})
	rec, hash := record.JSON(cr), cr.DocHash
	if err != nil {
		t.Fatal(err)
	}
	issued, err := deptA.SubmitTransaction("certificate:Issue", rec)
	if err != nil {
		t.Fatal(err)
	}
	var cert struct {
		ID     string `json:"id"`
		Status string `json:"status"`
		TxID   string `json:"txId"`
	}
	if err := json.Unmarshal(issued, &cert); err != nil || cert.ID != "c-1" || cert.TxID == "" {
		t.Fatalf("issued = %s, %v", issued, err)
	}
	verdict := func() string {
		t.Helper()
		r, err := tn.contract("dept-b").EvaluateTransaction("certificate:Verify", `{"docHash":"`+hash+`"}`)
		if err != nil {
			t.Fatal(err)
		}
		v, err := record.Verdict(r)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if v := verdict(); v != "VALID" {
		t.Fatalf("verdict %s", v)
	}
	// Issuing the same id again is refused with the chaincode's code.
	if _, err := deptA.SubmitTransaction("certificate:Issue", rec); err == nil || !strings.Contains(err.Error(), "CONFLICT") {
		t.Fatalf("second issue = %v", err)
	}
	sr, err := d.StatusRequest("c-1", "revoke", "issued in error", cert.TxID)
	rv := record.JSON(sr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := deptA.SubmitTransaction("certificate:Revoke", rv); err != nil {
		t.Fatal(err)
	}
	if v := verdict(); v != "REVOKED" {
		t.Fatalf("verdict after revoke %s", v)
	}
	hist, err := deptA.EvaluateTransaction("certificate:History", "c-1")
	if err != nil || strings.Count(string(hist), `"txId"`) < 2 {
		t.Fatalf("history = %s, %v", hist, err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	events, err := tn.network("dept-b").ChaincodeEvents(ctx, "certledger", client.WithStartBlock(0))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for len(names) < 4 {
		ev := <-events
		if ev == nil {
			t.Fatal("event stream ended")
		}
		names = append(names, ev.EventName)
	}
	// Block 1 is the init transaction (registry:Init); its event comes first.
	if got := strings.Join(names[1:], ","); got != "DepartmentRegistered,CertificateIssued,CertificateRevoked" {
		t.Fatalf("events = %s", got)
	}

	cancel()
	drain(events)

	// Restart on the same folder: state and height persist, the ledger verifies.
	height := tn.node.Height()
	if err := tn.node.Close(); err != nil {
		t.Fatal(err)
	}
	rep, err := devnet.Verify(tn.dir)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Blocks != height || rep.Valid < 4 {
		t.Fatalf("verify report %+v (height %d)", rep, height)
	}
	cc2, _ := chaincode.New()
	tn2 := openNet(t, tn.dir, cc2)
	if tn2.node.Height() != height {
		t.Fatalf("height after restart %d, want %d", tn2.node.Height(), height)
	}
	r, err := tn2.contract("gov").EvaluateTransaction("certificate:Verify", `{"id":"c-1"}`)
	if v, _ := record.Verdict(r); err != nil || v != "REVOKED" {
		t.Fatalf("after restart: %s %v", r, err)
	}
}
