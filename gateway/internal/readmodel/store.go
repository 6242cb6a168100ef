package readmodel

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/cockroachdb/pebble/v2"
)

// Key layout of the store (one pebble database; every key starts with a kind
// byte and a 0x00):
//
//	m\x00checkpoint           next block to apply (8 bytes big-endian)
//	m\x00schema               the store's layout version (schemaVersion)
//	c\x00<certificate id>     certValue: an on-chain certificate (its JSON and
//	                          ledger coordinates)
//	B\x00<id>\x00<block>      certValue: a certificate of a batch anchored in
//	                          block (8 bytes big-endian): batch, leaf, and where
//	                          its group of 4 lines is in the file; written blind
//	                          (no read) when a batch file is indexed; c\x00 wins,
//	                          then the earliest batch
//	T\x00<batch>\x00<tier><j>  a tile of the batch's Merkle tree: 8 levels of a
//	                          subtree (tree.go); tier 1 byte, j 4 bytes big-endian
//	h\x00<docHash>\x00<id>    document-hash index (empty value)
//	d\x00<department id>      the department's JSON as the registry wrote it
//	t\x00<type code>          the catalogue entry's JSON as the certtype contract wrote it
//	b\x00<batch id>           batchValue: the anchored header's JSON, block, file state
//	p\x00<batch id>           a batch whose file is not indexed yet (empty value)
//	x\x00<tx id>              txValue: block, proposal response, endorsements
//	e\x00<SM3 of identity>    an endorser's serialized identity (shared by many txs)
const (
	kindMeta       = 'm'
	kindCert       = 'c'
	kindBatched    = 'B'
	kindTile       = 'T'
	kindHash       = 'h'
	kindDept       = 'd'
	kindCertType   = 't'
	kindBatch      = 'b'
	kindPending    = 'p'
	kindTx         = 'x'
	kindEndorser   = 'e'
	checkpointName = "checkpoint"
	schemaName     = "schema"
	// schemaVersion is the layout of the keys and values; a store of another
	// version is emptied and rebuilt from block 0 at Open (it is derived data).
	// 2: batched certificates locate their group of lines; batch trees are kept
	// as tiles; a batch anchoring's header and proposal are kept for receipts.
	// 3: the store's comparer names the prefix of B\x00 keys (comparer.go),
	// so their bloom filters answer a locator's prefix seek.
	schemaVersion   = 3
	certOnChain     = 0
	certBatched     = 1
	maxValueVersion = 1
)

// ErrCorrupt is returned (wrapped) for a stored value the read model cannot decode.
var ErrCorrupt = errors.New("read model store: corrupt value")

func key(kind byte, parts ...string) []byte {
	n := 2
	for i, p := range parts {
		if i > 0 {
			n++
		}
		n += len(p)
	}
	k := make([]byte, 0, n)
	k = append(k, kind, 0)
	for i, p := range parts {
		if i > 0 {
			k = append(k, 0)
		}
		k = append(k, p...)
	}
	return k
}

// prefixEnd is the smallest key after every key starting with p.
func prefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		end[i]++
		if end[i] != 0 {
			return end[:i+1]
		}
	}
	return nil
}

// certValue is what c\x00<id> holds.
type certValue struct {
	Kind byte
	// AnchorTx and AnchorBlock locate the transaction that put the certificate
	// on the ledger: its issue, or its batch's anchoring.
	AnchorTx    string
	AnchorBlock uint64
	// Block is the block of the certificate's latest on-chain write.
	Block uint64
	// JSON is the certificate as the chaincode stored it (on-chain certificates).
	JSON []byte
	// BatchID and Leaf locate a batched certificate not (yet) on-chain by itself:
	// leaf Leaf of batch BatchID. Its line is one of the GroupLen bytes at
	// GroupOff of the file: the lines of leaves Leaf&^3 .. Leaf|3 (fewer at the
	// end), each ended by "\n" — what step 4's proof recomputes its two lowest
	// levels from (tree.go).
	BatchID  string
	Leaf     uint64
	GroupOff uint64
	GroupLen uint64
}

func (v *certValue) encode() []byte {
	b := make([]byte, 0, 48+len(v.AnchorTx)+len(v.JSON)+len(v.BatchID))
	b = append(b, maxValueVersion, v.Kind)
	b = appendString(b, v.AnchorTx)
	b = binary.AppendUvarint(b, v.AnchorBlock)
	b = binary.AppendUvarint(b, v.Block)
	if v.Kind == certBatched {
		b = appendString(b, v.BatchID)
		b = binary.AppendUvarint(b, v.Leaf)
		b = binary.AppendUvarint(b, v.GroupOff)
		return binary.AppendUvarint(b, v.GroupLen)
	}
	return append(b, v.JSON...)
}

func decodeCert(b []byte) (certValue, error) {
	var v certValue
	if len(b) < 2 || b[0] != maxValueVersion {
		return v, fmt.Errorf("%w: certificate value version", ErrCorrupt)
	}
	v.Kind = b[1]
	r := reader{b: b[2:]}
	v.AnchorTx = r.string()
	v.AnchorBlock = r.uvarint()
	v.Block = r.uvarint()
	switch v.Kind {
	case certOnChain:
		v.JSON = r.rest()
	case certBatched:
		v.BatchID = r.string()
		v.Leaf = r.uvarint()
		v.GroupOff = r.uvarint()
		v.GroupLen = r.uvarint()
	default:
		return v, fmt.Errorf("%w: certificate kind %d", ErrCorrupt, v.Kind)
	}
	if r.bad {
		return v, fmt.Errorf("%w: short certificate value", ErrCorrupt)
	}
	return v, nil
}

// batchValue is what b\x00<id> holds.
type batchValue struct {
	// JSON is the anchored batch as the chaincode stored it (header, anchoredAt, txId).
	JSON  []byte
	Block uint64
	// Indexed is true once every record of the batch file is in the store.
	Indexed bool
}

func (v *batchValue) encode() []byte {
	b := make([]byte, 0, 16+len(v.JSON))
	b = append(b, maxValueVersion)
	if v.Indexed {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	b = binary.AppendUvarint(b, v.Block)
	return append(b, v.JSON...)
}

func decodeBatch(b []byte) (batchValue, error) {
	var v batchValue
	if len(b) < 2 || b[0] != maxValueVersion {
		return v, fmt.Errorf("%w: batch value version", ErrCorrupt)
	}
	v.Indexed = b[1] == 1
	r := reader{b: b[2:]}
	v.Block = r.uvarint()
	v.JSON = r.rest()
	if r.bad {
		return v, fmt.Errorf("%w: short batch value", ErrCorrupt)
	}
	return v, nil
}

// txValue is what x\x00<tx id> holds: the evidence of a transaction that wrote
// certificates, batches or departments (for receipts).
type txValue struct {
	Block            uint64
	Index            uint64
	ProposalResponse []byte
	// Endorsers are the SM3 digests naming e\x00 entries, with their signatures.
	Endorsers  [][]byte
	Signatures [][]byte
	// Header (the transaction's common.Header) and ProposalPayload (its
	// ChaincodeProposalPayload) complete a receipt's anchor; kept for batch
	// anchorings only (a batched certificate's receipt is built here).
	Header          []byte
	ProposalPayload []byte
}

func (v *txValue) encode() []byte {
	b := make([]byte, 0, 32+len(v.ProposalResponse)+len(v.Endorsers)*112)
	b = append(b, maxValueVersion)
	b = binary.AppendUvarint(b, v.Block)
	b = binary.AppendUvarint(b, v.Index)
	b = appendBytes(b, v.ProposalResponse)
	b = binary.AppendUvarint(b, uint64(len(v.Endorsers)))
	for i := range v.Endorsers {
		b = appendBytes(b, v.Endorsers[i])
		b = appendBytes(b, v.Signatures[i])
	}
	b = appendBytes(b, v.Header)
	return appendBytes(b, v.ProposalPayload)
}

func decodeTxValue(b []byte) (txValue, error) {
	var v txValue
	if len(b) < 1 || b[0] != maxValueVersion {
		return v, fmt.Errorf("%w: tx value version", ErrCorrupt)
	}
	r := reader{b: b[1:]}
	v.Block = r.uvarint()
	v.Index = r.uvarint()
	v.ProposalResponse = r.bytes()
	n := r.uvarint()
	if n > 64 {
		return v, fmt.Errorf("%w: %d endorsements", ErrCorrupt, n)
	}
	for range n {
		v.Endorsers = append(v.Endorsers, r.bytes())
		v.Signatures = append(v.Signatures, r.bytes())
	}
	v.Header = r.bytes()
	v.ProposalPayload = r.bytes()
	if r.bad {
		return v, fmt.Errorf("%w: short tx value", ErrCorrupt)
	}
	return v, nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendBytes(b, p []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(p)))
	return append(b, p...)
}

// reader decodes what the append functions wrote; bad is set on a short input.
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.bad = true
		r.b = nil
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) bytes() []byte {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.bad = true
		r.b = nil
		return nil
	}
	out := r.b[:n:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) string() string { return string(r.bytes()) }

func (r *reader) rest() []byte {
	out := r.b
	r.b = nil
	return out
}

// getter is what a pebble DB, batch and snapshot have in common.
type getter interface {
	Get(key []byte) ([]byte, io.Closer, error)
}

// get returns a copy of key's value; found is false when it is absent.
func get(g getter, k []byte) (v []byte, found bool, err error) {
	b, c, err := g.Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	v = append([]byte(nil), b...)
	return v, true, c.Close()
}

// discardLogger silences pebble's informational logs; errors go to the model's
// logger through errorf.
type pebbleLogger struct {
	errorf func(format string, args ...any)
}

func (l pebbleLogger) Infof(string, ...any)              {}
func (l pebbleLogger) Errorf(format string, args ...any) { l.errorf(format, args...) }
func (l pebbleLogger) Fatalf(format string, args ...any) {
	l.errorf(format, args...)
	panic(fmt.Sprintf(format, args...))
}
