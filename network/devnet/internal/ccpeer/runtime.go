// Package ccpeer is the peer side of Fabric's chaincode protocol. It runs a chaincode
// in the same process through the shim's own handler (shim.StartInProc over an
// in-memory stream) and answers its state requests from a ledger snapshot, building
// the transaction's read/write set as Fabric's simulator does (reads see committed
// state only; no read-your-own-writes).
package ccpeer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"

	"github.com/certledger/certledger/network/devnet/internal/blockstore"
)

// ErrStopped is returned when the chaincode is no longer running.
var ErrStopped = errors.New("chaincode stream terminated")

// Runtime is one running chaincode.
type Runtime struct {
	name    string
	log     *slog.Logger
	toCC    chan *peer.ChaincodeMessage
	fromCC  chan *peer.ChaincodeMessage
	closed  chan struct{}
	once    sync.Once
	exited  chan struct{}
	exitErr error

	mu  sync.Mutex
	txs map[string]*txContext
}

type stream struct{ rt *Runtime }

func (s stream) Send(m *peer.ChaincodeMessage) error {
	select {
	case s.rt.fromCC <- m:
		return nil
	case <-s.rt.closed:
		return io.EOF
	}
}

func (s stream) Recv() (*peer.ChaincodeMessage, error) {
	select {
	case m := <-s.rt.toCC:
		return m, nil
	case <-s.rt.closed:
		return nil, io.EOF
	}
}

func (s stream) CloseSend() error { return nil }

// Start runs cc in-process and completes the REGISTER / REGISTERED / READY handshake.
func Start(ctx context.Context, name string, cc shim.Chaincode, log *slog.Logger) (*Runtime, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	rt := &Runtime{
		name:   name,
		log:    log,
		toCC:   make(chan *peer.ChaincodeMessage, 256),
		fromCC: make(chan *peer.ChaincodeMessage, 256),
		closed: make(chan struct{}),
		exited: make(chan struct{}),
		txs:    map[string]*txContext{},
	}
	go func() {
		rt.exitErr = shim.StartInProc(name, stream{rt}, recoverer{cc})
		close(rt.exited)
	}()
	var reg *peer.ChaincodeMessage
	select {
	case reg = <-rt.fromCC:
	case <-rt.exited:
		return nil, fmt.Errorf("chaincode %s exited before registering: %w", name, rt.exitErr)
	case <-ctx.Done():
		rt.Close()
		return nil, ctx.Err()
	}
	if reg.Type != peer.ChaincodeMessage_REGISTER {
		rt.Close()
		return nil, fmt.Errorf("chaincode %s: expected REGISTER, got %s", name, reg.Type)
	}
	var id peer.ChaincodeID
	if err := proto.Unmarshal(reg.Payload, &id); err != nil || id.Name != name {
		rt.Close()
		return nil, fmt.Errorf("chaincode registered as %q, want %q", id.Name, name)
	}
	params, _ := proto.Marshal(&peer.ChaincodeAdditionalParams{
		UseWriteBatch: true, MaxSizeWriteBatch: 1000,
		UseGetMultipleKeys: true, MaxSizeGetMultipleKeys: 1000,
	})
	rt.toCC <- &peer.ChaincodeMessage{Type: peer.ChaincodeMessage_REGISTERED}
	rt.toCC <- &peer.ChaincodeMessage{Type: peer.ChaincodeMessage_READY, Payload: params}
	go rt.dispatch()
	return rt, nil
}

// recoverer turns a panic in the chaincode into an error response, so that one bad
// transaction does not take the whole devnet down (Fabric would restart the
// chaincode's container).
type recoverer struct{ cc shim.Chaincode }

func (r recoverer) Init(stub shim.ChaincodeStubInterface) (resp *peer.Response) {
	defer func() {
		if v := recover(); v != nil {
			resp = shim.Error(fmt.Sprintf("chaincode panicked: %v", v))
		}
	}()
	return r.cc.Init(stub)
}

func (r recoverer) Invoke(stub shim.ChaincodeStubInterface) (resp *peer.Response) {
	defer func() {
		if v := recover(); v != nil {
			resp = shim.Error(fmt.Sprintf("chaincode panicked: %v", v))
		}
	}()
	return r.cc.Invoke(stub)
}

// Close stops the chaincode stream.
func (rt *Runtime) Close() {
	rt.once.Do(func() { close(rt.closed) })
}

func (rt *Runtime) dispatch() {
	for {
		var m *peer.ChaincodeMessage
		select {
		case m = <-rt.fromCC:
		case <-rt.closed:
			rt.failAll()
			return
		case <-rt.exited:
			rt.log.Error("chaincode exited", "chaincode", rt.name, "err", rt.exitErr)
			rt.failAll()
			return
		}
		key := m.ChannelId + m.Txid
		rt.mu.Lock()
		tc := rt.txs[key]
		rt.mu.Unlock()
		if tc == nil {
			if m.Type != peer.ChaincodeMessage_COMPLETED && m.Type != peer.ChaincodeMessage_ERROR {
				rt.reply(errorMsg(m, fmt.Errorf("transaction %s is not running", m.Txid)))
			}
			continue
		}
		switch m.Type {
		case peer.ChaincodeMessage_COMPLETED, peer.ChaincodeMessage_ERROR:
			tc.finish(m)
		default:
			payload, err := tc.handle(m)
			if err != nil {
				rt.reply(errorMsg(m, err))
			} else {
				rt.reply(&peer.ChaincodeMessage{Type: peer.ChaincodeMessage_RESPONSE, Payload: payload, Txid: m.Txid, ChannelId: m.ChannelId})
			}
		}
	}
}

func (rt *Runtime) reply(m *peer.ChaincodeMessage) {
	select {
	case rt.toCC <- m:
	case <-rt.closed:
	}
}

func (rt *Runtime) failAll() {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	for _, tc := range rt.txs {
		tc.finish(nil)
	}
}

func errorMsg(m *peer.ChaincodeMessage, err error) *peer.ChaincodeMessage {
	return &peer.ChaincodeMessage{Type: peer.ChaincodeMessage_ERROR, Payload: []byte(err.Error()), Txid: m.Txid, ChannelId: m.ChannelId}
}

// Request is one invocation.
type Request struct {
	ChannelID string
	TxID      string
	Proposal  *peer.SignedProposal
	Input     *peer.ChaincodeInput
	Snapshot  *blockstore.Snapshot
}

// Result is what a simulation produced.
type Result struct {
	Response *peer.Response
	Event    *peer.ChaincodeEvent
	RWSet    *Simulation
}

// Execute runs one transaction to completion. An error means the chaincode could
// not run it (the chaincode's own failures come back as a Response with status 500).
func (rt *Runtime) Execute(ctx context.Context, req *Request) (*Result, error) {
	tc := newTxContext(rt.name, req.Snapshot)
	key := req.ChannelID + req.TxID
	rt.mu.Lock()
	if rt.txs[key] != nil {
		rt.mu.Unlock()
		return nil, fmt.Errorf("transaction %s is already executing", req.TxID)
	}
	select {
	case <-rt.closed:
		rt.mu.Unlock()
		return nil, ErrStopped
	default:
	}
	rt.txs[key] = tc
	rt.mu.Unlock()
	defer func() {
		tc.close()
		rt.mu.Lock()
		delete(rt.txs, key)
		rt.mu.Unlock()
	}()
	payload, err := proto.Marshal(req.Input)
	if err != nil {
		return nil, err
	}
	msg := &peer.ChaincodeMessage{
		Type: peer.ChaincodeMessage_TRANSACTION, Payload: payload,
		Txid: req.TxID, ChannelId: req.ChannelID, Proposal: req.Proposal,
	}
	select {
	case rt.toCC <- msg:
	case <-rt.closed:
		return nil, ErrStopped
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	var done *peer.ChaincodeMessage
	select {
	case done = <-tc.done:
	case <-ctx.Done():
		return nil, fmt.Errorf("timeout expired while executing transaction: %w", ctx.Err())
	}
	if done == nil {
		return nil, ErrStopped
	}
	if done.Type == peer.ChaincodeMessage_ERROR {
		// The shim failed outside the chaincode function (e.g. while sending a batch).
		return &Result{Response: &peer.Response{Status: shim.ERROR, Message: string(done.Payload)}, RWSet: tc.sim}, nil
	}
	resp := &peer.Response{}
	if err := proto.Unmarshal(done.Payload, resp); err != nil {
		return nil, fmt.Errorf("chaincode response: %w", err)
	}
	return &Result{Response: resp, Event: done.ChaincodeEvent, RWSet: tc.sim}, nil
}
