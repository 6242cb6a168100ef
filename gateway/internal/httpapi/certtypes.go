package httpapi

import (
	"net/http"
	"strings"

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

// idError is the message of an identifier.Error without its code prefix.
func idError(err error) string {
	return strings.TrimPrefix(err.Error(), codes.InvalidArgument+": ")
}

func pathTypeCode(r *http.Request) (string, error) {
	code := r.PathValue("code")
	if err := identifier.CheckTypeCode(code); err != nil {
		return "", badRequest("code: %s", idError(err))
	}
	return code, nil
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
	if err := in.Validate(); err != nil {
		return badRequest("%s", strings.TrimPrefix(err.Error(), codes.InvalidArgument+": "))
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
	var f fieldErrors
	f.id("department", in.Department, true)
	if err := f.err(); err != nil {
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
	dept, err := pathID(r, "dept")
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
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in CodeInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := identifier.CheckUSCC(in.Code); err != nil {
		return badRequest("code: %s", idError(err))
	}
	p := info(r).principal
	audit(r, "department/"+id)
	if err := s.governanceOnly(p, "set departments' codes"); err != nil {
		return err
	}
	return s.submitWrite(w, r, http.StatusOK, p.Org, "registry:SetCode", id, in.Code)
}
