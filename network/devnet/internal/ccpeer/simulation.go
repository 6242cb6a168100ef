package ccpeer

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/queryresult"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"

	"github.com/certledger/certledger/network/devnet/internal/blockstore"
)

// Refusals of features the devnet does not have (wrapped in the error the chaincode sees).
var (
	ErrPrivateData = errors.New("private data collections are not supported by the devnet")
	ErrRichQuery   = errors.New("GetQueryResult (rich query) is not supported by the devnet: its state is a key-value store like Fabric's LevelDB; use a range or partial composite key query")
	ErrCCToCC      = errors.New("chaincode-to-chaincode invocation is not supported by the devnet")
)

// batchSize is how many query results go in one QueryResponse, as Fabric's peer does.
const batchSize = 100

// Simulation is the read/write set of one transaction.
type Simulation struct {
	reads     map[string]*kvrwset.Version
	readOrder []string
	writes    map[string]*kvrwset.KVWrite
	mdWrites  map[string]*kvrwset.KVMetadataWrite
	ranges    []*kvrwset.RangeQueryInfo
	paginated bool
}

// KVRWSet returns the read/write set in Fabric's form (keys sorted).
func (s *Simulation) KVRWSet() *kvrwset.KVRWSet {
	out := &kvrwset.KVRWSet{}
	keys := append([]string(nil), s.readOrder...)
	sort.Strings(keys)
	for _, k := range keys {
		out.Reads = append(out.Reads, &kvrwset.KVRead{Key: k, Version: s.reads[k]})
	}
	out.RangeQueriesInfo = s.ranges
	for _, k := range sortedKeys(s.writes) {
		out.Writes = append(out.Writes, s.writes[k])
	}
	for _, k := range sortedKeys(s.mdWrites) {
		out.MetadataWrites = append(out.MetadataWrites, s.mdWrites[k])
	}
	return out
}

// Empty reports whether nothing was read or written.
func (s *Simulation) Empty() bool {
	return len(s.reads) == 0 && len(s.writes) == 0 && len(s.mdWrites) == 0 && len(s.ranges) == 0
}

// HasWrites reports whether the transaction writes.
func (s *Simulation) HasWrites() bool { return len(s.writes) > 0 || len(s.mdWrites) > 0 }

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

type txContext struct {
	ns   string
	snap *blockstore.Snapshot
	sim  *Simulation
	done chan *peer.ChaincodeMessage

	mu       sync.Mutex
	closed   bool
	iters    map[string]*queryIter
	nextIter int
}

func newTxContext(ns string, snap *blockstore.Snapshot) *txContext {
	return &txContext{
		ns:   ns,
		snap: snap,
		sim: &Simulation{
			reads:    map[string]*kvrwset.Version{},
			writes:   map[string]*kvrwset.KVWrite{},
			mdWrites: map[string]*kvrwset.KVMetadataWrite{},
		},
		done:  make(chan *peer.ChaincodeMessage, 1),
		iters: map[string]*queryIter{},
	}
}

func (tc *txContext) finish(m *peer.ChaincodeMessage) {
	select {
	case tc.done <- m:
	default:
	}
}

func (tc *txContext) close() {
	tc.mu.Lock()
	tc.closed = true
	tc.mu.Unlock()
}

func (tc *txContext) handle(m *peer.ChaincodeMessage) ([]byte, error) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if tc.closed {
		return nil, fmt.Errorf("transaction %s is no longer running", m.Txid)
	}
	switch m.Type {
	case peer.ChaincodeMessage_GET_STATE:
		var r peer.GetState
		if err := proto.Unmarshal(m.Payload, &r); err != nil {
			return nil, err
		}
		if r.Collection != "" {
			return nil, ErrPrivateData
		}
		vv, err := tc.read(r.Key)
		if err != nil || vv == nil {
			return nil, err
		}
		return vv.Value, nil
	case peer.ChaincodeMessage_GET_STATE_MULTIPLE:
		return tc.getStateMultiple(m.Payload)
	case peer.ChaincodeMessage_PUT_STATE:
		var r peer.PutState
		if err := proto.Unmarshal(m.Payload, &r); err != nil {
			return nil, err
		}
		return nil, tc.write(r.Collection, r.Key, r.Value, false)
	case peer.ChaincodeMessage_DEL_STATE:
		var r peer.DelState
		if err := proto.Unmarshal(m.Payload, &r); err != nil {
			return nil, err
		}
		return nil, tc.write(r.Collection, r.Key, nil, true)
	case peer.ChaincodeMessage_PUT_STATE_METADATA:
		var r peer.PutStateMetadata
		if err := proto.Unmarshal(m.Payload, &r); err != nil {
			return nil, err
		}
		return nil, tc.writeMeta(r.Collection, r.Key, r.Metadata)
	case peer.ChaincodeMessage_WRITE_BATCH_STATE:
		return tc.writeBatch(m.Payload)
	case peer.ChaincodeMessage_GET_STATE_METADATA:
		return tc.getStateMetadata(m.Payload)
	case peer.ChaincodeMessage_GET_STATE_BY_RANGE:
		var r peer.GetStateByRange
		if err := proto.Unmarshal(m.Payload, &r); err != nil {
			return nil, err
		}
		if r.Collection != "" {
			return nil, ErrPrivateData
		}
		return tc.openRange(&r)
	case peer.ChaincodeMessage_GET_HISTORY_FOR_KEY:
		var r peer.GetHistoryForKey
		if err := proto.Unmarshal(m.Payload, &r); err != nil {
			return nil, err
		}
		it := &queryIter{history: tc.snap.History(tc.ns, r.Key)}
		return tc.register(it)
	case peer.ChaincodeMessage_QUERY_STATE_NEXT:
		var r peer.QueryStateNext
		if err := proto.Unmarshal(m.Payload, &r); err != nil {
			return nil, err
		}
		it := tc.iters[r.Id]
		if it == nil {
			return nil, fmt.Errorf("query iterator not found: %s", r.Id)
		}
		return tc.batch(r.Id, it)
	case peer.ChaincodeMessage_QUERY_STATE_CLOSE:
		var r peer.QueryStateClose
		if err := proto.Unmarshal(m.Payload, &r); err != nil {
			return nil, err
		}
		delete(tc.iters, r.Id)
		return proto.Marshal(&peer.QueryResponse{Id: r.Id})
	case peer.ChaincodeMessage_GET_QUERY_RESULT:
		return nil, ErrRichQuery
	case peer.ChaincodeMessage_INVOKE_CHAINCODE:
		return nil, ErrCCToCC
	case peer.ChaincodeMessage_GET_PRIVATE_DATA_HASH, peer.ChaincodeMessage_PURGE_PRIVATE_DATA:
		return nil, ErrPrivateData
	default:
		return nil, fmt.Errorf("the devnet does not handle chaincode message %s", m.Type)
	}
}

// getStateMultiple answers GET_STATE_MULTIPLE.
func (tc *txContext) getStateMultiple(payload []byte) ([]byte, error) {
	var r peer.GetStateMultiple
	if err := proto.Unmarshal(payload, &r); err != nil {
		return nil, err
	}
	if r.Collection != "" {
		return nil, ErrPrivateData
	}
	res := &peer.GetStateMultipleResult{}
	for _, k := range r.Keys {
		vv, err := tc.read(k)
		if err != nil {
			return nil, err
		}
		var v []byte
		if vv != nil {
			v = vv.Value
		}
		res.Values = append(res.Values, v)
	}
	return proto.Marshal(res)
}

// writeBatch answers WRITE_BATCH_STATE.
func (tc *txContext) writeBatch(payload []byte) ([]byte, error) {
	var r peer.WriteBatchState
	if err := proto.Unmarshal(payload, &r); err != nil {
		return nil, err
	}
	for _, w := range r.Rec {
		var err error
		switch w.Type {
		case peer.WriteRecord_PUT_STATE:
			err = tc.write(w.Collection, w.Key, w.Value, false)
		case peer.WriteRecord_DEL_STATE:
			err = tc.write(w.Collection, w.Key, nil, true)
		case peer.WriteRecord_PUT_STATE_METADATA:
			err = tc.writeMeta(w.Collection, w.Key, w.Metadata)
		case peer.WriteRecord_PURGE_PRIVATE_DATA:
			err = ErrPrivateData
		default:
			err = fmt.Errorf("unknown write record type %s", w.Type)
		}
		if err != nil {
			return nil, err
		}
	}
	return nil, nil
}

// getStateMetadata answers GET_STATE_METADATA.
func (tc *txContext) getStateMetadata(payload []byte) ([]byte, error) {
	var r peer.GetStateMetadata
	if err := proto.Unmarshal(payload, &r); err != nil {
		return nil, err
	}
	if r.Collection != "" {
		return nil, ErrPrivateData
	}
	vv, err := tc.read(r.Key)
	if err != nil {
		return nil, err
	}
	res := &peer.StateMetadataResult{}
	if vv != nil {
		for _, e := range vv.Metadata {
			res.Entries = append(res.Entries, &peer.StateMetadata{Metakey: e.Name, Value: e.Value})
		}
	}
	return proto.Marshal(res)
}

// read returns the committed value and records the first read of a key.
func (tc *txContext) read(key string) (*blockstore.VersionedValue, error) {
	vv, err := tc.snap.Get(tc.ns, key)
	if err != nil {
		return nil, err
	}
	if _, ok := tc.sim.reads[key]; !ok {
		var v *kvrwset.Version
		if vv != nil {
			v = vv.Version
		}
		tc.sim.reads[key] = v
		tc.sim.readOrder = append(tc.sim.readOrder, key)
	}
	return vv, nil
}

func checkKey(key string) error {
	if key == "" {
		return errors.New("key must not be an empty string")
	}
	if !utf8.ValidString(key) {
		return fmt.Errorf("invalid key. Key must be a valid UTF-8 string: %q", key)
	}
	return nil
}

func (tc *txContext) write(collection, key string, value []byte, del bool) error {
	if collection != "" {
		return ErrPrivateData
	}
	if err := checkKey(key); err != nil {
		return err
	}
	if tc.sim.paginated {
		return errors.New("transaction has already performed a paginated query. Writes are not allowed")
	}
	// As in Fabric, writing an empty value deletes the key.
	if len(value) == 0 {
		del = true
		value = nil
	}
	tc.sim.writes[key] = &kvrwset.KVWrite{Key: key, IsDelete: del, Value: value}
	return nil
}

func (tc *txContext) writeMeta(collection, key string, md *peer.StateMetadata) error {
	if collection != "" {
		return ErrPrivateData
	}
	if err := checkKey(key); err != nil {
		return err
	}
	if md == nil {
		return errors.New("metadata entry is missing")
	}
	tc.sim.mdWrites[key] = &kvrwset.KVMetadataWrite{Key: key, Entries: []*kvrwset.KVMetadataEntry{{Name: md.Metakey, Value: md.Value}}}
	return nil
}

// queryIter is either a state range or a history list.
type queryIter struct {
	// range
	it       *blockstore.Iter
	info     *kvrwset.RangeQueryInfo
	peekKey  string
	peekVV   *blockstore.VersionedValue
	peeked   bool
	eof      bool
	pageLeft int // -1 = no page limit
	fetched  int32
	// history
	history [][]byte
	hpos    int
}

func (tc *txContext) openRange(r *peer.GetStateByRange) ([]byte, error) {
	start := r.StartKey
	qi := &queryIter{pageLeft: -1}
	if len(r.Metadata) > 0 {
		var qm peer.QueryMetadata
		if err := proto.Unmarshal(r.Metadata, &qm); err != nil {
			return nil, err
		}
		if qm.PageSize > 0 {
			if tc.sim.HasWrites() {
				return nil, errors.New("transaction has already performed writes. Paginated queries are not allowed")
			}
			tc.sim.paginated = true
			qi.pageLeft = int(qm.PageSize)
			if qm.Bookmark != "" {
				start = qm.Bookmark
			}
		}
	}
	qi.it = tc.snap.Range(tc.ns, start, r.EndKey)
	qi.info = &kvrwset.RangeQueryInfo{
		StartKey: start, EndKey: r.EndKey,
		ReadsInfo: &kvrwset.RangeQueryInfo_RawReads{RawReads: &kvrwset.QueryReads{}},
	}
	tc.sim.ranges = append(tc.sim.ranges, qi.info)
	return tc.register(qi)
}

func (tc *txContext) register(it *queryIter) ([]byte, error) {
	tc.nextIter++
	id := strconv.Itoa(tc.nextIter)
	tc.iters[id] = it
	return tc.batch(id, it)
}

func (it *queryIter) peek() (bool, error) {
	if it.peeked {
		return true, nil
	}
	if it.eof {
		return false, nil
	}
	k, vv, ok, err := it.it.Next()
	if err != nil {
		return false, err
	}
	if !ok {
		it.eof = true
		it.info.ItrExhausted = true
		return false, nil
	}
	it.peekKey, it.peekVV, it.peeked = k, vv, true
	return true, nil
}

func (tc *txContext) batch(id string, it *queryIter) ([]byte, error) {
	resp := &peer.QueryResponse{Id: id}
	if it.it == nil {
		for len(resp.Results) < batchSize && it.hpos < len(it.history) {
			resp.Results = append(resp.Results, &peer.QueryResultBytes{ResultBytes: it.history[it.hpos]})
			it.hpos++
		}
		resp.HasMore = it.hpos < len(it.history)
		return proto.Marshal(resp)
	}
	// A paginated query returns its whole page at once (as Fabric's peer does);
	// others go in batches of batchSize.
	for (it.pageLeft >= 0 || len(resp.Results) < batchSize) && it.pageLeft != 0 {
		ok, err := it.peek()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		it.peeked = false
		it.info.GetRawReads().KvReads = append(it.info.GetRawReads().KvReads, &kvrwset.KVRead{Key: it.peekKey, Version: it.peekVV.Version})
		kv, err := proto.Marshal(&queryresult.KV{Namespace: tc.ns, Key: it.peekKey, Value: it.peekVV.Value})
		if err != nil {
			return nil, err
		}
		resp.Results = append(resp.Results, &peer.QueryResultBytes{ResultBytes: kv})
		it.fetched++
		if it.pageLeft > 0 {
			it.pageLeft--
		}
	}
	more, err := it.peek()
	if err != nil {
		return nil, err
	}
	resp.HasMore = more && it.pageLeft != 0
	if it.pageLeft >= 0 {
		md := &peer.QueryResponseMetadata{FetchedRecordsCount: it.fetched}
		if more {
			md.Bookmark = it.peekKey
		}
		b, err := proto.Marshal(md)
		if err != nil {
			return nil, err
		}
		resp.Metadata = b
	}
	return proto.Marshal(resp)
}
