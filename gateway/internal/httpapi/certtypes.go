package httpapi

import (
	"net/http"

	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/certtype"
	"github.com/certledger/certledger/internal/domain/identifier"
)

// registerCertTypes serves the certificate type catalogue (certtype contract) and
// departments' unified social credit codes (registry:SetCode).
func (s *Server) registerCertTypes(r *Router) {
	r.Add(Route{Pattern: "GET /api/v1/cert-types", Public: true, Handler: s.listCertTypes})
	r.Add(Route{Pattern: "GET /api/v1/cert-types/{code}", Public: true, Handler: s.getCertType})
	r.Add(Route{Pattern: "POST /api/v1/cert-types", Roles: adminRoles, Handler: s.registerCertType})
	r.Add(Route{Pattern: "POST /api/v1/cert-types/{code}/issuers", Roles: adminRoles, Handler: s.grantCertType})
	r.Add(Route{Pattern: "DELETE /api/v1/cert-types/{code}/issuers/{dept}", Roles: adminRoles, Handler: s.revokeCertType})
	r.Add(Route{Pattern: "PUT /api/v1/departments/{id}/code", Roles: adminRoles, Handler: s.setDepartmentCode})
}

// CertTypeInput is the body of POST /api/v1/cert-types (certtype:Register).
type CertTypeInput = certtype.Registration

// GrantInput is the body of POST /api/v1/cert-types/{code}/issuers.
type GrantInput struct {
	Department string `json:"department"`
}

// CodeInput is the body of PUT /api/v1/departments/{id}/code.
type CodeInput struct {
	Code string `json:"code"`
}

// pathTypeCode validates the path parameter "code": a GB/T 36904 type code (the
// defining body's USCC, check character verified, and a 3-digit sequence).
func pathTypeCode(r *http.Request) (string, error) {
	code := r.PathValue("code")
	var c checks
	if err := identifier.CheckTypeCode(code); err != nil {
		c.add("code", "%s", codes.Message(err))
	}
	return code, c.err()
}

func (s *Server) listCertTypes(w http.ResponseWriter, r *http.Request) error {
	audit(r, "cert-types")
	return s.evaluateWrite(w, r, s.org(r), "certtype:List")
}

func (s *Server) getCertType(w http.ResponseWriter, r *http.Request) error {
	code, err := pathTypeCode(r)
	if err != nil {
		return err
	}
	audit(r, "cert-type/"+code)
	return s.evaluateWrite(w, r, s.org(r), "certtype:Get", code)
}

func (s *Server) registerCertType(w http.ResponseWriter, r *http.Request) error {
	var in CertTypeInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.Issuers == nil {
		in.Issuers = []string{}
	}
	if err := invalid(in.Validate(), &checks{}); err != nil {
		return err
	}
	return s.governanceWrite(w, r, http.StatusCreated, "cert-type/"+in.Code, "register certificate types", "certtype:Register", mustJSON(in))
}

func (s *Server) grantCertType(w http.ResponseWriter, r *http.Request) error {
	code, err := pathTypeCode(r)
	if err != nil {
		return err
	}
	var in GrantInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	var c checks
	c.dept("department", in.Department, true)
	if err := c.err(); err != nil {
		return err
	}
	return s.governanceWrite(w, r, http.StatusOK, "cert-type/"+code+"/issuer/"+in.Department, "grant certificate types", "certtype:Grant", code, in.Department)
}

func (s *Server) revokeCertType(w http.ResponseWriter, r *http.Request) error {
	code, err := pathTypeCode(r)
	if err != nil {
		return err
	}
	dept, err := pathDept(r, "dept")
	if err != nil {
		return err
	}
	return s.governanceWrite(w, r, http.StatusOK, "cert-type/"+code+"/issuer/"+dept, "withdraw certificate types", "certtype:Revoke", code, dept)
}

func (s *Server) setDepartmentCode(w http.ResponseWriter, r *http.Request) error {
	id, err := pathDept(r, "id")
	if err != nil {
		return err
	}
	var in CodeInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	var c checks
	if err := identifier.CheckUSCC(in.Code); err != nil {
		c.add("code", "%s", codes.Message(err))
	}
	if err := c.err(); err != nil {
		return err
	}
	return s.governanceWrite(w, r, http.StatusOK, "department/"+id, "set departments' codes", "registry:SetCode", id, in.Code)
}
