package msp

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Names of the identities every organisation gets.
const (
	PeerName    = "peer0"
	OrdererName = "orderer0"
	AdminName   = "Admin"
	UserName    = "User1"
)

// OrgSpec names an organisation to generate.
type OrgSpec struct {
	Name    string   // folder name and label, e.g. "dept-a"
	MSPID   string   // e.g. "DeptAMSP"
	Orderer bool     // also issue an orderer identity (the governance organisation)
	Hosts   []string // extra SANs for the peer TLS certificate
}

// PeerHost is the TLS server name of an organisation's (virtual) peer.
func PeerHost(org string) string { return PeerName + "." + org + ".certledger.local" }

// OrgLayout gives the paths of one organisation's files under its folder.
type OrgLayout struct{ Dir string }

// CACert is the identity CA certificate.
func (l OrgLayout) CACert() string { return filepath.Join(l.Dir, "ca", "ca.crt") }

// CAKey is the identity CA key.
func (l OrgLayout) CAKey() string { return filepath.Join(l.Dir, "ca", "priv_sk") }

// TLSCACert is the TLS CA certificate.
func (l OrgLayout) TLSCACert() string { return filepath.Join(l.Dir, "tlsca", "tlsca.crt") }

// TLSCAKey is the TLS CA key.
func (l OrgLayout) TLSCAKey() string { return filepath.Join(l.Dir, "tlsca", "priv_sk") }

// MSPDir is the organisation's MSP definition (cacerts, tlscacerts, config.yaml).
func (l OrgLayout) MSPDir() string { return filepath.Join(l.Dir, "msp") }

// PeerDir is the peer identity's folder (msp/ and tls/).
func (l OrgLayout) PeerDir() string { return filepath.Join(l.Dir, "peers", PeerName) }

// OrdererDir is the orderer identity's folder.
func (l OrgLayout) OrdererDir() string { return filepath.Join(l.Dir, "orderers", OrdererName) }

// UserDir is the folder of a client identity (Admin or User1).
func (l OrgLayout) UserDir(name string) string { return filepath.Join(l.Dir, "users", name) }

// SignCert is the certificate of the identity in folder idDir.
func SignCert(idDir string) string { return filepath.Join(idDir, "msp", "signcerts", "cert.pem") }

// KeyFile is the private key of the identity in folder idDir.
func KeyFile(idDir string) string { return filepath.Join(idDir, "msp", "keystore", "priv_sk") }

// TLSCert is the TLS certificate of the identity in folder idDir.
func TLSCert(idDir string) string { return filepath.Join(idDir, "tls", "server.crt") }

// TLSKey is the TLS key of the identity in folder idDir.
func TLSKey(idDir string) string { return filepath.Join(idDir, "tls", "server.key") }

// ClientTLSCert is the client TLS certificate of a user identity in folder idDir.
func ClientTLSCert(idDir string) string { return filepath.Join(idDir, "tls", "client.crt") }

// ClientTLSKey is the client TLS key of a user identity in folder idDir.
func ClientTLSKey(idDir string) string { return filepath.Join(idDir, "tls", "client.key") }

// TLSCA is the TLS CA certificate copy in folder idDir.
func TLSCA(idDir string) string { return filepath.Join(idDir, "tls", "ca.crt") }

const nodeOUs = `NodeOUs:
  Enable: true
  ClientOUIdentifier:
    Certificate: cacerts/ca.crt
    OrganizationalUnitIdentifier: client
  PeerOUIdentifier:
    Certificate: cacerts/ca.crt
    OrganizationalUnitIdentifier: peer
  AdminOUIdentifier:
    Certificate: cacerts/ca.crt
    OrganizationalUnitIdentifier: admin
  OrdererOUIdentifier:
    Certificate: cacerts/ca.crt
    OrganizationalUnitIdentifier: orderer
`

// GenerateOrg creates an organisation's CAs and identities under dir in Fabric's
// MSP folder layout: a peer, an admin and a user (and an orderer when asked).
func GenerateOrg(dir string, spec OrgSpec) error {
	l := OrgLayout{Dir: dir}
	ca, err := NewCA("ca."+spec.Name+".certledger.local", spec.MSPID)
	if err != nil {
		return err
	}
	tlsca, err := NewCA("tlsca."+spec.Name+".certledger.local", spec.MSPID)
	if err != nil {
		return err
	}
	if err := ca.Save(l.CACert(), l.CAKey()); err != nil {
		return err
	}
	if err := tlsca.Save(l.TLSCACert(), l.TLSCAKey()); err != nil {
		return err
	}
	if err := writeMSPDef(l.MSPDir(), ca, tlsca); err != nil {
		return err
	}
	type ident struct {
		dir   string
		cn    string
		role  Role
		hosts []string
	}
	peerHosts := append([]string{PeerHost(spec.Name), "localhost", "127.0.0.1", "::1"}, spec.Hosts...)
	ids := []ident{
		{l.PeerDir(), PeerHost(spec.Name), RolePeer, peerHosts},
		{l.UserDir(AdminName), AdminName + "@" + spec.Name + ".certledger.local", RoleAdmin, nil},
		{l.UserDir(UserName), UserName + "@" + spec.Name + ".certledger.local", RoleClient, nil},
	}
	if spec.Orderer {
		ids = append(ids, ident{l.OrdererDir(), OrdererName + "." + spec.Name + ".certledger.local", RoleOrderer, peerHosts})
	}
	for _, id := range ids {
		leaf, err := ca.Issue(id.cn, id.role, nil)
		if err != nil {
			return err
		}
		if err := writeMSPDef(filepath.Join(id.dir, "msp"), ca, tlsca); err != nil {
			return err
		}
		if err := writeFile(SignCert(id.dir), leaf.CertPEM, 0o644); err != nil {
			return err
		}
		if err := writeFile(KeyFile(id.dir), leaf.KeyPEM, 0o600); err != nil {
			return err
		}
		// TLS: servers get their SANs (tls/server.*), users a client certificate
		// for mutual TLS (tls/client.*), as cryptogen lays them out.
		hosts, certPath, keyPath := id.hosts, TLSCert(id.dir), TLSKey(id.dir)
		if hosts == nil {
			hosts, certPath, keyPath = []string{id.cn}, ClientTLSCert(id.dir), ClientTLSKey(id.dir)
		}
		tlsLeaf, err := tlsca.Issue(id.cn, "", hosts)
		if err != nil {
			return err
		}
		if err := writeFile(certPath, tlsLeaf.CertPEM, 0o644); err != nil {
			return err
		}
		if err := writeFile(keyPath, tlsLeaf.KeyPEM, 0o600); err != nil {
			return err
		}
		if err := writeFile(TLSCA(id.dir), tlsca.CertPEM, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func writeMSPDef(mspDir string, ca, tlsca *CA) error {
	if err := writeFile(filepath.Join(mspDir, "cacerts", "ca.crt"), ca.CertPEM, 0o644); err != nil {
		return fmt.Errorf("writing MSP folder: %w", err)
	}
	if err := writeFile(filepath.Join(mspDir, "tlscacerts", "tlsca.crt"), tlsca.CertPEM, 0o644); err != nil {
		return err
	}
	return writeFile(filepath.Join(mspDir, "config.yaml"), []byte(nodeOUs), 0o644)
}

// ErrUserExists is returned by AddUser for a name the organisation already has.
var ErrUserExists = errors.New("user already exists")

// ErrUserName is returned (wrapped) by AddUser for a name it cannot use.
var ErrUserName = errors.New("invalid user name")

// userNameRE is the shape of a user name: it becomes a folder and, with "@" and
// the organisation, the certificate's common name (the operator id).
var userNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)

// UserCN is the common name AddUser gives user name of organisation org: the
// operator id the chaincode records, e.g. "clerk1@dept-a".
func UserCN(name, org string) string { return name + "@" + org }

// AddUser issues a client identity for a named person from the organisation's CA
// in folder dir (as GenerateOrg made it): a signing certificate with node OU role
// (client for clerks and auditors, admin only for administrators) and common name
// UserCN(name, org), its key, and a client TLS pair, under users/<name> in
// Fabric's MSP layout. It returns the identity's folder. A name in use is
// ErrUserExists; nothing is overwritten.
func AddUser(dir, org, name string, role Role) (string, error) {
	if !userNameRE.MatchString(name) {
		return "", fmt.Errorf("%w %q: lowercase letters, digits, '.', '_' or '-', at most 63", ErrUserName, name)
	}
	if strings.EqualFold(name, AdminName) || strings.EqualFold(name, UserName) {
		return "", fmt.Errorf("%w %q: reserved for the identities every organisation has", ErrUserName, name)
	}
	if role != RoleClient && role != RoleAdmin {
		return "", fmt.Errorf("%w: role %q must be client or admin", ErrUserName, role)
	}
	l := OrgLayout{Dir: dir}
	idDir := l.UserDir(name)
	if _, err := os.Stat(idDir); err == nil {
		return "", fmt.Errorf("%w: %s", ErrUserExists, idDir)
	}
	ca, err := LoadCA(l.CACert(), l.CAKey())
	if err != nil {
		return "", fmt.Errorf("loading the CA of %s: %w", org, err)
	}
	tlsca, err := LoadCA(l.TLSCACert(), l.TLSCAKey())
	if err != nil {
		return "", fmt.Errorf("loading the TLS CA of %s: %w", org, err)
	}
	cn := UserCN(name, org)
	leaf, err := ca.Issue(cn, role, nil)
	if err != nil {
		return "", err
	}
	tlsLeaf, err := tlsca.Issue(cn, "", []string{cn})
	if err != nil {
		return "", err
	}
	// Written into a temporary folder renamed at the end: a failed add leaves
	// no half identity behind, and a name is taken once.
	tmp, err := os.MkdirTemp(filepath.Dir(idDir), "."+name+"-")
	if err != nil {
		return "", err
	}
	defer func() { _ = os.RemoveAll(tmp) }() // gone after the rename; only a failure leaves it
	if err := writeMSPDef(filepath.Join(tmp, "msp"), ca, tlsca); err != nil {
		return "", err
	}
	for _, f := range []struct {
		path string
		b    []byte
		mode os.FileMode
	}{
		{SignCert(tmp), leaf.CertPEM, 0o644}, {KeyFile(tmp), leaf.KeyPEM, 0o600},
		{ClientTLSCert(tmp), tlsLeaf.CertPEM, 0o644}, {ClientTLSKey(tmp), tlsLeaf.KeyPEM, 0o600},
		{TLSCA(tmp), tlsca.CertPEM, 0o644},
	} {
		if err := writeFile(f.path, f.b, f.mode); err != nil {
			return "", err
		}
	}
	if err := os.Rename(tmp, idDir); err != nil {
		if _, serr := os.Stat(idDir); serr == nil {
			return "", fmt.Errorf("%w: %s", ErrUserExists, idDir)
		}
		return "", err
	}
	return idDir, nil
}
