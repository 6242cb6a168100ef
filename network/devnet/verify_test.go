package devnet_test

import (
	"encoding/binary"
	"errors"
	"os"
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
	tamperBlock := func(num uint64, fn func(*common.Block)) {
		t.Helper()
		var loc []byte
		tamper(func(tx *bolt.Tx) error {
			loc = append(loc, tx.Bucket([]byte("blockindex")).Get(binary.BigEndian.AppendUint64(nil, num))...)
			return nil
		})
		rewriteBlock(t, db+".blocks", loc, fn)
	}
	tamperBlock(3, func(b *common.Block) { b.Metadata.Metadata[common.BlockMetadataIndex_TRANSACTIONS_FILTER][0] = 11 })
	expect("block 3 transaction 0")

	// 3. A transaction's bytes changed: the data hash no longer matches.
	tamperBlock(3, func(b *common.Block) {
		d := b.Data.Data[0]
		d[len(d)-1] ^= 1
	})
	expect("block 3: data hash")
}

// rewriteBlock changes the block at loc (offset, length) of a blocks file in
// place; fn must keep its encoded length.
func rewriteBlock(t *testing.T, path string, loc []byte, fn func(*common.Block)) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	off, n := int64(binary.BigEndian.Uint64(loc[0:8])), binary.BigEndian.Uint64(loc[8:16])
	raw := make([]byte, n)
	if _, err := f.ReadAt(raw, off); err != nil {
		t.Fatal(err)
	}
	b := &common.Block{}
	if err := proto.Unmarshal(raw, b); err != nil {
		t.Fatal(err)
	}
	fn(b)
	if raw, err = proto.Marshal(b); err != nil || uint64(len(raw)) != n {
		t.Fatalf("re-encoded block: %d bytes, %v", len(raw), err)
	}
	if _, err := f.WriteAt(raw, off); err != nil {
		t.Fatal(err)
	}
}
