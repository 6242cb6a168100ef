package devnet

import (
	"context"
	"errors"
	"io"
	"math"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
)

// deliverServer implements the peer's Deliver service (blocks, filtered blocks,
// blocks with (always empty) private data).
type deliverServer struct {
	peer.UnimplementedDeliverServer
	n *Node
}

type deliverKind int

const (
	kindBlock deliverKind = iota
	kindFiltered
	kindPrivate
)

func (d *deliverServer) Deliver(s grpc.BidiStreamingServer[common.Envelope, peer.DeliverResponse]) error {
	return d.serve(s, kindBlock)
}

func (d *deliverServer) DeliverFiltered(s grpc.BidiStreamingServer[common.Envelope, peer.DeliverResponse]) error {
	return d.serve(s, kindFiltered)
}

func (d *deliverServer) DeliverWithPrivateData(s grpc.BidiStreamingServer[common.Envelope, peer.DeliverResponse]) error {
	return d.serve(s, kindPrivate)
}

func (d *deliverServer) serve(s grpc.BidiStreamingServer[common.Envelope, peer.DeliverResponse], kind deliverKind) error {
	for {
		env, err := s.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		st, err := d.deliver(s.Context(), env, kind, s)
		if err != nil {
			return err
		}
		if err := s.Send(&peer.DeliverResponse{Type: &peer.DeliverResponse_Status{Status: st}}); err != nil {
			return err
		}
		if st == common.Status_SERVICE_UNAVAILABLE {
			return nil // the devnet is closing
		}
	}
}

// deliver answers one seek request; a non-nil error ends the stream.
func (d *deliverServer) deliver(ctx context.Context, env *common.Envelope, kind deliverKind, s grpc.BidiStreamingServer[common.Envelope, peer.DeliverResponse]) (common.Status, error) {
	n := d.n
	pl := &common.Payload{}
	if err := proto.Unmarshal(env.GetPayload(), pl); err != nil || pl.Header == nil {
		return common.Status_BAD_REQUEST, nil
	}
	chdr := &common.ChannelHeader{}
	if err := proto.Unmarshal(pl.Header.ChannelHeader, chdr); err != nil {
		return common.Status_BAD_REQUEST, nil
	}
	if common.HeaderType(chdr.Type) != common.HeaderType_DELIVER_SEEK_INFO {
		return common.Status_BAD_REQUEST, nil
	}
	if chdr.ChannelId != n.def.Channel {
		return common.Status_NOT_FOUND, nil
	}
	shdr := &common.SignatureHeader{}
	if err := proto.Unmarshal(pl.Header.SignatureHeader, shdr); err != nil {
		return common.Status_BAD_REQUEST, nil
	}
	if err := n.checkSigned(shdr.Creator, env.Payload, env.Signature); err != nil {
		return common.Status_FORBIDDEN, nil
	}
	seek := &orderer.SeekInfo{}
	if err := proto.Unmarshal(pl.Data, seek); err != nil {
		return common.Status_BAD_REQUEST, nil
	}
	height := n.store.Height()
	pos := func(p *orderer.SeekPosition, def uint64) (uint64, bool) {
		switch t := p.GetType().(type) {
		case nil:
			return def, true
		case *orderer.SeekPosition_Oldest:
			return 0, true
		case *orderer.SeekPosition_Newest:
			return height - 1, true
		case *orderer.SeekPosition_Specified:
			return t.Specified.GetNumber(), true
		case *orderer.SeekPosition_NextCommit:
			return height, true
		default:
			return 0, false
		}
	}
	start, ok1 := pos(seek.Start, 0)
	stop, ok2 := pos(seek.Stop, math.MaxUint64)
	if !ok1 || !ok2 || start > stop {
		return common.Status_BAD_REQUEST, nil
	}
	for num := start; ; num++ {
		if num >= n.store.Height() && seek.Behavior == orderer.SeekInfo_FAIL_IF_NOT_READY {
			return common.Status_NOT_FOUND, nil
		}
		if err := n.ord.waitBlock(ctx, num); err != nil {
			if errors.Is(err, errStopped) {
				return common.Status_SERVICE_UNAVAILABLE, nil
			}
			return 0, err
		}
		blk, err := n.store.Block(num)
		if err != nil {
			return common.Status_INTERNAL_SERVER_ERROR, nil
		}
		var resp *peer.DeliverResponse
		switch kind {
		case kindFiltered:
			resp = &peer.DeliverResponse{Type: &peer.DeliverResponse_FilteredBlock{FilteredBlock: filterBlock(n.def.Channel, blk)}}
		case kindPrivate:
			resp = &peer.DeliverResponse{Type: &peer.DeliverResponse_BlockAndPrivateData{BlockAndPrivateData: &peer.BlockAndPrivateData{Block: blk}}}
		default:
			resp = &peer.DeliverResponse{Type: &peer.DeliverResponse_Block{Block: blk}}
		}
		if err := s.Send(resp); err != nil {
			return 0, err
		}
		if num == stop {
			return common.Status_SUCCESS, nil
		}
	}
}

// filterBlock is the peer's FilteredBlock: tx ids, types, codes and events without payloads.
func filterBlock(channel string, blk *common.Block) *peer.FilteredBlock {
	filter := txFilter(blk)
	fb := &peer.FilteredBlock{ChannelId: channel, Number: blk.GetHeader().GetNumber()}
	for i, raw := range blk.GetData().GetData() {
		env := &common.Envelope{}
		pl := &common.Payload{}
		chdr := &common.ChannelHeader{}
		if proto.Unmarshal(raw, env) != nil || proto.Unmarshal(env.Payload, pl) != nil ||
			proto.Unmarshal(pl.GetHeader().GetChannelHeader(), chdr) != nil {
			continue
		}
		ft := &peer.FilteredTransaction{Txid: chdr.TxId, Type: common.HeaderType(chdr.Type)}
		if i < len(filter) {
			ft.TxValidationCode = peer.TxValidationCode(filter[i])
		}
		if ft.Type == common.HeaderType_ENDORSER_TRANSACTION {
			fa := &peer.FilteredTransactionActions{}
			if ev := envelopeEvent(raw); ev != nil {
				fa.ChaincodeActions = []*peer.FilteredChaincodeAction{{ChaincodeEvent: &peer.ChaincodeEvent{
					ChaincodeId: ev.ChaincodeId, TxId: ev.TxId, EventName: ev.EventName,
				}}}
			}
			ft.Data = &peer.FilteredTransaction_TransactionActions{TransactionActions: fa}
		}
		fb.FilteredTransactions = append(fb.FilteredTransactions, ft)
	}
	return fb
}
