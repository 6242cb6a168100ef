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
