package command

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/certledger/certledger/cli/internal/output"
	"github.com/certledger/certledger/internal/gm"
	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v2"
)

// progressThreshold is the file size from which hash shows a progress bar.
const progressThreshold = 64 << 20

func hashCommand() *cli.Command {
	return &cli.Command{
		Name:      "hash",
		Usage:     "print the SM3 digest of files (- reads standard input)",
		ArgsUsage: "FILE...",
		Action:    hashAction,
	}
}

type hashView struct {
	File  string `json:"file"`
	SM3   string `json:"sm3,omitempty"`
	Size  int64  `json:"size"`
	Error string `json:"error,omitempty"`
}

func hashAction(c *cli.Context) error {
	if c.NArg() == 0 {
		return Usagef("hash needs at least one FILE (or - for standard input)")
	}
	p, err := PrinterOf(c)
	if err != nil {
		return err
	}
	var views []hashView
	failed := 0
	for _, name := range c.Args().Slice() {
		if err := c.Err(); err != nil {
			return err
		}
		h, n, err := hashOne(c, name)
		if errors.Is(err, context.Canceled) {
			return err
		}
		v := hashView{File: name, SM3: h, Size: n}
		if err != nil {
			failed++
			v.Error = err.Error()
			fmt.Fprintf(stderrOf(c), "certledger: %s: %v\n", name, err)
		}
		views = append(views, v)
	}
	if p.Format == output.JSON {
		if err := p.JSON(views); err != nil {
			return err
		}
	} else {
		for _, v := range views {
			if v.Error == "" {
				fmt.Fprintf(p.W, "%s  %s\n", v.SM3, v.File)
			}
		}
	}
	if failed > 0 {
		return Silent(ExitUsage)
	}
	return nil
}

// ctxReader stops reading when the context is cancelled (Ctrl-C on a huge file).
type ctxReader struct {
	c *cli.Context
	r io.Reader
}

func (r ctxReader) Read(p []byte) (int, error) {
	if err := r.c.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}

func hashOne(c *cli.Context, name string) (string, int64, error) {
	if name == "-" {
		return gm.SM3Reader(ctxReader{c, c.App.Reader})
	}
	f, err := os.Open(name)
	if err != nil {
		return "", 0, err
	}
	defer func() { _ = f.Close() }() // read-only file
	st, err := f.Stat()
	if err != nil {
		return "", 0, err
	}
	if st.IsDir() {
		return "", 0, fmt.Errorf("is a directory")
	}
	var r io.Reader = ctxReader{c, f}
	if st.Size() > progressThreshold && isTerminal(stderrOf(c)) {
		bar := progressbar.NewOptions64(st.Size(),
			progressbar.OptionSetWriter(stderrOf(c)),
			progressbar.OptionSetDescription("sm3 "+name),
			progressbar.OptionShowBytes(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
		defer func() { _ = bar.Finish() }() // progress display only
		r = io.TeeReader(r, bar)
	}
	return gm.SM3Reader(r)
}
