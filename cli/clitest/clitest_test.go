package clitest_test

import (
	"context"
	"strings"
	"testing"

	"github.com/certledger/certledger/cli/clitest"
)

func TestRun(t *testing.T) {
	r := clitest.Run(context.Background(), strings.NewReader("abc"), "hash", "-")
	if r.Code != 0 || !strings.HasPrefix(r.Stdout, "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0") {
		t.Fatalf("%+v", r)
	}
	if r := clitest.Run(context.Background(), nil, "no-such-command"); r.Code != 2 {
		t.Fatalf("%+v", r)
	}
}
