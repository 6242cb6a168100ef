package ledgertest

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/queryresult"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// errUnsupported is returned by stub methods the fake does not model.
var errUnsupported = errors.New("ledgertest: not supported by the in-memory stub")

// write is one buffered write of a simulated transaction.
type write struct {
	key    string
	value  []byte
	delete bool
}

// Stub is the shim.ChaincodeStubInterface of one simulated transaction. Like a
// Fabric peer it reads committed state only (a transaction does not see its own
// writes) and buffers writes in a write set; the Ledger commits the write set
// when the chaincode returns status 200.
type Stub struct {
	ledger  *Ledger
	args    [][]byte
	txID    string
	ts      time.Time
	now     time.Time
	creator []byte

	writes  []write
	written map[string]int // key -> index in writes (last write of a key wins)
	event   *peer.ChaincodeEvent
}

var _ shim.ChaincodeStubInterface = (*Stub)(nil)

// EndorserNow implements ledger.EndorserClock: the simulated endorser's clock.
func (s *Stub) EndorserNow() time.Time { return s.now }

func (s *Stub) GetArgs() [][]byte { return s.args }

func (s *Stub) GetStringArgs() []string {
	out := make([]string, len(s.args))
	for i, a := range s.args {
		out[i] = string(a)
	}
	return out
}

func (s *Stub) GetFunctionAndParameters() (string, []string) {
	a := s.GetStringArgs()
	if len(a) == 0 {
		return "", []string{}
	}
	return a[0], a[1:]
}

func (s *Stub) GetArgsSlice() ([]byte, error) {
	var out []byte
	for _, a := range s.args {
		out = append(out, a...)
	}
	return out, nil
}

func (s *Stub) GetTxID() string      { return s.txID }
func (s *Stub) GetChannelID() string { return s.ledger.channel }

func (s *Stub) InvokeChaincode(string, [][]byte, string) *peer.Response {
	return shim.Error(errUnsupported.Error())
}

func (s *Stub) GetState(key string) ([]byte, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	v, ok := s.ledger.state[key]
	if !ok {
		return nil, nil
	}
	return append([]byte(nil), v...), nil
}

func (s *Stub) GetMultipleStates(keys ...string) ([][]byte, error) {
	out := make([][]byte, len(keys))
	for i, k := range keys {
		v, err := s.GetState(k)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func (s *Stub) PutState(key string, value []byte) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if len(value) == 0 {
		return s.DelState(key)
	}
	s.record(write{key: key, value: append([]byte(nil), value...)})
	return nil
}

func (s *Stub) DelState(key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	s.record(write{key: key, delete: true})
	return nil
}

func (s *Stub) record(w write) {
	if s.written == nil {
		s.written = map[string]int{}
	}
	if i, ok := s.written[w.key]; ok {
		s.writes[i] = w
		return
	}
	s.written[w.key] = len(s.writes)
	s.writes = append(s.writes, w)
}

func checkKey(key string) error {
	if key == "" {
		return errors.New("key must not be an empty string")
	}
	return nil
}

func (s *Stub) SetStateValidationParameter(string, []byte) error   { return errUnsupported }
func (s *Stub) GetStateValidationParameter(string) ([]byte, error) { return nil, errUnsupported }

// GetStateByRange returns committed keys in [startKey, endKey) in key order;
// like Fabric, "" as startKey/endKey means an open end, and composite keys
// (starting with U+0000) are not returned by a plain range.
func (s *Stub) GetStateByRange(startKey, endKey string) (shim.StateQueryIteratorInterface, error) {
	if strings.HasPrefix(startKey, "\x00") || strings.HasPrefix(endKey, "\x00") {
		return nil, errors.New("range query keys must not be composite keys")
	}
	if startKey == "" {
		startKey = "\x01"
	}
	return s.rangeIter(startKey, endKey), nil
}

func (s *Stub) rangeIter(start, end string) *stateIter {
	var keys []string
	for k := range s.ledger.state {
		if k >= start && (end == "" || k < end) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	it := &stateIter{}
	for _, k := range keys {
		it.kvs = append(it.kvs, &queryresult.KV{Namespace: s.ledger.chaincode, Key: k, Value: append([]byte(nil), s.ledger.state[k]...)})
	}
	return it
}

func (s *Stub) GetStateByRangeWithPagination(string, string, int32, string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	return nil, nil, errUnsupported
}

// GetStateByPartialCompositeKey returns committed composite keys with the given
// prefix, in key order.
func (s *Stub) GetStateByPartialCompositeKey(objectType string, keys []string) (shim.StateQueryIteratorInterface, error) {
	prefix, err := shim.CreateCompositeKey(objectType, keys)
	if err != nil {
		return nil, err
	}
	return s.rangeIter(prefix, prefix+string(rune(0x10FFFF))), nil
}

func (s *Stub) GetStateByPartialCompositeKeyWithPagination(string, []string, int32, string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	return nil, nil, errUnsupported
}

func (s *Stub) GetAllStatesCompositeKeyWithPagination(int32, string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	return nil, nil, errUnsupported
}

func (s *Stub) CreateCompositeKey(objectType string, attributes []string) (string, error) {
	return shim.CreateCompositeKey(objectType, attributes)
}

func (s *Stub) SplitCompositeKey(compositeKey string) (string, []string, error) {
	if !strings.HasPrefix(compositeKey, "\x00") {
		return "", nil, fmt.Errorf("%q is not a composite key", compositeKey)
	}
	parts := strings.Split(compositeKey[1:], "\x00")
	if len(parts) < 2 || parts[len(parts)-1] != "" {
		return "", nil, fmt.Errorf("%q is not a composite key", compositeKey)
	}
	parts = parts[:len(parts)-1]
	return parts[0], parts[1:], nil
}

func (s *Stub) GetQueryResult(string) (shim.StateQueryIteratorInterface, error) {
	return nil, errUnsupported
}

func (s *Stub) GetQueryResultWithPagination(string, int32, string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	return nil, nil, errUnsupported
}

// GetHistoryForKey returns the committed versions of key, newest first (as Fabric v2 does).
func (s *Stub) GetHistoryForKey(key string) (shim.HistoryQueryIteratorInterface, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	h := s.ledger.history[key]
	it := &historyIter{}
	for i := len(h) - 1; i >= 0; i-- {
		m := h[i]
		it.mods = append(it.mods, &queryresult.KeyModification{
			TxId:      m.TxID,
			Value:     append([]byte(nil), m.Value...),
			Timestamp: timestamppb.New(m.Timestamp),
			IsDelete:  m.IsDelete,
		})
	}
	return it, nil
}

func (s *Stub) GetPrivateData(string, string) ([]byte, error) { return nil, errUnsupported }
func (s *Stub) GetMultiplePrivateData(string, ...string) ([][]byte, error) {
	return nil, errUnsupported
}
func (s *Stub) GetPrivateDataHash(string, string) ([]byte, error) { return nil, errUnsupported }
func (s *Stub) PutPrivateData(string, string, []byte) error       { return errUnsupported }
func (s *Stub) DelPrivateData(string, string) error               { return errUnsupported }
func (s *Stub) PurgePrivateData(string, string) error             { return errUnsupported }
func (s *Stub) SetPrivateDataValidationParameter(string, string, []byte) error {
	return errUnsupported
}
func (s *Stub) GetPrivateDataValidationParameter(string, string) ([]byte, error) {
	return nil, errUnsupported
}
func (s *Stub) GetPrivateDataByRange(string, string, string) (shim.StateQueryIteratorInterface, error) {
	return nil, errUnsupported
}
func (s *Stub) GetPrivateDataByPartialCompositeKey(string, string, []string) (shim.StateQueryIteratorInterface, error) {
	return nil, errUnsupported
}
func (s *Stub) GetPrivateDataQueryResult(string, string) (shim.StateQueryIteratorInterface, error) {
	return nil, errUnsupported
}

func (s *Stub) GetCreator() ([]byte, error)                      { return s.creator, nil }
func (s *Stub) GetTransient() (map[string][]byte, error)         { return map[string][]byte{}, nil }
func (s *Stub) GetBinding() ([]byte, error)                      { return nil, errUnsupported }
func (s *Stub) GetDecorations() map[string][]byte                { return map[string][]byte{} }
func (s *Stub) GetSignedProposal() (*peer.SignedProposal, error) { return nil, errUnsupported }
func (s *Stub) GetTxTimestamp() (*timestamppb.Timestamp, error) {
	return timestamppb.New(s.ts), nil
}

// SetEvent sets the transaction's event; like Fabric, the last call wins.
func (s *Stub) SetEvent(name string, payload []byte) error {
	if name == "" {
		return errors.New("event name can not be empty string")
	}
	s.event = &peer.ChaincodeEvent{EventName: name, Payload: append([]byte(nil), payload...), TxId: s.txID, ChaincodeId: s.ledger.chaincode}
	return nil
}

func (s *Stub) StartWriteBatch()        {}
func (s *Stub) FinishWriteBatch() error { return nil }

type stateIter struct {
	kvs []*queryresult.KV
	i   int
}

func (it *stateIter) HasNext() bool { return it.i < len(it.kvs) }
func (it *stateIter) Close() error  { return nil }
func (it *stateIter) Next() (*queryresult.KV, error) {
	if !it.HasNext() {
		return nil, errors.New("no more results")
	}
	it.i++
	return it.kvs[it.i-1], nil
}

type historyIter struct {
	mods []*queryresult.KeyModification
	i    int
}

func (it *historyIter) HasNext() bool { return it.i < len(it.mods) }
func (it *historyIter) Close() error  { return nil }
func (it *historyIter) Next() (*queryresult.KeyModification, error) {
	if !it.HasNext() {
		return nil, errors.New("no more results")
	}
	it.i++
	return it.mods[it.i-1], nil
}
