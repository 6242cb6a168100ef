package readmodel

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
)

// BatchFileOpener is what a BatchFiles may also do: open the file of SM3
// fileHash once for many reads. A batched certificate's verify reads one group
// of lines of its batch's file; opening and closing the file for each read
// was a fifth of a cold read's CPU. Dir implements it.
type BatchFileOpener interface {
	OpenBatchFile(fileHash string) (ReaderAtCloser, error)
}

// ReaderAtCloser is an open batch file.
type ReaderAtCloser interface {
	io.ReaderAt
	io.Closer
}

// OpenBatchFile implements BatchFileOpener. A stored file never changes (it is
// named by its SM3), so an open one may be read for as long as it is needed.
func (d Dir) OpenBatchFile(fileHash string) (ReaderAtCloser, error) {
	p, err := d.path(fileHash)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrNoFile, fileHash)
	}
	return f, nil
}

// openFiles keeps the batch files verify reads open (one descriptor per
// indexed batch read since the model opened), closed by Model.Close.
type openFiles struct {
	mu     sync.Mutex
	files  map[string]ReaderAtCloser
	closed bool
}

// readGroup reads length bytes at offset of batch file fileHash: through a
// file kept open when the batch store can open one, else by ReadLine.
func (m *Model) readGroup(fileHash string, offset, length uint64) ([]byte, error) {
	o, ok := m.opts.Batches.(BatchFileOpener)
	if !ok {
		return m.opts.Batches.ReadLine(fileHash, offset, length)
	}
	f, err := m.files.get(o, fileHash)
	if err != nil {
		return nil, err
	}
	b := make([]byte, length)
	if _, err := f.ReadAt(b, int64(offset)); err != nil {
		return nil, fmt.Errorf("batch file %s at %d: %w", fileHash, offset, err)
	}
	return b, nil
}

var errModelClosed = errors.New("read model closed")

func (fs *openFiles) get(o BatchFileOpener, fileHash string) (ReaderAtCloser, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.closed {
		return nil, errModelClosed
	}
	if f, ok := fs.files[fileHash]; ok {
		return f, nil
	}
	f, err := o.OpenBatchFile(fileHash)
	if err != nil {
		return nil, err
	}
	if fs.files == nil {
		fs.files = map[string]ReaderAtCloser{}
	}
	fs.files[fileHash] = f
	return f, nil
}

// close closes every open file; later reads fail.
func (fs *openFiles) close() error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.closed = true
	var errs []error
	for _, f := range fs.files {
		errs = append(errs, f.Close())
	}
	fs.files = nil
	return errors.Join(errs...)
}
