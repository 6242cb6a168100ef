package devnet

import (
	"github.com/certledger/certledger/internal/chanpolicy"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"

	"github.com/certledger/certledger/network/devnet/internal/msp"
)

// FuzzCheckEnvelope feeds arbitrary bytes to the transaction checks that run on
// every submitted envelope: they must never panic, and anything not signed by a
// known creator must be rejected before ordering.
func FuzzCheckEnvelope(f *testing.F) {
	ca, err := msp.NewCA("ca", "AMSP")
	if err != nil {
		f.Fatal(err)
	}
	org, err := msp.NewOrg("AMSP", ca.CertPEM)
	if err != nil {
		f.Fatal(err)
	}
	v := &validator{
		def:    &channelDef{Channel: "ch", Chaincode: "cc"},
		mgr:    msp.NewManager([]*msp.Org{org}),
		policy: &chanpolicy.Policy{N: 1, MSPs: []string{"AMSP"}},
	}
	chdr, _ := proto.Marshal(&common.ChannelHeader{Type: int32(common.HeaderType_ENDORSER_TRANSACTION), ChannelId: "ch", TxId: "x"})
	pl, _ := proto.Marshal(&common.Payload{Header: &common.Header{ChannelHeader: chdr}, Data: []byte{1, 2}})
	env, _ := proto.Marshal(&common.Envelope{Payload: pl, Signature: []byte{3}})
	f.Add(env)
	f.Add([]byte{})
	f.Add([]byte{0x0a, 0x02, 0x0a, 0x00})
	f.Fuzz(func(t *testing.T, raw []byte) {
		tx, rej := v.checkEnvelope(raw)
		if rej == nil && tx.Code == peer.TxValidationCode_VALID {
			t.Fatalf("an unsigned envelope passed: %x", raw)
		}
	})
}
