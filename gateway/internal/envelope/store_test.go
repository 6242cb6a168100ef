package envelope

import (
	"errors"
	"os"
	"sync"
	"testing"

	"github.com/certledger/certledger/internal/gm"
)

func TestStore(t *testing.T) {
	for name, dir := range map[string]string{"memory": "", "directory": t.TempDir()} {
		t.Run(name, func(t *testing.T) {
			s, err := Open(dir, 100)
			if err != nil {
				t.Fatal(err)
			}
			b := []byte(`{"envelope":1}`)
			d := gm.SM3Hex(b)
			if _, err := s.Get(d); !errors.Is(err, ErrNotFound) {
				t.Fatalf("get before put: %v", err)
			}
			if _, err := s.Put(gm.SM3Hex([]byte("other")), b); !errors.Is(err, ErrDigest) {
				t.Fatalf("wrong digest: %v", err)
			}
			if _, err := s.Put("ABC", b); !errors.Is(err, ErrDigest) {
				t.Fatalf("bad digest: %v", err)
			}
			var wg sync.WaitGroup
			created := make(chan bool, 8)
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c, err := s.Put(d, b)
					if err != nil {
						t.Error(err)
					}
					created <- c
				}()
			}
			wg.Wait()
			close(created)
			n := 0
			for c := range created {
				if c {
					n++
				}
			}
			if name == "memory" && n != 1 {
				t.Fatalf("%d puts created the envelope", n)
			}
			got, err := s.Get(d)
			if err != nil || string(got) != string(b) {
				t.Fatalf("get: %q %v", got, err)
			}
			if dir != "" {
				// A corrupted file is refused, never served.
				if err := os.WriteFile(s.path(d), []byte("tampered"), 0o600); err != nil {
					t.Fatal(err)
				}
				if _, err := s.Get(d); !errors.Is(err, ErrDigest) {
					t.Fatalf("corrupted: %v", err)
				}
			} else {
				big := make([]byte, 100)
				if _, err := s.Put(gm.SM3Hex(big), big); !errors.Is(err, ErrFull) {
					t.Fatalf("over the memory limit: %v", err)
				}
			}
		})
	}
}
