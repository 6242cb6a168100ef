package web

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/emmansun/gmsm/sm3"
)

// sm3DefaultChunk must equal DEFAULT_CHUNK in static/sm3.js (checked below).
const sm3DefaultChunk = 4 << 20

// TestSM3JS runs static/sm3.js under Node against the GB/T 32905 vectors and against
// github.com/emmansun/gmsm/sm3 on random data whose sizes straddle SM3 block boundaries
// and the file-chunk boundaries of hashBlob.
func TestSM3JS(t *testing.T) {
	t.Parallel()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("SKIP: node not found in PATH; the in-browser SM3 (static/sm3.js) is not checked. Install Node.js (Debian package nodejs) to run this test.")
	}
	dir := t.TempDir()
	type tcase struct {
		name string
		data []byte
		want string // known answer, "" = compare with gmsm only
	}
	cases := []tcase{
		{"abc", []byte("abc"), "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"},
		{"abcd16", bytes.Repeat([]byte("abcd"), 16), "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"},
		{"empty", nil, "1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b"},
	}
	rng := rand.New(rand.NewPCG(20261128, 4))
	sizes := []int{1, 3, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 4095, 4096, 65543, 65544,
		sm3DefaultChunk - 1, sm3DefaultChunk, sm3DefaultChunk + 1, 2*sm3DefaultChunk + 65}
	for _, n := range sizes {
		b := make([]byte, n)
		fillRandom(rng, b)
		cases = append(cases, tcase{name: fmt.Sprintf("rand%d", n), data: b})
	}

	args := []string{filepath.Join("testdata", "sm3_runner.js"), mustAbs(t, filepath.Join("static", "sm3.js"))}
	want := map[string]string{}
	for _, c := range cases {
		p := filepath.Join(dir, c.name)
		if err := os.WriteFile(p, c.data, 0o600); err != nil {
			t.Fatal(err)
		}
		sum := sm3.Sum(c.data)
		ref := hex.EncodeToString(sum[:])
		if c.want != "" && ref != c.want {
			t.Fatalf("%s: gmsm gives %s, known answer %s", c.name, ref, c.want)
		}
		want[p] = ref
		args = append(args, p)
	}

	out, err := exec.Command(node, args...).Output()
	if err != nil {
		var stderr []byte
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			stderr = ee.Stderr
		}
		t.Fatalf("node sm3_runner.js: %v\n%s", err, stderr)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 1<<16), 1<<20)
	if !sc.Scan() {
		t.Fatal("runner printed nothing")
	}
	var hdr struct {
		DefaultChunk int `json:"defaultChunk"`
	}
	if err := json.Unmarshal(sc.Bytes(), &hdr); err != nil {
		t.Fatalf("runner header: %v", err)
	}
	if hdr.DefaultChunk != sm3DefaultChunk {
		t.Fatalf("sm3.js DEFAULT_CHUNK = %d, test assumes %d: update sm3DefaultChunk", hdr.DefaultChunk, sm3DefaultChunk)
	}
	seen := 0
	for sc.Scan() {
		var r struct {
			File          string            `json:"file"`
			Size          int               `json:"size"`
			OneShot       string            `json:"oneShot"`
			Pieces        string            `json:"pieces"`
			BlobDefault   string            `json:"blobDefault"`
			ProgressCalls int               `json:"progressCalls"`
			ProgressDone  int               `json:"progressDone"`
			BlobSmall     map[string]string `json:"blobSmall"`
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("runner line %q: %v", sc.Text(), err)
		}
		ref, ok := want[r.File]
		if !ok {
			t.Fatalf("runner reported unknown file %s", r.File)
		}
		seen++
		name := filepath.Base(r.File)
		check := func(how, got string) {
			if got != ref {
				t.Errorf("%s (%d bytes) %s: sm3.js %s, gmsm %s", name, r.Size, how, got, ref)
			}
		}
		check("one shot", r.OneShot)
		check("uneven updates", r.Pieces)
		check("hashBlob default chunk", r.BlobDefault)
		for cs, got := range r.BlobSmall {
			check("hashBlob chunk "+cs, got)
		}
		wantCalls := (r.Size + sm3DefaultChunk - 1) / sm3DefaultChunk
		if r.ProgressCalls != wantCalls || r.ProgressDone != r.Size {
			t.Errorf("%s: onProgress called %d times ending at %d, want %d ending at %d",
				name, r.ProgressCalls, r.ProgressDone, wantCalls, r.Size)
		}
	}
	if seen != len(cases) {
		t.Fatalf("runner reported %d of %d files", seen, len(cases))
	}
}

func fillRandom(rng *rand.Rand, b []byte) {
	for i := 0; i < len(b); i += 8 {
		var w [8]byte
		binary.LittleEndian.PutUint64(w[:], rng.Uint64())
		copy(b[i:], w[:])
	}
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
