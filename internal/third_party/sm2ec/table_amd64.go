// Not from gmsm: the per-point fixed-base table certledger adds (see README.md).
// It reuses gmsm's layout and p256BaseMult walk for any point P instead of G.

//go:build !purego && !plugin

package sm2ec

import (
	"errors"
	"math/bits"
)

// Available reports whether this build has the table-based multiplication.
const Available = true

// Table holds the affine multiples 1..32 of 2^(6i)·P for i = 0..42, in the
// Montgomery domain: the layout of gmsm's precomputed table for G
// (p256Precomputed), so a multiplication by P walks it like p256BaseMult
// walks G's (43 window additions, no doublings). About 88 KB. A Table is
// read-only once built and safe for concurrent use.
type Table struct {
	t [43]p256AffineTable
}

// TableBytes is the size of a Table's data.
const TableBytes = 43 * 32 * 2 * 32

// NewTable builds the table of the point encoded uncompressed (0x04‖X‖Y,
// 65 bytes). It returns an error when the encoding is malformed or the point
// is not on the curve.
func NewTable(point []byte) (*Table, error) {
	if len(point) != p256UncompressedLength || point[0] != 4 {
		return nil, errors.New("sm2ec: the point is not a 65-byte uncompressed encoding")
	}
	var p SM2P256Point
	if _, err := p.SetBytes(point); err != nil {
		return nil, err
	}
	tab := new(Table)
	if err := tab.build(&p); err != nil {
		return nil, err
	}
	return tab, nil
}

// build fills tab from p (Z = 1, not the point at infinity). The curve has
// cofactor 1, so p has order n and no multiple m·2^(6i)·p with 1 <= m <= 32,
// i <= 42, is the point at infinity: every Z below is non-zero, and none of
// the additions is an exceptional case (the even multiples use doubling).
func (tab *Table) build(p *SM2P256Point) error {
	const count = 43 * 32
	flat := new([count]SM2P256Point)
	base := *p
	for i := range 43 {
		pre := (*[32]SM2P256Point)(flat[32*i : 32*i+32])
		pre[0] = base
		for j := 1; j < 32; j++ { // pre[j] = (j+1)·base
			if j%2 == 1 {
				p256PointDoubleAsm(&pre[j], &pre[j/2])
			} else {
				p256PointAddAsm(&pre[j], &pre[j-1], &base)
			}
		}
		p256PointDoubleAsm(&base, &pre[31]) // 64·base = 2^(6(i+1))·P
	}

	// Montgomery's batch inversion of every Z: one field inversion in all.
	prefix := new([count]p256Element)
	prefix[0] = flat[0].z
	for k := 1; k < count; k++ {
		p256Mul(&prefix[k], &prefix[k-1], &flat[k].z)
	}
	if p256Equal(&prefix[count-1], &p256Zero) == 1 {
		return errors.New("sm2ec: internal error: a table point is at infinity")
	}
	var inv, zInv, zInv2 p256Element
	p256Inverse(&inv, &prefix[count-1])
	for k := count - 1; k >= 0; k-- {
		if k > 0 {
			p256Mul(&zInv, &inv, &prefix[k-1])
			p256Mul(&inv, &inv, &flat[k].z)
		} else {
			zInv = inv
		}
		p256Sqr(&zInv2, &zInv, 1)
		a := &tab.t[k/32][k%32]
		p256Mul(&a.x, &flat[k].x, &zInv2)
		p256Mul(&a.y, &flat[k].y, &zInv2)
		p256Mul(&a.y, &a.y, &zInv)
	}
	return nil
}

// CombinedMultX returns the affine x-coordinate, big-endian, of [s]G + [t]P,
// P being the table's point; ok is false when the sum is the point at
// infinity. s and t are big-endian scalars, reduced modulo n first (as gmsm's
// ScalarBaseMult and ScalarMult do).
func (tab *Table) CombinedMultX(s, t *[32]byte) (x [32]byte, ok bool) {
	sum := tab.combined(s, t)
	if sum.isInfinity() == 1 {
		return x, false
	}
	var xe, ye p256Element
	sum.affineFromMont(&xe, &ye)
	p256LittleToBig(&x, &xe)
	return x, true
}

// CombinedMultXIs reports whether [s]G + [t]P (as in CombinedMultX) is not
// the point at infinity and has one of xs as its affine x-coordinate
// (big-endian; a value >= p never matches). It checks X = x·Z² on the
// Jacobian sum, sparing the field inversion of the affine conversion (a sixth
// of a verification).
func (tab *Table) CombinedMultXIs(s, t *[32]byte, xs ...*[32]byte) bool {
	sum := tab.combined(s, t)
	if sum.isInfinity() == 1 {
		return false
	}
	var z2 p256Element
	p256Sqr(&z2, &sum.z, 1)
	// Compare canonical representatives: each side reduced below p, so the
	// answer does not hang on whether the assembly's outputs are reduced.
	sx := sum.x
	p256ReduceOnce(&sx)
	for _, x := range xs {
		var xz2 p256Element
		p256BigToLittle(&xz2, x)
		if p256LessThanP(&xz2) == 0 {
			continue
		}
		p256Mul(&xz2, &xz2, &rrMont) // into the Montgomery domain
		p256Mul(&xz2, &xz2, &z2)
		p256ReduceOnce(&xz2)
		if sx == xz2 {
			return true
		}
	}
	return false
}

// rrMont is R² mod p: p256Mul by it brings an element into the Montgomery
// domain (as in SetBytes).
var rrMont = p256Element{0x0000000200000003, 0x00000002ffffffff,
	0x0000000100000001, 0x0000000400000002}

// p256ReduceOnce sets x = x - p when x >= p: any 256-bit value is below 2p,
// so x ends in [0, p).
func p256ReduceOnce(x *p256Element) {
	if p256LessThanP(x) == 1 {
		return
	}
	var b uint64
	x[0], b = bits.Sub64(x[0], p256P[0], 0)
	x[1], b = bits.Sub64(x[1], p256P[1], b)
	x[2], b = bits.Sub64(x[2], p256P[2], b)
	x[3], _ = bits.Sub64(x[3], p256P[3], b)
}

// combined returns [s]G + [t]P in Jacobian coordinates.
func (tab *Table) combined(s, t *[32]byte) SM2P256Point {
	var sOrd, tOrd p256OrdElement
	p256OrdBigToLittle(&sOrd, s)
	p256OrdReduce(&sOrd)
	p256OrdBigToLittle(&tOrd, t)
	p256OrdReduce(&tOrd)

	var sum, tp SM2P256Point
	sum.p256BaseMult(&sOrd)
	tp.p256TableMult(&tOrd, &tab.t)
	sum.Add(&sum, &tp)
	return sum
}

// p256TableMult is gmsm's p256BaseMult with the table as a parameter: it sets
// p = scalar·P for the point P whose table tab is.
func (p *SM2P256Point) p256TableMult(scalar *p256OrdElement, tab *[43]p256AffineTable) {
	var t0 p256AffinePoint

	wvalue := (scalar[0] << 1) & 0x7f
	sel, sign := boothW6(uint(wvalue))
	p256SelectAffine(&t0, &tab[0], sel)
	p.x, p.y, p.z = t0.x, t0.y, p256One
	p256NegCond(&p.y, sign)

	index := uint(5)
	zero := sel

	for i := 1; i < 43; i++ {
		switch {
		case index >= 192:
			wvalue = (scalar[3] >> (index & 63)) & 0x7f
		case index >= 128:
			wvalue = ((scalar[2] >> (index & 63)) + (scalar[3] << (64 - (index & 63)))) & 0x7f
		case index >= 64:
			wvalue = ((scalar[1] >> (index & 63)) + (scalar[2] << (64 - (index & 63)))) & 0x7f
		default:
			wvalue = ((scalar[0] >> (index & 63)) + (scalar[1] << (64 - (index & 63)))) & 0x7f
		}
		index += 6
		sel, sign = boothW6(uint(wvalue))
		p256SelectAffine(&t0, &tab[i], sel)
		p256PointAddAffineAsm(p, p, &t0, sign, sel, zero)
		zero |= sel
	}

	// If the whole scalar was zero, set to the point at infinity.
	p256MovCond(p, p, NewSM2P256Point(), zero)
}
