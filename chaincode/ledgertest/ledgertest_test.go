package ledgertest_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/certledger/certledger/chaincode/ledgertest"
)

// kv is a tiny chaincode: put K V, fail K V (writes then fails), get K, hist K,
// scan T, counter (writes a different value at every simulation).
type kv struct{ n atomic.Int64 }

func (c *kv) Init(shim.ChaincodeStubInterface) *peer.Response { return shim.Success(nil) }

func (c *kv) Invoke(stub shim.ChaincodeStubInterface) *peer.Response {
	fn, args := stub.GetFunctionAndParameters()
	switch fn {
	case "put", "fail":
		k, _ := stub.CreateCompositeKey("t", []string{args[0]})
		if err := stub.PutState(k, []byte(args[1])); err != nil {
			return shim.Error(err.Error())
		}
		_ = stub.SetEvent("first", nil)
		_ = stub.SetEvent("Put", []byte(args[1]))
		if fn == "fail" {
			return shim.Error("CONFLICT: refused after writing")
		}
		// A transaction does not read its own writes.
		v, _ := stub.GetState(k)
		return shim.Success(v)
	case "get":
		k, _ := stub.CreateCompositeKey("t", []string{args[0]})
		v, _ := stub.GetState(k)
		return shim.Success(v)
	case "hist":
		k, _ := stub.CreateCompositeKey("t", []string{args[0]})
		it, _ := stub.GetHistoryForKey(k)
		out := ""
		for it.HasNext() {
			m, _ := it.Next()
			out += string(m.Value) + ","
		}
		return shim.Success([]byte(out))
	case "scan":
		it, _ := stub.GetStateByPartialCompositeKey("t", nil)
		out := ""
		for it.HasNext() {
			m, _ := it.Next()
			_, attrs, _ := stub.SplitCompositeKey(m.Key)
			out += attrs[0] + "=" + string(m.Value) + ","
		}
		return shim.Success([]byte(out))
	case "counter":
		k, _ := stub.CreateCompositeKey("t", []string{"n"})
		_ = stub.PutState(k, fmt.Appendf(nil, "%d", c.n.Add(1)))
		return shim.Success(nil)
	}
	return shim.Error("unknown " + fn)
}

func TestCommitSemantics(t *testing.T) {
	l := ledgertest.New(t, &kv{})
	tx := ledgertest.Tx{MSP: "Org1MSP"}
	r := l.MustSubmit(tx, "put", "b", "1")
	if len(r.Payload) != 0 {
		t.Errorf("transaction read its own write: %q", r.Payload)
	}
	if r.Event == nil || r.Event.Name != "Put" {
		t.Errorf("last SetEvent must win, got %+v", r.Event)
	}
	l.MustSubmit(tx, "put", "b", "2")
	l.MustSubmit(tx, "put", "a", "3")
	before := l.Snapshot()
	if f := l.Submit(tx, "fail", "a", "4"); f.OK() || f.Committed || f.Code() != "CONFLICT" || len(f.Writes) != 1 {
		t.Fatalf("fail: %+v", f)
	}
	if fmt.Sprint(l.Snapshot()) != fmt.Sprint(before) {
		t.Fatal("a refused transaction changed the state")
	}
	if got := string(l.MustEvaluate(tx, "get", "b").Payload); got != "2" {
		t.Errorf("get b = %q", got)
	}
	if got := string(l.MustEvaluate(tx, "hist", "b").Payload); got != "2,1," {
		t.Errorf("history must be newest first: %q", got)
	}
	if got := string(l.MustEvaluate(tx, "scan").Payload); got != "a=3,b=2," {
		t.Errorf("scan must be in key order: %q", got)
	}
	l.Evaluate(tx, "put", "c", "5")
	if got := string(l.MustEvaluate(tx, "get", "c").Payload); got != "" {
		t.Errorf("Evaluate committed: %q", got)
	}
	if n := len(l.Events()); n != 3 {
		t.Errorf("events = %d, want 3", n)
	}
}

// recorder captures Errorf so a test can expect a failure.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Errorf(string, ...any) { r.failed = true }

func TestDeterminismCheck(t *testing.T) {
	rec := &recorder{TB: t}
	l := ledgertest.New(rec, &kv{})
	l.Submit(ledgertest.Tx{MSP: "Org1MSP"}, "counter")
	if !rec.failed {
		t.Fatal("a transaction writing different values in two simulations was not reported")
	}
}
