package merkle

import "testing"

// BenchmarkTreeAndProofs builds a 65,536-leaf tree over 420-byte leaves and
// reads every proof; leaves/s is printed by ./cmd/merklebench for a million.
func BenchmarkTreeAndProofs(b *testing.B) {
	const n = 1 << 16
	data := make([][]byte, n)
	for i := range data {
		data[i] = make([]byte, 420)
		data[i][0], data[i][1] = byte(i), byte(i>>8)
	}
	buf := make([]Hash, 0, 64)
	b.ResetTimer()
	for range b.N {
		t := BuildFromData(n, func(i int) []byte { return data[i] })
		for i := 0; i < n; i++ {
			buf = t.AppendProof(buf[:0], i)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "leaves/s")
}
