package httpapi

import (
	"net/http"

	"github.com/certledger/certledger/gateway/internal/auth"
	"github.com/certledger/certledger/internal/domain/registry"
)

func (s *Server) registerDepartments(r *Router) {
	r.Add(Route{Pattern: "POST /api/v1/departments", Roles: adminRoles, Handler: s.createDepartment})
	r.Add(Route{Pattern: "GET /api/v1/departments", Public: true, Handler: s.listDepartments})
	r.Add(Route{Pattern: "GET /api/v1/departments/{id}", Public: true, Handler: s.getDepartment})
	r.Add(Route{Pattern: "GET /api/v1/keys/{keyId}", Public: true, Handler: s.getKey})
	r.Add(Route{Pattern: "POST /api/v1/departments/{id}/keys", Roles: adminRoles, Handler: s.addKey})
	r.Add(Route{Pattern: "POST /api/v1/departments/{id}/keys/{keyId}/rotate", Roles: adminRoles, Handler: s.rotateKey})
	r.Add(Route{Pattern: "POST /api/v1/departments/{id}/keys/{keyId}/revoke", Roles: adminRoles, Handler: s.revokeKey})
}

// DepartmentInput is the body of POST /api/v1/departments (registry:RegisterDepartment).
type DepartmentInput = registry.Registration

// validateDepartment checks a registration with the registry's rules
// (registry.Registration.Validate) and each public key with the registry's parser;
// the gateway asks for at least one key.
func validateDepartment(in *DepartmentInput) error {
	var c checks
	if len(in.PublicKeys) == 0 {
		c.add("publicKeys", "at least one SM2 public key (PEM) is required")
	}
	for i, k := range in.PublicKeys {
		c.publicKey("publicKeys["+itoa(i)+"]", k)
	}
	return invalid(in.Validate(), &c)
}

// governanceOnly refuses callers outside the governance department (when one is configured).
func (s *Server) governanceOnly(p *auth.Principal, what string) error {
	if g := s.opts.GovernanceDepartment; g != "" && p.Department != g {
		return forbidden("only the governance department (%s) may %s", g, what)
	}
	return nil
}

// governanceWrite ends a governance-only write: it logs resource, refuses callers
// outside the governance department (what names the act), then submits fn with
// args as the caller's organisation and answers status.
func (s *Server) governanceWrite(w http.ResponseWriter, r *http.Request, status int, resource, what, fn string, args ...string) error {
	p := info(r).principal
	audit(r, resource)
	if err := s.governanceOnly(p, what); err != nil {
		return err
	}
	return s.submitWrite(w, r, status, p.Org, fn, args...)
}

func (s *Server) createDepartment(w http.ResponseWriter, r *http.Request) error {
	var in DepartmentInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.Categories == nil {
		in.Categories = []string{}
	}
	if err := validateDepartment(&in); err != nil {
		return err
	}
	return s.governanceWrite(w, r, http.StatusCreated, "department/"+in.ID, "register departments", "registry:RegisterDepartment", mustJSON(in))
}

func (s *Server) listDepartments(w http.ResponseWriter, r *http.Request) error {
	audit(r, "departments")
	return s.evaluateWrite(w, r, s.org(r), "registry:ListDepartments")
}

func (s *Server) getDepartment(w http.ResponseWriter, r *http.Request) error {
	id, err := pathDept(r, "id")
	if err != nil {
		return err
	}
	audit(r, "department/"+id)
	return s.evaluateWrite(w, r, s.org(r), "registry:GetDepartment", id)
}

func (s *Server) getKey(w http.ResponseWriter, r *http.Request) error {
	keyID, err := pathHash(r, "keyId")
	if err != nil {
		return err
	}
	audit(r, "key/"+keyID)
	return s.evaluateWrite(w, r, s.org(r), "registry:GetKey", keyID)
}

// KeyInput is the body of add-key and rotate.
type KeyInput struct {
	PublicKey string `json:"publicKey"`
}

// RevokeKeyInput is the body of revoke (effectiveAt "" = the transaction time).
type RevokeKeyInput struct {
	Reason      string `json:"reason"`
	EffectiveAt string `json:"effectiveAt"`
}

// decodeKeyInput reads and checks the body of add-key and rotate.
func decodeKeyInput(r *http.Request) (KeyInput, error) {
	var in KeyInput
	if err := decodeJSON(r, &in); err != nil {
		return in, err
	}
	var c checks
	c.publicKey("publicKey", in.PublicKey)
	return in, c.err()
}

func (s *Server) addKey(w http.ResponseWriter, r *http.Request) error {
	id, err := pathDept(r, "id")
	if err != nil {
		return err
	}
	return s.submitKey(w, r, http.StatusCreated, "registry:AddKey", "add keys", "department/"+id, id)
}

// submitKey decodes the body of add-key and rotate and, for the governance
// department only (what names the act in a refusal), submits fn with ids and the
// public key. resource is the access log's.
func (s *Server) submitKey(w http.ResponseWriter, r *http.Request, status int, fn, what, resource string, ids ...string) error {
	in, err := decodeKeyInput(r)
	if err != nil {
		return err
	}
	return s.governanceWrite(w, r, status, resource, what, fn, append(ids, in.PublicKey)...)
}

// pathKey reads the department id and the key id of .../departments/{id}/keys/{keyId}/...
func pathKey(r *http.Request) (id, keyID string, err error) {
	if id, err = pathDept(r, "id"); err != nil {
		return "", "", err
	}
	if keyID, err = pathHash(r, "keyId"); err != nil {
		return "", "", err
	}
	return id, keyID, nil
}

func (s *Server) rotateKey(w http.ResponseWriter, r *http.Request) error {
	id, keyID, err := pathKey(r)
	if err != nil {
		return err
	}
	return s.submitKey(w, r, http.StatusOK, "registry:RotateKey", "rotate keys", "department/"+id+"/key/"+keyID, id, keyID)
}

// revokeKey is open to the governance department and to the key's own department.
func (s *Server) revokeKey(w http.ResponseWriter, r *http.Request) error {
	id, keyID, err := pathKey(r)
	if err != nil {
		return err
	}
	var in RevokeKeyInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	var c checks
	if err := registry.CheckText("reason", in.Reason, 200); err != nil {
		c.add("reason", "%s", domainMessage(err))
	}
	c.time("effectiveAt", in.EffectiveAt)
	if err := c.err(); err != nil {
		return err
	}
	p := info(r).principal
	audit(r, "department/"+id+"/key/"+keyID)
	if p.Department != id {
		if err := s.governanceOnly(p, "revoke another department's keys"); err != nil {
			return err
		}
	}
	return s.submitWrite(w, r, http.StatusOK, p.Org, "registry:RevokeKey", id, keyID, in.Reason, in.EffectiveAt)
}
