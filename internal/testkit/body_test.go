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
