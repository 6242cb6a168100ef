// Package issue builds, signs and submits certificate records and writes their
// receipts and QR codes; Bulk does it for a manifest, resumably.
//
// The order of work makes retries safe: the record (with its random holder salt) is
// signed and saved as <id>.pending.json before it is submitted, so a crash or a lost
// answer never loses the salt; a rerun resubmits the same record, which the gateway
// answers idempotently.
package issue

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	rcpt "github.com/certledger/certledger/internal/receipt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/certledger/certledger/cli/internal/client"
	"github.com/certledger/certledger/cli/internal/qr"
	"github.com/certledger/certledger/cli/internal/receipt"
	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/gm"
	"github.com/emmansun/gmsm/sm2"
)

// Errors of this package.
var (
	ErrInput    = errors.New("bad input")
	ErrConflict = errors.New("id already on the ledger with another document")
)

// Signer is the department key that signs records.
type Signer struct {
	Key       *sm2.PrivateKey
	KeyID     string
	PublicPEM string
	Dept      string // issuing department id
}

// NewSigner wraps a private key; dept is the issuing department.
func NewSigner(k *sm2.PrivateKey, dept string) (Signer, error) {
	pemBytes, err := gm.MarshalPublicKeyPEM(&k.PublicKey)
	if err != nil {
		return Signer{}, err
	}
	return Signer{Key: k, KeyID: gm.KeyID(&k.PublicKey), PublicPEM: string(pemBytes), Dept: dept}, nil
}

// Issuer issues certificates through a gateway.
type Issuer struct {
	Client     *client.Client
	Signer     Signer
	VerifyBase string // base URL of the verify page (QR links)
	OutDir     string // where receipts and QR codes go
	Channel    string // ledger channel, recorded in receipts when known
	// TrustPin is the governance fingerprint written into v2 receipts when the
	// gateway serves no trust bundle of its own ("" = none known).
	TrustPin string
	Now      func() time.Time

	evMu    sync.Mutex
	evCache map[string]*client.ReceiptEvidence // by transaction id
}

// Request is one certificate to issue.
type Request struct {
	File       string // document to hash
	DocHash    string // precomputed SM3 of File (optional)
	Type       string
	HolderID   string
	ValidFrom  string // RFC 3339 or YYYY-MM-DD; "" = now
	ValidUntil string // RFC 3339 or YYYY-MM-DD (end of that day, UTC)
	ID         string // "" = generated (v2: the identifier built from V2)
	Supersedes string // id of the certificate this one replaces
	V2         *V2    // set: a v2 record (HolderID is then the holder's code)
}

// Result is what Issue did.
type Result struct {
	Record      client.CertificateRecord `json:"record"`
	TxID        string                   `json:"txId,omitempty"`
	BlockNumber uint64                   `json:"blockNumber,omitempty"`
	Receipt     string                   `json:"receipt,omitempty"`
	QR          string                   `json:"qr,omitempty"`
	VerifyURL   string                   `json:"verifyUrl"`
	// AlreadyOnLedger is set when the id was on the ledger with the same document
	// hash before this run (no receipt is written then: its salt is unknown here).
	AlreadyOnLedger bool `json:"alreadyOnLedger,omitempty"`
	// ReceiptVersion is the format of the receipt written; ReceiptNote says why
	// it is not v2 (it then verifies online only).
	ReceiptVersion string `json:"receiptVersion,omitempty"`
	ReceiptNote    string `json:"receiptNote,omitempty"`
}

// CheckID checks a certificate id's shape (wire.IDPattern).
func CheckID(id string) error {
	if !wire.ValidID(id) {
		return fmt.Errorf("%w: certificate id %q: use 1-128 letters, digits, '.', '_', ':' or '-'", ErrInput, id)
	}
	return nil
}

// NormalizeTime turns RFC 3339 or YYYY-MM-DD into RFC 3339 UTC (seconds). A bare date
// is the start of that day, or its last second when endOfDay.
func NormalizeTime(s string, endOfDay bool) (string, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse("2006-01-02", s); err == nil {
		if endOfDay {
			t = t.Add(24*time.Hour - time.Second)
		}
		return wire.FormatSecond(t), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return "", fmt.Errorf("%w: time %q: want YYYY-MM-DD or RFC 3339 (2026-12-31T23:59:59Z)", ErrInput, s)
	}
	return wire.FormatSecond(t), nil
}

// CheckWindow applies the ledger's validity bounds (wire: not before
// 1949-10-01, at most 100 years ahead) before anything is signed (a single or
// grouped issue, each row of a batch). An empty until (no end, a v2 type
// without a default validity) is not checked.
func CheckWindow(from, until string, now time.Time) error {
	for _, f := range []struct{ flag, v string }{{"valid-from", from}, {"valid-until", until}} {
		if f.v == "" && f.flag == "valid-until" {
			continue
		}
		t, err := wire.CheckValidityTime(f.v)
		if err == nil {
			err = wire.CheckAhead(t, now)
		}
		if err != nil {
			return fmt.Errorf("%w: %s: %w", ErrInput, f.flag, err)
		}
	}
	return nil
}

// NewID returns "<dept>-<16 hex>", random.
func NewID(dept string) (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return dept + "-" + hex.EncodeToString(b), nil
}

// DerivedID returns a deterministic id for a bulk row without one, from public data
// only (department, document hash, type, validity), so a rerun finds it again.
func DerivedID(dept, docHash, typ, validFrom, validUntil string) string {
	return dept + "-" + gm.SM3Hex([]byte(strings.Join([]string{dept, docHash, typ, validFrom, validUntil}, "\n")))[:20]
}

func (is *Issuer) now() time.Time {
	if is.Now != nil {
		return is.Now()
	}
	return time.Now()
}

// Paths returns where the receipt, QR code and pending receipt of id go.
func (is *Issuer) Paths(id string) (receiptPath, qrPath, pendingPath string) {
	base := filepath.Join(is.OutDir, safeName(id))
	return base + ".receipt.json", base + ".qr.png", base + ".pending.json"
}

func safeName(id string) string {
	return strings.Map(func(r rune) rune {
		if r == ':' || r == '/' || r == '\\' {
			return '_'
		}
		return r
	}, id)
}

// Build hashes the file (unless req.DocHash is set), draws a holder salt and returns
// the signed record and the salt.
func (is *Issuer) Build(req Request) (client.CertificateRecord, []byte, error) {
	var rec client.CertificateRecord
	docHash := req.DocHash
	if docHash == "" {
		h, _, err := gm.SM3File(req.File)
		if err != nil {
			return rec, nil, fmt.Errorf("hashing document: %w", err)
		}
		docHash = h
	}
	if err := gm.CheckHash(docHash); err != nil {
		return rec, nil, fmt.Errorf("%w: %w", ErrInput, err)
	}
	if strings.TrimSpace(req.Type) == "" {
		return rec, nil, fmt.Errorf("%w: certificate type is empty", ErrInput)
	}
	if req.HolderID == "" {
		return rec, nil, fmt.Errorf("%w: holder id is empty", ErrInput)
	}
	if req.ValidUntil == "" {
		return rec, nil, fmt.Errorf("%w: valid-until is empty", ErrInput)
	}
	until, err := NormalizeTime(req.ValidUntil, true)
	if err != nil {
		return rec, nil, err
	}
	from := wire.FormatSecond(is.now())
	if req.ValidFrom != "" {
		if from, err = NormalizeTime(req.ValidFrom, false); err != nil {
			return rec, nil, err
		}
	}
	if until <= from {
		return rec, nil, fmt.Errorf("%w: valid-until %s is not after valid-from %s", ErrInput, until, from)
	}
	if err := CheckWindow(from, until, is.now()); err != nil {
		return rec, nil, err
	}
	id := req.ID
	if id == "" {
		if id, err = NewID(is.Signer.Dept); err != nil {
			return rec, nil, err
		}
	}
	if err := CheckID(id); err != nil {
		return rec, nil, err
	}
	salt, err := gm.NewSalt()
	if err != nil {
		return rec, nil, err
	}
	rec = client.CertificateRecord{Fields: client.CertificateFields{
		ID:               id,
		DocHash:          docHash,
		Type:             req.Type,
		Issuer:           is.Signer.Dept,
		HolderCommitment: gm.Commitment(salt, req.HolderID),
		ValidFrom:        from,
		ValidUntil:       until,
		KeyID:            is.Signer.KeyID,
		Supersedes:       req.Supersedes,
	}}
	sig, err := canon.Sign(is.Signer.Key, canon.KindCertificate, rec)
	if err != nil {
		return rec, nil, fmt.Errorf("signing record: %w", err)
	}
	rec.Signature = sig
	return rec, salt, nil
}

func (is *Issuer) newReceipt(rec client.CertificateRecord, salt []byte) (*receipt.Receipt, error) {
	return is.receiptOf(rec, receipt.Holder{Salt: base64.StdEncoding.EncodeToString(salt), Note: receipt.SaltNote})
}

// receiptOf is the receipt of a record this issuer signed, before the ledger
// answers: the record, the issuer's key, the channel, what the holder keeps and
// the verify link.
func (is *Issuer) receiptOf(rec client.CertificateRecord, holder receipt.Holder) (*receipt.Receipt, error) {
	u, err := qr.VerifyURL(is.VerifyBase, rec.ID, rec.DocHash)
	if err != nil {
		return nil, err
	}
	return &receipt.Receipt{
		Version: receipt.Version,
		Record:  rec,
		IssuerKey: receipt.IssuerKey{
			DepartmentID: is.Signer.Dept, KeyID: is.Signer.KeyID, PublicKey: is.Signer.PublicPEM,
		},
		Ledger:    receipt.Ledger{Channel: is.Channel},
		Holder:    holder,
		VerifyURL: u,
	}, nil
}

// Issue issues one certificate: it reuses a pending receipt of the same id and
// document if one is there, else builds and signs a new record and saves it as
// pending; it submits, then writes the receipt and the QR code.
func (is *Issuer) Issue(ctx context.Context, req Request) (*Result, error) {
	rc, err := is.prepare(req)
	if err != nil {
		return nil, err
	}
	return is.submit(ctx, rc)
}

// prepare returns the receipt to submit for req: the pending one of the same id
// and document when there is one, else a newly built and signed record saved as
// pending (so its salt survives a crash). A v2 request without an id gets its
// GB/T 36904 identifier here.
func (is *Issuer) prepare(req Request) (*receipt.Receipt, error) {
	if req.V2 != nil && req.ID == "" {
		id, err := req.V2.Identifier()
		if err != nil {
			return nil, err
		}
		req.ID = id
	}
	if req.ID != "" {
		if err := CheckID(req.ID); err != nil {
			return nil, err
		}
	}
	var rc *receipt.Receipt
	if req.ID != "" {
		_, _, pending := is.Paths(req.ID)
		if b, err := os.ReadFile(pending); err == nil {
			p, err := receipt.Parse(b)
			if err != nil {
				return nil, fmt.Errorf("pending receipt %s: %w", pending, err)
			}
			if req.DocHash == "" {
				if req.DocHash, _, err = gm.SM3File(req.File); err != nil {
					return nil, fmt.Errorf("hashing document: %w", err)
				}
			}
			if p.Record.DocHash != req.DocHash || p.Record.KeyID != is.Signer.KeyID || p.Record.Supersedes != req.Supersedes {
				return nil, fmt.Errorf("%w: pending receipt %s is for another document or key; move it away to issue anew", ErrInput, pending)
			}
			if !p.CheckHolder(req.HolderID) || req.V2 != nil && !p.CheckHolderName(req.V2.HolderName) {
				return nil, fmt.Errorf("%w: pending receipt %s is for another holder; move it away to issue anew", ErrInput, pending)
			}
			rc = p
		}
	}
	if rc == nil && req.V2 != nil {
		var err error
		if rc, err = is.buildV2(req); err != nil {
			return nil, err
		}
		_, _, pending := is.Paths(rc.Record.ID)
		if err := rc.Save(pending); err != nil {
			return nil, fmt.Errorf("saving pending receipt: %w", err)
		}
	}
	if rc == nil {
		rec, salt, err := is.Build(req)
		if err != nil {
			return nil, err
		}
		if rc, err = is.newReceipt(rec, salt); err != nil {
			return nil, err
		}
		_, _, pending := is.Paths(rec.ID)
		if err := rc.Save(pending); err != nil {
			return nil, fmt.Errorf("saving pending receipt: %w", err)
		}
	}
	return rc, nil
}

func (is *Issuer) submit(ctx context.Context, rc *receipt.Receipt) (*Result, error) {
	rec := rc.Record
	_, _, pending := is.Paths(rec.ID)
	var (
		wr  *client.WriteResult[client.Certificate]
		err error
	)
	if rec.Supersedes != "" {
		wr, err = is.Client.SupersedeCertificate(ctx, rec.Supersedes, rec)
	} else {
		wr, err = is.Client.IssueCertificate(ctx, rec)
	}
	if err != nil {
		if !client.HasCode(err, codes.Conflict) {
			if refused(err) {
				// The ledger definitively refused this record (bad key, signature,
				// input...): nothing was written, so the pending receipt and its salt
				// are dropped and a corrected retry starts afresh.
				_ = os.Remove(pending)
			}
			return nil, err
		}
		// The id exists: done if it is this very record or the same document.
		cur, gerr := is.Client.GetCertificate(ctx, rec.ID)
		if gerr != nil {
			return nil, fmt.Errorf("%w (and reading it back: %w)", err, gerr)
		}
		if cur.DocHash != rec.DocHash {
			return nil, fmt.Errorf("%w: %s has document %s", ErrConflict, rec.ID, cur.DocHash)
		}
		if cur.HolderCommitment != rec.HolderCommitment || cur.Signature != rec.Signature {
			_ = os.Remove(pending) // best effort: a leftover pending receipt is harmless and reused
			return &Result{Record: cur.Record, TxID: cur.TxID, VerifyURL: rc.VerifyURL, AlreadyOnLedger: true}, nil
		}
		wr = &client.WriteResult[client.Certificate]{TxID: is.firstTxID(ctx, rec.ID, cur.TxID), Record: *cur}
	}
	return is.finish(ctx, rc, wr.TxID, wr.BlockNumber, wr.Channel, wr.Record.IssuedAt)
}

// finish writes the receipt (v2 when the gateway gives the transaction's
// evidence) and QR code of a record the ledger holds and drops its pending receipt.
func (is *Issuer) finish(ctx context.Context, rc *receipt.Receipt, txID string, block uint64, channel, issuedAt string) (*Result, error) {
	rec := rc.Record
	receiptPath, qrPath, pending := is.Paths(rec.ID)
	rc.Ledger.TxID = txID
	rc.Ledger.BlockNumber = block
	if channel != "" {
		rc.Ledger.Channel = channel
	}
	rc.IssuedAt = issuedAt
	note := is.complete(ctx, rc)
	if err := rc.Save(receiptPath); err != nil {
		return nil, fmt.Errorf("writing receipt (the certificate is on the ledger; the pending receipt %s holds the salt): %w", pending, err)
	}
	if err := qr.WritePNG(qrPath, rc.VerifyURL); err != nil {
		return nil, err
	}
	_ = os.Remove(pending) // best effort: a leftover pending receipt is harmless and reused
	return &Result{Record: rec, TxID: txID, BlockNumber: block, Receipt: receiptPath, QR: qrPath, VerifyURL: rc.VerifyURL,
		ReceiptVersion: rc.Version, ReceiptNote: note}, nil
}

// complete makes rc a v2 receipt when the gateway hands out the evidence of the
// transaction that wrote it (GET /api/v1/certificates/{id}/receipt) and that
// evidence is about this very record, committed valid; else rc stays v1 (it
// verifies online) and the answer says why.
func (is *Issuer) complete(ctx context.Context, rc *receipt.Receipt) string {
	ev, err := is.evidence(ctx, rc.Record.ID, rc.Ledger.TxID)
	if err != nil {
		return "v1 receipt (verifies online only): the gateway gave no transaction evidence: " + err.Error()
	}
	fp := ev.BundleFingerprint
	if fp == "" {
		fp = is.TrustPin
	}
	switch {
	case ev.TxID != rc.Ledger.TxID || ev.Anchor == nil || !writes(ev.Anchor, rc.Record):
		return "v1 receipt (verifies online only): the transaction evidence is not about this record and transaction"
	case ev.ValidationCode != "VALID":
		return "v1 receipt (verifies online only): transaction " + ev.TxID + " is " + ev.ValidationCode
	case fp == "":
		return "v1 receipt (verifies online only): no governance fingerprint (the gateway serves no trust bundle; set CERTLEDGER_TRUST_PIN)"
	}
	rc.Version, rc.Anchor, rc.BundleFingerprint = receipt.VersionV2, ev.Anchor, fp
	rc.Ledger.Channel, rc.Ledger.BlockNumber = ev.Channel, ev.BlockNumber
	if err := rc.Validate(); err != nil {
		rc.Version, rc.Anchor, rc.BundleFingerprint = receipt.Version, nil, ""
		return "v1 receipt (verifies online only): " + err.Error()
	}
	return ""
}

// evidence returns the evidence of transaction txID, which wrote certificate
// id: from the gateway, or remembered from an earlier certificate of the same
// (grouped) transaction — a group's certificates share one anchor, so it is
// fetched once.
func (is *Issuer) evidence(ctx context.Context, id, txID string) (*client.ReceiptEvidence, error) {
	is.evMu.Lock()
	ev, ok := is.evCache[txID]
	is.evMu.Unlock()
	if ok {
		return ev, nil
	}
	ev, err := is.Client.ReceiptEvidence(ctx, id)
	if err != nil {
		return nil, err
	}
	is.evMu.Lock()
	if is.evCache == nil || len(is.evCache) >= 64 {
		is.evCache = map[string]*client.ReceiptEvidence{}
	}
	is.evCache[ev.TxID] = ev
	is.evMu.Unlock()
	return ev, nil
}

// writes reports whether the anchor's endorsed write set holds exactly rec.
func writes(a *rcpt.Anchor, rec client.CertificateRecord) bool {
	tx, err := a.Decode()
	if err != nil {
		return false
	}
	raw, ok := tx.Write(rcpt.CertificateKey(rec.ID))
	if !ok {
		return false
	}
	var c client.Certificate
	if json.Unmarshal(raw, &c) != nil {
		return false
	}
	x, _ := json.Marshal(c.Record) // records always encode
	y, _ := json.Marshal(rec)
	return bytes.Equal(x, y)
}

// refused reports whether err is the gateway's definitive refusal of a request
// (a 4xx answer other than a timeout or rate limit): retrying the same record
// cannot succeed and nothing reached the ledger.
func refused(err error) bool {
	var ce *client.Error
	if !errors.As(err, &ce) {
		return false
	}
	return ce.Status >= 400 && ce.Status < 500 && ce.Status != http.StatusRequestTimeout && ce.Status != http.StatusTooManyRequests
}

// firstTxID returns the transaction that created certificate id (the oldest
// history entry), or fallback when the history cannot be read: a receipt must
// name the issuing transaction, not a later revoke.
func (is *Issuer) firstTxID(ctx context.Context, id, fallback string) string {
	hist, err := is.Client.History(ctx, id)
	if err != nil || len(hist) == 0 || hist[len(hist)-1].TxID == "" {
		return fallback
	}
	return hist[len(hist)-1].TxID
}
