package gm

import (
	"bytes"
	"testing"
)

func BenchmarkSM3Memory(b *testing.B) {
	data := bytes.Repeat([]byte{1}, 8<<20)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		SM3Hex(data)
	}
}

func BenchmarkSM3Reader(b *testing.B) {
	data := bytes.Repeat([]byte{1}, 8<<20)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, _, err := SM3Reader(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSM2Sign(b *testing.B) {
	k, _ := GenerateKey()
	msg := []byte("certledger/v1/certificate\n{}")
	for b.Loop() {
		if _, err := Sign(k, msg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSM2Verify(b *testing.B) {
	k, _ := GenerateKey()
	msg := []byte("certledger/v1/certificate\n{}")
	sig, _ := Sign(k, msg)
	for b.Loop() {
		if Verify(&k.PublicKey, msg, sig) != nil {
			b.Fatal("verify")
		}
	}
}

func BenchmarkSM2Encrypt(b *testing.B) {
	k, _ := GenerateKey()
	key, _ := NewSM4Key()
	for b.Loop() {
		if _, err := EncryptSM2(&k.PublicKey, key); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSM2Decrypt(b *testing.B) {
	k, _ := GenerateKey()
	key, _ := NewSM4Key()
	ct, _ := EncryptSM2(&k.PublicKey, key)
	for b.Loop() {
		if _, err := DecryptSM2(k, ct); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSM4GCMSeal(b *testing.B) {
	key, _ := NewSM4Key()
	data := bytes.Repeat([]byte{1}, 1<<20)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, _, err := SealSM4GCM(key, data, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSM2VerifyColdHot is Verify's cost per signature for one key, cold
// (gmsm's variable-base [t]P: a Verifier that never builds a table) and hot
// (the key's precomputed table), in the same run; wall and CPU time per
// signature (CPU: the whole process, user+system).
func BenchmarkSM2VerifyColdHot(b *testing.B) {
	k, _ := GenerateKey()
	msg := []byte("certledger/v1/certificate\n{}")
	sig, _ := Sign(k, msg)
	for _, c := range []struct {
		name string
		v    *Verifier
	}{{"cold-gmsm", NewVerifier(0, 1)}, {"hot-table", NewVerifier(1, 1)}} {
		b.Run(c.name, func(b *testing.B) {
			if err := c.v.Verify(&k.PublicKey, msg, sig); err != nil { // builds the table
				b.Fatal(err)
			}
			cpu0 := processCPU()
			for b.Loop() {
				if c.v.Verify(&k.PublicKey, msg, sig) != nil {
					b.Fatal("verify")
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1e3/float64(b.N), "µs/sig")
			b.ReportMetric(float64((processCPU()-cpu0).Nanoseconds())/1e3/float64(b.N), "cpu-µs/sig")
		})
	}
}
