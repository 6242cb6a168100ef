package blockstore

import (
	"path/filepath"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/queryresult"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

const ns = "cc"

func open(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func genesis(t *testing.T, s *Store) {
	t.Helper()
	if err := s.AppendGenesis(NewBlock(0, nil, [][]byte{[]byte("genesis")})); err != nil {
		t.Fatal(err)
	}
}

func ver(b, tx uint64) *kvrwset.Version { return &kvrwset.Version{BlockNum: b, TxNum: tx} }

func tx(id string, rw *kvrwset.KVRWSet) *Tx {
	return &Tx{TxID: id, Code: peer.TxValidationCode_VALID, RWSets: []NsRWSet{{Namespace: ns, RW: rw}}}
}

func commit(t *testing.T, s *Store, txs ...*Tx) []peer.TxValidationCode {
	t.Helper()
	envs := make([][]byte, len(txs))
	for i, x := range txs {
		envs[i] = []byte(x.TxID)
	}
	blk, err := s.CommitBlock(envs, txs, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out []peer.TxValidationCode
	for _, f := range blk.Metadata.Metadata[common.BlockMetadataIndex_TRANSACTIONS_FILTER] {
		out = append(out, peer.TxValidationCode(f))
	}
	return out
}

func get(t *testing.T, s *Store, key string) *VersionedValue {
	t.Helper()
	sn, err := s.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	defer sn.Close()
	vv, err := sn.Get(ns, key)
	if err != nil {
		t.Fatal(err)
	}
	return vv
}

func TestCommitSemantics(t *testing.T) {
	path := filepath.Join(t.TempDir(), "l.db")
	s := open(t, path)
	genesis(t, s)

	// Block 1: write a and b; a second tx in the block reading a (absent) is fine,
	// a third reading a at the version the first tx just wrote is not yet possible.
	codes := commit(t, s,
		tx("t1", &kvrwset.KVRWSet{Writes: []*kvrwset.KVWrite{{Key: "a", Value: []byte("1")}, {Key: "b", Value: []byte("x")}}}),
		tx("t2", &kvrwset.KVRWSet{Reads: []*kvrwset.KVRead{{Key: "a"}}, Writes: []*kvrwset.KVWrite{{Key: "c", Value: []byte("c")}}}),
		tx("t1", &kvrwset.KVRWSet{}),
	)
	want := []peer.TxValidationCode{peer.TxValidationCode_VALID, peer.TxValidationCode_MVCC_READ_CONFLICT, peer.TxValidationCode_DUPLICATE_TXID}
	for i := range want {
		if codes[i] != want[i] {
			t.Fatalf("block 1 codes %v, want %v", codes, want)
		}
	}
	if vv := get(t, s, "a"); string(vv.Value) != "1" || vv.Version.BlockNum != 1 || vv.Version.TxNum != 0 {
		t.Fatalf("a = %+v", vv)
	}
	if get(t, s, "c") != nil {
		t.Fatal("an invalid transaction's write reached state")
	}

	// Block 2: metadata on a, then a value write keeps it; a delete of b.
	commit(t, s, tx("t3", &kvrwset.KVRWSet{MetadataWrites: []*kvrwset.KVMetadataWrite{{Key: "a", Entries: []*kvrwset.KVMetadataEntry{{Name: "VP", Value: []byte("p")}}}}}))
	commit(t, s, tx("t4", &kvrwset.KVRWSet{Reads: []*kvrwset.KVRead{{Key: "a", Version: ver(2, 0)}}, Writes: []*kvrwset.KVWrite{{Key: "a", Value: []byte("2")}, {Key: "b", IsDelete: true}}}))
	vv := get(t, s, "a")
	if string(vv.Value) != "2" || len(vv.Metadata) != 1 || string(vv.Metadata[0].Value) != "p" || vv.Version.BlockNum != 3 {
		t.Fatalf("a after value write = %+v", vv)
	}
	if get(t, s, "b") != nil {
		t.Fatal("b not deleted")
	}

	// Range reads: an insert into the range read makes a phantom; outside it does not.
	rq := func(exhausted bool, reads ...*kvrwset.KVRead) *kvrwset.RangeQueryInfo {
		return &kvrwset.RangeQueryInfo{StartKey: "a", EndKey: "z", ItrExhausted: exhausted,
			ReadsInfo: &kvrwset.RangeQueryInfo_RawReads{RawReads: &kvrwset.QueryReads{KvReads: reads}}}
	}
	codes = commit(t, s,
		tx("t5", &kvrwset.KVRWSet{RangeQueriesInfo: []*kvrwset.RangeQueryInfo{rq(true, &kvrwset.KVRead{Key: "a", Version: ver(3, 0)})}}),
		tx("t6", &kvrwset.KVRWSet{Writes: []*kvrwset.KVWrite{{Key: "m", Value: []byte("m")}}}),
		tx("t7", &kvrwset.KVRWSet{RangeQueriesInfo: []*kvrwset.RangeQueryInfo{rq(true, &kvrwset.KVRead{Key: "a", Version: ver(3, 0)})}}),
		tx("t8", &kvrwset.KVRWSet{RangeQueriesInfo: []*kvrwset.RangeQueryInfo{rq(false, &kvrwset.KVRead{Key: "a", Version: ver(3, 0)})}}),
	)
	want = []peer.TxValidationCode{peer.TxValidationCode_VALID, peer.TxValidationCode_VALID, peer.TxValidationCode_PHANTOM_READ_CONFLICT, peer.TxValidationCode_VALID}
	for i := range want {
		if codes[i] != want[i] {
			t.Fatalf("block 4 codes %v, want %v", codes, want)
		}
	}

	// History: newest first, valid writes only; deletes recorded.
	sn, _ := s.Snapshot()
	h := sn.History(ns, "a")
	hb := sn.History(ns, "b")
	sn.Close()
	if len(h) != 2 || len(hb) != 2 {
		t.Fatalf("history a %d entries, b %d", len(h), len(hb))
	}
	var km queryresult.KeyModification
	if err := proto.Unmarshal(h[0], &km); err != nil || km.TxId != "t4" || string(km.Value) != "2" {
		t.Fatalf("newest of a = %+v", &km)
	}
	if err := proto.Unmarshal(hb[0], &km); err != nil || !km.IsDelete {
		t.Fatalf("newest of b = %+v", &km)
	}
	// The index keeps the first transaction with an id.
	if code, blk, err := s.TxStatus("t1"); err != nil || code != peer.TxValidationCode_VALID || blk != 1 {
		t.Fatalf("t1 = %v %d %v", code, blk, err)
	}

	// Reopen: height, hash chain and state persist.
	h1, last := s.Height(), s.LastHash()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, path)
	defer func() { _ = s.Close() }()
	if s.Height() != h1 || string(s.LastHash()) != string(last) || string(get(t, s, "m").Value) != "m" {
		t.Fatal("state lost on reopen")
	}
	b4, err := s.Block(4)
	if err != nil {
		t.Fatal(err)
	}
	b3, _ := s.Block(3)
	if string(b4.Header.PreviousHash) != string(HeaderHash(b3.Header)) {
		t.Fatal("hash chain broken")
	}
}

func TestRangeBounds(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "l.db"))
	defer func() { _ = s.Close() }()
	genesis(t, s)
	var ws []*kvrwset.KVWrite
	for _, k := range []string{"\x00cert\x00a\x00", "a", "b", "c"} {
		ws = append(ws, &kvrwset.KVWrite{Key: k, Value: []byte(k)})
	}
	commit(t, s, tx("t", &kvrwset.KVRWSet{Writes: ws}))
	// Another namespace's keys are never seen.
	if _, err := s.CommitBlock([][]byte{nil}, []*Tx{{TxID: "o", RWSets: []NsRWSet{{Namespace: "cd", RW: &kvrwset.KVRWSet{Writes: []*kvrwset.KVWrite{{Key: "a", Value: []byte("o")}}}}}}}, nil); err != nil {
		t.Fatal(err)
	}
	sn, _ := s.Snapshot()
	defer sn.Close()
	keys := func(start, end string) (out []string) {
		it := sn.Range(ns, start, end)
		for {
			k, _, ok, err := it.Next()
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				return out
			}
			out = append(out, k)
		}
	}
	for _, tc := range []struct {
		start, end string
		want       int
	}{{"\x01", "", 3}, {"a", "c", 2}, {"b", "", 2}, {"\x00cert\x00", "\x00cert\x00\U0010ffff", 1}, {"", "", 4}} {
		if got := keys(tc.start, tc.end); len(got) != tc.want {
			t.Errorf("range [%q, %q) = %q", tc.start, tc.end, got)
		}
	}
}
