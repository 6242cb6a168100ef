// Package ledgertest is an in-memory Fabric ledger for contract tests: world state
// with composite-key ranges, per-key history, chaincode events, creator identities
// with an MSP ID, a transaction timestamp and an endorser clock.
//
// It follows the Fabric semantics contracts depend on: a transaction reads only
// committed state, its writes are committed only when the chaincode returns
// status 200 (a refused transaction writes nothing), the last SetEvent wins, and
// history is returned newest first. Every transaction is simulated twice, like two
// endorsers, and the two write sets, responses and events must be byte-identical
// (this catches map iteration order, randomness and clock reads in written data).
//
//	l := ledgertest.New(t, cc)
//	l.MustSubmit(ledgertest.Tx{MSP: "GovMSP"}, "registry:Init", "GovMSP")
//	r := l.Submit(ledgertest.Tx{MSP: "Org1MSP", Time: l.Now().Add(10 * time.Minute)}, "certificate:Issue", rec)
//	if r.Code() != codes.InvalidArgument { ... }
package ledgertest

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"google.golang.org/protobuf/proto"

	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/testkit"
)

// DefaultNow is the initial endorser clock of a new Ledger.
var DefaultNow = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// Ledger is an in-memory channel with one chaincode. It is safe for concurrent use
// (transactions are serialised).
type Ledger struct {
	t  testing.TB
	cc shim.Chaincode

	mu        sync.Mutex
	channel   string
	chaincode string
	now       time.Time
	seq       int
	state     map[string][]byte
	history   map[string][]Modification
	events    []Event
	creators  map[string][]byte // "msp\x00cn" -> serialized identity

	// CheckDeterminism simulates each transaction twice and fails the test when
	// the two runs differ. On by default.
	CheckDeterminism bool
}

// Modification is one committed version of a key.
type Modification struct {
	TxID      string
	Timestamp time.Time
	Value     []byte
	IsDelete  bool
}

// Event is a committed chaincode event.
type Event struct {
	Name    string
	Payload []byte
	TxID    string
	Block   uint64
}

// Write is one entry of a transaction's write set.
type Write struct {
	Key    string
	Value  []byte
	Delete bool
}

// Tx describes who submits a transaction and when.
type Tx struct {
	MSP        string    // submitter's MSP ID; "" = no creator (cid fails)
	CommonName string    // subject CN of the submitter's certificate; "" = "user"
	Time       time.Time // transaction timestamp; zero = the ledger's endorser clock (Now)
}

// Result is the outcome of a simulated transaction.
type Result struct {
	TxID      string
	Status    int32  // 200 ok, 500 error
	Payload   []byte // response payload (JSON for certledger contracts)
	Message   string // error message ("CODE: ...")
	Writes    []Write
	Event     *Event // nil when the chaincode set none
	Committed bool   // true when Submit committed the write set
}

// OK reports status 200.
func (r Result) OK() bool { return r.Status == shim.OK }

// Code returns the stable error code in Message ("" on success).
func (r Result) Code() string {
	if r.OK() {
		return ""
	}
	c, _, _ := codes.Parse(r.Message)
	return c
}

// Err returns nil on success, else an error holding Message.
func (r Result) Err() error {
	if r.OK() {
		return nil
	}
	return fmt.Errorf("status %d: %s", r.Status, r.Message)
}

// Decode unmarshals the payload into v.
func (r Result) Decode(v any) error { return json.Unmarshal(r.Payload, v) }

// MustDecode decodes the payload into v, failing the test when it is not valid JSON for v.
func (r Result) MustDecode(t testing.TB, v any) {
	t.Helper()
	if err := r.Decode(v); err != nil {
		t.Fatalf("decoding result of tx %s: %v (payload %q)", r.TxID, err, r.Payload)
	}
}

// Refused fails t unless r failed with code and wrote, emitted and committed
// nothing.
func Refused(t testing.TB, r Result, code string) {
	t.Helper()
	if r.OK() || r.Code() != code {
		t.Fatalf("got status %d %q, want code %s", r.Status, r.Message, code)
	}
	if len(r.Writes) != 0 || r.Event != nil || r.Committed {
		t.Fatalf("refused transaction wrote %d keys, event %+v", len(r.Writes), r.Event)
	}
}

// JSON is v as a JSON argument; it panics when v does not marshal (a test's
// own value).
func JSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// New returns an empty ledger running cc, with the endorser clock at DefaultNow.
func New(t testing.TB, cc shim.Chaincode) *Ledger {
	return &Ledger{
		t: t, cc: cc,
		channel: "certledger", chaincode: "certledger",
		now:              DefaultNow,
		state:            map[string][]byte{},
		history:          map[string][]Modification{},
		creators:         map[string][]byte{},
		CheckDeterminism: true,
	}
}

// Now returns the endorser clock (also the default transaction timestamp).
func (l *Ledger) Now() time.Time { l.mu.Lock(); defer l.mu.Unlock(); return l.now }

// SetNow sets the endorser clock.
func (l *Ledger) SetNow(t time.Time) { l.mu.Lock(); defer l.mu.Unlock(); l.now = t.UTC() }

// Advance moves the endorser clock forward by d.
func (l *Ledger) Advance(d time.Duration) { l.mu.Lock(); defer l.mu.Unlock(); l.now = l.now.Add(d) }

// Submit simulates a transaction and commits its write set and event when it succeeds.
func (l *Ledger) Submit(tx Tx, fn string, args ...string) Result { return l.run(tx, true, fn, args) }

// Evaluate simulates a transaction and never commits (a query).
func (l *Ledger) Evaluate(tx Tx, fn string, args ...string) Result {
	return l.run(tx, false, fn, args)
}

// MustSubmit is Submit that fails the test unless the transaction succeeds.
func (l *Ledger) MustSubmit(tx Tx, fn string, args ...string) Result {
	l.t.Helper()
	r := l.Submit(tx, fn, args...)
	if !r.OK() {
		l.t.Fatalf("%s: %s", fn, r.Message)
	}
	return r
}

// MustEvaluate is Evaluate that fails the test unless the call succeeds.
func (l *Ledger) MustEvaluate(tx Tx, fn string, args ...string) Result {
	l.t.Helper()
	r := l.Evaluate(tx, fn, args...)
	if !r.OK() {
		l.t.Fatalf("%s: %s", fn, r.Message)
	}
	return r
}

// State returns the committed value of key (nil when absent).
func (l *Ledger) State(key string) []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]byte(nil), l.state[key]...)
}

// Keys returns every committed key, sorted.
func (l *Ledger) Keys() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	keys := make([]string, 0, len(l.state))
	for k := range l.state {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Snapshot returns a copy of the committed world state (to compare before/after).
func (l *Ledger) Snapshot() map[string][]byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string][]byte, len(l.state))
	for k, v := range l.state {
		out[k] = append([]byte(nil), v...)
	}
	return out
}

// History returns the committed versions of key, oldest first.
func (l *Ledger) History(key string) []Modification {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Modification(nil), l.history[key]...)
}

// Events returns every committed event, in commit order.
func (l *Ledger) Events() []Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Event(nil), l.events...)
}

func (l *Ledger) run(tx Tx, commit bool, fn string, args []string) Result {
	l.t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()

	l.seq++
	sum := sha256.Sum256(fmt.Appendf(nil, "ledgertest/%d", l.seq))
	txID := hex.EncodeToString(sum[:])
	ts := tx.Time
	if ts.IsZero() {
		ts = l.now
	}
	creator, err := l.creator(tx)
	if err != nil {
		l.t.Fatalf("ledgertest: creating identity: %v", err)
	}
	all := make([][]byte, 0, len(args)+1)
	all = append(all, []byte(fn))
	for _, a := range args {
		all = append(all, []byte(a))
	}

	simulate := func() (*Stub, Result) {
		s := &Stub{ledger: l, args: all, txID: txID, ts: ts, now: l.now, creator: creator}
		resp := l.cc.Invoke(s)
		r := Result{TxID: txID, Status: resp.GetStatus(), Payload: resp.GetPayload(), Message: resp.GetMessage()}
		for _, w := range s.writes {
			r.Writes = append(r.Writes, Write{Key: w.key, Value: w.value, Delete: w.delete})
		}
		if s.event != nil {
			r.Event = &Event{Name: s.event.EventName, Payload: s.event.Payload, TxID: txID}
		}
		return s, r
	}
	_, r := simulate()
	if l.CheckDeterminism {
		if _, r2 := simulate(); !sameResult(r, r2) {
			l.t.Errorf("ledgertest: %s is not deterministic: two simulations differ\nfirst:  %s\nsecond: %s", fn, describe(r), describe(r2))
		}
	}
	if !commit || !r.OK() {
		return r
	}
	for _, w := range r.Writes {
		if w.Delete {
			delete(l.state, w.Key)
		} else {
			l.state[w.Key] = w.Value
		}
		l.history[w.Key] = append(l.history[w.Key], Modification{TxID: txID, Timestamp: ts, Value: w.Value, IsDelete: w.Delete})
	}
	if r.Event != nil {
		r.Event.Block = uint64(l.seq)
		l.events = append(l.events, *r.Event)
	}
	r.Committed = true
	return r
}

func sameResult(a, b Result) bool {
	if a.Status != b.Status || !bytes.Equal(a.Payload, b.Payload) || a.Message != b.Message || len(a.Writes) != len(b.Writes) {
		return false
	}
	for i := range a.Writes {
		if a.Writes[i].Key != b.Writes[i].Key || a.Writes[i].Delete != b.Writes[i].Delete || !bytes.Equal(a.Writes[i].Value, b.Writes[i].Value) {
			return false
		}
	}
	if (a.Event == nil) != (b.Event == nil) {
		return false
	}
	return a.Event == nil || (a.Event.Name == b.Event.Name && bytes.Equal(a.Event.Payload, b.Event.Payload))
}

func describe(r Result) string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "status=%d message=%q payload=%s", r.Status, r.Message, r.Payload)
	for _, w := range r.Writes {
		fmt.Fprintf(&b, "\n  write %q = %s", w.Key, w.Value)
	}
	if r.Event != nil {
		fmt.Fprintf(&b, "\n  event %s %s", r.Event.Name, r.Event.Payload)
	}
	return b.String()
}

// creator returns the serialized identity (msp.SerializedIdentity with an X.509
// PEM certificate) for tx, made once per MSP and common name.
func (l *Ledger) creator(tx Tx) ([]byte, error) {
	if tx.MSP == "" {
		return nil, nil
	}
	cn := tx.CommonName
	if cn == "" {
		cn = "user"
	}
	k := tx.MSP + "\x00" + cn
	if c, ok := l.creators[k]; ok {
		return c, nil
	}
	certPEM, err := selfSigned(tx.MSP, cn)
	if err != nil {
		return nil, err
	}
	c, err := proto.Marshal(&msp.SerializedIdentity{Mspid: tx.MSP, IdBytes: certPEM})
	if err != nil {
		return nil, err
	}
	l.creators[k] = c
	return c, nil
}

func selfSigned(org, cn string) ([]byte, error) {
	der, _, err := testkit.SelfSigned(&x509.Certificate{
		Subject:   pkix.Name{CommonName: cn, Organization: []string{org}, OrganizationalUnit: []string{"client"}},
		NotBefore: DefaultNow.Add(-24 * time.Hour),
		NotAfter:  DefaultNow.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:  x509.KeyUsageDigitalSignature,
	})
	if err != nil {
		return nil, err
	}
	return testkit.CertPEM(der), nil
}

// NewStub returns a stub for a transaction by tx over the committed state, for
// testing helpers directly (nothing it writes is committed). args are the
// function name and arguments. Use it between transactions, not concurrently
// with Submit or Evaluate.
func (l *Ledger) NewStub(tx Tx, args ...string) *Stub {
	l.t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	creator, err := l.creator(tx)
	if err != nil {
		l.t.Fatalf("ledgertest: creating identity: %v", err)
	}
	ts := tx.Time
	if ts.IsZero() {
		ts = l.now
	}
	all := make([][]byte, len(args))
	for i, a := range args {
		all[i] = []byte(a)
	}
	l.seq++
	sum := sha256.Sum256(fmt.Appendf(nil, "ledgertest/%d", l.seq))
	return &Stub{ledger: l, args: all, txID: hex.EncodeToString(sum[:]), ts: ts, now: l.now, creator: creator}
}
