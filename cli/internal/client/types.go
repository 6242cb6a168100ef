package client

import (
	"encoding/json"
	"github.com/certledger/certledger/internal/receipt"

	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/domain/registry"
)

// The API's records are the domain's own types; the names below say what the
// gateway answers with, not a second definition.
type (
	// Key is one SM2 key of a department, as the registry stores it.
	Key = registry.Key
	// KeyInfo is a key with the department that holds it (GET /api/v1/keys/{keyId}).
	KeyInfo = registry.KeyRecord
	// Department is the registry's department record.
	Department = registry.Department
	// DepartmentInput is the body of POST /api/v1/departments.
	DepartmentInput = registry.Registration
	// CertificateRecord is the signed certificate record (canon.KindCertificate).
	CertificateRecord = certificate.Record
	// CertificateFields are a certificate record's signed fields.
	CertificateFields = certificate.Fields
	// Certificate is the ledger's certificate: the signed record plus its state.
	Certificate = certificate.Certificate
	// StatusRequest is the signed body of revoke, suspend and reinstate
	// (canon.KindCertificateStatus).
	StatusRequest = certificate.StatusRequest
	// Step is one step of the verification pipeline.
	Step = certificate.Step
	// VerifyResult is the answer of GET /api/v1/verify.
	VerifyResult = certificate.Result
)

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

// ReceiptEvidence is the gateway's answer about a certificate's creating
// transaction (GET /api/v1/certificates/{id}/receipt).
type ReceiptEvidence struct {
	ID          string       `json:"id"`
	Certificate *Certificate `json:"certificate"`
	receipt.TxEvidence
}

// Anchor is where a certificate was first written (GET /api/v1/certificates/{id}/anchor).
type Anchor struct {
	ID          string `json:"id"`
	TxID        string `json:"txId"`
	BlockNumber uint64 `json:"blockNumber"`
	BlockKnown  bool   `json:"blockKnown"`
}
