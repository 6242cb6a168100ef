// Package testcc is a small chaincode that exercises every state call the devnet's
// peer side answers; the devnet's own tests run it.
package testcc

import (
	"encoding/json"
	"strconv"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// CC is the test chaincode.
type CC struct{}

// Init does nothing.
func (CC) Init(shim.ChaincodeStubInterface) *peer.Response { return ok(nil) }

func ok(b []byte) *peer.Response { r := shim.Success(b); return r }

func fail(err error) *peer.Response { return shim.Error(err.Error()) }

// handler answers one test function.
type handler func(stub shim.ChaincodeStubInterface, args []string, arg func(int) string) *peer.Response

// handlers is the dispatch table of Invoke, one entry per test function.
var handlers map[string]handler

func init() {
	handlers = map[string]handler{
		"registry:Init": fnRegistryInit,
		"put":           fnPut,
		"get":           fnGet,
		"getmany":       fnGetmany,
		"del":           fnDel,
		"incr":          fnIncr,
		"batchput":      fnBatchput,
		"range":         fnRange,
		"countrange":    fnCountrange,
		"paged":         fnPaged,
		"cput":          fnCput,
		"ctype":         fnCtype,
		"history":       fnHistory,
		"rich":          fnRich,
		"private":       fnPrivate,
		"setmeta":       fnSetmeta,
		"getmeta":       fnGetmeta,
		"creator":       fnCreator,
		"fail":          fnFail,
		"panic":         fnPanic,
	}
}

// Invoke dispatches on the function name.
func (CC) Invoke(stub shim.ChaincodeStubInterface) *peer.Response {
	fn, args := stub.GetFunctionAndParameters()
	arg := func(i int) string {
		if i < len(args) {
			return args[i]
		}
		return ""
	}
	h, found := handlers[fn]
	if !found {
		return shim.Error("INVALID_ARGUMENT: unknown function " + fn)
	}
	return h(stub, args, arg)
}

func fnRegistryInit(stub shim.ChaincodeStubInterface, args []string, arg func(int) string) *peer.Response {
	if v, _ := stub.GetState("governance"); v != nil {
		return shim.Error("CONFLICT: already initialised")
	}
	if err := stub.PutState("governance", []byte(arg(0))); err != nil {
		return fail(err)
	}
	return ok([]byte(arg(0)))
}

func fnPut(stub shim.ChaincodeStubInterface, args []string, arg func(int) string) *peer.Response {
	if err := stub.PutState(arg(0), []byte(arg(1))); err != nil {
		return fail(err)
	}
	if err := stub.SetEvent("Put", []byte(arg(0)+"="+arg(1))); err != nil {
		return fail(err)
	}
	return ok([]byte(arg(1)))
}

func fnGet(stub shim.ChaincodeStubInterface, args []string, arg func(int) string) *peer.Response {
	v, err := stub.GetState(arg(0))
	if err != nil {
		return fail(err)
	}
	if v == nil {
		return shim.Error("NOT_FOUND: " + arg(0))
	}
	return ok(v)
}

func fnGetmany(stub shim.ChaincodeStubInterface, args []string, arg func(int) string) *peer.Response {
	vs, err := stub.GetMultipleStates(args...)
	if err != nil {
		return fail(err)
	}
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	b, _ := json.Marshal(out)
	return ok(b)
}

func fnDel(stub shim.ChaincodeStubInterface, args []string, arg func(int) string) *peer.Response {
	if err := stub.DelState(arg(0)); err != nil {
		return fail(err)
	}
	return ok(nil)
}

func fnIncr(stub shim.ChaincodeStubInterface, args []string, arg func(int) string) *peer.Response {
	v, err := stub.GetState(arg(0))
	if err != nil {
		return fail(err)
	}
	n, _ := strconv.Atoi(string(v))
	n++
	if err := stub.PutState(arg(0), []byte(strconv.Itoa(n))); err != nil {
		return fail(err)
	}
	_ = stub.SetEvent("Incr", []byte(strconv.Itoa(n)))
	return ok([]byte(strconv.Itoa(n)))
}

func fnBatchput(stub shim.ChaincodeStubInterface, args []string, arg func(int) string) *peer.Response {
	stub.StartWriteBatch()
	for i := 0; i+1 < len(args); i += 2 {
		if err := stub.PutState(args[i], []byte(args[i+1])); err != nil {
			return fail(err)
		}
	}
	return ok(nil)
}

func fnRange(stub shim.ChaincodeStubInterface, args []string, arg func(int) string) *peer.Response {
	it, err := stub.GetStateByRange(arg(0), arg(1))
	if err != nil {
		return fail(err)
	}
	return list(it)
}

func fnCountrange(stub shim.ChaincodeStubInterface, args []string, arg func(int) string) *peer.Response {
	// Reads a range and writes the count: a phantom read test.
	it, err := stub.GetStateByRange(arg(0), arg(1))
	if err != nil {
		return fail(err)
	}
	n := 0
	for it.HasNext() {
		if _, err := it.Next(); err != nil {
			return fail(err)
		}
		n++
	}
	_ = it.Close() // read-only iterator; nothing to flush
	if err := stub.PutState("count", []byte(strconv.Itoa(n))); err != nil {
		return fail(err)
	}
	return ok([]byte(strconv.Itoa(n)))
}

func fnPaged(stub shim.ChaincodeStubInterface, args []string, arg func(int) string) *peer.Response {
	size, _ := strconv.Atoi(arg(2))
	it, md, err := stub.GetStateByRangeWithPagination(arg(0), arg(1), int32(size), arg(3))
	if err != nil {
		return fail(err)
	}
	keys := keysOf(it)
	b, _ := json.Marshal(map[string]any{"keys": keys, "bookmark": md.GetBookmark(), "count": md.GetFetchedRecordsCount()})
	return ok(b)
}

func fnCput(stub shim.ChaincodeStubInterface, args []string, arg func(int) string) *peer.Response {
	k, err := stub.CreateCompositeKey(arg(0), args[1:len(args)-1])
	if err != nil {
		return fail(err)
	}
	if err := stub.PutState(k, []byte(args[len(args)-1])); err != nil {
		return fail(err)
	}
	return ok(nil)
}

func fnCtype(stub shim.ChaincodeStubInterface, args []string, arg func(int) string) *peer.Response {
	it, err := stub.GetStateByPartialCompositeKey(arg(0), args[1:])
	if err != nil {
		return fail(err)
	}
	return list(it)
}

func fnHistory(stub shim.ChaincodeStubInterface, args []string, arg func(int) string) *peer.Response {
	it, err := stub.GetHistoryForKey(arg(0))
	if err != nil {
		return fail(err)
	}
	defer func() { _ = it.Close() }() // read-only iterator; nothing to flush
	type mod struct {
		TxID     string `json:"txId"`
		Value    string `json:"value"`
		IsDelete bool   `json:"isDelete"`
	}
	var out []mod
	for it.HasNext() {
		m, err := it.Next()
		if err != nil {
			return fail(err)
		}
		out = append(out, mod{m.TxId, string(m.Value), m.IsDelete})
	}
	b, _ := json.Marshal(out)
	return ok(b)
}

func fnRich(stub shim.ChaincodeStubInterface, args []string, arg func(int) string) *peer.Response {
	_, err := stub.GetQueryResult(`{"selector":{}}`)
	if err != nil {
		return fail(err)
	}
	return ok(nil)
}

func fnPrivate(stub shim.ChaincodeStubInterface, args []string, arg func(int) string) *peer.Response {
	_, err := stub.GetPrivateData("coll", arg(0))
	if err != nil {
		return fail(err)
	}
	return ok(nil)
}

func fnSetmeta(stub shim.ChaincodeStubInterface, args []string, arg func(int) string) *peer.Response {
	if err := stub.SetStateValidationParameter(arg(0), []byte(arg(1))); err != nil {
		return fail(err)
	}
	return ok(nil)
}

func fnGetmeta(stub shim.ChaincodeStubInterface, args []string, arg func(int) string) *peer.Response {
	v, err := stub.GetStateValidationParameter(arg(0))
	if err != nil {
		return fail(err)
	}
	return ok(v)
}

func fnCreator(stub shim.ChaincodeStubInterface, args []string, arg func(int) string) *peer.Response {
	c, err := stub.GetCreator()
	if err != nil {
		return fail(err)
	}
	return ok(c)
}

func fnFail(stub shim.ChaincodeStubInterface, args []string, arg func(int) string) *peer.Response {
	return shim.Error(arg(0))
}

func fnPanic(stub shim.ChaincodeStubInterface, args []string, arg func(int) string) *peer.Response {
	panic(arg(0))

}

func keysOf(it shim.StateQueryIteratorInterface) []string {
	defer func() { _ = it.Close() }() // read-only iterator; nothing to flush
	keys := []string{}
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			break
		}
		keys = append(keys, kv.Key)
	}
	return keys
}

func list(it shim.StateQueryIteratorInterface) *peer.Response {
	defer func() { _ = it.Close() }() // read-only iterator; nothing to flush
	out := [][2]string{}
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return fail(err)
		}
		out = append(out, [2]string{kv.Key, string(kv.Value)})
	}
	b, _ := json.Marshal(out)
	return ok(b)
}
