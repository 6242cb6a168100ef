package command

import (
	"context"
	"strings"

	"github.com/certledger/certledger/cli/internal/client"
	"github.com/certledger/certledger/internal/domain/identifier"
	"github.com/urfave/cli/v2"
)

func deptSetCodeCommand() *cli.Command {
	return &cli.Command{
		Name:      "set-code",
		Usage:     "give a department its unified social credit code (governance administrator)",
		ArgsUsage: "DEPT CODE",
		Description: "The code's GB 32100 check character is verified here and on the ledger; a code held by\n" +
			"another department is refused. A department needs a code to issue GB/T 36904 identifiers.",
		Action: deptSetCode,
	}
}

func deptSetCode(c *cli.Context) error {
	if c.NArg() != 2 {
		return Usagef("give DEPT CODE")
	}
	id, code := strings.TrimSpace(c.Args().Get(0)), strings.TrimSpace(c.Args().Get(1))
	if err := identifier.CheckUSCC(code); err != nil {
		return Usagef("%s", strings.TrimPrefix(err.Error(), "INVALID_ARGUMENT: "))
	}
	return request(c, func(ctx context.Context, cl *client.Client) (*client.WriteResult[client.Department], error) {
		return cl.SetDepartmentCode(ctx, id, code)
	}, deptWriteRows("code set"))
}
