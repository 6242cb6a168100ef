// Vendored from github.com/emmansun/gmsm v0.44.0 internal/sm2ec/p256_asm_ord.go
// (MIT License, see LICENSE in this folder): only the declarations of the two
// assembly functions that p256_asm_amd64.s and p256_common_amd64.s define; the
// Go code around them (scalar inversion) is not used here.

//go:build !purego && !plugin

package sm2ec

// Montgomery multiplication modulo org(G). Sets res = in1 * in2 * R⁻¹.
//
//go:noescape
func p256OrdMul(res, in1, in2 *p256OrdElement)

// Montgomery square modulo org(G), repeated n times (n >= 1).
//
//go:noescape
func p256OrdSqr(res, in *p256OrdElement, n int)
