// Command gmbench prints certledger's crypto figures in one run, so that ratios are
// measured under the same machine load: SM3 file hashing against in-memory SM3,
// memory while hashing a large file, and SM2 sign/verify against ECDSA P-256.
//
//	go run ./internal/gm/cmd/gmbench [-size 1024] [-dur 2s]
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"github.com/certledger/certledger/internal/gm"
	"github.com/emmansun/gmsm/sm3"
)

func main() {
	sizeMiB := flag.Int("size", 1024, "size of the file to hash, MiB")
	dur := flag.Duration("dur", 2*time.Second, "time per signature measurement")
	flag.Parse()
	if err := run(*sizeMiB, *dur); err != nil {
		fmt.Fprintln(os.Stderr, "gmbench:", err)
		os.Exit(1)
	}
}

func run(sizeMiB int, dur time.Duration) error {
	fmt.Printf("cpus=%d GOMAXPROCS=%d %s\n\n", runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version())

	// In-memory SM3 over a 64 MiB buffer, repeated.
	buf := make([]byte, 64<<20)
	rand.Read(buf)
	memRate := rate(dur, func() int64 { sm3.Sum(buf); return int64(len(buf)) })

	// File SM3: write the file once, then hash it (page cache warm after the first pass).
	dir, err := os.MkdirTemp("", "gmbench")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(dir) }() // best-effort cleanup of a temp dir
	path := filepath.Join(dir, "big.bin")
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	for i := 0; i < sizeMiB/64; i++ {
		if _, err := f.Write(buf); err != nil {
			_ = f.Close() // already returning the Write error
			return err
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	buf = nil
	runtime.GC()
	if _, _, err := gm.SM3File(path); err != nil { // warm the page cache
		return err
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	rssBefore := maxRSS()
	start := time.Now()
	_, n, err := gm.SM3File(path)
	if err != nil {
		return err
	}
	el := time.Since(start)
	runtime.ReadMemStats(&after)
	fileRate := float64(n) / el.Seconds()
	fmt.Printf("SM3 in memory          %8.1f MB/s\n", memRate/1e6)
	fmt.Printf("SM3 of a %d MiB file  %8.1f MB/s  = %.1f %% of in-memory (aim >= 90 %%)\n", sizeMiB, fileRate/1e6, 100*fileRate/memRate)
	fmt.Printf("  heap allocated while hashing the file: %d KiB; max RSS %d -> %d MiB\n\n",
		(after.TotalAlloc-before.TotalAlloc)>>10, rssBefore>>10, maxRSS()>>10)

	// Signatures, single goroutine (per core).
	msg := []byte("certledger/v1/certificate\n{\"docHash\":\"...\",\"id\":\"c-1\"}")
	k, _ := gm.GenerateKey()
	sig, _ := gm.Sign(k, msg)
	ek, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	digest := sha256.Sum256(msg)
	esig, _ := ecdsa.SignASN1(rand.Reader, ek, digest[:])

	sm2Sign := rate(dur, func() int64 { _, _ = gm.Sign(k, msg); return 1 })
	sm2Verify := rate(dur, func() int64 {
		if gm.Verify(&k.PublicKey, msg, sig) != nil {
			panic("verify")
		}
		return 1
	})
	coldVerifier := gm.NewVerifier(0, 1) // never builds a table: gmsm's variable-base path
	sm2VerifyCold := rate(dur, func() int64 {
		if coldVerifier.Verify(&k.PublicKey, msg, sig) != nil {
			panic("verify")
		}
		return 1
	})
	ecSign := rate(dur, func() int64 { d := sha256.Sum256(msg); _, _ = ecdsa.SignASN1(rand.Reader, ek, d[:]); return 1 })
	ecVerify := rate(dur, func() int64 {
		d := sha256.Sum256(msg)
		if !ecdsa.VerifyASN1(&ek.PublicKey, d[:], esig) {
			panic("verify")
		}
		return 1
	})
	fmt.Printf("%-28s %10s %10s\n", "per core", "sign/s", "verify/s")
	fmt.Printf("%-28s %10.0f %10.0f\n", "SM2 (SM3, default UID)", sm2Sign, sm2Verify)
	fmt.Printf("%-28s %10s %10.0f\n", "  a cold key (no table)", "", sm2VerifyCold)
	fmt.Printf("%-28s %10.0f %10.0f\n", "ECDSA P-256 (SHA-256)", ecSign, ecVerify)
	fmt.Printf("%-28s %10.2f %10.2f\n", "SM2 / ECDSA", sm2Sign/ecSign, sm2Verify/ecVerify)
	return nil
}

// rate runs f repeatedly for about d and returns units per second.
func rate(d time.Duration, f func() int64) float64 {
	var units int64
	start := time.Now()
	for time.Since(start) < d {
		units += f()
	}
	return float64(units) / time.Since(start).Seconds()
}

func maxRSS() int64 {
	var ru syscall.Rusage
	// Getrusage cannot fail for RUSAGE_SELF with a valid pointer.
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Maxrss // KiB on Linux
}
