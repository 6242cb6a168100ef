package command

import (
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/certledger/certledger/cli/internal/issue"
	"github.com/certledger/certledger/cli/internal/manifest"
	"github.com/certledger/certledger/cli/internal/output"
	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v2"
)

func certIssueBulk(c *cli.Context) error {
	p, err := PrinterOf(c)
	if err != nil {
		return err
	}
	dir, rows, err := bulkRows(c)
	if err != nil {
		return err
	}
	cl, is, err := issuerSession(c)
	if err != nil {
		return err
	}
	v2, err := bulkV2(c, cl, is.Signer.Dept, rows)
	if err != nil {
		return err
	}

	bar := bulkBar(c, len(rows))
	var mu sync.Mutex
	sum, err := is.Bulk(c.Context, rows, issue.BulkOptions{
		Dir:         dir,
		Concurrency: c.Int("concurrency"),
		Group:       c.Int("group"),
		V2:          v2,
		OnDone: func(o issue.Outcome) {
			if bar == nil {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			_ = bar.Add(1) // progress display only
		},
	})
	if bar != nil {
		_ = bar.Finish() // progress display only
	}
	if err != nil {
		return inputErr(err)
	}
	if err := p.Print(sum, func(t *output.Tab) { bulkTable(t, sum, is.OutDir) }); err != nil {
		return err
	}
	switch {
	case sum.Interrupted:
		return fmt.Errorf("interrupted: rerun the same command to resume: %w", c.Err())
	case sum.Failed > 0 && sum.Unreachable == sum.Failed:
		return &exitError{code: ExitUnreachable, err: fmt.Errorf("%d of %d rows failed: the gateway or ledger was unreachable (rerun to resume)", sum.Failed, sum.Total)}
	case sum.Failed > 0:
		return Invalidf("%d of %d rows failed (rerun to retry them; issued rows are skipped)", sum.Failed, sum.Total)
	}
	return nil
}

// bulkRows checks the bulk flags and reads the manifest, every row checked
// before anything is signed or sent.
func bulkRows(c *cli.Context) (dir string, rows []manifest.Row, err error) {
	dir, mpath := c.String("dir"), c.String("manifest")
	if dir == "" || mpath == "" {
		return "", nil, Usagef("bulk issue needs both --dir and --manifest")
	}
	for _, f := range []string{"file", "type", "holder-id", "holder-id-file", "valid-until", "valid-from", "id",
		"serial", "version", "name", "holder-name", "holder-name-file", "issue-date", "ext"} {
		if c.IsSet(f) {
			return "", nil, Usagef("--%s is for a single issue; in bulk it is a manifest column", f)
		}
	}
	if n := c.Int("concurrency"); n < 1 || n > 256 {
		return "", nil, Usagef("--concurrency must be 1..256")
	}
	if n := c.Int("group"); n < 1 || n > 10000 {
		return "", nil, Usagef("--group must be 1..10000 (the ledger's own limit is certificate:GroupLimit, default 500)")
	}
	if st, err := os.Stat(dir); err != nil {
		return "", nil, inputErr(err)
	} else if !st.IsDir() {
		return "", nil, Usagef("--dir %s is not a directory", dir)
	}
	mf, err := os.Open(mpath)
	if err != nil {
		return "", nil, inputErr(err)
	}
	rows, err = manifest.Parse(mf)
	_ = mf.Close() // read-only file
	if err != nil {
		return "", nil, Usagef("%s: %v", mpath, err)
	}
	if err := checkBulkRows(mpath, rows); err != nil {
		return "", nil, err
	}
	return dir, rows, nil
}

// checkBulkRows checks every manifest row before anything is signed or sent.
func checkBulkRows(mpath string, rows []manifest.Row) error {
	for _, r := range rows {
		if r.V2() {
			if err := checkV2Row(r); err != nil {
				return Usagef("%s line %d: %v", mpath, r.Line, err)
			}
		}
		if r.ValidUntil != "" || !r.V2() {
			if _, err := issue.NormalizeTime(r.ValidUntil, true); err != nil {
				return Usagef("%s line %d: valid_until: %v", mpath, r.Line, err)
			}
		}
		if r.ValidFrom != "" {
			if _, err := issue.NormalizeTime(r.ValidFrom, false); err != nil {
				return Usagef("%s line %d: valid_from: %v", mpath, r.Line, err)
			}
		}
		if r.ID != "" {
			if err := issue.CheckID(r.ID); err != nil {
				return Usagef("%s line %d: %v", mpath, r.Line, err)
			}
		}
	}
	return nil
}

// bulkBar is the progress bar of a bulk issue on a terminal (nil otherwise).
func bulkBar(c *cli.Context, n int) *progressbar.ProgressBar {
	if !isTerminal(stderrOf(c)) {
		return nil
	}
	return progressbar.NewOptions(n,
		progressbar.OptionSetWriter(stderrOf(c)),
		progressbar.OptionSetDescription("issuing"),
		progressbar.OptionShowCount(),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("cert"),
		progressbar.OptionClearOnFinish(),
	)
}

// bulkTable prints a bulk issue's summary: the counts, then a row per failure.
func bulkTable(t *output.Tab, sum *issue.Summary, outDir string) {
	t.KV("rows", itoa(sum.Total))
	t.KV("issued", itoa(sum.Issued))
	t.KV("skipped (done before)", itoa(sum.Skipped))
	t.KV("already on ledger", itoa(sum.AlreadyOnLedger))
	t.KV("failed", itoa(sum.Failed))
	if sum.NotAttempted > 0 {
		t.KV("not attempted", itoa(sum.NotAttempted))
	}
	t.KV("state file", sum.StateFile)
	t.KV("receipts", outDir)
	if len(sum.Failures) > 0 {
		t.Line("")
		t.Row("LINE", "FILE", "ID", "ERROR")
		for _, f := range sum.Failures {
			t.Row(itoa(f.Line), f.File, f.ID, f.Error)
		}
	}
}
