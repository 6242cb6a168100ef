package client

import (
	"encoding/json"

	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/domain/certtype"
	"github.com/certledger/certledger/internal/domain/identifier"
	"github.com/certledger/certledger/internal/domain/registry"
)

// Key is one SM2 key of a department, as the registry stores it.
type Key struct {
	KeyID        string `json:"keyId"`
	PublicKey    string `json:"publicKey"`
	ValidFrom    string `json:"validFrom,omitempty"`
	RotatedAt    string `json:"rotatedAt,omitempty"`
	RevokedAt    string `json:"revokedAt,omitempty"`
	RevokeReason string `json:"revokeReason,omitempty"`
}

// KeyInfo is a key with the department that holds it (GET /api/v1/keys/{keyId}).
type KeyInfo struct {
	DepartmentID string `json:"departmentId"`
	Key
}

// Department is the registry's department record.
type Department struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	Code       string   `json:"code,omitempty"` // unified social credit code
	MSPID      string   `json:"mspId"`
	Parent     string   `json:"parent,omitempty"`
	Categories []string `json:"categories,omitempty"`
	Status     string   `json:"status,omitempty"`
	Keys       []Key    `json:"keys,omitempty"`
	CreatedAt  string   `json:"createdAt,omitempty"`
	UpdatedAt  string   `json:"updatedAt,omitempty"`
	TxID       string   `json:"txId,omitempty"`
}

// DepartmentInput is the body of POST /api/v1/departments.
type DepartmentInput = registry.Registration

// CertificateRecord is the signed certificate record. Its signed fields are those of
// canon.KindCertificate; Signature is the base64 SM2 signature over them.
type CertificateRecord = certificate.Record

// Certificate is the ledger's certificate: the signed record plus its state.
type Certificate struct {
	CertificateRecord
	Status       string `json:"status,omitempty"`
	StatusReason string `json:"statusReason,omitempty"`
	SupersededBy string `json:"supersededBy,omitempty"`
	BatchID      string `json:"batchId,omitempty"`
	IssuedAt     string `json:"issuedAt,omitempty"`
	UpdatedAt    string `json:"updatedAt,omitempty"`
	TxID         string `json:"txId,omitempty"`
}

// StatusRequest is the signed body of revoke, suspend and reinstate
// (canon.KindCertificateStatus).
type StatusRequest = certificate.StatusRequest

// WriteResult is the gateway's answer to a write.
type WriteResult[T any] struct {
	TxID        string `json:"txId"`
	BlockNumber uint64 `json:"blockNumber"`
	Channel     string `json:"channel,omitempty"`
	Record      T      `json:"record"`
}

// HistoryEntry is one version of a record.
type HistoryEntry struct {
	TxID      string          `json:"txId"`
	Timestamp string          `json:"timestamp"`
	IsDelete  bool            `json:"isDelete"`
	Record    json.RawMessage `json:"record"`
}

// Step is one step of the verification pipeline.
type Step struct {
	Step   int    `json:"step"`
	Name   string `json:"name"`
	Status string `json:"status"` // pass | fail | skipped
	Code   string `json:"code,omitempty"`
	Detail string `json:"detail,omitempty"`
}

// VerifyResult is the answer of GET /api/v1/verify.
type VerifyResult struct {
	Verdict     string       `json:"verdict"`
	CheckedAt   string       `json:"checkedAt,omitempty"`
	Certificate *Certificate `json:"certificate,omitempty"`
	IssuerKey   *KeyInfo     `json:"issuerKey,omitempty"`
	Matches     []string     `json:"matches,omitempty"`
	Steps       []Step       `json:"steps"`
	// Identifier is the GB/T 36904 identifier in parts (its check character verified at step 1).
	Identifier *identifier.Identifier `json:"identifier,omitempty"`
	// CertType is the catalogue's entry for a v2 certificate's type.
	CertType *certtype.Info `json:"certType,omitempty"`
}
