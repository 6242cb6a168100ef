package exchange

import (
	"encoding/base64"
	"strings"

	"github.com/certledger/certledger/chaincode/internal/state"
	"github.com/certledger/certledger/internal/codes"
)

// Page sizes and the scan bound of one list call.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
	maxScan         = 5000 // index entries examined per call; then a partial page and a bookmark
)

// Page is one page of a list: the records and, when more may follow, the
// bookmark to pass to the next call ("" at the end). A page may hold fewer than
// pageSize records (filters, scan bound) and still have a bookmark.
type Page[T any] struct {
	Records  []T    `json:"records"`
	Count    int    `json:"count"`
	Bookmark string `json:"bookmark"`
}

// scan walks composite-key index entries of objectType under prefix, bucket by
// bucket (each bucket's attributes follow prefix; nil buckets = the whole
// prefix), in key order, after the bookmark (an opaque encoding of the last key
// examined). visit returns whether it took the entry and whether to stop. scan
// returns the bookmark of the next page ("" when the walk is complete).
//
// Pagination is the contract's own (Fabric's paginated queries are not allowed
// in update transactions and are not modelled by every ledger): resuming skips
// the keys up to the bookmark within its bucket.
func scan(ctx state.Context, objectType string, prefix []string, buckets [][]string, pageSize int, bookmark string,
	visit func(attrs []string) (took, stop bool, err error)) (string, error) {
	after := ""
	if bookmark != "" {
		b, err := base64.RawURLEncoding.DecodeString(bookmark)
		if err != nil || len(b) == 0 {
			return "", codes.New(codes.InvalidArgument, "bookmark %q is not one this contract returned", bookmark)
		}
		after = string(b)
	}
	if buckets == nil {
		buckets = [][]string{nil}
	}
	stub := ctx.GetStub()
	taken, examined := 0, 0
	for _, bucket := range buckets {
		attrs := append(append([]string{}, prefix...), bucket...)
		start, err := state.Key(ctx, objectType, attrs...)
		if err != nil {
			return "", err
		}
		// Every key of this bucket starts with start; skip the bucket when the
		// bookmark lies beyond all of them.
		if after > start && !strings.HasPrefix(after, start) {
			continue
		}
		stop, next, err := func() (bool, string, error) {
			it, err := stub.GetStateByPartialCompositeKey(objectType, attrs)
			if err != nil {
				return false, "", codes.New(codes.Internal, "scanning %s: %v", objectType, err)
			}
			defer func() { _ = it.Close() }() // read-only iterator; nothing to flush
			for it.HasNext() {
				kv, err := it.Next()
				if err != nil {
					return false, "", codes.New(codes.Internal, "scanning %s: %v", objectType, err)
				}
				if kv.Key <= after {
					continue
				}
				_, parts, err := stub.SplitCompositeKey(kv.Key)
				if err != nil {
					return false, "", codes.New(codes.Internal, "splitting key: %v", err)
				}
				examined++
				took, stop, err := visit(parts)
				if err != nil {
					return false, "", err
				}
				if stop {
					return true, "", nil
				}
				if took {
					taken++
				}
				if taken >= pageSize || examined >= maxScan {
					return true, base64.RawURLEncoding.EncodeToString([]byte(kv.Key)), nil
				}
			}
			return false, "", nil
		}()
		if err != nil || stop {
			return next, err
		}
	}
	return "", nil
}

func pageSize(n int) (int, error) {
	switch {
	case n == 0:
		return DefaultPageSize, nil
	case n < 0 || n > MaxPageSize:
		return 0, codes.New(codes.InvalidArgument, "pageSize %d must be between 1 and %d", n, MaxPageSize)
	}
	return n, nil
}
