package httpapi

import (
	"net/http"

	"github.com/certledger/certledger/gateway/internal/config"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/certtype"
	"github.com/certledger/certledger/internal/domain/identifier"
)

// registerCertTypes serves the certificate type catalogue (certtype contract) and
// departments' unified social credit codes (registry:SetCode).
func (s *Server) registerCertTypes(r *Router) {
	admin := []string{config.RoleAdmin}
	r.Add(Route{Pattern: "GET /api/v1/cert-types", Public: true, Handler: s.listCertTypes})
	r.Add(Route{Pattern: "GET /api/v1/cert-types/{code}", Public: true, Handler: s.getCertType})
	r.Add(Route{Pattern: "POST /api/v1/cert-types", Roles: admin, Handler: s.registerCertType})
	r.Add(Route{Pattern: "POST /api/v1/cert-types/{code}/issuers", Roles: admin, Handler: s.grantCertType})
	r.Add(Route{Pattern: "DELETE /api/v1/cert-types/{code}/issuers/{dept}", Roles: admin, Handler: s.revokeCertType})
	r.Add(Route{Pattern: "PUT /api/v1/departments/{id}/code", Roles: admin, Handler: s.setDepartmentCode})
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
	p := info(r).principal
	audit(r, "cert-type/"+in.Code)
	if err := s.governanceOnly(p, "register certificate types"); err != nil {
		return err
	}
	return s.submitWrite(w, r, http.StatusCreated, p.Org, "certtype:Register", mustJSON(in))
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
	p := info(r).principal
	audit(r, "cert-type/"+code+"/issuer/"+in.Department)
	if err := s.governanceOnly(p, "grant certificate types"); err != nil {
		return err
	}
	return s.submitWrite(w, r, http.StatusOK, p.Org, "certtype:Grant", code, in.Department)
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
	p := info(r).principal
	audit(r, "cert-type/"+code+"/issuer/"+dept)
	if err := s.governanceOnly(p, "withdraw certificate types"); err != nil {
		return err
	}
	return s.submitWrite(w, r, http.StatusOK, p.Org, "certtype:Revoke", code, dept)
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
	p := info(r).principal
	audit(r, "department/"+id)
	if err := s.governanceOnly(p, "set departments' codes"); err != nil {
		return err
	}
	return s.submitWrite(w, r, http.StatusOK, p.Org, "registry:SetCode", id, in.Code)
}
