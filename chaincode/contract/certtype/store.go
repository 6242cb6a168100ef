package certtype

import (
	"encoding/json"

	"github.com/certledger/certledger/internal/codes"
)

func decodeStored(b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return codes.Wrap(codes.ErrInternal, "decoding stored %T: %v", v, err)
	}
	return nil
}
