package client_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/certledger/certledger/cli/internal/client"
	"github.com/certledger/certledger/gateway/gatewaytest"
)

// A command group reads and writes through one Client; a refusal is a *client.Error
// with the HTTP status and the gateway's stable code. (TestClientAgainstGateway runs
// these calls against the real gateway.)
func ExampleClient_Do() {
	c, err := client.New("https://gateway.example.gov", "", "")
	if err != nil {
		panic(err)
	}
	defer c.Close()
	ctx := context.Background()

	var d client.Department
	if err := c.Do(ctx, "GET", "/api/v1/departments/dept-a", nil, &d); err != nil {
		var e *client.Error
		switch {
		case errors.As(err, &e):
			fmt.Println(e.Status, e.Code) // e.g. 404 NOT_FOUND
		case errors.Is(err, client.ErrUnreachable):
			fmt.Println("gateway unreachable")
		}
		return
	}
	fmt.Println(d.ID, d.MSPID)
}

func TestClientAgainstGateway(t *testing.T) {
	gw := gatewaytest.New(t)
	gw.Department(t, gatewaytest.Dept{ID: "dept-a"})

	c, err := client.New(gw.URL, "", "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()

	var d client.Department
	if err := c.Do(ctx, "GET", "/api/v1/departments/dept-a", nil, &d); err != nil || d.ID != "dept-a" || d.MSPID != "DeptAMSP" {
		t.Fatalf("department %+v: %v", d, err)
	}
	err = c.Do(ctx, "GET", "/api/v1/departments/nope", nil, nil)
	var e *client.Error
	if !errors.As(err, &e) || e.Status != 404 || e.Code != "NOT_FOUND" || errors.Is(err, client.ErrUnreachable) {
		t.Fatalf("missing department: %v", err)
	}
}
