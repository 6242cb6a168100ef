package devnet

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/certledger/certledger/internal/chanpolicy"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"

	"github.com/certledger/certledger/network/devnet/internal/blockstore"
	"github.com/certledger/certledger/network/devnet/internal/msp"
)

// ErrMismatch is returned (wrapped, with the first mismatch) when verification fails.
var ErrMismatch = errors.New("ledger verification failed")

// VerifyReport summarises a successful verification.
type VerifyReport struct {
	Blocks       uint64
	Transactions int
	Valid        int
	StateKeys    int
	LastHash     []byte
}

// Verify checks a stopped devnet's ledger: every block's number, previous hash, data
// hash and orderer signature; then it replays every block from the genesis block
// into a scratch ledger with the same validation as the node (signatures, endorsement
// policy, MVCC) and requires the same validation codes, and the same state, history
// and transaction index, byte for byte. The first mismatch is reported.
func Verify(dir string) (*VerifyReport, error) {
	src, err := blockstore.Open(ledgerPath(dir), blockstore.Options{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer func() { _ = src.Close() }() // read-only source ledger
	height := src.Height()
	if height == 0 {
		return nil, fmt.Errorf("%w: no genesis block", ErrMismatch)
	}
	genesis, err := src.Block(0)
	if err != nil {
		return nil, err
	}
	def, orgs, err := readGenesis(genesis)
	if err != nil {
		return nil, fmt.Errorf("%w: genesis block: %w", ErrMismatch, err)
	}
	mgr := msp.NewManager(orgs)
	policy, err := chanpolicy.Parse(def.EndorsementPolicy, mspIDs(def.Orgs))
	if err != nil {
		return nil, err
	}
	val := &validator{def: def, mgr: mgr, policy: policy}

	tmp, err := os.MkdirTemp("", "devnet-verify-")
	if err != nil {
		return nil, err
	}
	defer func() { _ = os.RemoveAll(tmp) }() // best-effort cleanup of a temp dir
	replay, err := blockstore.Open(filepath.Join(tmp, "replay.db"), blockstore.Options{NoSync: true})
	if err != nil {
		return nil, err
	}
	defer func() { _ = replay.Close() }() // scratch replay store, removed with tmp
	if err := replay.AppendGenesis(genesis); err != nil {
		return nil, err
	}
	rep := &VerifyReport{Blocks: height}
	prevHash := blockstore.HeaderHash(genesis.Header)
	if err := checkBlockSignature(genesis, mgr); err != nil {
		return nil, fmt.Errorf("%w: block 0: %w", ErrMismatch, err)
	}
	for num := uint64(1); num < height; num++ {
		blk, err := src.Block(num)
		if err != nil {
			return nil, fmt.Errorf("%w: block %d: %w", ErrMismatch, num, err)
		}
		if err := checkBlock(blk, num, prevHash, mgr); err != nil {
			return nil, fmt.Errorf("%w: block %d: %w", ErrMismatch, num, err)
		}
		prevHash = blockstore.HeaderHash(blk.Header)
		txs := checkAll(val, blk.Data.Data)
		sigs := blk.Metadata.Metadata[common.BlockMetadataIndex_SIGNATURES]
		got, err := replay.CommitBlock(blk.Data.Data, txs, func(b *common.Block) error {
			b.Metadata.Metadata[common.BlockMetadataIndex_SIGNATURES] = sigs
			return nil
		})
		if err != nil {
			return nil, err
		}
		want := blk.Metadata.Metadata[common.BlockMetadataIndex_TRANSACTIONS_FILTER]
		have := got.Metadata.Metadata[common.BlockMetadataIndex_TRANSACTIONS_FILTER]
		for i := range have {
			if i >= len(want) || want[i] != have[i] {
				w := "missing"
				if i < len(want) {
					w = peer.TxValidationCode(want[i]).String()
				}
				return nil, fmt.Errorf("%w: block %d transaction %d (%s): ledger says %s, replay gives %s",
					ErrMismatch, num, i, txs[i].TxID, w, peer.TxValidationCode(have[i]))
			}
			rep.Transactions++
			if have[i] == byte(peer.TxValidationCode_VALID) {
				rep.Valid++
			}
		}
	}
	if err := sameStores(src, replay); err != nil {
		return nil, err
	}
	rep.StateKeys, _ = src.Count("state")
	rep.LastHash = prevHash
	return rep, nil
}

// sameStores requires the replay to hold the ledger's blocks, state, history and
// transaction index byte for byte.
func sameStores(src, replay *blockstore.Store) error {
	diff, err := blockstore.FirstBlockDifference(src, replay)
	for _, b := range blockstore.DerivedBuckets {
		if err != nil || diff != "" {
			break
		}
		diff, err = blockstore.FirstDifference(src, replay, b)
	}
	if err != nil {
		return err
	}
	if diff != "" {
		return fmt.Errorf("%w: %s", ErrMismatch, diff)
	}
	return nil
}

// checkBlock checks what a block read from disk says about itself: its shape
// (header, data, metadata present, as a damaged file may not have them), its
// number, the previous block's hash, its data hash and the orderer's signature.
func checkBlock(blk *common.Block, num uint64, prevHash []byte, mgr *msp.Manager) error {
	switch {
	case blk.GetHeader() == nil:
		return errors.New("no header")
	case blk.GetData() == nil:
		return errors.New("no data")
	case len(blk.GetMetadata().GetMetadata()) <= int(common.BlockMetadataIndex_TRANSACTIONS_FILTER):
		return errors.New("metadata incomplete")
	}
	if blk.Header.Number != num {
		return fmt.Errorf("header says number %d", blk.Header.Number)
	}
	if !bytes.Equal(blk.Header.PreviousHash, prevHash) {
		return fmt.Errorf("previous hash does not match the hash of block %d", num-1)
	}
	if !bytes.Equal(blk.Header.DataHash, blockstore.DataHash(blk.Data)) {
		return errors.New("data hash does not match its transactions")
	}
	return checkBlockSignature(blk, mgr)
}

// checkAll runs the stateless checks of a block's envelopes in parallel.
func checkAll(val *validator, envs [][]byte) []*blockstore.Tx {
	txs := make([]*blockstore.Tx, len(envs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, raw := range envs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			txs[i], _ = val.checkEnvelope(raw)
			<-sem
		}()
	}
	wg.Wait()
	return txs
}

// checkBlockSignature verifies the orderer's signature in the SIGNATURES metadata.
func checkBlockSignature(blk *common.Block, mgr *msp.Manager) error {
	md := &common.Metadata{}
	if err := proto.Unmarshal(blk.GetMetadata().GetMetadata()[common.BlockMetadataIndex_SIGNATURES], md); err != nil {
		return fmt.Errorf("signature metadata: %w", err)
	}
	if len(md.Signatures) == 0 {
		return errors.New("block is not signed")
	}
	for _, s := range md.Signatures {
		shdr := &common.SignatureHeader{}
		if err := proto.Unmarshal(s.SignatureHeader, shdr); err != nil {
			return err
		}
		id, err := mgr.Deserialize(shdr.Creator)
		if err != nil {
			return fmt.Errorf("block signer: %w", err)
		}
		if id.Role != msp.RoleOrderer {
			return fmt.Errorf("block signed by a %s, not an orderer", id.Role)
		}
		msg := append(append(append([]byte(nil), md.Value...), s.SignatureHeader...), blockstore.HeaderBytes(blk.Header)...)
		if err := id.Verify(msg, s.Signature); err != nil {
			return fmt.Errorf("orderer signature: %w", err)
		}
	}
	return nil
}
