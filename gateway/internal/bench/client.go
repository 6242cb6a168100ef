package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"

	"github.com/certledger/certledger/gateway/internal/httpapi"
	"github.com/certledger/certledger/internal/profile"
	"github.com/certledger/certledger/network/devnet"
)

// TokenEnv carries the REST bearer token to the load-generator child, so that it
// never appears in a process listing.
const TokenEnv = "CERTLEDGER_BENCH_TOKEN"

// ClientOptions are the arguments of the load-generator child process
// (certledger-gateway bench client ...), used with --external-clients.
type ClientOptions struct {
	Mode        string // "direct" (fabric-gateway client) or "rest" (HTTP client)
	Profile     string // connection profile of the submitting organisation (direct)
	URL         string // gateway base URL (rest)
	Records     string // JSON file of pre-signed records (clientJob)
	Concurrency int
}

// Args is the command line ParseClientArgs reads back.
func (o ClientOptions) Args() []string {
	return []string{"--mode", o.Mode, "--profile", o.Profile, "--url", o.URL, "--records", o.Records, "--concurrency", strconv.Itoa(o.Concurrency)}
}

// ParseClientArgs parses and checks the child's arguments.
func ParseClientArgs(args []string) (ClientOptions, error) {
	var o ClientOptions
	fs := flag.NewFlagSet("bench client", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.Mode, "mode", "", "direct or rest")
	fs.StringVar(&o.Profile, "profile", "", "connection profile (direct)")
	fs.StringVar(&o.URL, "url", "", "gateway base URL (rest)")
	fs.StringVar(&o.Records, "records", "", "JSON file of pre-signed records")
	fs.IntVar(&o.Concurrency, "concurrency", 32, "concurrent clients")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case o.Mode != "direct" && o.Mode != "rest":
		return o, fmt.Errorf("--mode: want direct or rest, got %q", o.Mode)
	case o.Mode == "direct" && o.Profile == "":
		return o, errors.New("--profile is required with --mode direct")
	case o.Mode == "rest" && o.URL == "":
		return o, errors.New("--url is required with --mode rest")
	case o.Records == "":
		return o, errors.New("--records is required")
	case o.Concurrency <= 0:
		return o, errors.New("--concurrency must be positive")
	}
	return o, nil
}

// clientJob is the records file: Warm is sent before the child reports ready
// (connections, keep-alive), Run is the measured round.
type clientJob struct {
	Warm []httpapi.CertificateRecord `json:"warm"`
	Run  []httpapi.CertificateRecord `json:"run"`
}

// clientResult is the child's one-line JSON answer.
type clientResult struct {
	WallNS int64   `json:"wallNs"`
	CPUNS  int64   `json:"cpuNs"` // the child's CPU time during the measured round
	Errors int     `json:"errors"`
	LatNS  []int64 `json:"latNs"`
}

// RunClient is the load-generator child: it connects, sends the warm-up records,
// prints "ready", waits for a line on in, sends the measured records and prints a
// clientResult as one JSON line. The parent measures its own CPU between the two.
func RunClient(ctx context.Context, o ClientOptions, in io.Reader, out io.Writer) error {
	b, err := os.ReadFile(o.Records)
	if err != nil {
		return err
	}
	var job clientJob
	if err := json.Unmarshal(b, &job); err != nil {
		return fmt.Errorf("%s: %w", o.Records, err)
	}
	var f func(context.Context, httpapi.CertificateRecord) error
	if o.Mode == "direct" {
		p, err := profile.Load(o.Profile)
		if err != nil {
			return err
		}
		gw, conn, err := devnet.Connect(o.Profile)
		if err != nil {
			return err
		}
		defer func() { _ = conn.Close() }() // end of the child
		defer func() { _ = gw.Close() }()   // end of the child
		contract := gw.GetNetwork(p.Channel).GetContract(p.Chaincode)
		f = func(ctx context.Context, rec httpapi.CertificateRecord) error {
			b, _ := json.Marshal(rec)
			_, err := contract.SubmitWithContext(ctx, "certificate:Issue", client.WithArguments(string(b)))
			return err
		}
	} else {
		hc := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: o.Concurrency * 2, MaxIdleConns: o.Concurrency * 4}}
		defer hc.CloseIdleConnections()
		f = restIssuer(hc, strings.TrimRight(o.URL, "/"), os.Getenv(TokenEnv))
	}
	if len(job.Warm) > 0 {
		if _, e, _ := issue(ctx, job.Warm, o.Concurrency, f); e > 0 {
			return fmt.Errorf("warm-up: %d failures", e)
		}
	}
	if _, err := fmt.Fprintln(out, "ready"); err != nil {
		return err
	}
	if _, err := bufio.NewReader(in).ReadString('\n'); err != nil {
		return fmt.Errorf("waiting for go: %w", err)
	}
	cpu0 := cpuTime()
	d, e, lat := issue(ctx, job.Run, o.Concurrency, f)
	res := clientResult{WallNS: int64(d), CPUNS: int64(cpuTime() - cpu0), Errors: e, LatNS: make([]int64, len(lat))}
	for i, l := range lat {
		res.LatNS[i] = int64(l)
	}
	return json.NewEncoder(out).Encode(res)
}

// restIssuer posts a record to POST /api/v1/certificates with token.
func restIssuer(hc *http.Client, base, token string) func(context.Context, httpapi.CertificateRecord) error {
	return func(ctx context.Context, rec httpapi.CertificateRecord) error {
		b, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/certificates", bytes.NewReader(b))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		res, err := hc.Do(req)
		if err != nil {
			return err
		}
		defer func() { _ = res.Body.Close() }() // response body; close error carries nothing
		body, err := io.ReadAll(res.Body)
		if err != nil {
			return err
		}
		if res.StatusCode != http.StatusCreated {
			return fmt.Errorf("issue %s: %d %s", rec.ID, res.StatusCode, body)
		}
		return nil
	}
}

// childRound runs one measured round in a child process (command + o.Args()):
// it returns the child's result and this process's CPU time while the child sent
// the measured records (from its "ready" to its answer).
func childRound(ctx context.Context, command []string, o ClientOptions, token string, job clientJob, dir string) (clientResult, time.Duration, error) {
	var res clientResult
	f, err := os.CreateTemp(dir, "bench-records-*.json")
	if err != nil {
		return res, 0, err
	}
	defer func() { _ = os.Remove(f.Name()) }() // best-effort cleanup of a scratch file
	if err := json.NewEncoder(f).Encode(job); err != nil {
		_ = f.Close()
		return res, 0, err
	}
	if err := f.Close(); err != nil {
		return res, 0, err
	}
	o.Records = f.Name()
	cmd := exec.CommandContext(ctx, command[0], append(command[1:], o.Args()...)...) //nolint:gosec // re-exec of this binary with arguments built here
	cmd.Env = append(os.Environ(), TokenEnv+"="+token)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return res, 0, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return res, 0, err
	}
	if err := cmd.Start(); err != nil {
		return res, 0, err
	}
	fail := func(err error) (clientResult, time.Duration, error) {
		_ = stdin.Close()
		if werr := cmd.Wait(); werr != nil {
			err = fmt.Errorf("%w (child: %w)", err, werr)
		}
		return res, 0, err
	}
	rd := bufio.NewReader(stdout)
	line, err := rd.ReadString('\n')
	if err != nil {
		return fail(fmt.Errorf("bench client %s: waiting for ready: %w", o.Mode, err))
	}
	if strings.TrimSpace(line) != "ready" {
		return fail(fmt.Errorf("bench client %s: want a ready line, got %q", o.Mode, line))
	}
	cpu0 := cpuTime()
	if _, err := io.WriteString(stdin, "go\n"); err != nil {
		return fail(err)
	}
	answer, err := rd.ReadBytes('\n')
	cpu := cpuTime() - cpu0
	if err != nil {
		return fail(fmt.Errorf("bench client %s: reading result: %w", o.Mode, err))
	}
	if err := json.Unmarshal(answer, &res); err != nil {
		return fail(fmt.Errorf("bench client %s: %w", o.Mode, err))
	}
	_ = stdin.Close()
	if err := cmd.Wait(); err != nil {
		return res, 0, fmt.Errorf("bench client %s: %w", o.Mode, err)
	}
	return res, cpu, nil
}
