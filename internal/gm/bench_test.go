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
