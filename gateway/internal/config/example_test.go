package config_test

import (
	"fmt"

	"github.com/certledger/certledger/gateway/internal/config"
)

// The configuration stores a token's SHA-256, never the token.
func ExampleHashToken() {
	fmt.Println(config.HashToken("test"))
	// Output: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
}

func ExampleParse() {
	c, err := config.Parse([]byte(`
orgs: [{name: gov, profile: profiles/gov.yaml}]
tokens: [{sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08, department: gov, org: gov, role: admin}]
`))
	if err == nil {
		err = c.Validate()
	}
	fmt.Println(err, c.Listen, c.Tokens[0].ID, c.Timeouts.Endorse)
	// Output: <nil> 127.0.0.1:8080 tok-9f86d081 15s
}
