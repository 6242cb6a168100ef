package loadcmd

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/certledger/certledger/gateway/gatewaytest"
	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/loadtest/internal/driver"
	"github.com/certledger/certledger/loadtest/internal/proc"
	"github.com/certledger/certledger/loadtest/record"
	"github.com/certledger/certledger/network/devnet"
)

// TokenEnv carries the REST bearer token to the load-generator child, so that it
// never appears in a process listing.
const TokenEnv = "CERTLEDGER_LOAD_TOKEN"

// clientOptions are the arguments of the load-generator child
// (certledger-load gateway client ...), used with --external-clients.
type clientOptions struct {
	Mode        string // pathDirect (fabric-gateway client) or pathREST (HTTP client)
	Profile     string // connection profile of the submitting organisation (direct)
	URL         string // gateway base URL (rest)
	Records     string // JSON file of pre-signed records (clientJob)
	Concurrency int
}

// args is the command line gatewayClientCommand reads back.
func (o clientOptions) args() []string {
	return []string{"--mode", o.Mode, "--profile", o.Profile, "--url", o.URL, "--records", o.Records, "--concurrency", strconv.Itoa(o.Concurrency)}
}

// check refuses incomplete options.
func (o clientOptions) check() error {
	switch {
	case o.Mode != pathDirect && o.Mode != pathREST:
		return fmt.Errorf("--mode: want direct or rest, got %q", o.Mode)
	case o.Mode == pathDirect && o.Profile == "":
		return errors.New("--profile is required with --mode direct")
	case o.Mode == pathREST && o.URL == "":
		return errors.New("--url is required with --mode rest")
	case o.Records == "":
		return errors.New("--records is required")
	case o.Concurrency <= 0:
		return errors.New("--concurrency must be positive")
	}
	return nil
}

// clientJob is the records file: Warm is sent before the child reports ready
// (connections, keep-alive), Run is the measured round.
type clientJob struct {
	Warm []certificate.Record `json:"warm"`
	Run  []certificate.Record `json:"run"`
}

// clientResult is the child's one-line JSON answer.
type clientResult struct {
	WallNS   int64   `json:"wallNs"`
	CPUNS    int64   `json:"cpuNs"` // the child's CPU time during the measured round
	Failed   int     `json:"failed"`
	FirstErr string  `json:"firstErr,omitempty"`
	LatNS    []int64 `json:"latNs"` // of the successful requests
}

// gatewayClientCommand is the load-generator child of gateway --external-clients
// (hidden: the parent starts it with the arguments it needs).
func gatewayClientCommand() *cli.Command {
	return &cli.Command{
		Name:   "client",
		Usage:  "load generator child of gateway --external-clients",
		Hidden: true,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "mode"}, &cli.StringFlag{Name: "profile"}, &cli.StringFlag{Name: "url"},
			&cli.StringFlag{Name: "records"}, &cli.IntFlag{Name: "concurrency", Value: 32},
		},
		Action: func(c *cli.Context) error {
			o := clientOptions{Mode: c.String("mode"), Profile: c.String("profile"), URL: c.String("url"),
				Records: c.String("records"), Concurrency: c.Int("concurrency")}
			if err := o.check(); err != nil {
				return cli.Exit("gateway client: "+err.Error(), 2)
			}
			if c.Args().Len() > 0 {
				return cli.Exit(fmt.Sprintf("gateway client: unexpected argument %q", c.Args().First()), 2)
			}
			return runClient(c.Context, o, c.App.Reader, c.App.Writer)
		},
	}
}

// runClient is the load-generator child: it connects, sends the warm-up records,
// prints "ready", waits for a line on in, sends the measured records and prints
// a clientResult as one JSON line. The parent measures its own CPU between the two.
func runClient(ctx context.Context, o clientOptions, in io.Reader, out io.Writer) error {
	b, err := os.ReadFile(o.Records)
	if err != nil {
		return err
	}
	var job clientJob
	if err := json.Unmarshal(b, &job); err != nil {
		return fmt.Errorf("%s: %w", o.Records, err)
	}
	issue, closeFn, err := clientIssuer(o)
	if err != nil {
		return err
	}
	defer closeFn()
	if w := driver.Run(ctx, driver.Options{Workers: o.Concurrency, N: len(job.Warm)}, issue(job.Warm)); w.Failed > 0 {
		return fmt.Errorf("warm-up: %d failures, first: %w", w.Failed, w.FirstErr)
	}
	if _, err := fmt.Fprintln(out, "ready"); err != nil {
		return err
	}
	if _, err := bufio.NewReader(in).ReadString('\n'); err != nil {
		return fmt.Errorf("waiting for go: %w", err)
	}
	cpu0 := proc.SelfCPU()
	r := driver.Run(ctx, driver.Options{Workers: o.Concurrency, N: len(job.Run)}, issue(job.Run))
	res := clientResult{WallNS: int64(r.Elapsed), CPUNS: int64(proc.SelfCPU() - cpu0), Failed: r.Failed, LatNS: make([]int64, len(r.Latency))}
	if r.FirstErr != nil {
		res.FirstErr = r.FirstErr.Error()
	}
	for i, l := range r.Latency {
		res.LatNS[i] = int64(l)
	}
	return json.NewEncoder(out).Encode(res)
}

// clientIssuer connects the child's client of o.Mode; the returned function
// makes the issue operation over a list of records.
func clientIssuer(o clientOptions) (func([]certificate.Record) driver.Op, func(), error) {
	if o.Mode == pathREST {
		hc := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: o.Concurrency * 2, MaxIdleConns: o.Concurrency * 4}}
		token := os.Getenv(TokenEnv)
		base := strings.TrimRight(o.URL, "/")
		return func(recs []certificate.Record) driver.Op { return restIssue(hc, base, token, recs) }, hc.CloseIdleConnections, nil
	}
	gw, conn, err := devnet.Connect(o.Profile)
	if err != nil {
		return nil, nil, err
	}
	p := gw.GetNetwork("certledger").GetContract("certledger")
	closeFn := func() { _ = gw.Close(); _ = conn.Close() } // end of the child
	return func(recs []certificate.Record) driver.Op { return submitIssue(p, recs) }, closeFn, nil
}

// restIssue posts recs[i] to POST /api/v1/certificates with token (a raw token).
func restIssue(hc *http.Client, base, token string, recs []certificate.Record) driver.Op {
	return func(ctx context.Context, i int) error {
		status, body, err := postJSON(ctx, hc, base+"/api/v1/certificates", token, strings.NewReader(record.JSON(recs[i])))
		if err != nil {
			return err
		}
		if status != http.StatusCreated {
			return fmt.Errorf("issue %s: %d %s", recs[i].ID, status, body)
		}
		return nil
	}
}

// postJSON POSTs the JSON body to url with token as bearer and returns the
// answer's status and whole body.
func postJSON(ctx context.Context, hc *http.Client, url, token string, body io.Reader) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, body)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer func() { _ = res.Body.Close() }() // response body; close error carries nothing
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, nil, err
	}
	return res.StatusCode, b, nil
}

// restVerify runs GET /api/v1/verify?id&hash over recs (round robin) and wants VALID.
func restVerify(s *gatewaytest.Stack, hc *http.Client, recs []certificate.Record) driver.Op {
	return func(ctx context.Context, i int) error {
		rec := recs[i%len(recs)]
		r, err := s.Do(ctx, hc, "GET", "/api/v1/verify?id="+rec.ID+"&hash="+rec.DocHash, "", nil)
		if err != nil {
			if ctx.Err() != nil {
				return nil // the phase ended mid-request: not a failure
			}
			return err
		}
		if v, err := record.Verdict(r.Body); r.Status != http.StatusOK || err != nil || v != "VALID" {
			return fmt.Errorf("verify %s: %d %s", rec.ID, r.Status, bytes.TrimSpace(r.Body))
		}
		return nil
	}
}

// childRound runs one measured round in a child process (command + o.args()):
// it returns the round with the child's latencies, its CPU time (group child)
// and this process's CPU time while the child sent the measured records (group
// parent, from its "ready" to its answer).
func childRound(ctx context.Context, command []string, o clientOptions, token string, job clientJob, dir string) (driver.Result, error) {
	f, err := os.CreateTemp(dir, "load-records-*.json")
	if err != nil {
		return driver.Result{}, err
	}
	defer func() { _ = os.Remove(f.Name()) }() // best-effort cleanup of a scratch file
	if err := json.NewEncoder(f).Encode(job); err != nil {
		_ = f.Close()
		return driver.Result{}, err
	}
	if err := f.Close(); err != nil {
		return driver.Result{}, err
	}
	o.Records = f.Name()
	cmd := exec.CommandContext(ctx, command[0], append(command[1:], o.args()...)...) //nolint:gosec // re-exec of this binary with arguments built here
	cmd.Env = append(os.Environ(), TokenEnv+"="+token)
	cmd.Stderr = os.Stderr
	cr, cpu, err := talkToChild(cmd, o.Mode)
	if err != nil {
		return driver.Result{}, err
	}
	res := driver.Result{Name: o.Mode, Workers: o.Concurrency, Failed: cr.Failed, Elapsed: time.Duration(cr.WallNS),
		CPU: map[string]time.Duration{cpuParent: cpu, cpuChild: time.Duration(cr.CPUNS)}}
	for _, l := range cr.LatNS {
		res.Latency = append(res.Latency, time.Duration(l))
	}
	res.OK = len(res.Latency)
	if cr.FirstErr != "" {
		res.FirstErr = errors.New(cr.FirstErr)
	}
	return res, nil
}

// talkToChild starts cmd, waits for its ready line, says go and reads its
// answer; it returns the answer and this process's CPU time in between.
func talkToChild(cmd *exec.Cmd, mode string) (clientResult, time.Duration, error) {
	var res clientResult
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
	if line, err := rd.ReadString('\n'); err != nil || strings.TrimSpace(line) != "ready" {
		return fail(fmt.Errorf("gateway client %s: want a ready line, got %q (%w)", mode, line, err))
	}
	cpu0 := proc.SelfCPU()
	if _, err := io.WriteString(stdin, "go\n"); err != nil {
		return fail(err)
	}
	answer, err := rd.ReadBytes('\n')
	cpu := proc.SelfCPU() - cpu0
	if err != nil {
		return fail(fmt.Errorf("gateway client %s: reading result: %w", mode, err))
	}
	if err := json.Unmarshal(answer, &res); err != nil {
		return fail(fmt.Errorf("gateway client %s: %w", mode, err))
	}
	_ = stdin.Close()
	if err := cmd.Wait(); err != nil {
		return res, 0, fmt.Errorf("gateway client %s: %w", mode, err)
	}
	return res, cpu, nil
}
