package exchange

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/certledger/certledger/internal/gm"
)

// BenchmarkEnvelope seals and opens payloads of JSON Lines records (the CLI's
// exchange send and ack, without the network).
func BenchmarkEnvelope(b *testing.B) {
	k, _ := gm.GenerateKey()
	for _, n := range []int{1, 1000, 30000} {
		var buf bytes.Buffer
		for i := range n {
			fmt.Fprintf(&buf, `{"income":%d,"name":"person %06d"}`+"\n", 10000+i, i)
		}
		payload := buf.Bytes()
		h := EnvelopeHeader{ExchangeID: "x-1", GrantID: "g-1", Provider: "dept-a", Consumer: "dept-b", Fields: []string{"income", "name"}}
		b.Run(fmt.Sprintf("seal/%dKiB", len(payload)>>10), func(b *testing.B) {
			b.SetBytes(int64(len(payload)))
			for b.Loop() {
				if _, err := SealEnvelope(h, &k.PublicKey, payload); err != nil {
					b.Fatal(err)
				}
			}
		})
		s, _ := SealEnvelope(h, &k.PublicKey, payload)
		b.Run(fmt.Sprintf("open/%dKiB", len(payload)>>10), func(b *testing.B) {
			b.SetBytes(int64(len(payload)))
			for b.Loop() {
				if _, err := OpenEnvelope(s.Bytes, k); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
