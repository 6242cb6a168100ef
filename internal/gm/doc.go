// Package gm holds certledger's national commercial cryptography: SM2 keys and
// signatures (GM/T 0003, default user ID of GM/T 0009), SM3 digests (GM/T 0004),
// SM2 public-key encryption (GM/T 0003.4, ASN.1 C1C3C2 as OpenSSL 3 writes it) and
// SM4-GCM (RFC 8998), on github.com/emmansun/gmsm.
//
// Conventions, fixed for every component: SM3 digests are lowercase 64-character
// hex; SM2 signatures are ASN.1 DER (base64 in transport) over SM3(Z‖M) with
// Z computed from the user ID "1234567812345678"; private keys are PKCS#8 PEM,
// optionally password-encrypted; public keys are PKIX PEM; a key's ID is the SM3
// hex of its DER public key. Verification is strict: DER only, no trailing bytes,
// r and s in [1, n-1], the public key on the SM2 curve. Verify keeps a
// precomputed multiplication table for each public key it sees often (Verifier,
// internal/third_party/sm2ec; amd64), which makes a verification ~3× cheaper
// with the same answers as gmsm's.
package gm
