package codes

import (
	"errors"
	"fmt"
	"testing"
)

func TestParse(t *testing.T) {
	cases := []struct {
		in, code, msg string
		ok            bool
	}{
		{"NOT_FOUND: certificate c-1", NotFound, "certificate c-1", true},
		{"rpc error: code = Unknown desc = evaluate call to endorser returned error: chaincode response 500, FORBIDDEN: wrong MSP", Forbidden, "wrong MSP", true},
		{"XNOT_FOUND: no", "", "", false},
		{"plain failure", "", "", false},
		{"CONFLICT: id taken; NOT_FOUND: later", Conflict, "id taken; NOT_FOUND: later", true},
		{"", "", "", false},
	}
	for _, c := range cases {
		code, msg, ok := Parse(c.in)
		if code != c.code || msg != c.msg || ok != c.ok {
			t.Errorf("Parse(%q) = %q, %q, %v; want %q, %q, %v", c.in, code, msg, ok, c.code, c.msg, c.ok)
		}
	}
}

func TestCodeAndIs(t *testing.T) {
	err := fmt.Errorf("reading: %w", New(NotFound, "certificate %s", "c-1"))
	if got := Code(err); got != NotFound {
		t.Fatalf("Code = %q", got)
	}
	if !errors.Is(err, &Error{Code: NotFound}) {
		t.Fatal("errors.Is by code failed")
	}
	if errors.Is(err, &Error{Code: Conflict}) {
		t.Fatal("errors.Is matched another code")
	}
	if Code(errors.New("x INVALID_ARGUMENT: bad")) != InvalidArgument {
		t.Fatal("Code from text failed")
	}
}

func FuzzParse(f *testing.F) {
	f.Add("chaincode response 500, NOT_FOUND: x")
	f.Add("BAD_SIGNATURE: ")
	f.Fuzz(func(t *testing.T, s string) {
		code, msg, ok := Parse(s)
		if ok && (code == "" || len(msg) > len(s)) {
			t.Fatalf("bad parse of %q", s)
		}
	})
}

func TestWrapReasonPrefix(t *testing.T) {
	errRevoked := Reason(ErrForbidden, "grant revoked")
	cases := []struct {
		name string
		err  error
		text string
		is   []error
		not  []error
	}{
		{"wrap", Wrap(ErrNotFound, "certificate %s", "c-1"), "NOT_FOUND: certificate c-1",
			[]error{ErrNotFound}, []error{ErrConflict, errRevoked}},
		{"reason", Wrap(errRevoked, "at %s", "t"), "FORBIDDEN: grant revoked: at t",
			[]error{ErrForbidden, errRevoked}, []error{ErrNotFound}},
		{"prefix keeps the code in front", Prefix(Wrap(errRevoked, "at t"), "exchange %s", "e-1"), "FORBIDDEN: exchange e-1: grant revoked: at t",
			[]error{ErrForbidden, errRevoked}, []error{ErrConflict}},
		{"prefix of a Fabric text", Prefix(errors.New("CONFLICT: id taken"), "grant g"), "CONFLICT: grant g: id taken",
			[]error{ErrConflict}, []error{ErrNotFound}},
		{"prefix of an uncoded error", Prefix(errors.New("disk full"), "grant g"), "INTERNAL: grant g: disk full",
			[]error{ErrInternal}, nil},
		{"fmt wrap", fmt.Errorf("reading: %w", Wrap(ErrConflict, "x")), "reading: CONFLICT: x",
			[]error{ErrConflict}, []error{ErrNotFound}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.err.Error() != c.text {
				t.Errorf("text %q, want %q", c.err.Error(), c.text)
			}
			for _, s := range c.is {
				if !errors.Is(c.err, s) {
					t.Errorf("errors.Is(%v, %v) = false", c.err, s)
				}
			}
			for _, s := range c.not {
				if errors.Is(c.err, s) {
					t.Errorf("errors.Is(%v, %v) = true", c.err, s)
				}
			}
		})
	}
	if Prefix(nil, "x") != nil {
		t.Error("Prefix(nil) != nil")
	}
}

func TestSentinelTextAndMessage(t *testing.T) {
	err := fmt.Errorf("%w: certificate c-1", ErrNotFound)
	if err.Error() != "NOT_FOUND: certificate c-1" || Code(err) != NotFound || !errors.Is(err, ErrNotFound) {
		t.Fatalf("fmt wrap of a sentinel: %q", err)
	}
	for in, want := range map[error]string{
		Wrap(ErrConflict, "id taken"):               "id taken",
		errors.New("chaincode response 500, x"):     "chaincode response 500, x",
		errors.New("FORBIDDEN: wrong MSP"):          "wrong MSP",
		errors.New("reading: FORBIDDEN: wrong MSP"): "reading: FORBIDDEN: wrong MSP",
	} {
		if got := Message(in); got != want {
			t.Errorf("Message(%q) = %q, want %q", in, got, want)
		}
	}
	if Message(nil) != "" {
		t.Error("Message(nil)")
	}
}
