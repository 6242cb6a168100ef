package batch

import (
	"hash"
	"io"
	"sync"
)

// asyncSink writes to dst (may be nil) and hashes what it is given on its own
// goroutine, so that writing and hashing a batch file overlaps building or
// parsing its records (two cores instead of one). Write copies p; Close waits
// and returns the first error.
type asyncSink struct {
	dst   io.Writer
	h     hash.Hash
	ch    chan []byte
	free  chan []byte
	done  chan struct{}
	err   error
	close sync.Once
}

func newAsyncSink(dst io.Writer, h hash.Hash) *asyncSink {
	s := &asyncSink{dst: dst, h: h, ch: make(chan []byte, 4), free: make(chan []byte, 4), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		for b := range s.ch {
			if s.err == nil && s.dst != nil {
				if _, err := s.dst.Write(b); err != nil {
					s.err = err
				}
			}
			s.h.Write(b)
			select {
			case s.free <- b[:0]:
			default:
			}
		}
	}()
	return s
}

func (s *asyncSink) Write(p []byte) (int, error) {
	var b []byte
	select {
	case b = <-s.free:
	default:
	}
	s.ch <- append(b, p...)
	return len(p), nil
}

// Close ends the sink; the hash is complete after it returns.
func (s *asyncSink) Close() error {
	s.close.Do(func() { close(s.ch) })
	<-s.done
	return s.err
}
