package exchange_test

import (
	"fmt"

	"github.com/certledger/certledger/internal/domain/exchange"
)

// A grant's scope is a sorted field list; an exchange may carry only granted
// fields, to the grant's consumer.
func ExampleCheckScope() {
	g := exchange.Grant{GrantRequest: exchange.GrantRequest{ID: "g-1", Provider: "dept-tax", Consumer: "dept-social",
		Fields: exchange.SortFields([]string{"name", "income"})}}
	send := exchange.SendRequest{GrantID: "g-1", Provider: "dept-tax", Consumer: "dept-social", Fields: []string{"income", "taxId"}}
	fmt.Println(exchange.CheckScope(send, g))
	send.Fields = []string{"income"}
	fmt.Println(exchange.CheckScope(send, g))
	// Output:
	// FORBIDDEN: outside the grant's scope: fields [taxId] are not granted by g-1
	// <nil>
}
