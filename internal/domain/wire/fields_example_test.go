package wire_test

import (
	"fmt"

	"github.com/certledger/certledger/internal/domain/wire"
)

// A Validate method checks every field and returns every problem at once;
// the text crosses Fabric with its code, the gateway answers 400 with the
// fields, the CLI prints them.
func ExampleFieldErrors() {
	var fe wire.FieldErrors
	fe.ID("id", "c/1")
	fe.Hash("docHash", "")
	fmt.Println(fe.Err())
	// Output:
	// INVALID_ARGUMENT: id: "c/1" must be 1-128 characters of [A-Za-z0-9._:-] starting with a letter or digit; docHash: "" must be 64 lowercase hex characters (SM3)
}
