package bench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary act as the load-generator child of
// TestRunExternal (the real command re-executes certledger-gateway bench client).
func TestMain(m *testing.M) {
	if os.Getenv("CERTLEDGER_BENCH_TEST_CHILD") == "1" && len(os.Args) > 1 && os.Args[1] == "client" {
		o, err := ParseClientArgs(os.Args[2:])
		if err == nil {
			err = RunClient(context.Background(), o, os.Stdin, os.Stdout)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench client:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestParseClientArgs(t *testing.T) {
	want := ClientOptions{Mode: "rest", Profile: "p.yaml", URL: "http://127.0.0.1:1", Records: "r.json", Concurrency: 7}
	got, err := ParseClientArgs(want.Args())
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	direct := []string{"--mode", "direct", "--profile", "p.yaml", "--records", "r.json"}
	if got, err := ParseClientArgs(direct); err != nil || got.Concurrency != 32 {
		t.Fatalf("direct with defaults: %+v, %v", got, err)
	}
	for name, args := range map[string][]string{
		"bad mode":          {"--mode", "grpc", "--records", "r"},
		"direct no profile": {"--mode", "direct", "--records", "r"},
		"rest no url":       {"--mode", "rest", "--records", "r"},
		"no records":        {"--mode", "rest", "--url", "u"},
		"zero concurrency":  {"--mode", "rest", "--url", "u", "--records", "r", "--concurrency", "0"},
		"unknown flag":      {"--mode", "rest", "--url", "u", "--records", "r", "--token", "x"},
		"extra argument":    {"--mode", "rest", "--url", "u", "--records", "r", "more"},
	} {
		if _, err := ParseClientArgs(args); err == nil {
			t.Errorf("%s: accepted %q", name, args)
		}
	}
}

// TestRunExternal runs the benchmark with the load generators in a child process
// (this test binary); figures are printed, never asserted.
func TestRunExternal(t *testing.T) {
	if testing.Short() || os.Getenv("CERTLEDGER_SKIP_E2E") != "" {
		t.Skip("needs an in-process devnet (skipped by -short or CERTLEDGER_SKIP_E2E)")
	}
	t.Setenv("CERTLEDGER_BENCH_TEST_CHILD", "1")
	var out bytes.Buffer
	res, err := Run(context.Background(), Options{N: 10, Rounds: 1, Concurrency: 4, VerifyFor: 300 * time.Millisecond, Dir: t.TempDir(),
		ExternalClients: true, ClientCommand: []string{os.Args[0], "client"}}, &out)
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + out.String())
	if res.Errors != 0 || !res.External || res.DirectClientCPU <= 0 || !strings.Contains(out.String(), "child process") {
		t.Fatalf("%+v", res)
	}
}
