package scenario

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	grpccodes "google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// ErrConflict wraps a transaction that committed invalid because another transaction
// changed what it read (MVCC_READ_CONFLICT or PHANTOM_READ_CONFLICT).
var ErrConflict = errors.New("read conflict at commit")

// ErrInvalid wraps any other invalid commit.
var ErrInvalid = errors.New("transaction committed invalid")

// Endorse prepares a transaction (endorsed, not yet submitted).
func Endorse(ctx context.Context, c *client.Contract, fn string, args ...string) (*client.Transaction, error) {
	p, err := c.NewProposal(fn, client.WithArguments(args...))
	if err != nil {
		return nil, err
	}
	return p.EndorseWithContext(ctx)
}

// Commit submits an endorsed transaction and waits for its validation code.
func Commit(ctx context.Context, tx *client.Transaction) (blockNumber uint64, err error) {
	commit, err := tx.SubmitWithContext(ctx)
	if err != nil {
		return 0, err
	}
	st, err := commit.StatusWithContext(ctx)
	if err != nil {
		return 0, err
	}
	switch st.Code {
	case peer.TxValidationCode_VALID:
		return st.BlockNumber, nil
	case peer.TxValidationCode_MVCC_READ_CONFLICT, peer.TxValidationCode_PHANTOM_READ_CONFLICT:
		return st.BlockNumber, fmt.Errorf("%w: tx %s %s in block %d", ErrConflict, st.TransactionID, st.Code, st.BlockNumber)
	default:
		return st.BlockNumber, fmt.Errorf("%w: tx %s %s in block %d", ErrInvalid, st.TransactionID, st.Code, st.BlockNumber)
	}
}

// Result of one submitted transaction.
type Result struct {
	Payload     []byte
	TxID        string
	BlockNumber uint64
	Retries     int // re-endorsements after read conflicts
}

// Submit endorses, submits and waits for commit, endorsing again (up to attempts times in
// all) when the commit fails with a read conflict — what every client of a ledger with
// optimistic concurrency must do.
func Submit(ctx context.Context, c *client.Contract, attempts int, fn string, args ...string) (Result, error) {
	var r Result
	for {
		tx, err := Endorse(ctx, c, fn, args...)
		if err != nil {
			return r, err
		}
		r.Payload, r.TxID = tx.Result(), tx.TransactionID()
		r.BlockNumber, err = Commit(ctx, tx)
		if err == nil || !errors.Is(err, ErrConflict) || r.Retries+1 >= attempts {
			return r, err
		}
		r.Retries++
	}
}

// WaitEndorsable endorses (never submits) registry:GetGovernance until the ledger can
// endorse, for at most timeout. Right after a chaincode definition is committed a Fabric
// gateway may not yet know which peers run it ("no combination of peers can be derived
// which satisfy the endorsement policy", gRPC FailedPrecondition).
func WaitEndorsable(ctx context.Context, c *client.Contract, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		_, err := Endorse(ctx, c, "registry:GetGovernance")
		if err == nil {
			return nil
		}
		if status.Code(err) != grpccodes.FailedPrecondition && status.Code(err) != grpccodes.Unavailable {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("ledger not ready to endorse after %s: %w", timeout, err)
		case <-time.After(250 * time.Millisecond):
		}
	}
}
