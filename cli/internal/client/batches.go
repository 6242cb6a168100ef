package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"

	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/batch"
)

// GroupResult is the answer for one record of a grouped issue.
type GroupResult struct {
	ID      string `json:"id"`
	Outcome string `json:"outcome"` // issued | replay | refused
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
	TxID    string `json:"txId,omitempty"`
}

// GroupAnswer is certificate:IssueGroup's answer.
type GroupAnswer struct {
	TxID     string        `json:"txId"`
	IssuedAt string        `json:"issuedAt"`
	Issued   int           `json:"issued"`
	Replay   int           `json:"replay"`
	Refused  int           `json:"refused"`
	Results  []GroupResult `json:"results"`
}

// IssueGroup submits up to the ledger's group limit of signed records in one transaction.
func (c *Client) IssueGroup(ctx context.Context, recs []CertificateRecord) (*WriteResult[GroupAnswer], error) {
	var out WriteResult[GroupAnswer]
	if err := c.Do(ctx, http.MethodPost, apiPrefix+"/certificates/groups", map[string]any{"records": recs}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// AnchorBatch anchors a signed batch header.
func (c *Client) AnchorBatch(ctx context.Context, h batch.Header) (*WriteResult[batch.Anchored], error) {
	var out WriteResult[batch.Anchored]
	if err := c.Do(ctx, http.MethodPost, apiPrefix+"/batches", h, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// BatchState is GET /api/v1/batches/{id}.
type BatchState struct {
	Batch batch.Anchored `json:"batch"`
	File  struct {
		Stored bool  `json:"stored"`
		Staged int64 `json:"staged"`
	} `json:"file"`
}

// GetBatch reads an anchored batch and where its file is.
func (c *Client) GetBatch(ctx context.Context, id string) (*BatchState, error) {
	var out BatchState
	if err := c.Do(ctx, http.MethodGet, apiPrefix+"/batches/"+esc(id), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// BatchHead is a department's last anchored batch ("" before its first).
type BatchHead struct {
	Department string `json:"department"`
	BatchID    string `json:"batchId"`
	Count      int    `json:"count"`
}

// GetBatchHead reads department's last anchored batch.
func (c *Client) GetBatchHead(ctx context.Context, dept string) (*BatchHead, error) {
	var out BatchHead
	if err := c.Do(ctx, http.MethodGet, apiPrefix+"/batches?department="+url.QueryEscape(dept), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UploadChunk is the size of one upload request (under the gateway's default
// 1 MiB body limit).
const UploadChunk = 768 << 10

// UploadBatch sends the batch file at path for batch id, resuming after what the
// gateway already staged, chunk by chunk; progress (may be nil) gets the bytes
// sent so far. The last chunk makes the gateway check the file against the
// anchored header and store it.
func (c *Client) UploadBatch(ctx context.Context, id, path string, progress func(sent, total int64)) error {
	_, err := c.upload(ctx, id, path, progress, false)
	return err
}

// StageBatch sends the batch file at path for batch id before its header is
// anchored (resuming after what the gateway already staged): the gateway keeps
// it staged, and refuses the anchoring if the file names certificate ids it
// knows already (409, nothing anchored). stored is true when the batch was
// anchored already and the last chunk stored the file. UploadBatch after the
// anchoring has the gateway check and store the staged file.
func (c *Client) StageBatch(ctx context.Context, id, path string, progress func(sent, total int64)) (stored bool, err error) {
	return c.upload(ctx, id, path, progress, true)
}

func (c *Client) upload(ctx context.Context, id, path string, progress func(sent, total int64), stage bool) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer func() { _ = f.Close() }() // read-only
	fi, err := f.Stat()
	if err != nil {
		return false, err
	}
	total := fi.Size()
	var st struct {
		Offset int64 `json:"offset"`
	}
	if err := c.Do(ctx, http.MethodGet, apiPrefix+"/batches/"+esc(id)+"/upload", nil, &st); err != nil {
		return false, err
	}
	off := st.Offset
	if off > total {
		return false, fmt.Errorf("the gateway holds %d bytes of batch %s, more than the file's %d", off, id, total)
	}
	target := c.base.JoinPath("api", "v1", "batches", id, "file").String()
	buf := make([]byte, UploadChunk)
	retried := 0
	for {
		if progress != nil {
			progress(off, total)
		}
		if off == total {
			if stage {
				return false, nil // staged already
			}
			// Everything is staged (after a late anchoring, or an earlier run
			// was cut after its last chunk): finish.
			hdr := http.Header{"Content-Range": {"bytes */" + strconv.FormatInt(total, 10)}}
			return true, c.onceWith(ctx, http.MethodPut, target, "batches/"+id+"/file", hdr, []byte{}, nil)
		}
		n, err := f.ReadAt(buf, off)
		if err != nil && !errors.Is(err, io.EOF) {
			return false, err
		}
		hdr := http.Header{
			"Content-Type":  {"application/octet-stream"},
			"Content-Range": {fmt.Sprintf("bytes %d-%d/%d", off, off+int64(n)-1, total)},
		}
		err = c.onceWith(ctx, http.MethodPut, target, "batches/"+id+"/file", hdr, buf[:n], nil)
		var he *Error
		switch {
		case err == nil:
			off += int64(n)
			retried = 0
			if off == total {
				if progress != nil {
					progress(off, total)
				}
				return true, nil
			}
		case stage && off+int64(n) == total && errors.As(err, &he) && he.Status == http.StatusNotFound && he.Code == codes.NotFound:
			// The last chunk of a batch not anchored yet: the file stays staged.
			if progress != nil {
				progress(total, total)
			}
			return false, nil
		case (errors.As(err, &he) && he.Status == http.StatusConflict || errors.Is(err, ErrUnreachable)) && retried < 5:
			// Out of step (a chunk half-arrived) or a cut connection: ask where to resume.
			retried++
			if err := c.Do(ctx, http.MethodGet, apiPrefix+"/batches/"+esc(id)+"/upload", nil, &st); err != nil {
				return false, err
			}
			off = st.Offset
		default:
			return false, err
		}
	}
}

// BatchedLeaf is a batched certificate's record and inclusion proof.
type BatchedLeaf struct {
	Record batch.Record `json:"record"`
	Proof  batch.Proof  `json:"proof"`
}

// ChangeBatchedStatus revokes, suspends or reinstates a certificate of a batch
// that is not yet on the ledger by itself, sending its leaf along.
func (c *Client) ChangeBatchedStatus(ctx context.Context, req StatusRequest, leaf BatchedLeaf) (*WriteResult[Certificate], error) {
	body := struct {
		StatusRequest
		Batched BatchedLeaf `json:"batched"`
	}{req, leaf}
	var out WriteResult[Certificate]
	path := apiPrefix + "/batches/" + esc(leaf.Proof.BatchID) + "/certificates/" + esc(req.CertificateID) + "/" + esc(req.Action)
	if err := c.Do(ctx, http.MethodPost, path, body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
