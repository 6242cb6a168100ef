package client_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/certledger/certledger/cli/internal/client"
	"github.com/certledger/certledger/cli/internal/fakegw"
)

// A command group reads and writes through one Client; a refusal is a *client.Error
// with the HTTP status and the gateway's stable code.
func ExampleClient_Do() {
	gw := fakegw.New()
	defer gw.Close()
	_ = gw.AddDepartment("dept-a", "DeptAMSP")

	c, err := client.New(gw.URL, "", "")
	if err != nil {
		panic(err)
	}
	defer c.Close()
	ctx := context.Background()

	var d client.Department
	if err := c.Do(ctx, "GET", "/api/v1/departments/dept-a", nil, &d); err != nil {
		panic(err)
	}
	fmt.Println(d.ID, d.MSPID)

	err = c.Do(ctx, "GET", "/api/v1/departments/nope", nil, nil)
	var e *client.Error
	if errors.As(err, &e) {
		fmt.Println(e.Status, e.Code)
	}
	fmt.Println(errors.Is(err, client.ErrUnreachable))
	// Output:
	// dept-a DeptAMSP
	// 404 NOT_FOUND
	// false
}
