// Package receipttest builds, without a ledger, what offline receipt checks
// consume: Fabric organisations with ECDSA P-256 CAs and peers, a department
// with an SM2 key, a governance-signed trust bundle describing them, and v2
// receipts whose anchor is a transaction built and endorsed exactly as a
// Fabric peer (or the devnet) builds it. Tests, benchmarks and the browser
// test vectors use it; production code never imports it.
package receipttest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/domain/certificate"
	"github.com/certledger/certledger/internal/domain/registry"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/gm"
	"github.com/certledger/certledger/internal/receipt"
	"github.com/certledger/certledger/internal/trust"
)

// Org is a Fabric organisation: its CA and one peer.
type Org struct {
	MSPID    string
	CAKey    *ecdsa.PrivateKey
	CA       *x509.Certificate
	CAPEM    string
	PeerKey  *ecdsa.PrivateKey
	PeerPEM  []byte
	Endorser []byte // serialized msp.SerializedIdentity of the peer
}

// World is a ledger's worth of identities.
type World struct {
	Channel, Chaincode string
	Gov                *sm2.PrivateKey
	Pin                string
	Orgs               []*Org // GovMSP, DeptAMSP, DeptBMSP; policy 2 of 3
	Dept               string // "dept-a", in DeptAMSP
	DeptKey            *sm2.PrivateKey
	KeyFrom            time.Time // the key's validFrom
	Now                time.Time // the issue time of receipts
}

// New builds a world at now (rounded to the microsecond, as a Fabric timestamp keeps it).
func New(t testing.TB, now time.Time) *World {
	t.Helper()
	w := &World{Channel: "certledger", Chaincode: "certledger", Dept: "dept-a", Now: now.UTC().Truncate(time.Microsecond)}
	w.KeyFrom = w.Now.Add(-24 * time.Hour)
	var err error
	if w.Gov, err = gm.GenerateKey(); err != nil {
		t.Fatal(err)
	}
	w.Pin = trust.Fingerprint(&w.Gov.PublicKey)
	if w.DeptKey, err = gm.GenerateKey(); err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"DeptAMSP", "DeptBMSP", "GovMSP"} {
		w.Orgs = append(w.Orgs, NewOrg(t, m, w.Now))
	}
	return w
}

// NewOrg makes an organisation with a fresh CA (valid a year around now) and a peer.
func NewOrg(t testing.TB, mspID string, now time.Time) *Org {
	t.Helper()
	o := &Org{MSPID: mspID}
	var err error
	if o.CAKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ca." + mspID, Organization: []string{mspID}},
		NotBefore: now.Add(-365 * 24 * time.Hour), NotAfter: now.Add(365 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &o.CAKey.PublicKey, o.CAKey)
	if err != nil {
		t.Fatal(err)
	}
	o.CA, _ = x509.ParseCertificate(der)
	o.CAPEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	o.PeerKey, o.PeerPEM = o.Issue(t, "peer0."+mspID, "peer", now)
	o.Endorser = Serialize(t, mspID, o.PeerPEM)
	return o
}

// Serialize is the msp.SerializedIdentity of a certificate of MSP mspID.
func Serialize(t testing.TB, mspID string, certPEM []byte) []byte {
	t.Helper()
	b, err := proto.Marshal(&msp.SerializedIdentity{Mspid: mspID, IdBytes: certPEM})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Issue makes a certificate signed by o's CA with organisational unit ou.
func (o *Org) Issue(t testing.TB, cn, ou string, now time.Time) (*ecdsa.PrivateKey, []byte) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: cn, OrganizationalUnit: []string{ou}, Organization: []string{o.MSPID}},
		NotBefore: now.Add(-300 * 24 * time.Hour), NotAfter: now.Add(300 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, o.CA, &k.PublicKey, o.CAKey)
	if err != nil {
		t.Fatal(err)
	}
	return k, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// Org returns the organisation with MSP id m.
func (w *World) Org(m string) *Org {
	for _, o := range w.Orgs {
		if o.MSPID == m {
			return o
		}
	}
	return nil
}

// DeptRegKey is the department key as the registry lists it.
func (w *World) DeptRegKey() registry.Key {
	p, _ := gm.MarshalPublicKeyPEM(&w.DeptKey.PublicKey)
	return registry.Key{KeyID: gm.KeyID(&w.DeptKey.PublicKey), PublicKey: string(p), ValidFrom: wire.FormatTime(w.KeyFrom)}
}

// BundleOf is the unsigned bundle at height 10 with block time Now+1h: the
// department with its key, the three organisations, policy 2 of 3.
func (w *World) BundleOf() trust.Bundle {
	src := trust.Source{
		Channel: w.Channel, Chaincode: w.Chaincode, Height: 10, BlockTime: w.Now.Add(time.Hour),
		Departments: []registry.Department{{ID: w.Dept, Name: "市场监督管理局", Code: DeptCode, MSPID: "DeptAMSP", Categories: []string{"business-licence"},
			Status: "active", Keys: []registry.Key{w.DeptRegKey()}}},
		Policy: trust.Policy{Rule: "MAJORITY", N: 2, MSPs: []string{"DeptAMSP", "DeptBMSP", "GovMSP"}},
	}
	for _, o := range w.Orgs {
		src.Orgs = append(src.Orgs, trust.Org{MSPID: o.MSPID, RootCerts: []string{o.CAPEM}})
	}
	return trust.Build(src, w.Now.Add(2*time.Hour))
}

// Sign signs b with key (the governance key when nil) and returns the file.
func (w *World) Sign(t testing.TB, b trust.Bundle, key *sm2.PrivateKey) []byte {
	t.Helper()
	if key == nil {
		key = w.Gov
	}
	s, err := trust.Sign(b, key)
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Bundle is the signed default bundle.
func (w *World) Bundle(t testing.TB) []byte { return w.Sign(t, w.BundleOf(), nil) }

// Record is a record for doc, signed with the department key.
func (w *World) Record(t testing.TB, id string, doc []byte) certificate.Record {
	t.Helper()
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	r := certificate.Record{Fields: certificate.Fields{
		ID: id, DocHash: gm.SM3Hex(doc), Type: "business-licence", Issuer: w.Dept,
		HolderCommitment: gm.Commitment(salt, "91350100M000100Y43"),
		ValidFrom:        wire.FormatTime(w.Now.Add(-time.Hour)), ValidUntil: wire.FormatTime(w.Now.Add(5 * 365 * 24 * time.Hour)),
		KeyID: gm.KeyID(&w.DeptKey.PublicKey),
	}}
	sig, err := canon.Sign(w.DeptKey, canon.KindCertificate, r)
	if err != nil {
		t.Fatal(err)
	}
	r.Signature = sig
	return r
}

// Tx describes the transaction a receipt's anchor holds.
type Tx struct {
	Written   []byte // the value written under the certificate key (nil: the issued certificate)
	Endorsers []*Org // nil: DeptAMSP and DeptBMSP
	Key       string // the key written (""; the record's certificate key)
	Time      *time.Time
}

// Receipt builds a v2 receipt for rec as certificate:Issue would write it.
func (w *World) Receipt(t testing.TB, rec certificate.Record, tx Tx) *receipt.Receipt {
	t.Helper()
	recJSON, _ := json.Marshal(rec)
	var issuedAt string
	a, txID := w.Transaction(t, "certificate:Issue", recJSON, tx, func(txID string, at time.Time) []*kvrwset.KVWrite {
		cert, err := certificate.New(rec, at, txID)
		if err != nil {
			t.Fatal(err)
		}
		issuedAt = cert.IssuedAt
		written := tx.Written
		if written == nil {
			written, _ = json.Marshal(cert)
		}
		key := tx.Key
		if key == "" {
			key = receipt.CertificateKey(rec.ID)
		}
		return []*kvrwset.KVWrite{
			{Key: key, Value: written},
			{Key: "\x00certificate.hash\x00" + rec.DocHash + "\x00" + rec.ID + "\x00", Value: []byte{0}},
		}
	})
	holder, _ := json.Marshal(map[string]string{"salt": base64.StdEncoding.EncodeToString(make([]byte, 16)), "note": "PRIVATE"})
	return &receipt.Receipt{
		Version: receipt.Version, Record: rec, IssuedAt: issuedAt,
		IssuerKey: receipt.IssuerKey{DepartmentID: rec.Issuer, KeyID: rec.KeyID, PublicKey: w.DeptRegKey().PublicKey},
		Ledger:    receipt.Ledger{TxID: txID, BlockNumber: 7, Channel: w.Channel},
		Anchor:    a, BundleFingerprint: w.Pin, Holder: holder,
		VerifyURL: "https://gw.example/verify?id=" + rec.ID + "&hash=" + rec.DocHash,
	}
}

// Transaction builds and endorses a transaction invoking fn(arg) as a Fabric
// peer does; writes gives its write set from its id and time.
func (w *World) Transaction(t testing.TB, fn string, arg []byte, tx Tx, writes func(txID string, at time.Time) []*kvrwset.KVWrite) (*receipt.Anchor, string) {
	t.Helper()
	at := w.Now
	if tx.Time != nil {
		at = tx.Time.UTC().Truncate(time.Microsecond)
	}
	creator, _ := proto.Marshal(&msp.SerializedIdentity{Mspid: "DeptAMSP", IdBytes: w.Orgs[0].PeerPEM})
	nonce := make([]byte, 24)
	_, _ = rand.Read(nonce)
	sum := sha256.Sum256(append(append([]byte{}, nonce...), creator...))
	txID := hex.EncodeToString(sum[:])
	ext, _ := proto.Marshal(&peer.ChaincodeHeaderExtension{ChaincodeId: &peer.ChaincodeID{Name: w.Chaincode}})
	chdr, _ := proto.Marshal(&common.ChannelHeader{Type: int32(common.HeaderType_ENDORSER_TRANSACTION), ChannelId: w.Channel, TxId: txID,
		Timestamp: timestamppb.New(at), Extension: ext})
	shdr, _ := proto.Marshal(&common.SignatureHeader{Creator: creator, Nonce: nonce})
	hdr, _ := proto.MarshalOptions{Deterministic: true}.Marshal(&common.Header{ChannelHeader: chdr, SignatureHeader: shdr})
	spec, _ := proto.Marshal(&peer.ChaincodeInvocationSpec{ChaincodeSpec: &peer.ChaincodeSpec{
		ChaincodeId: &peer.ChaincodeID{Name: w.Chaincode}, Input: &peer.ChaincodeInput{Args: [][]byte{[]byte(fn), arg}}}})
	cpp, _ := proto.Marshal(&peer.ChaincodeProposalPayload{Input: spec})
	ws := writes(txID, at)
	kv, _ := proto.Marshal(&kvrwset.KVRWSet{Writes: ws})
	results, _ := proto.Marshal(&rwset.TxReadWriteSet{DataModel: rwset.TxReadWriteSet_KV, NsRwset: []*rwset.NsReadWriteSet{{Namespace: w.Chaincode, Rwset: kv}}})
	action, _ := proto.Marshal(&peer.ChaincodeAction{Results: results, Response: &peer.Response{Status: 200, Payload: ws[0].Value},
		ChaincodeId: &peer.ChaincodeID{Name: w.Chaincode, Version: "1"}})
	h := sha256.New()
	h.Write(chdr)
	h.Write(shdr)
	h.Write(cpp)
	prp, _ := proto.Marshal(&peer.ProposalResponsePayload{ProposalHash: h.Sum(nil), Extension: action})
	endorsers := tx.Endorsers
	if endorsers == nil {
		endorsers = []*Org{w.Org("DeptAMSP"), w.Org("DeptBMSP")}
	}
	a := &receipt.Anchor{Header: hdr, ProposalPayload: cpp, ProposalResponse: prp}
	for _, o := range endorsers {
		a.Endorsements = append(a.Endorsements, Endorse(t, prp, o.Endorser, o.PeerKey))
	}
	return a, txID
}

// Endorse signs prp ‖ endorser with key, low-S, as a Fabric peer does.
func Endorse(t testing.TB, prp, endorser []byte, key *ecdsa.PrivateKey) receipt.Endorsement {
	t.Helper()
	h := sha256.Sum256(append(append([]byte{}, prp...), endorser...))
	r, s, err := ecdsa.Sign(rand.Reader, key, h[:])
	if err != nil {
		t.Fatal(err)
	}
	half := new(big.Int).Rsh(elliptic.P256().Params().N, 1)
	if s.Cmp(half) > 0 {
		s.Sub(elliptic.P256().Params().N, s)
	}
	sig, err := asn1Sig(r, s)
	if err != nil {
		t.Fatal(err)
	}
	return receipt.Endorsement{Endorser: endorser, Signature: sig}
}

// Marshal encodes r (indented JSON) or fails the test.
func Marshal(t testing.TB, r *receipt.Receipt) []byte {
	t.Helper()
	b, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
