package devnet

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"os"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc"
	grpccodes "google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/certledger/certledger/internal/profile"
	"github.com/certledger/certledger/network/devnet/internal/blockstore"
	"github.com/certledger/certledger/network/devnet/internal/msp"
	"github.com/certledger/certledger/network/devnet/internal/testcc"
)

// Fuzz targets for what the devnet takes from the network and from disk:
// proposals (the nested protobuf decodes of unpackProposal, then the checks of
// checkProposal), signed CommitStatus, ChaincodeEvents and Deliver requests, and
// the blocks `certledger-devnet verify` reads back. None may panic, and nothing
// that is not exactly what a channel member signed may get past the checks.

// fuzzNode is one devnet opened for all the inputs of a fuzz target (a node per
// input would spend the time on key generation), with a user's signer.
type fuzzNode struct {
	n      *Node
	signer *msp.Signer
}

func openFuzzNode(f *testing.F) *fuzzNode {
	f.Helper()
	dir := f.TempDir()
	cfg := DefaultConfig()
	cfg.InitArgs = []string{}
	if err := Init(dir, cfg); err != nil {
		f.Fatal(err)
	}
	n, err := Open(dir, WithChaincode(testcc.CC{}))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() {
		if err := n.Close(); err != nil {
			f.Error(err)
		}
	})
	p, err := profile.Load(UserProfilePath(dir, cfg.Orgs[1].Name))
	if err != nil {
		f.Fatal(err)
	}
	certPEM, err1 := os.ReadFile(p.CertPath)
	keyPEM, err2 := os.ReadFile(p.KeyPath)
	if err := errors.Join(err1, err2); err != nil {
		f.Fatal(err)
	}
	s, err := msp.NewSigner(p.MSPID, certPEM, keyPEM)
	if err != nil {
		f.Fatal(err)
	}
	return &fuzzNode{n: n, signer: s}
}

func mustMarshal(t testing.TB, m proto.Message) []byte {
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// signedProposal is a proposal exactly as the fabric-gateway client builds it.
func (fn *fuzzNode) signedProposal(t testing.TB, fnName string) *peer.SignedProposal {
	nonce := make([]byte, 24)
	_, _ = rand.Read(nonce)
	creator := fn.signer.Serialized()
	ccID := &peer.ChaincodeID{Name: fn.n.def.Chaincode}
	chdr := &common.ChannelHeader{Type: int32(common.HeaderType_ENDORSER_TRANSACTION), ChannelId: fn.n.def.Channel,
		TxId: computeTxID(nonce, creator), Extension: mustMarshal(t, &peer.ChaincodeHeaderExtension{ChaincodeId: ccID})}
	hdr := &common.Header{ChannelHeader: mustMarshal(t, chdr), SignatureHeader: mustMarshal(t, &common.SignatureHeader{Creator: creator, Nonce: nonce})}
	spec := &peer.ChaincodeInvocationSpec{ChaincodeSpec: &peer.ChaincodeSpec{ChaincodeId: ccID, Input: &peer.ChaincodeInput{Args: [][]byte{[]byte(fnName), []byte("arg")}}}}
	prop := &peer.Proposal{Header: mustMarshal(t, hdr), Payload: mustMarshal(t, &peer.ChaincodeProposalPayload{Input: mustMarshal(t, spec)})}
	pb := mustMarshal(t, prop)
	sig, err := fn.signer.Sign(pb)
	if err != nil {
		t.Fatal(err)
	}
	return &peer.SignedProposal{ProposalBytes: pb, Signature: sig}
}

// FuzzUnpackProposal: arbitrary proposal bytes and signatures go through
// unpackProposal and checkProposal; only the genuine seed may pass both.
func FuzzUnpackProposal(f *testing.F) {
	fn := openFuzzNode(f)
	genuine := fn.signedProposal(f, "Get")
	f.Add(genuine.ProposalBytes, genuine.Signature)
	f.Add(genuine.ProposalBytes, []byte{0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01})
	f.Add([]byte{}, []byte{})
	f.Add([]byte{0x0a, 0x00, 0x12, 0x00}, []byte{1})
	f.Fuzz(func(t *testing.T, pb, sig []byte) {
		p, err := unpackProposal(&peer.SignedProposal{ProposalBytes: pb, Signature: sig})
		if err != nil {
			return
		}
		if p.chaincode == "" || (p.extCC != "" && p.extCC != p.chaincode) {
			t.Fatalf("unpacked a proposal with chaincode %q / header %q", p.chaincode, p.extCC)
		}
		if err := fn.n.checkProposal(p); err == nil && !bytes.Equal(pb, genuine.ProposalBytes) {
			t.Fatalf("a proposal nobody signed passed the checks: %x", pb)
		}
	})
}

// eventsStream is a ChaincodeEvents server stream that collects what is sent.
type eventsStream struct {
	grpc.ServerStream
	ctx  context.Context
	sent int
}

func (s *eventsStream) Context() context.Context                    { return s.ctx }
func (s *eventsStream) Send(*gateway.ChaincodeEventsResponse) error { s.sent++; return nil }

// deliverStream is a Deliver server stream that collects what is sent.
type deliverStream struct {
	grpc.ServerStream
	ctx  context.Context
	sent int
}

func (s *deliverStream) Context() context.Context         { return s.ctx }
func (s *deliverStream) Send(*peer.DeliverResponse) error { s.sent++; return nil }
func (s *deliverStream) Recv() (*common.Envelope, error)  { return nil, context.Canceled }

// FuzzSignedRequests: signed CommitStatus, ChaincodeEvents and Deliver requests
// with arbitrary bytes. A request is served only when it is a genuine seed:
// anything else is refused before it reaches the ledger.
func FuzzSignedRequests(f *testing.F) {
	fn := openFuzzNode(f)
	n, id := fn.n, fn.signer.Serialized()
	sign := func(b []byte) []byte {
		sig, err := fn.signer.Sign(b)
		if err != nil {
			f.Fatal(err)
		}
		return sig
	}
	cs := mustMarshal(f, &gateway.CommitStatusRequest{ChannelId: n.def.Channel, TransactionId: "tx", Identity: id})
	ev := mustMarshal(f, &gateway.ChaincodeEventsRequest{ChannelId: n.def.Channel, ChaincodeId: n.def.Chaincode, Identity: id,
		StartPosition: &orderer.SeekPosition{Type: &orderer.SeekPosition_Specified{Specified: &orderer.SeekSpecified{Number: 0}}}})
	seek := mustMarshal(f, &orderer.SeekInfo{Start: &orderer.SeekPosition{Type: &orderer.SeekPosition_Oldest{Oldest: &orderer.SeekOldest{}}},
		Stop: &orderer.SeekPosition{Type: &orderer.SeekPosition_Newest{Newest: &orderer.SeekNewest{}}}, Behavior: orderer.SeekInfo_FAIL_IF_NOT_READY})
	dpl := mustMarshal(f, &common.Payload{Header: &common.Header{
		ChannelHeader:   mustMarshal(f, &common.ChannelHeader{Type: int32(common.HeaderType_DELIVER_SEEK_INFO), ChannelId: n.def.Channel}),
		SignatureHeader: mustMarshal(f, &common.SignatureHeader{Creator: id, Nonce: []byte("nonce")}),
	}, Data: seek})
	genuine := map[string]bool{string(cs): true, string(ev): true, string(dpl): true}
	for kind, req := range [][]byte{cs, ev, dpl} {
		f.Add(uint8(kind), req, sign(req))
		f.Add(uint8(kind), req, []byte{0x30, 0x00})
	}
	f.Add(uint8(0), []byte{}, []byte{})
	f.Add(uint8(2), []byte{0x0a, 0x00}, []byte{})
	f.Fuzz(func(t *testing.T, kind uint8, req, sig []byte) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // a served request waits for blocks; end the wait at once
		served := false
		switch kind % 4 {
		case 0:
			_, err := (&gatewayServer{n: n}).CommitStatus(ctx, &gateway.SignedCommitStatusRequest{Request: req, Signature: sig})
			served = err == nil || isCanceled(err)
		case 1:
			err := (&gatewayServer{n: n}).ChaincodeEvents(&gateway.SignedChaincodeEventsRequest{Request: req, Signature: sig}, &eventsStream{ctx: ctx})
			served = err == nil || isCanceled(err)
		default:
			kinds := []deliverKind{kindBlock, kindFiltered}
			st, err := (&deliverServer{n: n}).deliver(ctx, &common.Envelope{Payload: req, Signature: sig}, kinds[kind%2], &deliverStream{ctx: ctx})
			served = (err == nil || isCanceled(err)) && st != common.Status_BAD_REQUEST && st != common.Status_FORBIDDEN && st != common.Status_NOT_FOUND
		}
		if served && !genuine[string(req)] {
			t.Fatalf("kind %d: a request nobody signed was served: %x", kind%4, req)
		}
	})
}

// isCanceled: the request was served and then waited for a block until the
// (already cancelled) context ended it.
func isCanceled(err error) bool {
	return errors.Is(err, context.Canceled) || status.Code(err) == grpccodes.Canceled
}

// FuzzVerifyBlock: a block as `certledger-devnet verify` reads it from a
// (possibly damaged) ledger file: checkBlock, the genesis reader, the event and
// filtered-block views and the envelope checks must refuse, never panic; only a
// block the orderer signed passes checkBlock.
func FuzzVerifyBlock(f *testing.F) {
	fn := openFuzzNode(f)
	genesis, err := fn.n.store.Block(0)
	if err != nil {
		f.Fatal(err)
	}
	raw := mustMarshal(f, genesis)
	f.Add(raw, uint64(0))
	f.Add(mustMarshal(f, &common.Block{Header: &common.BlockHeader{Number: 1}}), uint64(1))
	f.Add(mustMarshal(f, &common.Block{Data: &common.BlockData{Data: [][]byte{{0x0a, 0x00}}}}), uint64(1))
	f.Add([]byte{}, uint64(0))
	f.Fuzz(func(t *testing.T, b []byte, num uint64) {
		blk := &common.Block{}
		if proto.Unmarshal(b, blk) != nil {
			return
		}
		var prev []byte
		if num > 0 {
			prev = blockstore.HeaderHash(genesis.Header)
		}
		// The orderer signs the header; the header's data hash covers the data.
		// (Other metadata, such as the transaction filter, is the peer's: Verify
		// recomputes it by replaying.)
		if checkBlock(blk, num, prev, fn.n.mgr) == nil {
			h, g := blk.GetHeader(), genesis.GetHeader()
			same := h.GetNumber() == g.GetNumber() && bytes.Equal(h.GetPreviousHash(), g.GetPreviousHash()) &&
				bytes.Equal(h.GetDataHash(), g.GetDataHash()) && bytes.Equal(blockstore.DataHash(blk.GetData()), blockstore.DataHash(genesis.GetData()))
			if !same {
				t.Fatalf("a block the orderer did not sign passed: %x", b)
			}
		}
		_, _, _ = readGenesis(blk)
		_ = blockEvents(blk)
		_ = filterBlock(fn.n.def.Channel, blk)
		if d := blk.GetData().GetData(); len(d) <= 16 {
			_ = checkAll(fn.n.val, d)
		}
	})
}
