package devnet

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"

	"github.com/certledger/certledger/network/devnet/internal/msp"
	"github.com/certledger/certledger/network/devnet/internal/testcc"
)

// TestEventCacheMatchesBlocks checks that the events kept in memory at commit are
// exactly those parsed back from the stored blocks, including blocks whose
// transactions conflict (an invalid transaction's event must not appear).
func TestEventCacheMatchesBlocks(t *testing.T) {
	dir := t.TempDir()
	cfg := DefaultConfig()
	cfg.Block.Timeout = 5 * time.Millisecond
	if err := Init(dir, cfg); err != nil {
		t.Fatal(err)
	}
	n, err := Open(dir, WithChaincode(testcc.CC{}))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := n.Close(); err != nil {
			t.Error(err)
		}
	}()
	gov := n.cfg.governance()
	admin, err := msp.LoadSigner(gov.MSPID, msp.OrgLayout{Dir: orgDir(dir, gov.Name)}.UserDir(msp.AdminName))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	codes := make([]peer.TxValidationCode, 16)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			args := []string{"incr", "counter"} // concurrent increments conflict
			if i%2 == 0 {
				args = []string{"put", fmt.Sprintf("k%d", i), "v"}
			}
			code, err := n.invoke(context.Background(), admin, args)
			if err != nil {
				t.Error(err)
			}
			codes[i] = code
		}()
	}
	wg.Wait()
	var valid, invalid int
	for _, c := range codes {
		if c == peer.TxValidationCode_VALID {
			valid++
		} else {
			invalid++
		}
	}
	if invalid == 0 {
		t.Log("no conflicting increments this run")
	}
	seen := 0
	for num := uint64(1); num < n.Height(); num++ {
		cached, ok := n.ord.events.get(num)
		if !ok {
			t.Fatalf("block %d: no cached events", num)
		}
		blk, err := n.store.Block(num)
		if err != nil {
			t.Fatal(err)
		}
		parsed := blockEvents(blk)
		if len(cached) != len(parsed) {
			t.Fatalf("block %d: %d cached events, %d in the block", num, len(cached), len(parsed))
		}
		for i := range cached {
			if !proto.Equal(cached[i], parsed[i]) {
				t.Fatalf("block %d event %d: cached %v, block has %v", num, i, cached[i], parsed[i])
			}
		}
		seen += len(cached)
	}
	if seen != valid {
		t.Fatalf("%d events for %d valid transactions", seen, valid)
	}
}
