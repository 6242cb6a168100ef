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
