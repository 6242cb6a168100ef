//go:build !purego && !plugin

package sm2ec

import (
	"bytes"
	"crypto/rand"
	"math/big"
	"testing"
)

var fieldP, _ = new(big.Int).SetString("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF", 16)

var orderN, _ = new(big.Int).SetString("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123", 16)

func scalar32(v *big.Int) *[32]byte {
	var b [32]byte
	v.FillBytes(b[:])
	return &b
}

// TestTableOfGeneratorIsUpstreams: the builder, fed G, reproduces gmsm's
// precomputed generator table bit for bit.
func TestTableOfGeneratorIsUpstreams(t *testing.T) {
	g := NewSM2P256Point().SetGenerator()
	tab, err := NewTable(g.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if tab.t != *p256Precomputed {
		for i := range tab.t {
			if tab.t[i] != p256Precomputed[i] {
				t.Fatalf("window %d differs from gmsm's table", i)
			}
		}
	}
}

func randomPoint(t testing.TB) *SM2P256Point {
	t.Helper()
	var k [32]byte
	if _, err := rand.Read(k[:]); err != nil {
		t.Fatal(err)
	}
	p, err := NewSM2P256Point().ScalarBaseMult(k[:])
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// edgeScalars are the scalars where a windowed walk may go wrong.
func edgeScalars() []*big.Int {
	two256 := new(big.Int).Lsh(big.NewInt(1), 256)
	out := []*big.Int{big.NewInt(0), big.NewInt(1), big.NewInt(2), big.NewInt(31), big.NewInt(32),
		big.NewInt(33), big.NewInt(63), big.NewInt(64)}
	for _, d := range []int64{-2, -1, 0, 1} {
		out = append(out, new(big.Int).Add(orderN, big.NewInt(d)))
	}
	out = append(out, new(big.Int).Sub(two256, big.NewInt(1)), new(big.Int).Lsh(big.NewInt(1), 252),
		new(big.Int).Rsh(orderN, 1))
	return out
}

// TestTableMultMatchesScalarMult: t·P through the table equals gmsm's
// variable-base ScalarMult, and CombinedMultX equals [s]G + [t]P computed
// with gmsm's ScalarBaseMult, ScalarMult and Add.
func TestTableMultMatchesScalarMult(t *testing.T) {
	points := 40
	if testing.Short() {
		points = 8
	}
	for range points {
		p := randomPoint(t)
		tab, err := NewTable(p.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		scalars := edgeScalars()
		for range 20 {
			v, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 256))
			scalars = append(scalars, v)
		}
		for i, sv := range scalars {
			tv := scalars[(i*7+3)%len(scalars)]
			checkCombined(t, p, tab, scalar32(sv), scalar32(tv))
		}
	}
}

func checkCombined(t *testing.T, p *SM2P256Point, tab *Table, s, k *[32]byte) {
	t.Helper()
	want, err := NewSM2P256Point().ScalarMult(p, k[:])
	if err != nil {
		t.Fatal(err)
	}
	var kOrd p256OrdElement
	p256OrdBigToLittle(&kOrd, k)
	p256OrdReduce(&kOrd)
	var got SM2P256Point
	got.p256TableMult(&kOrd, &tab.t)
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Fatalf("table t·P differs from ScalarMult for t=%x", k)
	}
	sg, err := NewSM2P256Point().ScalarBaseMult(s[:])
	if err != nil {
		t.Fatal(err)
	}
	sum := NewSM2P256Point().Add(sg, want)
	wantX, wantErr := sum.BytesX()
	x, ok := tab.CombinedMultX(s, k)
	if ok != (wantErr == nil) || (ok && !bytes.Equal(x[:], wantX)) {
		t.Fatalf("CombinedMultX(%x, %x) = %x, %v; want %x, %v", s, k, x, ok, wantX, wantErr)
	}
	checkXIs(t, tab, s, k, wantX)
}

// checkXIs: CombinedMultXIs accepts exactly the sum's x (none at infinity).
func checkXIs(t *testing.T, tab *Table, s, k *[32]byte, wantX []byte) {
	t.Helper()
	var cands [][32]byte
	if wantX != nil {
		x := new(big.Int).SetBytes(wantX)
		pPlusX := new(big.Int).Add(x, fieldP)
		cands = append(cands, *scalar32(x))
		for _, wrong := range []*big.Int{new(big.Int).Add(x, big.NewInt(1)), new(big.Int).Sub(x, big.NewInt(1)),
			new(big.Int).Add(x, orderN), new(big.Int).Sub(x, orderN)} {
			if wrong.Sign() >= 0 && wrong.BitLen() <= 256 {
				if tab.CombinedMultXIs(s, k, scalar32(wrong)) {
					t.Fatalf("CombinedMultXIs accepted x%+d", new(big.Int).Sub(wrong, x))
				}
			}
		}
		if pPlusX.BitLen() <= 256 && tab.CombinedMultXIs(s, k, scalar32(pPlusX)) {
			t.Fatal("CombinedMultXIs accepted x + p")
		}
	}
	for _, c := range cands {
		if !tab.CombinedMultXIs(s, k, &c) {
			t.Fatalf("CombinedMultXIs(%x, %x) refused the sum's x %x", s, k, c)
		}
		other := *scalar32(big.NewInt(7))
		if !tab.CombinedMultXIs(s, k, &other, &c) || tab.CombinedMultXIs(s, k, &other) || tab.CombinedMultXIs(s, k) {
			t.Fatal("CombinedMultXIs with several candidates")
		}
	}
	if wantX == nil && tab.CombinedMultXIs(s, k, scalar32(big.NewInt(0))) {
		t.Fatal("CombinedMultXIs accepted the point at infinity")
	}
}

// TestCombinedAtInfinityAndDoubling: [s]G + [t]P at infinity (P = G, t = n-s)
// reports !ok, and the doubling case (P = G, t = s) is right.
func TestCombinedAtInfinityAndDoubling(t *testing.T) {
	g := NewSM2P256Point().SetGenerator()
	tab, err := NewTable(g.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	s, _ := rand.Int(rand.Reader, orderN)
	if _, ok := tab.CombinedMultX(scalar32(s), scalar32(new(big.Int).Sub(orderN, s))); ok {
		t.Fatal("[s]G + [n-s]G should be the point at infinity")
	}
	checkXIs(t, tab, scalar32(s), scalar32(new(big.Int).Sub(orderN, s)), nil)
	checkCombined(t, g, tab, scalar32(s), scalar32(s))
	// A key P = [d]G with t·P = s·G: t = s·d⁻¹ mod n.
	d, _ := rand.Int(rand.Reader, orderN)
	p, err := NewSM2P256Point().ScalarBaseMult(scalar32(d)[:])
	if err != nil {
		t.Fatal(err)
	}
	ptab, err := NewTable(p.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	k := new(big.Int).Mul(s, new(big.Int).ModInverse(d, orderN))
	k.Mod(k, orderN)
	checkCombined(t, p, ptab, scalar32(s), scalar32(k))
	if _, ok := ptab.CombinedMultX(scalar32(s), scalar32(new(big.Int).Sub(orderN, k))); ok {
		t.Fatal("[s]G - [s]G should be the point at infinity")
	}
}

func TestNewTableRejectsBadPoints(t *testing.T) {
	good := randomPoint(t).Bytes()
	offCurve := bytes.Clone(good)
	offCurve[64] ^= 1
	compressed := randomPoint(t).BytesCompressed()
	bigX := bytes.Clone(good)
	copy(bigX[1:33], bytes.Repeat([]byte{0xff}, 32))
	for name, b := range map[string][]byte{
		"empty": nil, "infinity": {0}, "short": good[:64], "long": append(bytes.Clone(good), 0),
		"compressed": compressed, "prefix": append([]byte{5}, good[1:]...), "off curve": offCurve,
		"x >= p": bigX,
	} {
		if _, err := NewTable(b); err == nil {
			t.Errorf("%s: NewTable accepted it", name)
		}
	}
}

func BenchmarkNewTable(b *testing.B) {
	p := randomPoint(b).Bytes()
	for b.Loop() {
		if _, err := NewTable(p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCombinedMultX(b *testing.B) {
	p := randomPoint(b)
	tab, err := NewTable(p.Bytes())
	if err != nil {
		b.Fatal(err)
	}
	s, _ := rand.Int(rand.Reader, orderN)
	k, _ := rand.Int(rand.Reader, orderN)
	for b.Loop() {
		tab.CombinedMultX(scalar32(s), scalar32(k))
	}
}

// BenchmarkUpstreamCombined is gmsm's way: ScalarBaseMult, ScalarMult, Add.
func BenchmarkUpstreamCombined(b *testing.B) {
	p := randomPoint(b)
	s, _ := rand.Int(rand.Reader, orderN)
	k, _ := rand.Int(rand.Reader, orderN)
	for b.Loop() {
		sg, _ := NewSM2P256Point().ScalarBaseMult(scalar32(s)[:])
		kp, _ := NewSM2P256Point().ScalarMult(p, scalar32(k)[:])
		if _, err := sg.Add(sg, kp).BytesX(); err != nil {
			b.Fatal(err)
		}
	}
}

func TestReduceOnce(t *testing.T) {
	for _, c := range []struct{ in, want *big.Int }{
		{big.NewInt(5), big.NewInt(5)},
		{new(big.Int).Sub(fieldP, big.NewInt(1)), new(big.Int).Sub(fieldP, big.NewInt(1))},
		{fieldP, big.NewInt(0)},
		{new(big.Int).Add(fieldP, big.NewInt(5)), big.NewInt(5)},
		{new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1)),
			new(big.Int).Sub(new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1)), fieldP)},
	} {
		var e p256Element
		p256BigToLittle(&e, scalar32(c.in))
		p256ReduceOnce(&e)
		var out [32]byte
		p256LittleToBig(&out, &e)
		if new(big.Int).SetBytes(out[:]).Cmp(c.want) != 0 {
			t.Fatalf("reduce(%x) = %x, want %x", c.in, out, c.want)
		}
	}
}
