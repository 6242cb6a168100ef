package record_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/domain/certtype"
	"github.com/certledger/certledger/internal/domain/identifier"
	"github.com/certledger/certledger/internal/domain/registry"
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

// A department that uses v2 builds valid, signed v2 records with GB/T 36904
// identifiers that the catalogue's rules (certificate.Authorize) accept.
func TestV2Certificates(t *testing.T) {
	d, err := record.NewDept("bench", "DeptAMSP")
	if err != nil {
		t.Fatal(err)
	}
	v := record.V2{Name: "Bench Bureau", Code: record.DemoCode, Type: record.DemoType()}
	if err := d.UseV2(v); err != nil {
		t.Fatal(err)
	}
	recs, err := d.Certificates("bench-%08d", 41, 3)
	if err != nil {
		t.Fatal(err)
	}
	ty, err := certtype.New(*d.TypeRegistration(), time.Now(), "tx")
	if err != nil {
		t.Fatal(err)
	}
	reg := d.Registration(v.Name)
	if reg.Code != record.DemoCode || reg.Validate() != nil {
		t.Fatalf("registration %+v", reg)
	}
	dept := registry.Department{ID: d.ID, Name: v.Name, Code: v.Code}
	for i, r := range recs {
		want, _ := v.Identifier(fmt.Sprintf("bench-%08d", 41+i))
		if r.ID != want || !strings.HasSuffix(r.ID[:len(r.ID)-6], "BENCH000000"+strconv.Itoa(41+i)) {
			t.Fatalf("record %d id %s, want %s", i, r.ID, want)
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("%s: %v", r.ID, err)
		}
		if err := certificate.Authorize(r, &ty, dept); err != nil {
			t.Fatalf("%s: %v", r.ID, err)
		}
		kind, signed := r.Signed()
		if err := canon.Verify(&d.Key.PublicKey, kind, signed, r.Signature); kind != canon.KindCertificateV2 || err != nil {
			t.Fatalf("%s: signature (%s): %v", r.ID, kind, err)
		}
	}
	if record.Serial(strings.Repeat("x", 50)+"-12") != strings.Repeat("X", 38)+"12" {
		t.Fatal("Serial keeps the last 40 letters and digits")
	}
	a, b := record.CodeFor("load-3f9c41d2"), record.CodeFor("load-77aa01")
	if a == b || identifier.CheckUSCC(a) != nil || identifier.CheckUSCC(b) != nil {
		t.Fatalf("CodeFor: %s %s", a, b)
	}
	if err := d.UseV2(record.V2{Name: "x", Code: "11330100MB1234567F", Type: record.DemoType()}); err == nil {
		t.Fatal("UseV2 took a code with a wrong check character")
	}
}
