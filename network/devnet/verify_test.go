package devnet_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	bolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	"github.com/certledger/certledger/network/devnet"
)

// TestVerifyFindsTampering commits a few blocks, then alters the ledger file behind
// the devnet's back in three ways; Verify names each first mismatch.
func TestVerifyFindsTampering(t *testing.T) {
	tn := startNet(t, testConfig(), nil)
	for _, k := range []string{"a", "b", "c"} {
		mustSubmit(t, tn.contract("gov"), "put", k, "v-"+k)
	}
	if err := tn.node.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := devnet.Verify(tn.dir); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(tn.dir, "ledger", "ledger.db")
	tamper := func(fn func(tx *bolt.Tx) error) {
		t.Helper()
		b, err := bolt.Open(db, 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = b.Close() }()
		if err := b.Update(fn); err != nil {
			t.Fatal(err)
		}
	}
	expect := func(want string) {
		t.Helper()
		_, err := devnet.Verify(tn.dir)
		if !errors.Is(err, devnet.ErrMismatch) || !strings.Contains(err.Error(), want) {
			t.Fatalf("verify = %v, want a mismatch mentioning %q", err, want)
		}
	}

	// 1. A state value changed.
	var key, old []byte
	tamper(func(tx *bolt.Tx) error {
		c := tx.Bucket([]byte("state")).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if strings.HasSuffix(string(k), "\x00b") {
				key, old = append([]byte(nil), k...), append([]byte(nil), v...)
			}
		}
		forged := append(append([]byte(nil), old[:len(old)-1]...), 'X')
		return tx.Bucket([]byte("state")).Put(key, forged)
	})
	expect(`state: key "certledger\x00b" differs`)
	tamper(func(tx *bolt.Tx) error { return tx.Bucket([]byte("state")).Put(key, old) })

	// 2. A validation flag flipped (an MVCC-valid transaction marked invalid).
	var blk3 []byte
	tamper(func(tx *bolt.Tx) error {
		k := []byte{0, 0, 0, 0, 0, 0, 0, 3}
		blk3 = append([]byte(nil), tx.Bucket([]byte("blocks")).Get(k)...)
		b := &common.Block{}
		if err := proto.Unmarshal(blk3, b); err != nil {
			return err
		}
		b.Metadata.Metadata[common.BlockMetadataIndex_TRANSACTIONS_FILTER][0] = 11
		raw, _ := proto.Marshal(b)
		return tx.Bucket([]byte("blocks")).Put(k, raw)
	})
	expect("block 3 transaction 0")

	// 3. A transaction's bytes changed: the data hash no longer matches.
	tamper(func(tx *bolt.Tx) error {
		b := &common.Block{}
		if err := proto.Unmarshal(blk3, b); err != nil {
			return err
		}
		d := b.Data.Data[0]
		d[len(d)-1] ^= 1
		raw, _ := proto.Marshal(b)
		return tx.Bucket([]byte("blocks")).Put([]byte{0, 0, 0, 0, 0, 0, 0, 3}, raw)
	})
	expect("block 3: data hash")
}
