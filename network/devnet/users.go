package devnet

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/network/devnet/internal/msp"
)

// User is a person's client identity in a devnet organisation.
type User struct {
	Org   string `json:"org"`
	MSPID string `json:"mspId"`
	Name  string `json:"name"`
	// Role is the node OU: "client" (clerks, auditors) or "admin".
	Role string `json:"role"`
	// Operator is the operator id the chaincode records for this identity (its
	// certificate's common name), e.g. "clerk1@dept-a".
	Operator string `json:"operator"`
	// Cert and Key are the PEM certificate and PKCS#8 key: what a gateway
	// principal's identity names (docs/people.md).
	Cert string `json:"cert"`
	Key  string `json:"key"`
}

// ErrUnknownOrg is returned (wrapped) for an organisation the devnet does not have.
var ErrUnknownOrg = errors.New("unknown organisation")

// Errors of AddUser (wrapped): the name is taken, or cannot be used.
var (
	ErrUserExists = msp.ErrUserExists
	ErrUserName   = msp.ErrUserName
)

// AddUser issues, from organisation org's CA of the devnet in dir, a client
// identity for the person called name: role "client" (default, for clerks and
// auditors: not an administrator) or "admin". The devnet accepts it at once,
// running or not: it trusts every certificate its organisations' CAs sign.
func AddUser(dir, org, name, role string) (User, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return User{}, err
	}
	o, err := orgOf(dir, org)
	if err != nil {
		return User{}, err
	}
	if role == "" {
		role = string(msp.RoleClient)
	}
	idDir, err := msp.AddUser(orgDir(dir, org), org, name, msp.Role(role))
	if err != nil {
		return User{}, err
	}
	return readUser(o, name, idDir)
}

// Users lists the identities of organisation org (Admin and User1 included),
// ordered by name.
func Users(dir, org string) ([]User, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	o, err := orgOf(dir, org)
	if err != nil {
		return nil, err
	}
	base := filepath.Join(orgDir(dir, org), "users")
	entries, err := os.ReadDir(base)
	if err != nil {
		return nil, err
	}
	var out []User
	for _, e := range entries {
		if !e.IsDir() || e.Name()[0] == '.' {
			continue
		}
		u, err := readUser(o, e.Name(), filepath.Join(base, e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func orgOf(dir, org string) (OrgConfig, error) {
	if !filepath.IsAbs(dir) {
		return OrgConfig{}, fmt.Errorf("devnet folder %q must be an absolute path", dir)
	}
	cfg, err := LoadConfig(configPath(dir))
	if err != nil {
		return OrgConfig{}, err
	}
	for _, o := range cfg.Orgs {
		if o.Name == org {
			return o, nil
		}
	}
	return OrgConfig{}, fmt.Errorf("%w %q (devnet.yaml lists %v)", ErrUnknownOrg, org, orgNames(cfg.Orgs))
}

func orgNames(orgs []OrgConfig) []string {
	out := make([]string, len(orgs))
	for i, o := range orgs {
		out[i] = o.Name
	}
	return out
}

func readUser(o OrgConfig, name, idDir string) (User, error) {
	b, err := os.ReadFile(msp.SignCert(idDir))
	if err != nil {
		return User{}, err
	}
	cert, err := msp.ParseCertPEM(b)
	if err != nil {
		return User{}, fmt.Errorf("%s: %w", msp.SignCert(idDir), err)
	}
	role := ""
	if ou := cert.Subject.OrganizationalUnit; len(ou) > 0 {
		role = ou[0]
	}
	return User{Org: o.Name, MSPID: o.MSPID, Name: name, Role: role, Operator: wire.OperatorID(cert.Subject),
		Cert: msp.SignCert(idDir), Key: msp.KeyFile(idDir)}, nil
}
