// Command merklebench prints the Merkle figures of issue 13 in one run: leaves
// per second for hashing the leaves, building the tree, and reading every
// inclusion proof, over leaves shaped like canonical certificate records.
//
//	go run ./internal/merkle/cmd/merklebench [-n 1000000] [-leaf 420] [-runs 3]
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/certledger/certledger/internal/merkle"
	"github.com/certledger/certledger/internal/testkit"
)

func main() {
	n := flag.Int("n", 1_000_000, "leaves per tree")
	leafSize := flag.Int("leaf", 420, "bytes per leaf (a canonical v1 certificate record is ~420)")
	runs := flag.Int("runs", 3, "runs; the best is reported with the median")
	flag.Parse()
	if *n < 1 || *leafSize < 1 || *runs < 1 {
		fmt.Fprintln(os.Stderr, "merklebench: -n, -leaf and -runs must be positive")
		os.Exit(2)
	}
	fmt.Printf("cpus=%d GOMAXPROCS=%d %s  n=%d leaf=%dB\n\n", runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), *n, *leafSize)

	// One arena of leaf data, each leaf distinct.
	arena := make([]byte, *n**leafSize)
	for i := range arena {
		arena[i] = byte('a' + i%26)
	}
	for i := 0; i < *n; i++ {
		l := arena[i**leafSize:]
		l[0], l[1], l[2], l[3] = byte(i), byte(i>>8), byte(i>>16), byte(i>>24)
	}
	leaf := func(i int) []byte { return arena[i**leafSize : (i+1)**leafSize] }

	type row struct{ hash, tree, proofs, total, cpu time.Duration }
	var rows []row
	var sink int
	for r := 0; r < *runs; r++ {
		runtime.GC()
		c0 := testkit.CPUTime()
		t0 := time.Now()
		hashes := merkle.LeafHashes(*n, leaf)
		t1 := time.Now()
		tree := merkle.Build(hashes)
		t2 := time.Now()
		buf := make([]merkle.Hash, 0, 64)
		for i := 0; i < *n; i++ {
			buf = tree.AppendProof(buf[:0], i)
			sink += len(buf)
		}
		t3 := time.Now()
		rows = append(rows, row{t1.Sub(t0), t2.Sub(t1), t3.Sub(t2), t3.Sub(t0), testkit.CPUTime() - c0})
	}
	best := rows[0]
	for _, r := range rows[1:] {
		if r.total < best.total {
			best = r
		}
	}
	per := func(d time.Duration) string {
		return fmt.Sprintf("%12.0f leaves/s  %8.1f ms", float64(*n)/d.Seconds(), d.Seconds()*1000)
	}
	fmt.Printf("%-34s %s\n", "leaf hashes SM3(0x00‖record)", per(best.hash))
	fmt.Printf("%-34s %s\n", "tree (all levels)", per(best.tree))
	fmt.Printf("%-34s %s\n", "all inclusion proofs read", per(best.proofs))
	fmt.Printf("%-34s %s\n", "TOTAL tree + all proofs", per(best.total))
	if best.cpu > 0 {
		// What the machine gives when shared: leaves per CPU-second, and per second on all cores.
		perCPU := float64(*n) / best.cpu.Seconds()
		fmt.Printf("%-34s %12.0f leaves/CPU-s (%.2f CPU-s; × %d cores = %.0f leaves/s if the cores were free)\n",
			"  CPU cost", perCPU, best.cpu.Seconds(), runtime.GOMAXPROCS(0), perCPU*float64(runtime.GOMAXPROCS(0)))
	}
	fmt.Printf("(best of %d runs; %d proof hashes read)\n", *runs, sink/(*runs))

	// Streaming root (one core, O(log n) memory) over the same leaves.
	t0 := time.Now()
	var s merkle.Stream
	for i := 0; i < *n; i++ {
		s.Add(leaf(i))
	}
	d := time.Since(t0)
	fmt.Printf("%-34s %s\n", "streaming root, Add (1 core)", per(d))

	// Streaming root in chunks of 8192 leaves (what a batch upload does).
	t0 = time.Now()
	var s2 merkle.Stream
	chunk := make([][]byte, 0, 8192)
	for i := 0; i < *n; i++ {
		chunk = append(chunk, leaf(i))
		if len(chunk) == cap(chunk) || i == *n-1 {
			s2.AddAll(chunk)
			chunk = chunk[:0]
		}
	}
	d = time.Since(t0)
	if s2.Root() != s.Root() {
		fmt.Fprintln(os.Stderr, "merklebench: chunked stream root differs")
		os.Exit(1)
	}
	fmt.Printf("%-34s %s\n", "streaming root, AddAll 8192", per(d))
}
