package certificate

import (
	"encoding/binary"
	"sync"

	"github.com/emmansun/gmsm/sm3"

	"github.com/certledger/certledger/internal/domain/registry"
)

// sigMemo is a bounded, process-level memo of successful SM2 signature checks of
// certificate records (step 5 of Evaluate).
//
// Why it is safe: rec.VerifySignature(k, sig) (registry.VerifyRecord over the
// kind and view that rec.Signed gives, v1 or v2) is a pure
// function of k.KeyID, k.PublicKey (PEM), the signature string and the record,
// and it sees the record only through canon.Payload of that view, which
// rec.Payload equals (its prefix names the kind). It reads no clock, no state
// and no randomness. The memo key is SM3 over exactly those inputs (key id,
// public key PEM, the payload, signature; each length-prefixed, so no two
// inputs share an encoding), and only a nil result (the signature verifies) is
// remembered. A hit
// therefore returns what the full check would return; a miss, and every failing
// check, runs VerifyRecord in full, so error values and messages are unchanged.
// Same input, same output: endorsers stay deterministic and Evaluate stays pure.
//
// Why it helps: a verifier asks about the same certificate many times, and every
// Verify query re-checks the same signature (an SM2 verification plus the
// canonical payload, ~0.1 ms); a hit costs the payload (built without
// reflection) and one SM3 of a few hundred bytes.
//
// Bound: at most sigMemoMax entries of 32 bytes (2 MiB); when full it is emptied
// (a miss only costs the full check again).
var sigMemo = struct {
	sync.Mutex
	m map[[32]byte]struct{}
}{m: make(map[[32]byte]struct{})}

const sigMemoMax = 1 << 16

// sigMemoKey is SM3(len ‖ keyId ‖ len ‖ publicKey PEM ‖ len ‖ payload ‖ len ‖ signature).
func sigMemoKey(k *registry.Key, payload []byte, sig string) [32]byte {
	h := sm3.New()
	var n [8]byte
	for _, part := range [][]byte{[]byte(k.KeyID), []byte(k.PublicKey), payload, []byte(sig)} {
		binary.BigEndian.PutUint64(n[:], uint64(len(part)))
		h.Write(n[:])
		h.Write(part)
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// verifyRecordMemo returns exactly what rec.VerifySignature(*k, sig) returns,
// remembering successes.
func verifyRecordMemo(k *registry.Key, rec Record, sig string) error {
	payload, err := rec.Payload()
	if err != nil {
		return rec.VerifySignature(*k, sig)
	}
	key := sigMemoKey(k, payload, sig)
	sigMemo.Lock()
	_, ok := sigMemo.m[key]
	sigMemo.Unlock()
	if ok {
		return nil
	}
	if err := rec.VerifySignature(*k, sig); err != nil {
		return err
	}
	sigMemo.Lock()
	if len(sigMemo.m) >= sigMemoMax {
		clear(sigMemo.m)
	}
	sigMemo.m[key] = struct{}{}
	sigMemo.Unlock()
	return nil
}
