//go:build !amd64 || purego || plugin

package sm2ec

import "testing"

func TestNoTableInThisBuild(t *testing.T) {
	if Available {
		t.Fatal("Available in a build without the assembly")
	}
	if _, err := NewTable(append([]byte{4}, make([]byte, 64)...)); err == nil {
		t.Fatal("NewTable succeeded without the assembly")
	}
}
