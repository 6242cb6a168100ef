package devnet

import (
	"bytes"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// marshalPayload is what transactionPayload replaces: proto.Marshal level by level.
func marshalPayload(t *testing.T, hdr *common.Header, cpp, prp []byte, endorsements []*peer.Endorsement) []byte {
	t.Helper()
	cap, err := proto.Marshal(&peer.ChaincodeActionPayload{
		ChaincodeProposalPayload: cpp,
		Action:                   &peer.ChaincodeEndorsedAction{ProposalResponsePayload: prp, Endorsements: endorsements},
	})
	if err != nil {
		t.Fatal(err)
	}
	tx, err := proto.Marshal(&peer.Transaction{Actions: []*peer.TransactionAction{{Header: hdr.GetSignatureHeader(), Payload: cap}}})
	if err != nil {
		t.Fatal(err)
	}
	payload, err := proto.Marshal(&common.Payload{Header: hdr, Data: tx})
	if err != nil {
		t.Fatal(err)
	}
	return payload
}

func TestTransactionPayloadMatchesMarshal(t *testing.T) {
	big := bytes.Repeat([]byte{7}, 300) // lengths past one varint byte
	withUnknown := &common.Header{ChannelHeader: []byte("ch"), SignatureHeader: []byte("sh")}
	withUnknown.ProtoReflect().SetUnknown([]byte{0x18, 0x01}) // field 3, varint 1
	cases := []struct {
		name     string
		hdr      *common.Header
		cpp, prp []byte
		ends     []*peer.Endorsement
	}{
		{"typical", &common.Header{ChannelHeader: []byte("ch"), SignatureHeader: big}, big, big,
			[]*peer.Endorsement{{Endorser: []byte("a"), Signature: big}, {Endorser: big, Signature: []byte("s")}}},
		{"empty fields", &common.Header{}, nil, nil, nil},
		{"empty endorsement", &common.Header{SignatureHeader: []byte("sh")}, []byte("c"), nil, []*peer.Endorsement{{}}},
		{"unknown header field", withUnknown, big, []byte("p"), []*peer.Endorsement{{Endorser: []byte("a")}}},
		{"no header", nil, []byte("c"), []byte("p"), nil},
	}
	for _, c := range cases {
		got, err := transactionPayload(c.hdr, c.cpp, c.prp, c.ends)
		if err != nil {
			t.Fatal(err)
		}
		if want := marshalPayload(t, c.hdr, c.cpp, c.prp, c.ends); !bytes.Equal(got, want) {
			t.Errorf("%s: got %x, proto.Marshal gives %x", c.name, got, want)
		}
	}
}

// marshalPRP is what proposalResponsePayload replaces.
func marshalPRP(t *testing.T, hash []byte, cca *peer.ChaincodeAction, ns string, rws []byte) []byte {
	t.Helper()
	var nsrw []*rwset.NsReadWriteSet
	if rws != nil {
		nsrw = []*rwset.NsReadWriteSet{{Namespace: ns, Rwset: rws}}
	}
	results, err := proto.Marshal(&rwset.TxReadWriteSet{DataModel: rwset.TxReadWriteSet_KV, NsRwset: nsrw})
	if err != nil {
		t.Fatal(err)
	}
	full := proto.Clone(cca).(*peer.ChaincodeAction)
	full.Results = results
	ext, err := proto.Marshal(full)
	if err != nil {
		t.Fatal(err)
	}
	prp, err := proto.Marshal(&peer.ProposalResponsePayload{ProposalHash: hash, Extension: ext})
	if err != nil {
		t.Fatal(err)
	}
	return prp
}

func TestProposalResponsePayloadMatchesMarshal(t *testing.T) {
	big := bytes.Repeat([]byte{7}, 300)
	ccid := &peer.ChaincodeID{Name: "cc", Version: "devnet"}
	cases := []struct {
		name string
		hash []byte
		cca  *peer.ChaincodeAction
		ns   string
		rws  []byte
	}{
		{"typical", big, &peer.ChaincodeAction{Events: big, Response: &peer.Response{Status: 200, Payload: big}, ChaincodeId: ccid}, "cc", big},
		{"no writes", []byte("h"), &peer.ChaincodeAction{Response: &peer.Response{Status: 200}, ChaincodeId: ccid}, "cc", nil},
		{"empty read/write set", []byte("h"), &peer.ChaincodeAction{ChaincodeId: ccid}, "cc", []byte{}},
		{"nothing", nil, &peer.ChaincodeAction{}, "", nil},
	}
	for _, c := range cases {
		got, err := proposalResponsePayload(c.hash, c.cca, c.ns, c.rws)
		if err != nil {
			t.Fatal(err)
		}
		if want := marshalPRP(t, c.hash, c.cca, c.ns, c.rws); !bytes.Equal(got, want) {
			t.Errorf("%s: got %x, proto.Marshal gives %x", c.name, got, want)
		}
	}
}
