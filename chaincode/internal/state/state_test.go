package state_test

import (
	"errors"
	"testing"
	"time"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/certledger/certledger/chaincode/internal/state"
	"github.com/certledger/certledger/chaincode/ledgertest"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/wire"
)

func ctxFor(l *ledgertest.Ledger, tx ledgertest.Tx) *contractapi.TransactionContext {
	ctx := &contractapi.TransactionContext{}
	ctx.SetStub(l.NewStub(tx, "fn"))
	return ctx
}

func TestCheckSkew(t *testing.T) {
	l := ledgertest.New(t, nil)
	now := l.Now()
	for _, tc := range []struct {
		name   string
		env    string
		offset time.Duration
		code   string
	}{
		{"on time", "", 0, ""},
		{"4m59s late", "", 4*time.Minute + 59*time.Second, ""},
		{"5m early is still fine", "", -5 * time.Minute, ""},
		{"5m1s ahead", "", 5*time.Minute + time.Second, codes.InvalidArgument},
		{"an hour back", "", -time.Hour, codes.InvalidArgument},
		{"env widens", "2h", -time.Hour, ""},
		{"env narrows", "10s", 11 * time.Second, codes.InvalidArgument},
		{"env malformed", "soon", 0, codes.Internal},
		{"env negative", "-1m", 0, codes.Internal},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(state.MaxSkewEnv, tc.env)
			err := state.CheckSkew(ctxFor(l, ledgertest.Tx{MSP: "Org1MSP", Time: now.Add(tc.offset)}))
			if got := codes.Code(err); got != tc.code {
				t.Fatalf("CheckSkew = %v, want code %q", err, tc.code)
			}
		})
	}
}

func TestTxTimeAndSubmitter(t *testing.T) {
	l := ledgertest.New(t, nil)
	at := time.Date(2026, 11, 28, 12, 0, 0, 500_000_000, time.FixedZone("CST", 8*3600))
	ctx := ctxFor(l, ledgertest.Tx{MSP: "Org1MSP", Time: at})
	got, err := state.TxTime(ctx)
	if err != nil || !got.Equal(at) || got.Location() != time.UTC {
		t.Fatalf("TxTime = %v, %v", got, err)
	}
	if s := wire.FormatTime(got); s != "2026-11-28T04:00:00.5Z" {
		t.Fatalf("FormatTime = %s", s)
	}
	if s := wire.FormatTime(time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)); s != "2026-11-28T12:00:00Z" {
		t.Fatalf("FormatTime = %s", s)
	}
	if msp, err := state.SubmitterMSP(ctx); err != nil || msp != "Org1MSP" {
		t.Fatalf("SubmitterMSP = %q, %v", msp, err)
	}
	if _, err := state.SubmitterMSP(ctxFor(l, ledgertest.Tx{})); codes.Code(err) != codes.Forbidden {
		t.Fatalf("SubmitterMSP without creator = %v, want FORBIDDEN", err)
	}
}

func TestDecode(t *testing.T) {
	type in struct {
		A string `json:"a"`
	}
	for _, tc := range []struct {
		arg string
		ok  bool
	}{
		{`{"a":"x"}`, true},
		{` {"a":"x"} `, true},
		{`{"a":"x","b":1}`, false}, // unknown field
		{`{"a":"x"}{}`, false},     // trailing data
		{`{"a":"x"}}`, false},
		{`{"a":1}`, false},
		{``, false},
	} {
		var v in
		err := state.Decode("input", tc.arg, &v)
		if (err == nil) != tc.ok {
			t.Errorf("Decode(%q) = %v, want ok=%v", tc.arg, err, tc.ok)
		}
		if err != nil && codes.Code(err) != codes.InvalidArgument {
			t.Errorf("Decode(%q) code = %v", tc.arg, err)
		}
	}
}

func TestParseTime(t *testing.T) {
	if _, err := state.ParseTime("at", "2026-11-28T12:00:00+08:00"); err != nil {
		t.Fatal(err)
	}
	if _, err := state.ParseTime("at", "2026-11-28 12:00"); codes.Code(err) != codes.InvalidArgument {
		t.Fatalf("ParseTime malformed = %v", err)
	}
}

func TestContractAndReply(t *testing.T) {
	c := state.Contract("demo", "a demo")
	if c.Name != "demo" || c.Info.Title != "a demo" || c.Info.Version != "1" {
		t.Fatalf("Contract = %+v", c)
	}
	if s, err := state.Reply(map[string]int{"a": 1}, nil); err != nil || s != `{"a":1}` {
		t.Fatalf("Reply = %q, %v", s, err)
	}
	boom := errors.New("boom")
	if s, err := state.Reply(1, boom); s != "" || !errors.Is(err, boom) {
		t.Fatalf("Reply with error = %q, %v", s, err)
	}
}
