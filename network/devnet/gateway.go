package devnet

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/protoadapt"

	"github.com/certledger/certledger/network/devnet/internal/msp"
)

// gatewayServer implements gateway.Gateway with the errors a Fabric v2.5 peer's
// gateway returns (codes, messages and gateway.ErrorDetail details).
type gatewayServer struct {
	gateway.UnimplementedGatewayServer
	n *Node
}

func rpcError(code codes.Code, msg string, details ...*gateway.ErrorDetail) error {
	st := status.New(code, msg)
	if len(details) > 0 {
		ds := make([]protoadapt.MessageV1, len(details))
		for i, d := range details {
			ds[i] = protoadapt.MessageV1Of(d)
		}
		if s2, err := st.WithDetails(ds...); err == nil {
			st = s2
		}
	}
	return st.Err()
}

// detail names the (virtual) peer that failed, as the gateway does.
func (n *Node) detail(mspID, msg string) *gateway.ErrorDetail {
	org := ""
	for _, o := range n.def.Orgs {
		if o.MSPID == mspID {
			org = o.Name
		}
	}
	if org == "" {
		org = n.cfg.governance().Name
		mspID = n.cfg.governance().MSPID
	}
	return &gateway.ErrorDetail{Address: msp.PeerHost(org) + ":" + portOf(n.cfg.Listen), MspId: mspID, Message: msg}
}

func portOf(addr string) string {
	for i := len(addr) - 1; i >= 0; i-- {
		if addr[i] == ':' {
			return addr[i+1:]
		}
	}
	return addr
}

// localMSP is the organisation whose peer the client is talking to: the client's own.
func localMSP(p *proposal) string {
	if p.creator != nil {
		return p.creator.MSPID
	}
	return msp.MSPIDOf(p.shdr.GetCreator())
}

func (g *gatewayServer) knownTarget(p *proposal, action string) error {
	if p.chdr.ChannelId != g.n.def.Channel {
		return status.Errorf(codes.FailedPrecondition, "channel '%s' not found", p.chdr.ChannelId)
	}
	if p.chaincode != g.n.def.Chaincode {
		if action == "evaluate" {
			return status.Errorf(codes.FailedPrecondition, "no peers available to evaluate chaincode %s in channel %s", p.chaincode, p.chdr.ChannelId)
		}
		return status.Errorf(codes.FailedPrecondition, "no combination of peers can be derived which satisfy the endorsement policy: required chaincodes are not installed on sufficient peers: chaincode %s in channel %s", p.chaincode, p.chdr.ChannelId)
	}
	return nil
}

// Evaluate runs a query on one (virtual) peer and returns the chaincode response.
func (g *gatewayServer) Evaluate(ctx context.Context, req *gateway.EvaluateRequest) (*gateway.EvaluateResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "an evaluate request is required")
	}
	p, err := unpackProposal(req.GetProposedTransaction())
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "failed to unpack transaction proposal: %s", err)
	}
	if p.chaincode != qsccName {
		if err := g.knownTarget(p, "evaluate"); err != nil {
			return nil, err
		}
	}
	if err := g.n.checkProposal(p); err != nil {
		msg := err.Error()
		return nil, rpcError(codes.FailedPrecondition, "evaluate call to endorser returned error: "+msg, g.n.detail(localMSP(p), msg))
	}
	if p.chaincode == qsccName {
		res, err := g.n.evaluateQSCC(p)
		if err != nil {
			return nil, err
		}
		return &gateway.EvaluateResponse{Result: res}, nil
	}
	res, err := g.n.simulate(ctx, p)
	if err != nil {
		return nil, g.n.execError("evaluate", p, err)
	}
	if failed(res.Response) {
		msg := fmt.Sprintf("chaincode response %d, %s", res.Response.Status, res.Response.Message)
		return nil, rpcError(codes.Unknown, "evaluate call to endorser returned error: "+msg, g.n.detail(localMSP(p), msg))
	}
	return &gateway.EvaluateResponse{Result: res.Response}, nil
}

func (n *Node) execError(action string, p *proposal, err error) error {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return rpcError(codes.DeadlineExceeded, action+" timeout expired")
	}
	d := n.detail(localMSP(p), err.Error())
	return rpcError(codes.Aborted, fmt.Sprintf("failed to %s transaction, see attached details for more info", action), d)
}

// Endorse simulates the proposal and has enough organisations' peers endorse it.
func (g *gatewayServer) Endorse(ctx context.Context, req *gateway.EndorseRequest) (*gateway.EndorseResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "an endorse request is required")
	}
	p, err := unpackProposal(req.GetProposedTransaction())
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	if err := g.knownTarget(p, "endorse"); err != nil {
		return nil, err
	}
	orgs := req.GetEndorsingOrganizations()
	for _, o := range orgs {
		if g.n.peers[o] == nil {
			return nil, status.Errorf(codes.Unavailable, "no peers available for organization %s on channel %s", o, p.chdr.ChannelId)
		}
	}
	if err := g.n.checkProposal(p); err != nil {
		return nil, rpcError(codes.Aborted, "failed to endorse transaction, see attached details for more info", g.n.detail(localMSP(p), err.Error()))
	}
	res, err := g.n.simulate(ctx, p)
	if err != nil {
		return nil, g.n.execError("endorse", p, err)
	}
	if failed(res.Response) {
		msg := fmt.Sprintf("chaincode response %d, %s", res.Response.Status, res.Response.Message)
		return nil, rpcError(codes.Aborted, "failed to endorse transaction, see attached details for more info", g.n.detail(localMSP(p), msg))
	}
	if len(orgs) == 0 {
		orgs = g.n.val.policy.Plan(p.creator.MSPID)
	} else {
		seen := map[string]bool{}
		orgs = slices.DeleteFunc(slices.Clone(orgs), func(o string) bool {
			dup := seen[o]
			seen[o] = true
			return dup
		})
	}
	env, err := g.n.endorse(p, res, orgs)
	if err != nil {
		return nil, status.Errorf(codes.Aborted, "failed to assemble transaction: %s", err)
	}
	return &gateway.EndorseResponse{PreparedTransaction: env}, nil
}

// Submit hands a signed, endorsed transaction to the ordering service.
func (g *gatewayServer) Submit(ctx context.Context, req *gateway.SubmitRequest) (*gateway.SubmitResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "a submit request is required")
	}
	txn := req.GetPreparedTransaction()
	if txn == nil {
		return nil, status.Error(codes.InvalidArgument, "a prepared transaction is required")
	}
	if len(txn.Signature) == 0 {
		return nil, status.Error(codes.InvalidArgument, "prepared transaction must be signed")
	}
	if req.ChannelId != "" && req.ChannelId != g.n.def.Channel {
		return nil, status.Errorf(codes.FailedPrecondition, "channel '%s' not found", req.ChannelId)
	}
	raw, err := proto.Marshal(txn)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	tx, rej := g.n.val.checkParsedEnvelope(txn)
	if rej != nil {
		return nil, rpcError(codes.Aborted, rej.Error())
	}
	if err := g.n.ord.submit(ctx, pendingTx{env: raw, tx: tx}); err != nil {
		if errors.Is(err, errStopped) {
			return nil, rpcError(codes.Unavailable, "no orderers could successfully process transaction",
				&gateway.ErrorDetail{Address: "orderer0." + g.n.cfg.governance().Name + ".certledger.local", MspId: g.n.cfg.governance().MSPID, Message: err.Error()})
		}
		return nil, rpcError(codes.DeadlineExceeded, "submit timeout expired while broadcasting to ordering service")
	}
	return &gateway.SubmitResponse{}, nil
}

// checkSigned verifies a signed request (commit status, chaincode events) from a
// channel member.
func (n *Node) checkSigned(identity, data, sig []byte) error {
	id, err := n.mgr.Deserialize(identity)
	if err != nil {
		return fmt.Errorf("access denied: %w", err)
	}
	if err := id.Verify(data, sig); err != nil {
		return fmt.Errorf("access denied: %w", err)
	}
	return nil
}

// CommitStatus waits for a transaction's block and returns its validation code. It
// answers only once the block is fsynced.
func (g *gatewayServer) CommitStatus(ctx context.Context, sreq *gateway.SignedCommitStatusRequest) (*gateway.CommitStatusResponse, error) {
	if len(sreq.GetRequest()) == 0 {
		return nil, status.Error(codes.InvalidArgument, "a commit status request is required")
	}
	req := &gateway.CommitStatusRequest{}
	if err := proto.Unmarshal(sreq.Request, req); err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "invalid status request: %v", err)
	}
	if err := g.n.checkSigned(req.Identity, sreq.Request, sreq.Signature); err != nil {
		return nil, status.Error(codes.PermissionDenied, err.Error())
	}
	if req.ChannelId != g.n.def.Channel {
		return nil, status.Errorf(codes.PermissionDenied, "access denied: channel %s not found", req.ChannelId)
	}
	st, err := g.n.ord.wait(ctx, req.TransactionId)
	if err != nil {
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			return nil, status.Error(codes.DeadlineExceeded, err.Error())
		case errors.Is(err, context.Canceled):
			return nil, status.Error(codes.Canceled, err.Error())
		}
		return nil, status.Error(codes.Aborted, err.Error())
	}
	return &gateway.CommitStatusResponse{Result: st.code, BlockNumber: st.block}, nil
}

// ChaincodeEvents streams the events of valid transactions, block by block.
func (g *gatewayServer) ChaincodeEvents(sreq *gateway.SignedChaincodeEventsRequest, stream gateway.Gateway_ChaincodeEventsServer) error {
	if len(sreq.GetRequest()) == 0 {
		return status.Error(codes.InvalidArgument, "a chaincode events request is required")
	}
	req := &gateway.ChaincodeEventsRequest{}
	if err := proto.Unmarshal(sreq.Request, req); err != nil {
		return status.Errorf(codes.InvalidArgument, "invalid chaincode events request: %v", err)
	}
	if err := g.n.checkSigned(req.Identity, sreq.Request, sreq.Signature); err != nil {
		return status.Error(codes.PermissionDenied, err.Error())
	}
	if req.ChannelId != g.n.def.Channel {
		return status.Errorf(codes.NotFound, "channel %s not found", req.ChannelId)
	}
	var start uint64
	found := false
	if after := req.AfterTransactionId; after != "" {
		if b, _, err := g.n.store.TxLocation(after); err == nil {
			start, found = b, true
		}
	}
	if !found {
		switch seek := req.GetStartPosition().GetType().(type) {
		case nil, *orderer.SeekPosition_NextCommit:
			start = g.n.store.Height()
		case *orderer.SeekPosition_Specified:
			start = seek.Specified.GetNumber()
		default:
			return status.Errorf(codes.InvalidArgument, "invalid start position type: %T", seek)
		}
	}
	passed := req.AfterTransactionId == ""
	ctx := stream.Context()
	for num := start; ; num++ {
		if err := g.n.ord.waitBlock(ctx, num); err != nil {
			if errors.Is(err, errStopped) {
				return status.Error(codes.Unavailable, err.Error())
			}
			return status.FromContextError(err).Err()
		}
		evs, err := g.n.blockEvents(num)
		if err != nil {
			return status.Error(codes.Aborted, err.Error())
		}
		var events []*peer.ChaincodeEvent
		for _, ev := range evs {
			if !passed {
				if ev.TxId == req.AfterTransactionId {
					passed = true
				}
				continue
			}
			if ev.ChaincodeId == req.ChaincodeId {
				events = append(events, ev)
			}
		}
		if len(events) == 0 {
			continue
		}
		if err := stream.Send(&gateway.ChaincodeEventsResponse{Events: events, BlockNumber: num}); err != nil {
			return err
		}
	}
}

// blockEvents returns the chaincode events of block num's valid transactions, in
// order: from memory for a recent block, else parsed from the stored block.
func (n *Node) blockEvents(num uint64) ([]*peer.ChaincodeEvent, error) {
	if evs, ok := n.ord.events.get(num); ok {
		return evs, nil
	}
	blk, err := n.store.Block(num)
	if err != nil {
		return nil, err
	}
	return blockEvents(blk), nil
}

// blockEvents returns the chaincode events of a block's valid transactions, in order.
func blockEvents(blk *common.Block) []*peer.ChaincodeEvent {
	filter := txFilter(blk)
	var out []*peer.ChaincodeEvent
	for i, raw := range blk.GetData().GetData() {
		if i >= len(filter) || peer.TxValidationCode(filter[i]) != peer.TxValidationCode_VALID {
			continue
		}
		if ev := envelopeEvent(raw); ev != nil {
			out = append(out, ev)
		}
	}
	return out
}

// txFilter is a block's transaction validation codes (nil when its metadata
// has none, as in a damaged block).
func txFilter(blk *common.Block) []byte {
	md := blk.GetMetadata().GetMetadata()
	if len(md) <= int(common.BlockMetadataIndex_TRANSACTIONS_FILTER) {
		return nil
	}
	return md[common.BlockMetadataIndex_TRANSACTIONS_FILTER]
}

// envelopeEvent extracts the chaincode event of an endorser transaction, or nil.
func envelopeEvent(raw []byte) *peer.ChaincodeEvent {
	env := &common.Envelope{}
	pl := &common.Payload{}
	chdr := &common.ChannelHeader{}
	tx := &peer.Transaction{}
	if proto.Unmarshal(raw, env) != nil || proto.Unmarshal(env.Payload, pl) != nil ||
		proto.Unmarshal(pl.GetHeader().GetChannelHeader(), chdr) != nil ||
		common.HeaderType(chdr.Type) != common.HeaderType_ENDORSER_TRANSACTION ||
		proto.Unmarshal(pl.Data, tx) != nil || len(tx.Actions) == 0 {
		return nil
	}
	cap := &peer.ChaincodeActionPayload{}
	prp := &peer.ProposalResponsePayload{}
	cca := &peer.ChaincodeAction{}
	if proto.Unmarshal(tx.Actions[0].Payload, cap) != nil ||
		proto.Unmarshal(cap.GetAction().GetProposalResponsePayload(), prp) != nil ||
		proto.Unmarshal(prp.Extension, cca) != nil {
		return nil
	}
	return decodeEvent(cca.Events)
}

// decodeEvent parses a ChaincodeAction's events field; nil when it is empty,
// malformed or names no event.
func decodeEvent(raw []byte) *peer.ChaincodeEvent {
	if len(raw) == 0 {
		return nil
	}
	ev := &peer.ChaincodeEvent{}
	if proto.Unmarshal(raw, ev) != nil || ev.EventName == "" {
		return nil
	}
	return ev
}
