// Package state holds the small helpers every certledger contract uses over the
// Fabric stub: transaction time and id, the endorser clock-skew check, the
// submitter's MSP and operator id, composite keys, JSON state, range scans, key history and events.
//
// Every error returned here is a *codes.Error ("CODE: message"), so contracts
// can return it unchanged.
package state

import (
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/pkg/cid"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/wire"
)

// Context is the transaction context all certledger contracts receive.
type Context = contractapi.TransactionContextInterface

// ParseTime parses an RFC 3339 time argument (fractional seconds allowed) and
// returns it in UTC; the error is a wire.FieldErrors naming field.
func ParseTime(field, s string) (time.Time, error) {
	var fe wire.FieldErrors
	t, _ := fe.Time(field, s)
	return t, fe.Err()
}

// TxTime returns the transaction timestamp chosen by the client, in UTC. It is the
// only time chaincode may write or decide with.
func TxTime(ctx Context) (time.Time, error) {
	ts, err := ctx.GetStub().GetTxTimestamp()
	if err != nil {
		return time.Time{}, codes.New(codes.Internal, "reading the transaction timestamp: %v", err)
	}
	if ts == nil {
		return time.Time{}, codes.New(codes.Internal, "the transaction has no timestamp")
	}
	if err := ts.CheckValid(); err != nil {
		return time.Time{}, codes.New(codes.InvalidArgument, "transaction timestamp: %v", err)
	}
	return ts.AsTime().UTC(), nil
}

// TxID returns the transaction id.
func TxID(ctx Context) string { return ctx.GetStub().GetTxID() }

// SubmitterMSP returns the MSP ID of the identity that signed the proposal.
// It fails with FORBIDDEN when the creator cannot be read.
func SubmitterMSP(ctx Context) (string, error) {
	id, err := cid.New(ctx.GetStub())
	if err != nil {
		return "", codes.New(codes.Forbidden, "cannot read the submitter identity: %v", err)
	}
	msp, err := id.GetMSPID()
	if err != nil || msp == "" {
		return "", codes.New(codes.Forbidden, "the submitter identity has no MSP ID")
	}
	return msp, nil
}

// Operator is who submitted a transaction: the creator's MSP ID and its operator
// id, the subject common name of the creator's X.509 certificate (for example
// "clerk1@dept-a"; the whole subject when the certificate has no common name).
// Within one MSP the organisation's CA makes it unique; the contracts check the
// MSP against the department, so the pair names one person (docs/people.md).
type Operator struct {
	MSP string `json:"mspId"`
	ID  string `json:"id"`
}

// SubmitterOperator returns the submitting identity as an Operator. It is the one
// place chaincode derives a person from the creator: every write that records
// who acted uses it. FORBIDDEN when the creator has no MSP or no X.509 certificate.
func SubmitterOperator(ctx Context) (Operator, error) {
	msp, err := SubmitterMSP(ctx)
	if err != nil {
		return Operator{}, err
	}
	cert, err := cid.GetX509Certificate(ctx.GetStub())
	if err != nil || cert == nil {
		return Operator{}, codes.New(codes.Forbidden, "the submitter identity has no X.509 certificate")
	}
	id := wire.OperatorID(cert.Subject)
	if id == "" {
		return Operator{}, codes.New(codes.Forbidden, "the submitter certificate has an empty subject")
	}
	return Operator{MSP: msp, ID: id}, nil
}

// OperatorID returns the submitter's operator id (SubmitterOperator's ID).
func OperatorID(ctx Context) (string, error) {
	op, err := SubmitterOperator(ctx)
	return op.ID, err
}

// CheckOperator returns the submitter's operator id after checking the operator
// id a department signed into its request: a signed operator that is not the
// submitting identity's is FORBIDDEN (a department vouched for one person and
// another submitted). An empty signed operator (a request signed without one)
// passes; the returned id is what the record stores either way.
func CheckOperator(ctx Context, signed string) (string, error) {
	op, err := SubmitterOperator(ctx)
	if err != nil {
		return "", err
	}
	if signed != "" && signed != op.ID {
		return "", codes.New(codes.Forbidden, "the signed operator %q is not the submitting identity %q (%s): sign the request for the person who submits it", signed, op.ID, op.MSP)
	}
	return op.ID, nil
}

// BeginWrite is the first call of every write transaction: it refuses the
// transaction when its timestamp is too far from the endorser clock (CheckSkew)
// and returns the transaction time.
func BeginWrite(ctx Context) (time.Time, error) {
	if err := CheckSkew(ctx); err != nil {
		return time.Time{}, err
	}
	return TxTime(ctx)
}

// Key builds the composite world-state key objectType\x00attr\x00... .
// An attribute holding U+0000 or U+10FFFF is an INVALID_ARGUMENT.
func Key(ctx Context, objectType string, attrs ...string) (string, error) {
	k, err := ctx.GetStub().CreateCompositeKey(objectType, attrs)
	if err != nil {
		return "", codes.New(codes.InvalidArgument, "key of %s: %v", objectType, err)
	}
	return k, nil
}

// GetJSON reads key into v. It reports found=false (and no error) when the key is absent.
func GetJSON(ctx Context, key string, v any) (found bool, err error) {
	b, err := ctx.GetStub().GetState(key)
	if err != nil {
		return false, codes.New(codes.Internal, "reading state: %v", err)
	}
	if b == nil {
		return false, nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, codes.New(codes.Internal, "decoding stored %T: %v", v, err)
	}
	return true, nil
}

// Get returns the state at key, nil when it is absent.
func Get(ctx Context, key string) ([]byte, error) {
	b, err := ctx.GetStub().GetState(key)
	if err != nil {
		return nil, codes.New(codes.Internal, "reading state: %v", err)
	}
	return b, nil
}

// GetMany returns the states at keys in one GetMultipleStates (on a peer that
// offers it, Fabric v3.1 and later, one message per 1,000 keys; otherwise the
// shim reads them one by one), each nil when absent.
func GetMany(ctx Context, keys []string) ([][]byte, error) {
	bs, err := ctx.GetStub().GetMultipleStates(keys...)
	if err != nil {
		return nil, codes.New(codes.Internal, "reading state: %v", err)
	}
	if len(bs) != len(keys) {
		return nil, codes.New(codes.Internal, "reading state: %d values for %d keys", len(bs), len(keys))
	}
	return bs, nil
}

// Exists reports whether key is present in the world state.
func Exists(ctx Context, key string) (bool, error) {
	b, err := Get(ctx, key)
	return b != nil, err
}

// PutJSON writes v as JSON under key. v must marshal deterministically: use structs
// (fields in declaration order) or sorted slices, never maps whose order matters.
// (encoding/json sorts map keys, so maps are deterministic too, but structs are preferred.)
func PutJSON(ctx Context, key string, v any) error {
	b, err := Marshal(v)
	if err != nil {
		return err
	}
	if err := ctx.GetStub().PutState(key, b); err != nil {
		return codes.New(codes.Internal, "writing state: %v", err)
	}
	return nil
}

// indexValue is what index entries hold: Fabric deletes keys whose value is empty.
var indexValue = []byte{0}

// PutIndex writes an index entry (a composite key whose attributes carry the data).
func PutIndex(ctx Context, key string) error {
	if err := ctx.GetStub().PutState(key, indexValue); err != nil {
		return codes.New(codes.Internal, "writing index: %v", err)
	}
	return nil
}

// AddIndex writes the index entry objectType\x00attrs... (see PutIndex).
func AddIndex(ctx Context, objectType string, attrs ...string) error {
	k, err := Key(ctx, objectType, attrs...)
	if err != nil {
		return err
	}
	return PutIndex(ctx, k)
}

// NewKey returns the key objectType\x00attrs... of a record about to be created;
// when the key already holds a record the error is conflict.
func NewKey(ctx Context, conflict error, objectType string, attrs ...string) (string, error) {
	k, err := Key(ctx, objectType, attrs...)
	if err != nil {
		return "", err
	}
	exists, err := Exists(ctx, k)
	if err != nil {
		return "", err
	}
	if exists {
		return "", conflict
	}
	return k, nil
}

// Entry is one world-state entry found by a range scan.
type Entry struct {
	Key   string   // full composite key
	Attrs []string // its attributes (objectType removed)
	Value []byte
}

// Scan returns every entry whose composite key starts with objectType and attrs,
// in key order (the order Fabric returns; never map order).
func Scan(ctx Context, objectType string, attrs ...string) ([]Entry, error) {
	stub := ctx.GetStub()
	it, err := stub.GetStateByPartialCompositeKey(objectType, attrs)
	if err != nil {
		return nil, codes.New(codes.Internal, "scanning %s: %v", objectType, err)
	}
	defer func() { _ = it.Close() }() // read-only iterator; nothing to flush
	var out []Entry
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return nil, codes.New(codes.Internal, "scanning %s: %v", objectType, err)
		}
		_, parts, err := stub.SplitCompositeKey(kv.Key)
		if err != nil {
			return nil, codes.New(codes.Internal, "splitting key: %v", err)
		}
		out = append(out, Entry{Key: kv.Key, Attrs: parts, Value: kv.Value})
	}
	return out, nil
}

// HistoryEntry is one version of a key, as returned by History.
type HistoryEntry struct {
	TxID      string          `json:"txId"`
	Timestamp string          `json:"timestamp"`
	IsDelete  bool            `json:"isDelete"`
	Record    json.RawMessage `json:"record"`
}

// HistoryOf answers every committed version of the record stored under the
// composite key objectType/attrs, newest first, as JSON; NOT_FOUND (naming it
// what) when it never existed.
func HistoryOf(ctx Context, what, objectType string, attrs ...string) (string, error) {
	key, err := Key(ctx, objectType, attrs...)
	if err != nil {
		return "", err
	}
	h, err := History(ctx, key)
	if err != nil {
		return "", err
	}
	if len(h) == 0 {
		return "", codes.New(codes.NotFound, "%s", what)
	}
	return JSON(h)
}

// History returns every committed version of key, newest first (Fabric's order).
// A deleted version has IsDelete and a null Record.
func History(ctx Context, key string) ([]HistoryEntry, error) {
	it, err := ctx.GetStub().GetHistoryForKey(key)
	if err != nil {
		return nil, codes.New(codes.Internal, "reading history: %v", err)
	}
	defer func() { _ = it.Close() }() // read-only iterator; nothing to flush
	out := []HistoryEntry{}
	for it.HasNext() {
		m, err := it.Next()
		if err != nil {
			return nil, codes.New(codes.Internal, "reading history: %v", err)
		}
		e := HistoryEntry{TxID: m.GetTxId(), IsDelete: m.GetIsDelete(), Record: json.RawMessage("null")}
		if ts := m.GetTimestamp(); ts != nil {
			e.Timestamp = wire.FormatTime(ts.AsTime())
		}
		if !m.GetIsDelete() && len(m.GetValue()) > 0 {
			if json.Valid(m.GetValue()) {
				e.Record = json.RawMessage(m.GetValue())
			} else {
				b, _ := json.Marshal(string(m.GetValue()))
				e.Record = b
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// Emit sets the transaction's chaincode event: name with v's JSON as payload.
// Fabric keeps only the last event of a transaction, so call it once, last.
func Emit(ctx Context, name string, v any) error {
	b, err := Marshal(v)
	if err != nil {
		return err
	}
	if err := ctx.GetStub().SetEvent(name, b); err != nil {
		return codes.New(codes.Internal, "setting event %s: %v", name, err)
	}
	return nil
}

// Marshal encodes v as compact JSON; the error is INTERNAL.
func Marshal(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, codes.New(codes.Internal, "encoding %T: %v", v, err)
	}
	return b, nil
}

// JSON encodes v as the string a contract function returns.
func JSON(v any) (string, error) {
	b, err := Marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// Reply is JSON(v) of a lookup's result, or its error: a read function's
// `return state.Reply(get(ctx, id))`.
func Reply[T any](v T, err error) (string, error) {
	if err != nil {
		return "", err
	}
	return JSON(v)
}

// MaxArgBytes is the largest JSON argument a contract decodes.
const MaxArgBytes = 1 << 20

// BeginDecode begins a write (BeginWrite) and decodes its JSON argument arg
// (what names it in errors) into a T: the first steps of every transaction
// that takes a record.
func BeginDecode[T any](ctx Context, what, arg string) (T, time.Time, error) {
	var v T
	at, err := BeginWrite(ctx)
	if err != nil {
		return v, at, err
	}
	return v, at, Decode(what, arg, &v)
}

// Decode strictly decodes a JSON argument into v with the shared strict decoder
// (wire.Decode: keys spelled exactly as the field names, no duplicate keys, no
// unknown fields, one value, at most MaxArgBytes) and names the argument in the
// INVALID_ARGUMENT error. contractapi would match keys case-insensitively and
// let a repeated key win; contracts take their JSON as a string and decode here.
func Decode(what, arg string, v any) error {
	if err := wire.Decode(strings.NewReader(arg), MaxArgBytes, v); err != nil {
		if errors.Is(err, wire.ErrTrailingData) {
			return codes.New(codes.InvalidArgument, "%s has trailing data after the JSON value", what)
		}
		return codes.New(codes.InvalidArgument, "%s is not valid JSON: %v", what, err)
	}
	return nil
}

// Respond ends a write transaction: it sets event name with v's JSON as payload
// and returns the same JSON as the transaction result.
func Respond(ctx Context, name string, v any) (string, error) {
	b, err := Marshal(v)
	if err != nil {
		return "", err
	}
	if err := ctx.GetStub().SetEvent(name, b); err != nil {
		return "", codes.New(codes.Internal, "setting event %s: %v", name, err)
	}
	return string(b), nil
}

// Contract is what every certledger contract embeds: a contractapi.Contract
// named name (the "name:" of its functions), titled title, version "1".
func Contract(name, title string) contractapi.Contract {
	c := contractapi.Contract{Name: name}
	c.Info.Title = title
	c.Info.Version = "1"
	return c
}
