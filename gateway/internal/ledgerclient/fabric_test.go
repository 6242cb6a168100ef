package ledgerclient

import (
	"context"
	"errors"
	"fmt"
	"testing"

	grpccodes "google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestTxCache(t *testing.T) {
	c := newTxCache(3)
	for i := range 5 {
		c.put(fmt.Sprintf("tx%d", i), uint64(i+10))
	}
	for i, want := range []bool{false, false, true, true, true} {
		n, ok := c.get(fmt.Sprintf("tx%d", i))
		if ok != want || (ok && n != uint64(i+10)) {
			t.Errorf("tx%d: %d %v, want present=%v", i, n, ok, want)
		}
	}
	c.put("tx4", 99) // already known: kept
	if n, _ := c.get("tx4"); n != 14 {
		t.Errorf("tx4 overwritten: %d", n)
	}
}

func TestPeerDown(t *testing.T) {
	cases := []struct {
		err  error
		down bool
	}{
		{status.Error(grpccodes.Unavailable, "connection refused"), true},
		{status.Error(grpccodes.DeadlineExceeded, "deadline"), true},
		{status.Error(grpccodes.Unknown, "chaincode response 500, NOT_FOUND: x"), false},
		{status.Error(grpccodes.Unavailable, "chaincode response 500, FORBIDDEN: x"), false},
		{errors.New("plain"), false},
	}
	for _, c := range cases {
		if got := peerDown(c.err); got != c.down {
			t.Errorf("peerDown(%v) = %v", c.err, got)
		}
	}
}

func TestUnknownOrg(t *testing.T) {
	f := &Fabric{orgs: map[string]*orgConn{}, recent: newTxCache(1)}
	if _, err := f.Evaluate(context.Background(), "nope", "registry:GetGovernance"); !errors.Is(err, ErrUnknownOrg) {
		t.Fatal(err)
	}
	if _, err := f.Submit(context.Background(), "nope", "x"); !errors.Is(err, ErrUnknownOrg) {
		t.Fatal(err)
	}
	if _, ok := f.TxBlock(context.Background(), "nope", "tx"); ok {
		t.Fatal("TxBlock on unknown org")
	}
	if _, err := Connect(nil, Timeouts{}); !errors.Is(err, ErrNoOrgs) {
		t.Fatal(err)
	}
}
