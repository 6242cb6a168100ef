package receipt_test

import (
	"testing"
	"time"

	"github.com/certledger/certledger/internal/receipt"
	"github.com/certledger/certledger/internal/receipt/receipttest"
	"github.com/certledger/certledger/internal/trust"
)

// FuzzParse: Parse never panics; what it accepts re-encodes to a receipt it
// accepts again, and Check never panics on it nor calls it VALID unless the
// anchor decodes.
func FuzzParse(f *testing.F) {
	w := receipttest.New(f, time.Now())
	valid := receipttest.Marshal(f, w.Receipt(f, w.Record(f, "lic-1", doc), receipttest.Tx{}))
	f.Add(valid)
	f.Add([]byte(`{"version":"certledger-receipt/v2"}`))
	f.Add([]byte(`{"version":"certledger-receipt/v2","version":"x"}`))
	f.Add([]byte("[]"))
	bundle, err := trust.Verify(w.Bundle(f), w.Pin)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := receipt.Parse(data)
		if err != nil {
			return
		}
		out, err := r.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := receipt.Parse(out); err != nil {
			t.Fatalf("accepted receipt does not re-parse: %v", err)
		}
		res := receipt.Check(receipt.Input{Receipt: r, Bundle: bundle, Pin: w.Pin, Now: w.Now})
		if res.Valid() {
			if _, err := r.Anchor.Decode(); err != nil {
				t.Fatalf("VALID with an undecodable anchor: %v", err)
			}
		}
	})
}

// FuzzDecodeAnchor: Decode and FromEnvelope never panic on arbitrary bytes, and
// CheckEndorsements never counts an endorsement whose bytes were fuzzed into
// an identity the bundle does not list.
func FuzzDecodeAnchor(f *testing.F) {
	w := receipttest.New(f, time.Now())
	r := w.Receipt(f, w.Record(f, "lic-1", doc), receipttest.Tx{})
	f.Add(r.Anchor.Header, r.Anchor.ProposalPayload, r.Anchor.ProposalResponse, r.Anchor.Endorsements[0].Endorser)
	f.Add([]byte{}, []byte{0x0a}, []byte{0x12, 0x01}, []byte{0xff})
	bundle, err := trust.Verify(w.Bundle(f), w.Pin)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, hdr, cpp, prp, endorser []byte) {
		a := &receipt.Anchor{Header: hdr, ProposalPayload: cpp, ProposalResponse: prp,
			Endorsements: []receipt.Endorsement{{Endorser: endorser, Signature: []byte{0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01}}}}
		_, _ = a.Decode()
		_, _ = receipt.FromEnvelope(hdr)
		_, _, _, _ = receipt.FromBlock(prp, "tx")
		e := receipt.CheckEndorsements(a, &bundle.Bundle, w.Now)
		if e.Satisfied {
			t.Fatal("a fuzzed endorsement satisfied the policy")
		}
	})
}
