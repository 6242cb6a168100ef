package blockstore

import (
	"crypto/sha256"
	"encoding/asn1"
	"math/big"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
)

type asn1Header struct {
	Number       *big.Int
	PreviousHash []byte
	DataHash     []byte
}

// HeaderBytes is Fabric's ASN.1 DER encoding of a block header (what is hashed).
func HeaderBytes(h *common.BlockHeader) []byte {
	b, err := asn1.Marshal(asn1Header{
		Number:       new(big.Int).SetUint64(h.GetNumber()),
		PreviousHash: h.GetPreviousHash(),
		DataHash:     h.GetDataHash(),
	})
	if err != nil {
		panic(err) // cannot fail for these types
	}
	return b
}

// HeaderHash is SHA-256 of HeaderBytes: the block's hash, which the next block
// names as PreviousHash.
func HeaderHash(h *common.BlockHeader) []byte {
	s := sha256.Sum256(HeaderBytes(h))
	return s[:]
}

// DataHash is SHA-256 of the concatenated envelopes, as Fabric computes it.
func DataHash(d *common.BlockData) []byte {
	h := sha256.New()
	for _, env := range d.GetData() {
		h.Write(env)
	}
	return h.Sum(nil)
}

// NewBlock builds a block with Fabric's five (empty) metadata slots.
func NewBlock(number uint64, prevHash []byte, envelopes [][]byte) *common.Block {
	data := &common.BlockData{Data: envelopes}
	return &common.Block{
		Header: &common.BlockHeader{Number: number, PreviousHash: prevHash, DataHash: DataHash(data)},
		Data:   data,
		Metadata: &common.BlockMetadata{
			Metadata: make([][]byte, len(common.BlockMetadataIndex_name)),
		},
	}
}
