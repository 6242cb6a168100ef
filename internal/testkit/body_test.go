package testkit

import (
	"io"
	"net"
	"testing"
)

func TestBody(t *testing.T) {
	if Body(t, nil) != nil {
		t.Error("nil body: want no reader")
	}
	for _, c := range []struct {
		in   any
		want string
	}{{"raw {", "raw {"}, {map[string]int{"a": 1}, `{"a":1}`}} {
		b, err := io.ReadAll(Body(t, c.in))
		if err != nil || string(b) != c.want {
			t.Errorf("Body(%v) = %q, %v; want %q", c.in, b, err, c.want)
		}
	}
}

func TestDeadAddr(t *testing.T) {
	addr := DeadAddr(t)
	if c, err := net.Dial("tcp", addr); err == nil {
		_ = c.Close()
		t.Errorf("something answers on %s", addr)
	}
}

func TestEditJSON(t *testing.T) {
	got := EditJSON(t, []byte(`{"a":{"b":[1,{"c":2.50}]},"n":10}`), "a.b.1.c", func(v any) any { return "x" })
	want := "{\n  \"a\": {\n    \"b\": [\n      1,\n      {\n        \"c\": \"x\"\n      }\n    ]\n  },\n  \"n\": 10\n}"
	if string(got) != want {
		t.Fatalf("got %s", got)
	}
}
