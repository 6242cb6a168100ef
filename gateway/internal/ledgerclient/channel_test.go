package ledgerclient

import (
	"errors"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	mspproto "github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"

	"github.com/certledger/certledger/internal/trust"
)

func mustMarshal(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var threeOrgs = []trust.Org{{MSPID: "DeptAMSP"}, {MSPID: "DeptBMSP"}, {MSPID: "GovMSP"}}

func channelWithEndorsement(t *testing.T, rule common.ImplicitMetaPolicy_Rule) *common.ConfigGroup {
	return &common.ConfigGroup{Groups: map[string]*common.ConfigGroup{"Application": {
		Policies: map[string]*common.ConfigPolicy{"Endorsement": {Policy: &common.Policy{
			Type:  int32(common.Policy_IMPLICIT_META),
			Value: mustMarshal(t, &common.ImplicitMetaPolicy{SubPolicy: "Endorsement", Rule: rule}),
		}}},
	}}}
}

func signedBy(t *testing.T, n int32, msps ...string) *peer.ApplicationPolicy {
	env := &common.SignaturePolicyEnvelope{Rule: &common.SignaturePolicy{Type: &common.SignaturePolicy_NOutOf_{NOutOf: &common.SignaturePolicy_NOutOf{N: n}}}}
	for i, m := range msps {
		env.Identities = append(env.Identities, &mspproto.MSPPrincipal{PrincipalClassification: mspproto.MSPPrincipal_ROLE,
			Principal: mustMarshal(t, &mspproto.MSPRole{MspIdentifier: m, Role: mspproto.MSPRole_PEER})})
		nof := env.Rule.GetNOutOf()
		nof.Rules = append(nof.Rules, &common.SignaturePolicy{Type: &common.SignaturePolicy_SignedBy{SignedBy: int32(i)}})
	}
	return &peer.ApplicationPolicy{Type: &peer.ApplicationPolicy_SignaturePolicy{SignaturePolicy: env}}
}

func TestPolicyOf(t *testing.T) {
	ref := &peer.ApplicationPolicy{Type: &peer.ApplicationPolicy_ChannelConfigPolicyReference{ChannelConfigPolicyReference: "/Channel/Application/Endorsement"}}
	cases := []struct {
		name string
		ap   *peer.ApplicationPolicy
		cg   *common.ConfigGroup
		want trust.Policy
		err  bool
	}{
		{"channel MAJORITY", ref, channelWithEndorsement(t, common.ImplicitMetaPolicy_MAJORITY),
			trust.Policy{Rule: "MAJORITY", N: 2, MSPs: []string{"DeptAMSP", "DeptBMSP", "GovMSP"}}, false},
		{"channel ANY", ref, channelWithEndorsement(t, common.ImplicitMetaPolicy_ANY),
			trust.Policy{Rule: "ANY", N: 1, MSPs: []string{"DeptAMSP", "DeptBMSP", "GovMSP"}}, false},
		{"channel ALL", ref, channelWithEndorsement(t, common.ImplicitMetaPolicy_ALL),
			trust.Policy{Rule: "ALL", N: 3, MSPs: []string{"DeptAMSP", "DeptBMSP", "GovMSP"}}, false},
		{"flat OutOf", signedBy(t, 2, "GovMSP", "DeptAMSP"), &common.ConfigGroup{},
			trust.Policy{Rule: "OutOf(2, 'GovMSP.peer', 'DeptAMSP.peer')", N: 2, MSPs: []string{"GovMSP", "DeptAMSP"}}, false},
		{"OutOf needing too many", signedBy(t, 3, "GovMSP", "DeptAMSP"), &common.ConfigGroup{}, trust.Policy{}, true},
		{"unknown MSP", signedBy(t, 1, "EvilMSP"), &common.ConfigGroup{}, trust.Policy{}, true},
		{"missing reference", &peer.ApplicationPolicy{Type: &peer.ApplicationPolicy_ChannelConfigPolicyReference{ChannelConfigPolicyReference: "/Channel/Application/Nope"}},
			channelWithEndorsement(t, common.ImplicitMetaPolicy_MAJORITY), trust.Policy{}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := policyOf(c.ap, c.cg, threeOrgs)
			if c.err {
				if !errors.Is(err, ErrChannelConfig) {
					t.Fatalf("err = %v, want ErrChannelConfig", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Rule != c.want.Rule || got.N != c.want.N || len(got.MSPs) != len(c.want.MSPs) {
				t.Fatalf("got %+v, want %+v", got, c.want)
			}
			for i := range got.MSPs {
				if got.MSPs[i] != c.want.MSPs[i] {
					t.Fatalf("got %+v, want %+v", got, c.want)
				}
			}
		})
	}
}

func TestLastConfigAndSplitPEM(t *testing.T) {
	md := mustMarshal(t, &common.Metadata{Value: mustMarshal(t, &common.OrdererBlockMetadata{LastConfig: &common.LastConfig{Index: 7}})})
	b := &common.Block{Metadata: &common.BlockMetadata{Metadata: [][]byte{md}}}
	if n := lastConfig(b); n != 7 {
		t.Fatalf("lastConfig = %d", n)
	}
	if n := lastConfig(&common.Block{}); n != 0 {
		t.Fatalf("lastConfig of a bare block = %d", n)
	}
	two := []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nBBBB\n-----END CERTIFICATE-----\n")
	if got := splitPEM([][]byte{two, []byte("junk")}); len(got) != 2 {
		t.Fatalf("splitPEM: %q", got)
	}
}
