package wire

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/certledger/certledger/internal/codes"
)

func TestShapes(t *testing.T) {
	hash := strings.Repeat("ab", 32)
	for _, c := range []struct {
		name string
		ok   func(string) bool
		in   string
		want bool
	}{
		{"id", ValidID, "c-1", true},
		{"id with colon", ValidID, "lic:2026:0001", true},
		{"id 128", ValidID, "a" + strings.Repeat("b", 127), true},
		{"id 129", ValidID, "a" + strings.Repeat("b", 128), false},
		{"id leading dash", ValidID, "-x", false},
		{"id slash", ValidID, "a/b", false},
		{"id empty", ValidID, "", false},
		{"dept", ValidDeptID, "dept-a", true},
		{"dept colon", ValidDeptID, "dept:a", false},
		{"dept 65", ValidDeptID, strings.Repeat("d", 65), false},
		{"hash", ValidHash, hash, true},
		{"hash upper", ValidHash, strings.ToUpper(hash), false},
		{"hash short", ValidHash, hash[:63], false},
		{"msp", ValidMSPID, "Org1MSP", true},
		{"msp space", ValidMSPID, "Org 1", false},
		{"field", ValidFieldName, "_income.total", true},
		{"field digit first", ValidFieldName, "1x", false},
	} {
		if got := c.ok(c.in); got != c.want {
			t.Errorf("%s: %q = %v, want %v", c.name, c.in, got, c.want)
		}
	}
}

func TestTimes(t *testing.T) {
	at := time.Date(2026, 11, 28, 20, 0, 0, 500_000_000, time.FixedZone("CST", 8*3600))
	if got := FormatTime(at); got != "2026-11-28T12:00:00.5Z" {
		t.Errorf("FormatTime = %s", got)
	}
	if got := FormatSecond(at); got != "2026-11-28T12:00:00Z" {
		t.Errorf("FormatSecond = %s", got)
	}
	if got := at.UTC().Format(SortLayout); got != "2026-11-28T12:00:00.500000000Z" {
		t.Errorf("SortLayout = %s", got)
	}
	back, err := ParseTime("2026-11-28T20:00:00.5+08:00")
	if err != nil || !back.Equal(at) || back.Location() != time.UTC {
		t.Errorf("ParseTime = %v, %v", back, err)
	}
	if _, err := ParseTime("2026-11-28"); err == nil {
		t.Error("ParseTime accepted a date")
	}
}

func TestFieldErrors(t *testing.T) {
	var fe FieldErrors
	if fe.Err() != nil {
		t.Fatal("no problems, but an error")
	}
	fe.ID("id", "-bad")
	fe.DeptID("issuer", "ok-dept")
	fe.Hash("docHash", "xyz")
	fe.Text("name", "", 10)
	fe.Text("note", "a\nb", 10)
	fe.Time("validFrom", "yesterday")
	fe.Signature("signature", strings.Repeat("s", MaxSignatureLen+1))
	fe.MSPID("mspId", "Org 1")
	err := fe.Err()
	var got FieldErrors
	if !errors.As(err, &got) || len(got) != 7 {
		t.Fatalf("FieldErrors = %v", err)
	}
	fields := make([]string, len(got))
	for i, e := range got {
		fields[i] = e.Field
	}
	if strings.Join(fields, ",") != "id,docHash,name,note,validFrom,signature,mspId" {
		t.Errorf("fields in order: %v", fields)
	}
	if !strings.HasPrefix(err.Error(), "INVALID_ARGUMENT: id: ") || !strings.Contains(err.Error(), "; docHash: ") {
		t.Errorf("text %q", err.Error())
	}
	wrapped := fmt.Errorf("issuing: %w", err)
	if !errors.Is(wrapped, codes.ErrInvalidArgument) || errors.Is(wrapped, codes.ErrConflict) || codes.Code(wrapped) != codes.InvalidArgument {
		t.Error("FieldErrors do not match INVALID_ARGUMENT (only)")
	}
}
