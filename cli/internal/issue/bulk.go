package issue

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/certledger/certledger/cli/internal/client"
	"github.com/certledger/certledger/cli/internal/manifest"
	"github.com/certledger/certledger/internal/gm"
)

// StateFile is the name of the resume file Bulk keeps in the output directory.
const StateFile = ".certledger-bulk-state.jsonl"

// BulkOptions configures Bulk.
type BulkOptions struct {
	Dir         string        // base of relative file paths in the manifest
	Concurrency int           // parallel submissions (default 8)
	Group       int           // records per grouped transaction (0 or 1: one transaction each)
	StatePath   string        // default OutDir/StateFile
	OnDone      func(Outcome) // called once per row (from worker goroutines, serialised)
	// V2 completes a v2 row (manifest.Row.V2): the catalogue type and the
	// department's code and name. Required when the manifest has v2 rows.
	V2 func(manifest.Row) (*V2, error)
}

// Outcome is what happened to one row.
type Outcome struct {
	Row     manifest.Row
	Result  *Result
	Skipped bool // already issued by an earlier run (state file)
	Err     error
}

// Failure is one failed row.
type Failure struct {
	Line  int    `json:"line"`
	File  string `json:"file"`
	ID    string `json:"id,omitempty"`
	Error string `json:"error"`
}

// Summary counts what Bulk did.
type Summary struct {
	Total           int       `json:"total"`
	Issued          int       `json:"issued"`
	Skipped         int       `json:"skipped"`         // done in an earlier run
	AlreadyOnLedger int       `json:"alreadyOnLedger"` // id found on the ledger with the same hash
	Failed          int       `json:"failed"`
	Unreachable     int       `json:"unreachable,omitempty"` // failed because the gateway was unreachable
	NotAttempted    int       `json:"notAttempted"`          // left when interrupted
	Interrupted     bool      `json:"interrupted,omitempty"`
	StateFile       string    `json:"stateFile"`
	Failures        []Failure `json:"failures,omitempty"`
}

type stateLine struct {
	Key     string `json:"key"`
	ID      string `json:"id"`
	DocHash string `json:"docHash"`
	TxID    string `json:"txId,omitempty"`
	Status  string `json:"status"` // issued | existing
}

// LoadState reads the keys of the rows a state file records as done. A missing file
// is an empty state; a torn last line (crash while writing) is ignored.
func LoadState(path string) (map[string]stateLine, error) {
	done := map[string]stateLine{}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return done, nil
	}
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }() // read-only file
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var l stateLine
		if json.Unmarshal(sc.Bytes(), &l) == nil && l.Key != "" {
			done[l.Key] = l
		}
	}
	return done, sc.Err()
}

type stateWriter struct {
	mu sync.Mutex
	f  *os.File
}

func (w *stateWriter) add(l stateLine) error {
	b, err := json.Marshal(l)
	if err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, err := w.f.Write(append(b, '\n')); err != nil {
		return err
	}
	return w.f.Sync()
}

// Request turns a manifest row into a request (file relative to dir).
func RowRequest(row manifest.Row, dir string) Request {
	file := row.File
	if file != "" && !filepath.IsAbs(file) {
		file = filepath.Join(dir, file)
	}
	return Request{File: file, DocHash: row.DocHash, Type: row.Type, HolderID: row.HolderID, ValidFrom: row.ValidFrom, ValidUntil: row.ValidUntil, ID: row.ID}
}

// Bulk issues every row not yet done, opt.Concurrency at a time, recording each
// success in the state file so that a rerun skips it. It returns an error only when
// it cannot start (state file); row failures are in the summary. When ctx is
// cancelled it stops taking rows and reports the rest as not attempted.
func (is *Issuer) Bulk(ctx context.Context, rows []manifest.Row, opt BulkOptions) (*Summary, error) {
	if opt.Concurrency <= 0 {
		opt.Concurrency = 8
	}
	if opt.StatePath == "" {
		opt.StatePath = filepath.Join(is.OutDir, StateFile)
	}
	done, err := LoadState(opt.StatePath)
	if err != nil {
		return nil, fmt.Errorf("reading state file: %w", err)
	}
	f, err := os.OpenFile(opt.StatePath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening state file: %w", err)
	}
	defer func() { _ = f.Close() }() // every line is fsynced in stateWriter.add
	sw := &stateWriter{f: f}

	sum := &Summary{Total: len(rows), StateFile: opt.StatePath}
	var mu sync.Mutex
	report := func(o Outcome) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case o.Skipped:
			sum.Skipped++
		case o.Err != nil:
			sum.Failed++
			if errors.Is(o.Err, client.ErrUnreachable) {
				sum.Unreachable++
			}
			fl := Failure{Line: o.Row.Line, File: o.Row.File, ID: o.Row.ID, Error: o.Err.Error()}
			sum.Failures = append(sum.Failures, fl)
		case o.Result != nil && o.Result.AlreadyOnLedger:
			sum.AlreadyOnLedger++
		default:
			sum.Issued++
		}
		if opt.OnDone != nil {
			opt.OnDone(o)
		}
	}

	group := max(opt.Group, 1)
	jobs := make(chan []manifest.Row)
	var wg sync.WaitGroup
	for range opt.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for chunk := range jobs {
				if group == 1 {
					report(is.bulkRow(ctx, chunk[0], opt, sw))
					continue
				}
				for _, o := range is.bulkGroup(ctx, chunk, opt, sw) {
					report(o)
				}
			}
		}()
	}
	attempted := 0
	var chunk []manifest.Row
	send := func() bool {
		if len(chunk) == 0 {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case jobs <- chunk:
			attempted += len(chunk)
			chunk = nil
			return true
		}
	}
feed:
	for _, row := range rows {
		if _, ok := done[row.Key()]; ok {
			report(Outcome{Row: row, Skipped: true})
			attempted++
			continue
		}
		chunk = append(chunk, row)
		if len(chunk) == group && !send() {
			break feed
		}
	}
	send()
	close(jobs)
	wg.Wait()
	sum.NotAttempted = len(rows) - attempted
	sum.Interrupted = ctx.Err() != nil
	sort.Slice(sum.Failures, func(i, j int) bool { return sum.Failures[i].Line < sum.Failures[j].Line })
	return sum, nil
}

func (is *Issuer) bulkRow(ctx context.Context, row manifest.Row, opt BulkOptions, sw *stateWriter) Outcome {
	if err := ctx.Err(); err != nil {
		return Outcome{Row: row, Err: err}
	}
	req, err := is.rowRequest(row, opt)
	if err != nil {
		return Outcome{Row: row, Err: err}
	}
	res, err := is.Issue(ctx, req)
	return is.settle(row, req, res, err, sw)
}

// rowRequest is the request of a manifest row, its document hashed and its id
// derived when the row has none (a v2 row's identifier is built at signing,
// from the catalogue's completion opt.V2).
func (is *Issuer) rowRequest(row manifest.Row, opt BulkOptions) (Request, error) {
	req := RowRequest(row, opt.Dir)
	if row.V2() {
		if opt.V2 == nil {
			return req, fmt.Errorf("%w: v2 row without the catalogue (BulkOptions.V2)", ErrInput)
		}
		v, err := opt.V2(row)
		if err != nil {
			return req, err
		}
		req.V2 = v
	}
	if req.DocHash == "" {
		h, _, err := gm.SM3File(req.File)
		if err != nil {
			return req, fmt.Errorf("hashing document: %w", err)
		}
		req.DocHash = h
	}
	if req.ID == "" && req.V2 == nil {
		req.ID = DerivedID(is.Signer.Dept, req.DocHash, row.Type, row.ValidFrom, row.ValidUntil)
	}
	return req, nil
}

// settle records a row's result in the state file.
func (is *Issuer) settle(row manifest.Row, req Request, res *Result, err error, sw *stateWriter) Outcome {
	if err != nil {
		return Outcome{Row: row, Err: err}
	}
	st := "issued"
	if res.AlreadyOnLedger {
		st = "existing"
	}
	if err := sw.add(stateLine{Key: row.Key(), ID: res.Record.ID, DocHash: req.DocHash, TxID: res.TxID, Status: st}); err != nil {
		return Outcome{Row: row, Result: res, Err: fmt.Errorf("issued, but recording it in the state file failed: %w", err)}
	}
	return Outcome{Row: row, Result: res}
}

// bulkGroup issues rows in one grouped transaction (IssueGroup). A gateway
// without grouped issue gets the rows one by one.
func (is *Issuer) bulkGroup(ctx context.Context, rows []manifest.Row, opt BulkOptions, sw *stateWriter) []Outcome {
	out := make([]Outcome, len(rows))
	reqs := make([]Request, 0, len(rows))
	idx := make([]int, 0, len(rows))
	for i, row := range rows {
		if err := ctx.Err(); err != nil {
			out[i] = Outcome{Row: row, Err: err}
			continue
		}
		req, err := is.rowRequest(row, opt)
		if err != nil {
			out[i] = Outcome{Row: row, Err: err}
			continue
		}
		reqs = append(reqs, req)
		idx = append(idx, i)
	}
	results, errs := is.IssueGroup(ctx, reqs)
	for k, i := range idx {
		if errors.Is(errs[k], ErrNoGroups) {
			res, err := is.Issue(ctx, reqs[k])
			out[i] = is.settle(rows[i], reqs[k], res, err, sw)
			continue
		}
		out[i] = is.settle(rows[i], reqs[k], results[k], errs[k], sw)
	}
	return out
}
