package gm

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rand"
	"fmt"
	"math/big"
	mrand "math/rand/v2"
	"sync"
	"testing"

	"github.com/certledger/certledger/internal/third_party/sm2ec"
	"github.com/emmansun/gmsm/sm2"
	tjsm2 "github.com/tjfoc/gmsm/sm2"
)

// referenceVerify is Verify as it was before the Verifier: the strict checks,
// then gmsm's public verification.
func referenceVerify(pub *ecdsa.PublicKey, msg, sig []byte) bool {
	if checkPublic(pub) != nil {
		return false
	}
	if _, _, err := ParseSignature(sig); err != nil {
		return false
	}
	return sm2.VerifyASN1WithSM2(pub, []byte(DefaultUID), msg, sig)
}

// tjfocVerify is github.com/tjfoc/gmsm's verdict, asked only about signatures
// our strict parser reads (tjfoc's encoding/asn1 is laxer about DER).
func tjfocVerify(pub *ecdsa.PublicKey, msg, sig []byte) bool {
	tpub := &tjsm2.PublicKey{Curve: tjsm2.P256Sm2(), X: pub.X, Y: pub.Y}
	return tpub.Verify(msg, sig)
}

type sigCase struct {
	name string
	pub  *ecdsa.PublicKey
	msg  []byte
	sig  []byte
}

func flipBit(b []byte, rng *mrand.Rand) []byte {
	out := bytes.Clone(b)
	if len(out) == 0 {
		return []byte{1}
	}
	i := rng.IntN(len(out) * 8)
	out[i/8] ^= 1 << (i % 8)
	return out
}

// casesFor builds a valid signature by k over msg and its mutations.
func casesFor(t *testing.T, k *sm2.PrivateKey, other *ecdsa.PublicKey, msg []byte, rng *mrand.Rand) []sigCase {
	t.Helper()
	sig, r, s := signParsed(t, k, msg)
	n := curveN
	bit := func(v *big.Int) *big.Int {
		i := rng.IntN(257)
		return new(big.Int).SetBit(v, i, v.Bit(i)^1)
	}
	offCurve := k.PublicKey
	offCurve.X = bit(offCurve.X)
	pub := &k.PublicKey
	cases := []sigCase{
		{"valid", pub, msg, sig},
		{"message bit", pub, flipBit(msg, rng), sig},
		{"message + byte", pub, append(bytes.Clone(msg), 0), sig},
		{"der bit", pub, msg, flipBit(sig, rng)},
		{"r bit", pub, msg, MarshalSignature(bit(r), s)},
		{"s bit", pub, msg, MarshalSignature(r, bit(s))},
		{"other key", other, msg, sig},
		{"off-curve key", &offCurve, msg, sig},
		{"r = 0", pub, msg, MarshalSignature(big.NewInt(0), s)},
		{"s = 0", pub, msg, MarshalSignature(r, big.NewInt(0))},
		{"r = n", pub, msg, MarshalSignature(n, s)},
		{"s = n", pub, msg, MarshalSignature(r, n)},
		{"r + n", pub, msg, MarshalSignature(new(big.Int).Add(r, n), s)},
		{"s = n - 1", pub, msg, MarshalSignature(r, new(big.Int).Sub(n, big.NewInt(1)))},
		{"r + s = n", pub, msg, MarshalSignature(r, new(big.Int).Sub(n, r))},
		{"s = n - s", pub, msg, MarshalSignature(r, new(big.Int).Sub(n, s))},
		{"trailing byte", pub, msg, append(bytes.Clone(sig), 0)},
		{"truncated", pub, msg, sig[:len(sig)-1]},
		{"long-form length", pub, msg, append([]byte{0x30, 0x81, sig[1]}, sig[2:]...)},
		{"set tag", pub, msg, append([]byte{0x31}, sig[1:]...)},
		{"non-minimal r", pub, msg, nonMinimal(r, s)},
		{"negative r", pub, msg, MarshalSignature(new(big.Int).Neg(r), s)},
	}
	return cases
}

// nonMinimal encodes r with a redundant leading zero byte.
func nonMinimal(r, s *big.Int) []byte {
	rb := append([]byte{0, 0}, r.Bytes()...)
	sb := MarshalSignature(s, s)
	sInt := sb[2 : 2+int(sb[3])+2]
	body := append(append([]byte{0x02, byte(len(rb))}, rb...), sInt...)
	return append([]byte{0x30, byte(len(body))}, body...)
}

// TestVerifierDifferential: over random keys and messages, the table path
// (a Verifier hot from the first use), the cold path (a Verifier that never
// builds a table), the shared Verify (cold, then hot after DefaultHotAfter
// uses) all answer as gmsm does, and as tjfoc does on strictly-parsed input.
func TestVerifierDifferential(t *testing.T) {
	keys, msgs := 150, 6
	if testing.Short() {
		keys, msgs = 20, 4
	}
	hot := NewVerifier(keys+1, 1)
	cold := NewVerifier(0, 1)
	rng := mrand.New(mrand.NewPCG(1, 2))
	other, _ := GenerateKey()
	var total, valid, tjChecked int
	for ki := range keys {
		k, err := GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		for mi := range msgs {
			msg := make([]byte, 1+rng.IntN(300)) // gmsm refuses to sign an empty message
			_, _ = rand.Read(msg)
			for _, c := range casesFor(t, k, &other.PublicKey, msg, rng) {
				want := referenceVerify(c.pub, c.msg, c.sig)
				for name, got := range map[string]error{
					"hot": hot.Verify(c.pub, c.msg, c.sig), "cold": cold.Verify(c.pub, c.msg, c.sig),
					"shared": Verify(c.pub, c.msg, c.sig),
				} {
					if (got == nil) != want {
						t.Fatalf("key %d msg %d %s: %s Verify = %v, gmsm says %v", ki, mi, c.name, name, got, want)
					}
				}
				if _, _, err := ParseSignature(c.sig); err == nil && checkPublic(c.pub) == nil && (ki%5 == 0 || want) {
					tjChecked++
					if tj := tjfocVerify(c.pub, c.msg, c.sig); tj != want {
						t.Fatalf("key %d msg %d %s: tjfoc says %v, gmsm %v", ki, mi, c.name, tj, want)
					}
				}
				total++
				if want {
					valid++
				}
			}
		}
	}
	st := hot.Stats()
	if sm2ec.Available && (st.Hot == 0 || st.Built != uint64(keys+1)) {
		t.Fatalf("hot Verifier did not use its tables: %+v", st)
	}
	if cs := cold.Stats(); cs.Hot != 0 || cs.Tables != 0 {
		t.Fatalf("cold Verifier built tables: %+v", cs)
	}
	if valid < keys*msgs {
		t.Fatalf("only %d valid signatures of %d cases", valid, total)
	}
	t.Logf("%d cases (%d valid), %d also checked with tjfoc; hot verifier %+v", total, valid, tjChecked, st)
}

// TestVerifierHotAfterAndLRU: a key is verified by gmsm until its hotAfter-th
// use, by its table after; the LRU keeps at most maxKeys keys.
func TestVerifierHotAfterAndLRU(t *testing.T) {
	if !sm2ec.Available {
		t.Skip("no table-based multiplication in this build")
	}
	v := NewVerifier(3, 3)
	var keys []*sm2.PrivateKey
	for range 5 {
		k, _ := GenerateKey()
		keys = append(keys, k)
	}
	msg := []byte("certledger")
	sigs := make([][]byte, len(keys))
	for i, k := range keys {
		sigs[i], _ = Sign(k, msg)
	}
	for i := range 2 {
		if err := v.Verify(&keys[0].PublicKey, msg, sigs[0]); err != nil {
			t.Fatal(err)
		}
		if st := v.Stats(); st.Hot != 0 || st.Cold != uint64(i+1) || st.Tables != 0 {
			t.Fatalf("use %d: %+v, want cold", i+1, st)
		}
	}
	for i := range 3 {
		if err := v.Verify(&keys[0].PublicKey, msg, sigs[0]); err != nil {
			t.Fatal(err)
		}
		if st := v.Stats(); st.Hot != uint64(i+1) || st.Tables != 1 || st.Built != 1 {
			t.Fatalf("use %d: %+v, want hot with one table", i+3, st)
		}
	}
	// A bad signature with a hot key is refused on the table path.
	if err := v.Verify(&keys[0].PublicKey, append(msg, '!'), sigs[0]); err == nil {
		t.Fatal("hot key verified a signature over another message")
	}
	for i := 1; i < 5; i++ {
		if err := v.Verify(&keys[i].PublicKey, msg, sigs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if st := v.Stats(); st.Keys != 3 || st.Evicted != 2 || st.Tables != 0 {
		t.Fatalf("after 4 new keys: %+v, want 3 keys, key 0 and key 1 evicted", st)
	}
	// Key 0 comes back cold: counted from 1 again.
	if err := v.Verify(&keys[0].PublicKey, msg, sigs[0]); err != nil {
		t.Fatal(err)
	}
	if st := v.Stats(); st.Tables != 0 {
		t.Fatalf("evicted key came back with a table: %+v", st)
	}
}

// TestVerifierConcurrent: many goroutines over a few keys (tables built while
// others verify) and a small LRU (evictions under load) agree with gmsm; run
// with -race.
func TestVerifierConcurrent(t *testing.T) {
	type signed struct {
		pub      *ecdsa.PublicKey
		msg, sig []byte
		ok       bool
	}
	var items []signed
	for i := range 6 {
		k, _ := GenerateKey()
		for j := range 4 {
			msg := fmt.Appendf(nil, "record %d/%d", i, j)
			sig, _ := Sign(k, msg)
			items = append(items, signed{&k.PublicKey, msg, sig, true})
			items = append(items, signed{&k.PublicKey, append(msg, '!'), sig, false})
		}
	}
	v := NewVerifier(4, 2)
	rounds := 20
	if testing.Short() {
		rounds = 5
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			for r := range rounds {
				for i := range items {
					it := items[(i+g*7+r)%len(items)]
					if err := v.Verify(it.pub, it.msg, it.sig); (err == nil) != it.ok {
						errs <- fmt.Errorf("goroutine %d: Verify ok=%v, want ok=%v", g, err == nil, it.ok)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	t.Logf("%+v", v.Stats())
}

// FuzzVerifyTable compares the table path with gmsm for arbitrary messages,
// signatures and keys: key selects one of a few fixed keys (hot in the
// Verifier), or, past them, the point X‖Y given in raw (almost never on the
// curve, then both must refuse).
func FuzzVerifyTable(f *testing.F) {
	var keys []*sm2.PrivateKey
	for range 3 {
		k, err := GenerateKey()
		if err != nil {
			f.Fatal(err)
		}
		keys = append(keys, k)
	}
	v := NewVerifier(8, 1)
	for i, k := range keys {
		msg := fmt.Appendf(nil, "seed %d", i)
		sig, _ := Sign(k, msg)
		f.Add(uint8(i), []byte(nil), msg, sig)
		f.Add(uint8(i), []byte(nil), msg[1:], sig)
		f.Add(uint8(i), []byte(nil), msg, flipBit(sig, mrand.New(mrand.NewPCG(uint64(i), 9))))
	}
	raw := make([]byte, 64)
	keys[0].X.FillBytes(raw[:32])
	keys[0].Y.FillBytes(raw[32:])
	sig, _ := Sign(keys[0], []byte("m"))
	f.Add(uint8(200), raw, []byte("m"), sig)
	f.Fuzz(func(t *testing.T, key uint8, point, msg, sig []byte) {
		var pub *ecdsa.PublicKey
		if int(key) < len(keys) {
			pub = &keys[key].PublicKey
		} else {
			if len(point) != 64 {
				return
			}
			pub = &ecdsa.PublicKey{Curve: sm2.P256(), X: new(big.Int).SetBytes(point[:32]),
				Y: new(big.Int).SetBytes(point[32:])}
		}
		want := referenceVerify(pub, msg, sig)
		if err := v.Verify(pub, msg, sig); (err == nil) != want {
			t.Fatalf("Verifier = %v, gmsm says %v", err, want)
		}
	})
}
