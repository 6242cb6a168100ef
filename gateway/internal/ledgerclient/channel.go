package ledgerclient

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	mspproto "github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer/lifecycle"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/certledger/certledger/internal/chanpolicy"
	"github.com/certledger/certledger/internal/profile"
	"github.com/certledger/certledger/internal/trust"
)

// ChannelInfo is what a trust bundle states about the channel (trust.ChannelInfo).
type ChannelInfo = trust.ChannelInfo

// ChannelInfoReader is implemented by ledgers that can describe their channel
// (Fabric does; test fakes may not).
type ChannelInfoReader interface {
	ChannelInfo(ctx context.Context, org string) (*ChannelInfo, error)
}

// ErrChannelConfig is returned (wrapped) when the channel's configuration cannot be
// read or does not say what a trust bundle needs.
var ErrChannelConfig = errors.New("channel configuration")

var _ ChannelInfoReader = (*Fabric)(nil)

// ChannelInfo reads the newest block and the configuration block it points at
// through the peer's Deliver service (the main peer, then the fallbacks).
func (f *Fabric) ChannelInfo(ctx context.Context, org string) (*ChannelInfo, error) {
	oc, err := f.org(org)
	if err != nil {
		return nil, err
	}
	sg, err := newEnvelopeSigner(oc.profile)
	if err != nil {
		return nil, err
	}
	var lastErr error
	for i, conn := range oc.conns {
		ci, err := f.channelInfoOn(ctx, conn, oc.gws[i], sg, oc.profile)
		if err == nil {
			return ci, nil
		}
		lastErr = fmt.Errorf("peer %s: %w", oc.addrs[i], err)
		if ctx.Err() != nil || errors.Is(err, ErrChannelConfig) {
			break
		}
	}
	return nil, lastErr
}

func (f *Fabric) channelInfoOn(ctx context.Context, conn *grpc.ClientConn, gw *client.Gateway, sg *envelopeSigner, p *profile.Profile) (*ChannelInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, f.timeouts.Evaluate)
	defer cancel()
	newest, err := deliverOne(ctx, conn, sg, p.Channel, &orderer.SeekPosition{Type: &orderer.SeekPosition_Newest{Newest: &orderer.SeekNewest{}}})
	if err != nil {
		return nil, err
	}
	ci := &ChannelInfo{Channel: p.Channel, Chaincode: p.Chaincode, Height: newest.GetHeader().GetNumber() + 1}
	ci.BlockTime = blockTime(newest).UTC().Format(time.RFC3339Nano)
	ci.ConfigBlock = lastConfig(newest)
	cfg := newest
	if ci.ConfigBlock != newest.GetHeader().GetNumber() {
		cfg, err = deliverOne(ctx, conn, sg, p.Channel, &orderer.SeekPosition{Type: &orderer.SeekPosition_Specified{Specified: &orderer.SeekSpecified{Number: ci.ConfigBlock}}})
		if err != nil {
			return nil, err
		}
	}
	cg, err := channelGroup(cfg)
	if err != nil {
		return nil, err
	}
	if ci.Orgs, err = orgsOf(cg); err != nil {
		return nil, err
	}
	if p, ok, err := chanpolicy.EndorsementPolicyOf(cg); ok {
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrChannelConfig, err)
		}
		ci.Policy = trust.Policy{Rule: p.Text, N: p.N, MSPs: slices.Clone(p.MSPs)}
		return ci, nil
	}
	ap, err := chaincodePolicy(ctx, gw, p)
	if err != nil {
		return nil, err
	}
	if ci.Policy, err = policyOf(ap, cg, ci.Orgs); err != nil {
		return nil, err
	}
	return ci, nil
}

// envelopeSigner signs Deliver requests as the organisation's client identity.
type envelopeSigner struct {
	creator []byte
	sign    identity.Sign
	tlsHash []byte
}

func newEnvelopeSigner(p *profile.Profile) (*envelopeSigner, error) {
	certPEM, err := os.ReadFile(p.CertPath)
	if err != nil {
		return nil, fmt.Errorf("reading identity certificate: %w", err)
	}
	keyPEM, err := os.ReadFile(p.KeyPath)
	if err != nil {
		return nil, fmt.Errorf("reading identity key: %w", err)
	}
	key, err := identity.PrivateKeyFromPEM(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("parsing identity key: %w", err)
	}
	sign, err := identity.NewPrivateKeySign(key)
	if err != nil {
		return nil, err
	}
	creator, err := proto.Marshal(&mspproto.SerializedIdentity{Mspid: p.MSPID, IdBytes: certPEM})
	if err != nil {
		return nil, err
	}
	sg := &envelopeSigner{creator: creator, sign: sign}
	if p.ClientTLSCert != "" {
		c, err := tls.LoadX509KeyPair(p.ClientTLSCert, p.ClientTLSKey)
		if err != nil {
			return nil, fmt.Errorf("loading client TLS key pair: %w", err)
		}
		h := sha256.Sum256(c.Certificate[0])
		sg.tlsHash = h[:]
	}
	return sg, nil
}

// deliverOne asks for the single block at pos and returns it.
func deliverOne(ctx context.Context, conn *grpc.ClientConn, sg *envelopeSigner, channel string, pos *orderer.SeekPosition) (*common.Block, error) {
	nonce := make([]byte, 24)
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	chdr, err := proto.Marshal(&common.ChannelHeader{
		Type: int32(common.HeaderType_DELIVER_SEEK_INFO), ChannelId: channel,
		Timestamp: timestamppb.Now(), TlsCertHash: sg.tlsHash,
	})
	if err != nil {
		return nil, err
	}
	shdr, err := proto.Marshal(&common.SignatureHeader{Creator: sg.creator, Nonce: nonce})
	if err != nil {
		return nil, err
	}
	seek, err := proto.Marshal(&orderer.SeekInfo{Start: pos, Stop: pos, Behavior: orderer.SeekInfo_BLOCK_UNTIL_READY})
	if err != nil {
		return nil, err
	}
	payload, err := proto.Marshal(&common.Payload{Header: &common.Header{ChannelHeader: chdr, SignatureHeader: shdr}, Data: seek})
	if err != nil {
		return nil, err
	}
	digest := sha256.Sum256(payload)
	sig, err := sg.sign(digest[:])
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := peer.NewDeliverClient(conn).Deliver(ctx)
	if err != nil {
		return nil, err
	}
	if err := stream.Send(&common.Envelope{Payload: payload, Signature: sig}); err != nil {
		return nil, err
	}
	if err := stream.CloseSend(); err != nil {
		return nil, err
	}
	var blk *common.Block
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := resp.Type.(type) {
		case *peer.DeliverResponse_Block:
			blk = t.Block
		case *peer.DeliverResponse_Status:
			if t.Status != common.Status_SUCCESS {
				return nil, fmt.Errorf("deliver answered %s", t.Status)
			}
			if blk == nil {
				return nil, errors.New("deliver answered SUCCESS without a block")
			}
			return blk, nil
		}
	}
	if blk == nil {
		return nil, errors.New("deliver stream ended without a block")
	}
	return blk, nil
}

// blockTime is the timestamp of the block's first transaction (Fabric blocks
// carry no time of their own).
func blockTime(b *common.Block) time.Time {
	for _, raw := range b.GetData().GetData() {
		env, pl, chdr := &common.Envelope{}, &common.Payload{}, &common.ChannelHeader{}
		if proto.Unmarshal(raw, env) != nil || proto.Unmarshal(env.Payload, pl) != nil ||
			proto.Unmarshal(pl.GetHeader().GetChannelHeader(), chdr) != nil || chdr.Timestamp == nil {
			continue
		}
		return chdr.Timestamp.AsTime()
	}
	return time.Time{}
}

// lastConfig is the number of the configuration block b points at (0 if it says none).
func lastConfig(b *common.Block) uint64 {
	md := b.GetMetadata().GetMetadata()
	if len(md) > int(common.BlockMetadataIndex_SIGNATURES) {
		var m common.Metadata
		var obm common.OrdererBlockMetadata
		if proto.Unmarshal(md[common.BlockMetadataIndex_SIGNATURES], &m) == nil &&
			proto.Unmarshal(m.Value, &obm) == nil && obm.LastConfig != nil {
			return obm.LastConfig.Index
		}
	}
	return 0
}

func channelGroup(b *common.Block) (*common.ConfigGroup, error) {
	if len(b.GetData().GetData()) != 1 {
		return nil, fmt.Errorf("%w: block %d is not a configuration block", ErrChannelConfig, b.GetHeader().GetNumber())
	}
	env, pl, ce := &common.Envelope{}, &common.Payload{}, &common.ConfigEnvelope{}
	if err := proto.Unmarshal(b.Data.Data[0], env); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrChannelConfig, err)
	}
	if err := proto.Unmarshal(env.Payload, pl); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrChannelConfig, err)
	}
	if err := proto.Unmarshal(pl.Data, ce); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrChannelConfig, err)
	}
	cg := ce.GetConfig().GetChannelGroup()
	if cg.GetGroups()["Application"] == nil {
		return nil, fmt.Errorf("%w: block %d has no Application group", ErrChannelConfig, b.GetHeader().GetNumber())
	}
	return cg, nil
}

// orgsOf lists the application organisations with their root and intermediate CAs.
func orgsOf(cg *common.ConfigGroup) ([]trust.Org, error) {
	var orgs []trust.Org
	for name, g := range cg.GetGroups()["Application"].GetGroups() {
		var mc mspproto.MSPConfig
		var fmc mspproto.FabricMSPConfig
		if err := proto.Unmarshal(g.GetValues()["MSP"].GetValue(), &mc); err != nil {
			return nil, fmt.Errorf("%w: organisation %s: %w", ErrChannelConfig, name, err)
		}
		if err := proto.Unmarshal(mc.Config, &fmc); err != nil {
			return nil, fmt.Errorf("%w: organisation %s: %w", ErrChannelConfig, name, err)
		}
		o := trust.Org{MSPID: fmc.Name, RootCerts: splitPEM(fmc.RootCerts), IntermediateCerts: splitPEM(fmc.IntermediateCerts)}
		if o.MSPID == "" || len(o.RootCerts) == 0 {
			return nil, fmt.Errorf("%w: organisation %s has no MSP id or root CA", ErrChannelConfig, name)
		}
		orgs = append(orgs, o)
	}
	if len(orgs) == 0 {
		return nil, fmt.Errorf("%w: no application organisation", ErrChannelConfig)
	}
	slices.SortFunc(orgs, func(a, b trust.Org) int { return strings.Compare(a.MSPID, b.MSPID) })
	return orgs, nil
}

func splitPEM(in [][]byte) []string {
	out := []string{}
	for _, b := range in {
		for {
			var blk *pem.Block
			blk, b = pem.Decode(b)
			if blk == nil {
				break
			}
			if blk.Type == "CERTIFICATE" {
				out = append(out, string(pem.EncodeToMemory(&pem.Block{Type: blk.Type, Bytes: blk.Bytes})))
			}
		}
	}
	return out
}

// chaincodePolicy asks the peer's _lifecycle for the chaincode's committed
// endorsement policy (its validation parameter).
func chaincodePolicy(ctx context.Context, gw *client.Gateway, p *profile.Profile) (*peer.ApplicationPolicy, error) {
	args, err := proto.Marshal(&lifecycle.QueryChaincodeDefinitionArgs{Name: p.Chaincode})
	if err != nil {
		return nil, err
	}
	raw, err := gw.GetNetwork(p.Channel).GetContract("_lifecycle").
		EvaluateWithContext(ctx, "QueryChaincodeDefinition", client.WithBytesArguments(args))
	if err != nil {
		return nil, fmt.Errorf("%w: reading the definition of chaincode %s from _lifecycle: %w", ErrChannelConfig, p.Chaincode, err)
	}
	var def lifecycle.QueryChaincodeDefinitionResult
	if err := proto.Unmarshal(raw, &def); err != nil {
		return nil, fmt.Errorf("%w: chaincode definition: %w", ErrChannelConfig, err)
	}
	var ap peer.ApplicationPolicy
	if err := proto.Unmarshal(def.ValidationParameter, &ap); err != nil {
		return nil, fmt.Errorf("%w: chaincode endorsement policy: %w", ErrChannelConfig, err)
	}
	return &ap, nil
}

// policyOf reduces the chaincode's policy to "n of these MSPs": a reference to a
// channel implicit-meta policy (the default, /Channel/Application/Endorsement) or a
// flat signature policy OutOf(n, 'MSP.role', ...). Anything else is refused: a bundle
// must not state a policy it cannot express.
func policyOf(ap *peer.ApplicationPolicy, cg *common.ConfigGroup, orgs []trust.Org) (trust.Policy, error) {
	if sp := ap.GetSignaturePolicy(); sp != nil {
		return signaturePolicy(sp, orgs)
	}
	ref := ap.GetChannelConfigPolicyReference()
	parts := strings.Split(strings.TrimPrefix(ref, "/"), "/")
	if len(parts) < 2 || parts[0] != "Channel" {
		return trust.Policy{}, fmt.Errorf("%w: chaincode policy reference %q is not a channel policy", ErrChannelConfig, ref)
	}
	g := cg
	for _, name := range parts[1 : len(parts)-1] {
		g = g.GetGroups()[name]
	}
	pol := g.GetPolicies()[parts[len(parts)-1]].GetPolicy()
	if pol == nil || pol.Type != int32(common.Policy_IMPLICIT_META) {
		return trust.Policy{}, fmt.Errorf("%w: %s is not an implicit-meta policy; a trust bundle cannot state it yet", ErrChannelConfig, ref)
	}
	var im common.ImplicitMetaPolicy
	if err := proto.Unmarshal(pol.Value, &im); err != nil {
		return trust.Policy{}, fmt.Errorf("%w: %w", ErrChannelConfig, err)
	}
	msps := make([]string, len(orgs))
	for i, o := range orgs {
		msps[i] = o.MSPID
	}
	p := trust.Policy{Rule: im.Rule.String(), MSPs: msps}
	switch im.Rule {
	case common.ImplicitMetaPolicy_ANY:
		p.N = 1
	case common.ImplicitMetaPolicy_ALL:
		p.N = len(msps)
	default:
		p.N = len(msps)/2 + 1
	}
	return p, nil
}

func signaturePolicy(sp *common.SignaturePolicyEnvelope, orgs []trust.Org) (trust.Policy, error) {
	bad := func(why string) (trust.Policy, error) {
		return trust.Policy{}, fmt.Errorf("%w: chaincode signature policy %s; a trust bundle states only n-of-organisations", ErrChannelConfig, why)
	}
	nof := sp.GetRule().GetNOutOf()
	if nof == nil {
		return bad("is not an n-out-of rule")
	}
	p := trust.Policy{N: int(nof.N)}
	var principals []string
	for _, r := range nof.Rules {
		by, ok := r.Type.(*common.SignaturePolicy_SignedBy)
		if !ok || int(by.SignedBy) >= len(sp.Identities) {
			return bad("is nested")
		}
		id := sp.Identities[by.SignedBy]
		var role mspproto.MSPRole
		if id.PrincipalClassification != mspproto.MSPPrincipal_ROLE || proto.Unmarshal(id.Principal, &role) != nil {
			return bad("names a principal that is not an MSP role")
		}
		if role.Role != mspproto.MSPRole_PEER && role.Role != mspproto.MSPRole_MEMBER {
			return bad("requires a role other than peer or member")
		}
		if slices.Contains(p.MSPs, role.MspIdentifier) {
			return bad("names an organisation twice")
		}
		if !slices.ContainsFunc(orgs, func(o trust.Org) bool { return o.MSPID == role.MspIdentifier }) {
			return bad("names " + role.MspIdentifier + ", not an organisation of the channel")
		}
		p.MSPs = append(p.MSPs, role.MspIdentifier)
		principals = append(principals, fmt.Sprintf("'%s.%s'", role.MspIdentifier, strings.ToLower(role.Role.String())))
	}
	if p.N < 1 || p.N > len(p.MSPs) {
		return bad(fmt.Sprintf("needs %d of %d", p.N, len(p.MSPs)))
	}
	p.Rule = fmt.Sprintf("OutOf(%d, %s)", p.N, strings.Join(principals, ", "))
	return p, nil
}

// Height returns the ledger's height (newest block number + 1) as the
// organisation's main peer sees it, through the Deliver service. The read model
// compares it with its own height to know how far behind it is.
func (f *Fabric) Height(ctx context.Context, org string) (uint64, error) {
	oc, err := f.org(org)
	if err != nil {
		return 0, err
	}
	sg, err := newEnvelopeSigner(oc.profile)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeouts.Evaluate)
	defer cancel()
	newest, err := deliverOne(ctx, oc.conns[0], sg, oc.profile.Channel, &orderer.SeekPosition{Type: &orderer.SeekPosition_Newest{Newest: &orderer.SeekNewest{}}})
	if err != nil {
		return 0, err
	}
	return newest.GetHeader().GetNumber() + 1, nil
}
