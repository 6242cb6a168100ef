package record_test

import (
	"testing"
	"time"

	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/domain/workorder"
	"github.com/certledger/certledger/loadtest/record"
)

func TestCertificatesAreValidAndSigned(t *testing.T) {
	d, err := record.NewDept("dept-a", "DeptAMSP")
	if err != nil {
		t.Fatal(err)
	}
	recs, err := d.Certificates("c-%03d", 7, 5)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range recs {
		if want := []string{"c-007", "c-008", "c-009", "c-010", "c-011"}[i]; r.ID != want {
			t.Fatalf("record %d id %s, want %s", i, r.ID, want)
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("%s: %v", r.ID, err)
		}
		sig := r.Signature
		r.Signature = ""
		if err := canon.Verify(&d.Key.PublicKey, canon.KindCertificate, r, sig); err != nil {
			t.Fatalf("%s: signature: %v", r.ID, err)
		}
	}
	r, err := d.Certificate("c-x", []byte("doc"), time.Now(), time.Time{})
	if err != nil || r.ValidUntil != "" {
		t.Fatalf("no end date: %+v %v", r, err)
	}
	if err := d.Registration("Dept A", "noise").Validate(); err != nil {
		t.Fatal(err)
	}
}

// TestTicketMix checks the synthetic workload's shape over 1,000 tickets.
func TestTicketMix(t *testing.T) {
	rated, unsatisfied := 0, 0
	for i := range 1000 {
		r, err := record.Ticket("A", i)
		if err != nil {
			t.Fatal(err)
		}
		if r.Ticket.Rating != "" {
			rated++
		}
		if r.Ticket.Rating == workorder.RatingUnsatisfied {
			unsatisfied++
		}
	}
	if rated != 800 || unsatisfied != 100 {
		t.Fatalf("rated %d, unsatisfied %d; want 800 and 100", rated, unsatisfied)
	}
}
