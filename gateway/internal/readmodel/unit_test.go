package readmodel

import (
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"

	"github.com/certledger/certledger/internal/domain/certificate"
)

func mustMarshal(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// envelope builds an endorser transaction (or a config one) writing kvs to ns.
func envelope(t testing.TB, typ common.HeaderType, txID, ns string, kvs map[string]string) []byte {
	t.Helper()
	var writes []*kvrwset.KVWrite
	for k, v := range kvs {
		writes = append(writes, &kvrwset.KVWrite{Key: k, Value: []byte(v)})
	}
	rws := mustMarshal(t, &rwset.TxReadWriteSet{NsRwset: []*rwset.NsReadWriteSet{{Namespace: ns, Rwset: mustMarshal(t, &kvrwset.KVRWSet{Writes: writes})}}})
	prp := mustMarshal(t, &peer.ProposalResponsePayload{Extension: mustMarshal(t, &peer.ChaincodeAction{Results: rws})})
	cap := mustMarshal(t, &peer.ChaincodeActionPayload{Action: &peer.ChaincodeEndorsedAction{
		ProposalResponsePayload: prp,
		Endorsements:            []*peer.Endorsement{{Endorser: []byte("peer-" + txID), Signature: []byte("sig-" + txID)}},
	}})
	data := mustMarshal(t, &peer.Transaction{Actions: []*peer.TransactionAction{{Payload: cap}}})
	chdr := mustMarshal(t, &common.ChannelHeader{Type: int32(typ), TxId: txID})
	return mustMarshal(t, &common.Envelope{Payload: mustMarshal(t, &common.Payload{Header: &common.Header{ChannelHeader: chdr}, Data: data})})
}

func block(num uint64, filter []peer.TxValidationCode, envs ...[]byte) *common.Block {
	f := make([]byte, len(filter))
	for i, c := range filter {
		f[i] = byte(c)
	}
	md := make([][]byte, common.BlockMetadataIndex_TRANSACTIONS_FILTER+1)
	md[common.BlockMetadataIndex_TRANSACTIONS_FILTER] = f
	return &common.Block{Header: &common.BlockHeader{Number: num}, Data: &common.BlockData{Data: envs}, Metadata: &common.BlockMetadata{Metadata: md}}
}

func certKey(id string) string { return "\x00certificate\x00" + id + "\x00" }

const certJSON = `{"id":"c-1","docHash":"` + hash64 + `","type":"licence","issuer":"dept-a","holderCommitment":"` + hash64 + `","validFrom":"2026-01-01T00:00:00Z","validUntil":"","keyId":"` + hash64 + `","supersedes":"","signature":"","status":"valid","statusReason":"","supersededBy":"","batchId":"","issuedAt":"2026-01-01T00:00:00Z","updatedAt":"2026-01-01T00:00:00Z","txId":"t1"}`

const hash64 = "abababababababababababababababababababababababababababababababab"

func TestDecodeBlockKeepsValidWritesOfTheNamespace(t *testing.T) {
	blk := block(3, []peer.TxValidationCode{peer.TxValidationCode_VALID, peer.TxValidationCode_MVCC_READ_CONFLICT, peer.TxValidationCode_VALID, peer.TxValidationCode_VALID},
		envelope(t, common.HeaderType_ENDORSER_TRANSACTION, "t1", "certledger", map[string]string{certKey("c-1"): certJSON}),
		envelope(t, common.HeaderType_ENDORSER_TRANSACTION, "t2", "certledger", map[string]string{certKey("c-2"): "{}"}),
		envelope(t, common.HeaderType_ENDORSER_TRANSACTION, "t3", "other", map[string]string{certKey("c-3"): "{}"}),
		envelope(t, common.HeaderType_CONFIG, "t4", "certledger", map[string]string{certKey("c-4"): "{}"}),
	)
	txs, err := decodeBlock(blk, "certledger")
	if err != nil {
		t.Fatal(err)
	}
	if len(txs) != 1 || txs[0].ID != "t1" || txs[0].Index != 0 || len(txs[0].Writes) != 1 || txs[0].Writes[0].Key != certKey("c-1") {
		t.Fatalf("txs = %+v", txs)
	}
	if len(txs[0].Endorsements) != 1 || string(txs[0].Endorsements[0].Signature) != "sig-t1" || len(txs[0].ProposalResponse) == 0 {
		t.Fatalf("endorsements = %+v", txs[0].Endorsements)
	}
	// A filter shorter than the data is refused, the block not applied.
	if _, err := decodeBlock(block(4, nil, envelope(t, common.HeaderType_ENDORSER_TRANSACTION, "t5", "certledger", nil)), "certledger"); !errors.Is(err, ErrBlock) {
		t.Fatalf("no filter: %v", err)
	}
	if _, err := decodeBlock(block(5, []peer.TxValidationCode{0}, []byte{0xff, 0xff}), "certledger"); !errors.Is(err, ErrBlock) {
		t.Fatalf("garbage envelope: %v", err)
	}
}

func TestApplyInOrderOnce(t *testing.T) {
	m, err := Open(Options{Dir: filepath.Join(t.TempDir(), "rm"), Namespace: "certledger"})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = m.Close() }()
	b0 := block(0, []peer.TxValidationCode{0}, envelope(t, common.HeaderType_ENDORSER_TRANSACTION, "t1", "certledger",
		map[string]string{certKey("c-1"): certJSON, "\x00certificate.hash\x00" + hash64 + "\x00c-1\x00": "\x00"}))
	if err := m.Apply(block(1, nil)); !errors.Is(err, ErrGap) {
		t.Fatalf("block 1 first: %v", err)
	}
	if err := m.Apply(b0); err != nil {
		t.Fatal(err)
	}
	d1, _ := m.Digest()
	if err := m.Apply(b0); err != nil || m.Height() != 1 {
		t.Fatalf("replayed block: %v, height %d", err, m.Height())
	}
	if d2, _ := m.Digest(); d1 != d2 {
		t.Fatal("a replayed block changed the store")
	}
	ids, err := m.IDsByHash(hash64)
	if err != nil || !reflect.DeepEqual(ids, []string{"c-1"}) {
		t.Fatalf("by hash = %v, %v", ids, err)
	}
	c, ok, err := m.Certificate("c-1")
	if err != nil || !ok || c.Status != certificate.StatusValid || c.TxID != "t1" {
		t.Fatalf("certificate = %+v, %t, %v", c, ok, err)
	}
	// A bad block is refused and nothing of it is written.
	bad := block(1, []peer.TxValidationCode{0}, []byte{0xff})
	if err := m.Apply(bad); !errors.Is(err, ErrBlock) || m.Height() != 1 {
		t.Fatalf("bad block: %v, height %d", err, m.Height())
	}
	if d3, _ := m.Digest(); d1 != d3 {
		t.Fatal("a refused block changed the store")
	}
}

func TestLagDecidesWhoAnswers(t *testing.T) {
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	m, err := Open(Options{Dir: filepath.Join(t.TempDir(), "rm"), Namespace: "certledger", MaxLag: 3 * time.Second, HeadInterval: time.Second,
		Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = m.Close() }()
	q := certificate.Query{ID: "c-1"}
	// The head was never read: the ledger answers.
	if _, err := m.Verify(q, now); !errors.Is(err, ErrLagging) {
		t.Fatalf("head unknown: %v", err)
	}
	// The first head seen after a start: behind until caught up, however recent.
	m.NoteHead(1)
	if st := m.Status(); st.Serving || st.LedgerHeight != 1 {
		t.Fatalf("behind at start: %+v", st)
	}
	b0 := block(0, []peer.TxValidationCode{0}, envelope(t, common.HeaderType_ENDORSER_TRANSACTION, "t1", "certledger", map[string]string{certKey("c-1"): certJSON}))
	if err := m.Apply(b0); err != nil {
		t.Fatal(err)
	}
	if a, err := m.Verify(q, now); err != nil || a.Height != 1 || a.Source != SourceReadModel {
		t.Fatalf("caught up: %+v, %v", a, err)
	}
	// The ledger moves on; the model follows within MaxLag: it still answers.
	m.NoteHead(2)
	now = now.Add(2 * time.Second)
	m.NoteHead(2)
	if st := m.Status(); !st.Serving || st.Lag != 2*time.Second {
		t.Fatalf("2s behind: %+v", st)
	}
	// More than MaxLag behind: the ledger answers.
	now = now.Add(2 * time.Second)
	m.NoteHead(3)
	if _, err := m.Verify(q, now); !errors.Is(err, ErrLagging) {
		t.Fatalf("4s behind: %v", err)
	}
	// The head not read for longer than MaxLag + HeadInterval: unknown, the ledger answers.
	now = now.Add(5 * time.Second)
	if st := m.Status(); st.HeadKnown || st.Serving {
		t.Fatalf("stale head: %+v", st)
	}
}

func TestValueCodecs(t *testing.T) {
	for _, v := range []certValue{
		{Kind: certOnChain, AnchorTx: "tx", AnchorBlock: 7, Block: 9, JSON: []byte(`{"a":1}`)},
		{Kind: certBatched, AnchorTx: "tx", AnchorBlock: 7, Block: 7, BatchID: "b-1", Leaf: 99, GroupOff: 12345, GroupLen: 1480},
	} {
		got, err := decodeCert(v.encode())
		if err != nil || !reflect.DeepEqual(got, v) {
			t.Fatalf("cert %+v -> %+v, %v", v, got, err)
		}
	}
	tv := txValue{Block: 3, Index: 1, ProposalResponse: []byte("prp"), Endorsers: [][]byte{[]byte("e1"), []byte("e2")}, Signatures: [][]byte{[]byte("s1"), []byte("s2")},
		Header: []byte("hdr"), ProposalPayload: []byte("pp")}
	if got, err := decodeTxValue(tv.encode()); err != nil || !reflect.DeepEqual(got, tv) {
		t.Fatalf("tx -> %+v, %v", got, err)
	}
	bv := batchValue{JSON: []byte(`{}`), Block: 4, Indexed: true}
	if got, err := decodeBatch(bv.encode()); err != nil || !reflect.DeepEqual(got, bv) {
		t.Fatalf("batch -> %+v, %v", got, err)
	}
	for _, bad := range [][]byte{nil, {9}, {maxValueVersion, certOnChain, 0xff}, {maxValueVersion, 7, 0, 0, 0}} {
		if _, err := decodeCert(bad); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("decodeCert(%x) = %v", bad, err)
		}
	}
}

func TestSplitKey(t *testing.T) {
	for _, c := range []struct {
		in    string
		typ   string
		attrs []string
		ok    bool
	}{
		{"\x00certificate\x00c-1\x00", "certificate", []string{"c-1"}, true},
		{"\x00certificate.hash\x00h\x00c-1\x00", "certificate.hash", []string{"h", "c-1"}, true},
		{"\x00registry.governance\x00", "registry.governance", []string{}, true},
		{"plain", "", nil, false},
		{"\x00", "", nil, false},
	} {
		typ, attrs, ok := splitKey(c.in)
		if typ != c.typ || ok != c.ok || (ok && !reflect.DeepEqual(attrs, c.attrs)) {
			t.Fatalf("splitKey(%q) = %q %q %t", c.in, typ, attrs, ok)
		}
	}
}

// The read model answers a v2 certificate as the chaincode does: its type as the
// catalogue (certtype contract) wrote it, and its GB/T 36904 identifier in parts.
func TestV2CertificateShowsItsCatalogueType(t *testing.T) {
	m, err := Open(Options{Dir: filepath.Join(t.TempDir(), "rm"), Namespace: "certledger"})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = m.Close() }()
	const (
		id       = "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U"
		typeCode = "11100000000013338W011"
	)
	v2 := strings.NewReplacer(`"id":"c-1"`, `"recordVersion":2,"id":"`+id+`","name":"不动产权证书","issuerName":"住建局","issuerCode":"11430000006122244L","issueDate":"2023-06-01","holderCodeType":"111","holderNameCommitment":"`+hash64+`","holderCodeCommitment":"`+strings.Repeat("cd", 32)+`"`,
		`"type":"licence"`, `"type":"`+typeCode+`"`, `"holderCommitment":"`+hash64+`"`, `"holderCommitment":""`).Replace(certJSON)
	typeJSON := `{"code":"` + typeCode + `","name":"不动产权证书","nameEn":"Real estate title certificate","definingBody":"自然资源部","definingBodyCode":"11100000000013338W","holderCodeType":"111","defaultValidity":"","issuers":["dept-a"],"createdAt":"2026-01-01T00:00:00Z","updatedAt":"2026-01-01T00:00:00Z","txId":"t0"}`
	b0 := block(0, []peer.TxValidationCode{0}, envelope(t, common.HeaderType_ENDORSER_TRANSACTION, "t1", "certledger",
		map[string]string{certKey(id): v2, "\x00certtype.type\x00" + typeCode + "\x00": typeJSON}))
	if err := m.Apply(b0); err != nil {
		t.Fatal(err)
	}
	res, err := m.evaluate(certificate.Query{ID: id}, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if res.CertType == nil || res.CertType.Name != "不动产权证书" || res.CertType.DefiningBody != "自然资源部" {
		t.Fatalf("certType = %+v", res.CertType)
	}
	if res.Identifier == nil || res.Identifier.Check != "U" || !strings.Contains(res.Steps[0].Detail, "check character U verified") {
		t.Fatalf("identifier = %+v, step 1 %+v", res.Identifier, res.Steps[0])
	}
}
