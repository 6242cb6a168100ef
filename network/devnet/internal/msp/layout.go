package msp

import (
	"fmt"
	"path/filepath"
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
