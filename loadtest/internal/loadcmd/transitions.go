package loadcmd

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/certledger/certledger/gateway/gatewaytest"
	"github.com/certledger/certledger/internal/domain/workorder"
	"github.com/certledger/certledger/loadtest/internal/driver"
	"github.com/certledger/certledger/loadtest/record"
)

// transitionWorkers is the number of concurrent submitters of runTransitions.
const transitionWorkers = 16

// runTransitions measures work-order transactions committed per second through
// the fabric-gateway client: n workorder:Submit (as gov, routed to dept-a by
// category), then n signed workorder:Accept by dept-a.
func runTransitions(c *cli.Context, n int) error {
	s, stop, err := startKPIStack(c)
	if err != nil {
		return err
	}
	defer stop()
	ctx := c.Context
	d, err := record.NewDept("dept-a", "DeptAMSP")
	if err != nil {
		return err
	}
	if _, err := s.Fabric.Submit(ctx, gatewaytest.Governance, "registry:RegisterDepartment", record.JSON(d.Registration("Department A", "noise"))); err != nil {
		return err
	}
	txIDs := make([]string, n)
	submits := driver.Run(ctx, driver.Options{Name: "workorder:Submit", Workers: transitionWorkers, N: n}, func(ctx context.Context, i int) error {
		res, err := s.Fabric.Submit(ctx, gatewaytest.Governance, "workorder:Submit", record.JSON(record.TicketSubmission(fmt.Sprintf("T%07d", i))))
		if err != nil {
			return err
		}
		var o workorder.Output
		if err := json.Unmarshal(res.Payload, &o); err != nil {
			return err
		}
		txIDs[i] = o.Ticket.TxID
		return nil
	})
	accepts := driver.Run(ctx, driver.Options{Name: "workorder:Accept (signed)", Workers: transitionWorkers, N: n}, func(ctx context.Context, i int) error {
		in, err := d.TicketAction(workorder.ActionInput{SignedAction: workorder.SignedAction{TicketID: fmt.Sprintf("T%07d", i), Action: "accept", PrevTxID: txIDs[i]}})
		if err != nil {
			return err
		}
		_, err = s.Fabric.Submit(ctx, "dept-a", "workorder:Accept", record.JSON(in))
		return err
	})
	t := opsTable(fmt.Sprintf("work-order transitions committed through the fabric-gateway client (%d submitters, default devnet)", transitionWorkers),
		[]driver.Result{submits, accepts})
	return t.Write(c.App.Writer, format(c))
}
