package devnet_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	mspproto "github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/certledger/certledger/internal/profile"
	"github.com/certledger/certledger/network/devnet"
	"github.com/certledger/certledger/network/devnet/internal/blockstore"
	"github.com/certledger/certledger/network/devnet/internal/msp"
)

func TestSubmitEvaluate(t *testing.T) {
	tn := startNet(t, testConfig(), nil)
	c := tn.contract("dept-a")

	res, commit, err := c.SubmitAsync("put", client.WithArguments("k1", "v1"))
	if err != nil {
		t.Fatal(err)
	}
	if string(res) != "v1" {
		t.Fatalf("result %q", res)
	}
	st, err := commit.Status()
	if err != nil || !st.Successful || st.Code != peer.TxValidationCode_VALID {
		t.Fatalf("status %+v, %v", st, err)
	}
	if st.BlockNumber < 2 {
		t.Fatalf("block %d: block 0 is genesis, block 1 the init transaction", st.BlockNumber)
	}
	got, err := tn.contract("gov").EvaluateTransaction("get", "k1")
	if err != nil || string(got) != "v1" {
		t.Fatalf("get = %q, %v", got, err)
	}
	gov, err := c.EvaluateTransaction("get", "governance")
	if err != nil || string(gov) != "GovMSP" {
		t.Fatalf("init tx: governance = %q, %v", gov, err)
	}

	// A chaincode error on evaluate: gRPC Unknown with the message and a detail.
	_, err = c.EvaluateTransaction("get", "missing")
	if status.Code(err) != codes.Unknown || !strings.Contains(err.Error(), "chaincode response 500, NOT_FOUND: missing") {
		t.Fatalf("evaluate error = %v", err)
	}
	if d := details(err); len(d) != 1 || d[0].MspId != "DeptAMSP" || !strings.Contains(d[0].Message, "NOT_FOUND: missing") {
		t.Fatalf("details = %v", d)
	}
	// A chaincode error on submit: EndorseError, Aborted, message in the details.
	_, err = c.SubmitTransaction("fail", "CONFLICT: no way")
	var ee *client.EndorseError
	if !errors.As(err, &ee) || status.Code(err) != codes.Aborted || !strings.Contains(err.Error(), "chaincode response 500, CONFLICT: no way") {
		t.Fatalf("submit error = %#v", err)
	}

	// Deletes, batches, multiple gets, ranges, composite keys, history, metadata.
	mustSubmit(t, c, "batchput", "r1", "a", "r2", "b", "r3", "c")
	mustSubmit(t, c, "put", "r2", "b2")
	mustSubmit(t, c, "del", "r3")
	if got := mustEval(t, c, "getmany", "r1", "r2", "r3"); got != `["a","b2",""]` {
		t.Errorf("getmany = %s", got)
	}
	if got := mustEval(t, c, "range", "r1", "r9"); got != `[["r1","a"],["r2","b2"]]` {
		t.Errorf("range = %s", got)
	}
	if got := mustEval(t, c, "range", "", ""); !strings.Contains(got, `["governance","GovMSP"]`) || strings.Contains(got, "\\u0000") {
		t.Errorf("open range = %s", got)
	}
	for i := 0; i < 250; i++ {
		if i%100 == 0 {
			args := []string{}
			for j := i; j < i+100; j++ {
				args = append(args, fmt.Sprintf("p%03d", j), "x")
			}
			mustSubmit(t, c, "batchput", args...)
		}
	}
	var many [][2]string
	if err := json.Unmarshal([]byte(mustEval(t, c, "range", "p", "q")), &many); err != nil || len(many) != 300 {
		t.Errorf("range over 3 batches: %d results, %v", len(many), err)
	}
	var page struct {
		Keys     []string
		Bookmark string
		Count    int
	}
	_ = json.Unmarshal([]byte(mustEval(t, c, "paged", "p", "q", "120", "p010")), &page)
	if len(page.Keys) != 120 || page.Keys[0] != "p010" || page.Bookmark != "p130" || page.Count != 120 {
		t.Errorf("paged = %d keys from %v, bookmark %q count %d", len(page.Keys), page.Keys[:1], page.Bookmark, page.Count)
	}
	mustSubmit(t, c, "cput", "cert", "dept-a", "c1", "v1")
	mustSubmit(t, c, "cput", "cert", "dept-a", "c2", "v2")
	mustSubmit(t, c, "cput", "cert", "dept-b", "c3", "v3")
	if got := mustEval(t, c, "ctype", "cert", "dept-a"); strings.Count(got, "dept-a") != 2 || strings.Contains(got, "dept-b") {
		t.Errorf("partial composite = %q", got)
	}
	var hist []struct {
		TxID     string
		Value    string
		IsDelete bool
	}
	if err := json.Unmarshal([]byte(mustEval(t, c, "history", "r3")), &hist); err != nil || len(hist) != 2 || !hist[0].IsDelete || hist[1].Value != "c" {
		t.Errorf("history of r3 = %+v %v", hist, err)
	}
	mustSubmit(t, c, "setmeta", "r1", "policy-bytes")
	if got := mustEval(t, c, "getmeta", "r1"); got != "policy-bytes" {
		t.Errorf("metadata = %q", got)
	}
	if got := mustEval(t, c, "get", "r1"); got != "a" {
		t.Errorf("value after metadata write = %q", got)
	}

	// A panicking chaincode function fails that transaction only.
	if _, err := c.EvaluateTransaction("panic", "boom"); err == nil || !strings.Contains(err.Error(), "chaincode panicked: boom") {
		t.Errorf("panic error = %v", err)
	}
	if got := mustEval(t, c, "get", "k1"); got != "v1" {
		t.Errorf("after panic: %q", got)
	}

	// Refused features say so.
	if _, err := c.EvaluateTransaction("rich"); err == nil || !strings.Contains(err.Error(), "rich query") {
		t.Errorf("rich query error = %v", err)
	}
	if _, err := c.EvaluateTransaction("private", "x"); err == nil || !strings.Contains(err.Error(), "private data") {
		t.Errorf("private data error = %v", err)
	}
	// Unknown chaincode and channel.
	if _, err := tn.gws["gov"].GetNetwork("certledger").GetContract("nope").EvaluateTransaction("get", "x"); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("unknown chaincode = %v", err)
	}
	if _, err := tn.gws["gov"].GetNetwork("nope").GetContract("certledger").EvaluateTransaction("get", "x"); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("unknown channel = %v", err)
	}
	// The creator seen by the chaincode is the client's serialized identity.
	if got := mustEval(t, c, "creator"); !strings.Contains(got, "DeptAMSP") {
		t.Errorf("creator = %q", got)
	}
}

func mustSubmit(t *testing.T, c *client.Contract, fn string, args ...string) string {
	t.Helper()
	r, err := c.SubmitTransaction(fn, args...)
	if err != nil {
		t.Fatalf("%s: %v", fn, err)
	}
	return string(r)
}

func mustEval(t *testing.T, c *client.Contract, fn string, args ...string) string {
	t.Helper()
	r, err := c.EvaluateTransaction(fn, args...)
	if err != nil {
		t.Fatalf("%s: %v", fn, err)
	}
	return string(r)
}

func details(err error) []*gateway.ErrorDetail {
	var out []*gateway.ErrorDetail
	for _, d := range status.Convert(err).Details() {
		if ed, ok := d.(*gateway.ErrorDetail); ok {
			out = append(out, ed)
		}
	}
	return out
}

func TestEvents(t *testing.T) {
	cfg := testConfig()
	no := false
	cfg.TLS = &no // plaintext gRPC works too
	tn := startNet(t, cfg, nil)
	c := tn.contract("gov")
	var txIDs []string
	for i := 0; i < 5; i++ {
		_, commit, err := c.SubmitAsync("put", client.WithArguments(fmt.Sprintf("e%d", i), "v"))
		if err != nil {
			t.Fatal(err)
		}
		txIDs = append(txIDs, commit.TransactionID())
		if st, err := commit.Status(); err != nil || !st.Successful {
			t.Fatal(st, err)
		}
	}
	_, _ = c.SubmitTransaction("fail", "x") // no event from a failed endorsement
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// Chaincode events replayed from block 0, then a live one.
	events, err := tn.network("dept-b").ChaincodeEvents(ctx, "certledger", client.WithStartBlock(0))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		ev := <-events
		if ev == nil || ev.TransactionID != txIDs[i] || ev.EventName != "Put" || string(ev.Payload) != fmt.Sprintf("e%d=v", i) || ev.ChaincodeName != "certledger" {
			t.Fatalf("event %d = %+v", i, ev)
		}
	}
	live := mustSubmitID(t, c, "put", "live", "1")
	if ev := <-events; ev == nil || ev.TransactionID != live {
		t.Fatalf("live event = %+v", ev)
	}
	// Resume after a checkpoint.
	blk, _, _ := blockOf(t, tn, txIDs[2])
	cpEvents, err := tn.network("gov").ChaincodeEvents(ctx, "certledger", client.WithCheckpoint(checkpoint{blk, txIDs[2]}))
	if err != nil {
		t.Fatal(err)
	}
	if ev := <-cpEvents; ev == nil || ev.TransactionID != txIDs[3] {
		t.Fatalf("after checkpoint = %+v", ev)
	}

	// Block events from block 0: a hash chain with validation flags.
	blocks, err := tn.network("dept-a").BlockEvents(ctx, client.WithStartBlock(0))
	if err != nil {
		t.Fatal(err)
	}
	var prev *common.Block
	for n := uint64(0); n < tn.node.Height(); n++ {
		b := <-blocks
		if b == nil || b.Header.Number != n {
			t.Fatalf("block %d = %v", n, b)
		}
		if prev != nil && string(b.Header.PreviousHash) != string(blockstore.HeaderHash(prev.Header)) {
			t.Fatalf("block %d does not chain", n)
		}
		if string(b.Header.DataHash) != string(blockstore.DataHash(b.Data)) {
			t.Fatalf("block %d data hash", n)
		}
		if f := b.Metadata.Metadata[common.BlockMetadataIndex_TRANSACTIONS_FILTER]; len(f) != len(b.Data.Data) {
			t.Fatalf("block %d filter %v", n, f)
		}
		prev = b
	}
	fblocks, err := tn.network("dept-a").FilteredBlockEvents(ctx, client.WithStartBlock(2))
	if err != nil {
		t.Fatal(err)
	}
	fb := <-fblocks
	if fb == nil || fb.Number != 2 || len(fb.FilteredTransactions) == 0 || fb.FilteredTransactions[0].Txid != txIDs[0] ||
		fb.FilteredTransactions[0].TxValidationCode != peer.TxValidationCode_VALID {
		t.Fatalf("filtered block = %v", fb)
	}
	pblocks, err := tn.network("dept-a").BlockAndPrivateDataEvents(ctx, client.WithStartBlock(1))
	if err != nil {
		t.Fatal(err)
	}
	if pb := <-pblocks; pb == nil || pb.Block.Header.Number != 1 {
		t.Fatalf("private data block = %v", pb)
	}
	// The client's stream goroutines end once their channels are drained.
	cancel()
	drain(events)
	drain(cpEvents)
	drain(blocks)
	drain(fblocks)
	drain(pblocks)
}

func drain[T any](ch <-chan T) {
	for range ch {
	}
}

type checkpoint struct {
	block uint64
	tx    string
}

func (c checkpoint) BlockNumber() uint64   { return c.block }
func (c checkpoint) TransactionID() string { return c.tx }

func mustSubmitID(t *testing.T, c *client.Contract, fn string, args ...string) string {
	t.Helper()
	_, commit, err := c.SubmitAsync(fn, client.WithArguments(args...))
	if err != nil {
		t.Fatal(err)
	}
	if st, err := commit.Status(); err != nil || !st.Successful {
		t.Fatal(st, err)
	}
	return commit.TransactionID()
}

func blockOf(t *testing.T, tn *testNet, txID string) (uint64, peer.TxValidationCode, error) {
	t.Helper()
	commit, err := tn.gws["gov"].NewCommit(mustCommitBytes(t, tn, txID))
	if err != nil {
		t.Fatal(err)
	}
	st, err := commit.Status()
	if err != nil {
		t.Fatal(err)
	}
	return st.BlockNumber, st.Code, nil
}

// mustCommitBytes builds a commit status request for any tx id, as the gov admin.
func mustCommitBytes(t *testing.T, tn *testNet, txID string) []byte {
	t.Helper()
	id := tn.gws["gov"].Identity()
	creator := marshal(t, &mspproto.SerializedIdentity{Mspid: id.MspID(), IdBytes: id.Credentials()})
	req, _ := proto.Marshal(&gateway.CommitStatusRequest{ChannelId: "certledger", TransactionId: txID, Identity: creator})
	b, _ := proto.Marshal(&gateway.SignedCommitStatusRequest{Request: req})
	return b
}

func TestRefusals(t *testing.T) {
	tn := startNet(t, testConfig(), nil)
	ctx := context.Background()
	cfg := tn.node.Config()

	t.Run("key does not match certificate", func(t *testing.T) {
		p, _ := profile.Load(tn.node.ProfilePath("gov"))
		other, _ := profile.Load(tn.node.ProfilePath("dept-a"))
		gw := connectWith(t, p, p.CertPath, other.KeyPath)
		_, err := gw.GetNetwork(cfg.Channel).GetContract(cfg.Chaincode).EvaluateTransaction("get", "governance")
		if status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), "access denied") || !strings.Contains(err.Error(), "signature") {
			t.Fatalf("err = %v", err)
		}
		_, err = gw.GetNetwork(cfg.Channel).GetContract(cfg.Chaincode).SubmitTransaction("put", "x", "y")
		var ee *client.EndorseError
		if !errors.As(err, &ee) || !strings.Contains(err.Error(), "access denied") {
			t.Fatalf("submit err = %v", err)
		}
	})

	t.Run("certificate from an unknown CA", func(t *testing.T) {
		ca, err := msp.NewCA("rogue", "GovMSP")
		if err != nil {
			t.Fatal(err)
		}
		leaf, err := ca.Issue("Admin@gov", msp.RoleAdmin, nil)
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		certPath, keyPath := dir+"/cert.pem", dir+"/key.pem"
		_ = os.WriteFile(certPath, leaf.CertPEM, 0o600)
		_ = os.WriteFile(keyPath, leaf.KeyPEM, 0o600)
		p, _ := profile.Load(tn.node.ProfilePath("gov"))
		gw := connectWith(t, p, certPath, keyPath)
		_, err = gw.GetNetwork(cfg.Channel).GetContract(cfg.Chaincode).EvaluateTransaction("get", "governance")
		if status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), "access denied: channel [certledger] creator org [GovMSP]") {
			t.Fatalf("err = %v", err)
		}
	})

	t.Run("reused transaction id", func(t *testing.T) {
		c := tn.contract("gov")
		prop, err := c.NewProposal("put", client.WithArguments("reuse", "1"))
		if err != nil {
			t.Fatal(err)
		}
		tx, err := prop.Endorse()
		if err != nil {
			t.Fatal(err)
		}
		pbytes, _ := prop.Bytes()
		commit, err := tx.Submit()
		if err != nil {
			t.Fatal(err)
		}
		if st, err := commit.Status(); err != nil || !st.Successful {
			t.Fatal(st, err)
		}
		again, err := tn.gws["gov"].NewProposal(pbytes)
		if err != nil {
			t.Fatal(err)
		}
		_, err = again.Endorse()
		var ee *client.EndorseError
		if !errors.As(err, &ee) || !strings.Contains(err.Error(), "duplicate transaction found ["+prop.TransactionID()+"]") {
			t.Fatalf("err = %v", err)
		}
		// Resubmitting the same signed envelope commits as DUPLICATE_TXID; the
		// commit status stays the first transaction's.
		tbytes, _ := tx.Bytes()
		tx2, err := tn.gws["gov"].NewTransaction(tbytes)
		if err != nil {
			t.Fatal(err)
		}
		c2, err := tx2.Submit()
		if err != nil {
			t.Fatal(err)
		}
		st, err := c2.Status()
		if err != nil || !st.Successful {
			t.Fatal(st, err)
		}
		// A later transaction commits in the same or a later block.
		mustSubmitID(t, tn.contract("gov"), "put", "after-dup", "1")
		found := false
		for n := tn.node.Height() - 1; n > 0 && !found; n-- {
			blk, err := tn.node.Block(n)
			if err != nil {
				t.Fatal(err)
			}
			f := blk.Metadata.Metadata[common.BlockMetadataIndex_TRANSACTIONS_FILTER]
			for i, raw := range blk.Data.Data {
				if txIDOf(t, raw) == prop.TransactionID() && peer.TxValidationCode(f[i]) == peer.TxValidationCode_DUPLICATE_TXID {
					found = true
				}
			}
		}
		if !found {
			t.Fatal("resubmitted transaction not flagged DUPLICATE_TXID")
		}
	})

	t.Run("concurrent transactions on one key", func(t *testing.T) {
		mustSubmit(t, tn.contract("gov"), "put", "counter", "0")
		var txs []*client.Transaction
		for _, org := range []string{"gov", "dept-a"} {
			prop, err := tn.contract(org).NewProposal("incr", client.WithArguments("counter"))
			if err != nil {
				t.Fatal(err)
			}
			tx, err := prop.Endorse()
			if err != nil {
				t.Fatal(err)
			}
			txs = append(txs, tx)
		}
		codesSeen := map[peer.TxValidationCode]int{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, tx := range txs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				commit, err := tx.Submit()
				if err != nil {
					t.Error(err)
					return
				}
				st, err := commit.Status()
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				codesSeen[st.Code]++
				mu.Unlock()
			}()
		}
		wg.Wait()
		if codesSeen[peer.TxValidationCode_VALID] != 1 || codesSeen[peer.TxValidationCode_MVCC_READ_CONFLICT] != 1 {
			t.Fatalf("codes = %v", codesSeen)
		}
		if got := mustEval(t, tn.contract("gov"), "get", "counter"); got != "1" {
			t.Fatalf("counter = %s", got)
		}
		// And the client reports the conflict as a CommitError.
		prop, _ := tn.contract("gov").NewProposal("incr", client.WithArguments("counter"))
		tx, _ := prop.Endorse()
		mustSubmit(t, tn.contract("dept-b"), "incr", "counter")
		commit, err := tx.Submit()
		if err != nil {
			t.Fatal(err)
		}
		if st, _ := commit.Status(); st.Code != peer.TxValidationCode_MVCC_READ_CONFLICT {
			t.Fatalf("code = %v", st.Code)
		}
	})

	t.Run("phantom read", func(t *testing.T) {
		prop, _ := tn.contract("gov").NewProposal("countrange", client.WithArguments("ph-", "ph-~"))
		tx, err := prop.Endorse()
		if err != nil {
			t.Fatal(err)
		}
		mustSubmit(t, tn.contract("gov"), "put", "ph-new", "x")
		commit, err := tx.Submit()
		if err != nil {
			t.Fatal(err)
		}
		if st, _ := commit.Status(); st.Code != peer.TxValidationCode_PHANTOM_READ_CONFLICT {
			t.Fatalf("code = %v", st.Code)
		}
	})

	t.Run("envelope altered after endorsement", func(t *testing.T) {
		prop, _ := tn.contract("dept-a").NewProposal("put", client.WithArguments("alt", "honest"))
		tx, err := prop.Endorse()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := tx.Bytes()
		altered := alterWrite(t, b, "alt", "forged")
		tx2, err := tn.gws["dept-a"].NewTransaction(altered)
		if err != nil {
			t.Fatal(err)
		}
		commit, err := tx2.Submit()
		if err != nil {
			t.Fatal(err)
		}
		st, err := commit.Status()
		if err != nil || st.Code != peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE {
			t.Fatalf("status %+v %v", st, err)
		}
		if _, err := tn.contract("gov").EvaluateTransaction("get", "alt"); err == nil {
			t.Fatal("forged write reached state")
		}
	})

	t.Run("envelope not signed by its creator", func(t *testing.T) {
		prop, _ := tn.contract("dept-a").NewProposal("put", client.WithArguments("sig", "x"))
		tx, err := prop.Endorse()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := tx.Bytes()
		bad := make([]byte, 72)
		_, _ = rand.Read(bad)
		tx2, _ := tn.gws["dept-a"].NewSignedTransaction(b, bad)
		_, err = tx2.Submit()
		var se *client.SubmitError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), "FORBIDDEN") {
			t.Fatalf("err = %v", err)
		}
	})

	t.Run("commit status request with a bad signature", func(t *testing.T) {
		commit, err := tn.gws["gov"].NewSignedCommit(mustCommitBytes(t, tn, "x"), []byte{1, 2, 3})
		if err != nil {
			t.Fatal(err)
		}
		_, err = commit.Status()
		if status.Code(err) != codes.PermissionDenied {
			t.Fatalf("err = %v", err)
		}
	})

	t.Run("explicit endorsing organisations below the policy", func(t *testing.T) {
		_, commit, err := tn.contract("gov").SubmitAsync("put", client.WithArguments("one", "1"), client.WithEndorsingOrganizations("GovMSP"))
		if err != nil {
			t.Fatal(err)
		}
		if st, _ := commit.Status(); st.Code != peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE {
			t.Fatalf("code = %v", st.Code)
		}
	})

	// The node checked the envelopes it had assembled itself on a shortcut
	// (builtTx); verify replays every block through the full checks and must find
	// the same validation codes and byte-identical state, history and index.
	if err := tn.node.Close(); err != nil {
		t.Fatal(err)
	}
	if rep, err := devnet.Verify(tn.dir); err != nil {
		t.Fatalf("verify after the refusals: %v (report %+v)", err, rep)
	}
	_ = ctx
}

func txIDOf(t *testing.T, raw []byte) string {
	t.Helper()
	env := &common.Envelope{}
	pl := &common.Payload{}
	ch := &common.ChannelHeader{}
	must(t, proto.Unmarshal(raw, env))
	must(t, proto.Unmarshal(env.Payload, pl))
	must(t, proto.Unmarshal(pl.Header.ChannelHeader, ch))
	return ch.TxId
}

// connectWith connects with the given certificate and key files (possibly mismatched).
func connectWith(t *testing.T, p *profile.Profile, certPath, keyPath string) *client.Gateway {
	t.Helper()
	q := *p
	q.CertPath, q.KeyPath = certPath, keyPath
	gw, conn, err := q.Connect()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = gw.Close(); _ = conn.Close() })
	return gw
}

// alterWrite rewrites the value of one key in a prepared transaction's write set
// (leaving the endorsements as they were).
func alterWrite(t *testing.T, preparedTx []byte, key, value string) []byte {
	t.Helper()
	pt := &gateway.PreparedTransaction{}
	must(t, proto.Unmarshal(preparedTx, pt))
	pl := &common.Payload{}
	must(t, proto.Unmarshal(pt.Envelope.Payload, pl))
	tx := &peer.Transaction{}
	must(t, proto.Unmarshal(pl.Data, tx))
	cap := &peer.ChaincodeActionPayload{}
	must(t, proto.Unmarshal(tx.Actions[0].Payload, cap))
	prp := &peer.ProposalResponsePayload{}
	must(t, proto.Unmarshal(cap.Action.ProposalResponsePayload, prp))
	cca := &peer.ChaincodeAction{}
	must(t, proto.Unmarshal(prp.Extension, cca))
	if !strings.Contains(string(cca.Results), key) {
		t.Fatalf("key %s not in write set", key)
	}
	cca.Results = []byte(strings.Replace(string(cca.Results), "honest", value, 1))
	prp.Extension = marshal(t, cca)
	cap.Action.ProposalResponsePayload = marshal(t, prp)
	tx.Actions[0].Payload = marshal(t, cap)
	pl.Data = marshal(t, tx)
	pt.Envelope = &common.Envelope{Payload: marshal(t, pl)}
	return marshal(t, pt)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func marshal(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var _ = ecdsa.GenerateKey
var _ = elliptic.P256
