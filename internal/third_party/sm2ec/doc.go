// Package sm2ec multiplies on the SM2 curve with a per-point precomputed
// table: gmsm's amd64 P-256 (SM2) field and point assembly, vendored from
// github.com/emmansun/gmsm v0.44.0 (which keeps it internal), plus a table
// builder and a fixed-base multiplication that takes the table as a parameter,
// so a public key verified many times costs what the generator does. On other
// architectures (and with the purego or plugin tags) Available is false and
// callers use gmsm's public API. See README.md.
package sm2ec
