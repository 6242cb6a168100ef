package msp

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"os"
	"sync"
	"time"

	mspproto "github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"google.golang.org/protobuf/proto"
)

// Errors of identity checks (wrapped).
var (
	ErrMalformed    = errors.New("creator is malformed")
	ErrUnknownMSP   = errors.New("unknown MSP")
	ErrInvalidCert  = errors.New("certificate is not valid")
	ErrBadSignature = errors.New("signature is not valid")
)

// Signer is a signing identity (peer, orderer or client).
type Signer struct {
	MSPID      string
	CertPEM    []byte
	Key        *ecdsa.PrivateKey
	serialized []byte
}

// NewSigner builds a signer from PEM certificate and key.
func NewSigner(mspID string, certPEM, keyPEM []byte) (*Signer, error) {
	key, err := ParseKeyPEM(keyPEM)
	if err != nil {
		return nil, err
	}
	ser, err := proto.Marshal(&mspproto.SerializedIdentity{Mspid: mspID, IdBytes: certPEM})
	if err != nil {
		return nil, err
	}
	return &Signer{MSPID: mspID, CertPEM: certPEM, Key: key, serialized: ser}, nil
}

// LoadSigner reads the identity in folder idDir (msp/signcerts, msp/keystore).
func LoadSigner(mspID, idDir string) (*Signer, error) {
	c, err := os.ReadFile(SignCert(idDir))
	if err != nil {
		return nil, err
	}
	k, err := os.ReadFile(KeyFile(idDir))
	if err != nil {
		return nil, err
	}
	return NewSigner(mspID, c, k)
}

// Serialized is the marshalled msp.SerializedIdentity (the "creator" bytes).
func (s *Signer) Serialized() []byte { return s.serialized }

// Sign signs SHA-256(msg) with ECDSA, low-S normalised as Fabric requires.
func (s *Signer) Sign(msg []byte) ([]byte, error) {
	h := sha256.Sum256(msg)
	return s.SignDigest(h[:])
}

// SignDigest is Sign of a message whose SHA-256 the caller computed.
func (s *Signer) SignDigest(digest []byte) ([]byte, error) {
	r, sv, err := ecdsa.Sign(rand.Reader, s.Key, digest)
	if err != nil {
		return nil, err
	}
	half := new(big.Int).Rsh(s.Key.Params().N, 1)
	if sv.Cmp(half) > 0 {
		sv.Sub(s.Key.Params().N, sv)
	}
	return asn1.Marshal(ecdsaSig{R: r, S: sv})
}

type ecdsaSig struct{ R, S *big.Int }

// Org is one organisation's trust anchors.
type Org struct {
	MSPID   string
	RootPEM []byte
	roots   *x509.CertPool
}

// NewOrg parses an organisation's root CA certificate(s) (PEM bundle).
func NewOrg(mspID string, rootPEM []byte) (*Org, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(rootPEM) {
		return nil, fmt.Errorf("organisation %s: no root certificate", mspID)
	}
	return &Org{MSPID: mspID, RootPEM: rootPEM, roots: pool}, nil
}

// Identity is a validated creator or endorser.
type Identity struct {
	MSPID      string
	Role       Role
	Cert       *x509.Certificate
	Pub        *ecdsa.PublicKey
	Serialized []byte
}

// Verify checks an ECDSA signature over SHA-256(msg), refusing high-S values as
// Fabric's BCCSP does.
func (id *Identity) Verify(msg, sig []byte) error {
	h := sha256.Sum256(msg)
	return id.VerifyDigest(h[:], sig)
}

// VerifyDigest is Verify of a message whose SHA-256 the caller computed.
func (id *Identity) VerifyDigest(digest, sig []byte) error {
	var es ecdsaSig
	rest, err := asn1.Unmarshal(sig, &es)
	if err != nil || len(rest) != 0 || es.R == nil || es.S == nil || es.R.Sign() <= 0 || es.S.Sign() <= 0 {
		return fmt.Errorf("%w: malformed ECDSA signature", ErrBadSignature)
	}
	half := new(big.Int).Rsh(id.Pub.Params().N, 1)
	if es.S.Cmp(half) > 0 {
		return fmt.Errorf("%w: invalid S, must be smaller than half the order", ErrBadSignature)
	}
	if !ecdsa.VerifyASN1(id.Pub, digest, sig) {
		return ErrBadSignature
	}
	return nil
}

// Manager validates serialized identities against the organisations' CAs and
// caches the result per certificate.
type Manager struct {
	orgs  map[string]*Org
	mu    sync.RWMutex
	cache map[string]*Identity
}

// NewManager returns a manager for the given organisations.
func NewManager(orgs []*Org) *Manager {
	m := &Manager{orgs: map[string]*Org{}, cache: map[string]*Identity{}}
	for _, o := range orgs {
		m.orgs[o.MSPID] = o
	}
	return m
}

// Org returns the organisation with the MSP ID, or nil.
func (m *Manager) Org(mspID string) *Org { return m.orgs[mspID] }

// Deserialize parses a marshalled SerializedIdentity and validates it: a known MSP,
// a certificate chaining to that MSP's CA and valid now, exactly one node OU.
func (m *Manager) Deserialize(serialized []byte) (*Identity, error) {
	m.mu.RLock()
	id := m.cache[string(serialized)]
	m.mu.RUnlock()
	if id != nil {
		if time.Now().After(id.Cert.NotAfter) {
			return nil, fmt.Errorf("%w: certificate expired", ErrInvalidCert)
		}
		return id, nil
	}
	id, err := m.validate(serialized)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	if len(m.cache) > 4096 {
		m.cache = map[string]*Identity{}
	}
	m.cache[string(serialized)] = id
	m.mu.Unlock()
	return id, nil
}

// MSPIDOf returns the MSP ID claimed by serialized identity bytes, without validation.
func MSPIDOf(serialized []byte) string {
	var sid mspproto.SerializedIdentity
	if proto.Unmarshal(serialized, &sid) != nil {
		return ""
	}
	return sid.Mspid
}

func (m *Manager) validate(serialized []byte) (*Identity, error) {
	var sid mspproto.SerializedIdentity
	if err := proto.Unmarshal(serialized, &sid); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	org := m.orgs[sid.Mspid]
	if org == nil {
		return nil, fmt.Errorf("%w %q", ErrUnknownMSP, sid.Mspid)
	}
	cert, err := ParseCertPEM(sid.IdBytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: org.roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidCert, err)
	}
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		return nil, fmt.Errorf("%w: public key is not ECDSA P-256", ErrInvalidCert)
	}
	var role Role
	for _, ou := range cert.Subject.OrganizationalUnit {
		switch r := Role(ou); r {
		case RoleClient, RolePeer, RoleAdmin, RoleOrderer:
			if role != "" {
				return nil, fmt.Errorf("%w: the identity must be a client, a peer, an orderer or an admin identity to be valid, not a combination of them", ErrInvalidCert)
			}
			role = r
		}
	}
	if role == "" {
		return nil, fmt.Errorf("%w: the identity does not contain OU [CLIENT, PEER, ADMIN, ORDERER]", ErrInvalidCert)
	}
	return &Identity{MSPID: sid.Mspid, Role: role, Cert: cert, Pub: pub, Serialized: serialized}, nil
}
