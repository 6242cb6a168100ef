package httpapi

import (
	"fmt"
	"strings"
	"testing"
)

// TestCertTypeRoutes runs the catalogue and department-code endpoints over the
// real chaincode, in order (each case sees the state the ones before left): the
// chaincode function and arguments each one calls, who may call it, the
// refusals made before the ledger (a wrong check character is named) and the
// ledger's own (CONFLICT, NOT_FOUND).
func TestCertTypeRoutes(t *testing.T) {
	e := newEnv(t, nil)
	const code = "11100000MB0143028R001"
	reg := `{"code":"` + code + `","name":"营业执照","nameEn":"Business licence","definingBody":"国家市场监督管理总局","holderCodeType":"001","defaultValidity":"P20Y","issuers":["dept-a"]}`
	for _, tc := range []struct {
		name, method, path, token string
		body                      any
		status                    int
		msg, call                 string // call: "fn(args)" prefix of the one ledger call, "" = none
	}{
		{"list empty", "GET", "/api/v1/cert-types", "", nil, 200, "[]", "certtype:List()"},
		{"get missing", "GET", "/api/v1/cert-types/" + code, "", nil, 404, "NOT_FOUND", "certtype:Get(" + code + ")"},
		{"get bad check", "GET", "/api/v1/cert-types/11100000MB0143028X001", "", nil, 400, "expected 'R'", ""},
		{"get short", "GET", "/api/v1/cert-types/123", "", nil, 400, "want 21 characters", ""},
		{"register by a department admin", "POST", "/api/v1/cert-types", aAdmin, reg, 403, "governance", ""},
		{"register by a clerk", "POST", "/api/v1/cert-types", aClerk, reg, 403, "role clerk", ""},
		{"register bad code", "POST", "/api/v1/cert-types", govAdmin, strings.Replace(reg, "028R001", "028X001", 1), 400, "expected 'R'", ""},
		{"register bad validity", "POST", "/api/v1/cert-types", govAdmin, strings.Replace(reg, "P20Y", "20 years", 1), 400, `"field":"defaultValidity"`, ""},
		{"register bad issuer", "POST", "/api/v1/cert-types", govAdmin, strings.Replace(reg, `["dept-a"]`, `["dept a"]`, 1), 400, `"field":"issuers[0]"`, ""},
		{"register unknown field", "POST", "/api/v1/cert-types", govAdmin, strings.Replace(reg, `"name":`, `"x":1,"name":`, 1), 400, "unknown field", ""},
		{"register", "POST", "/api/v1/cert-types", govAdmin, reg, 201, "营业执照", "certtype:Register("},
		{"register again", "POST", "/api/v1/cert-types", govAdmin, reg, 409, "already in the catalogue", "certtype:Register("},
		{"get", "GET", "/api/v1/cert-types/" + code, "", nil, 200, `"issuers":["dept-a"]`, "certtype:Get(" + code + ")"},
		{"list", "GET", "/api/v1/cert-types", "", nil, 200, code, "certtype:List()"},
		{"grant", "POST", "/api/v1/cert-types/" + code + "/issuers", govAdmin, `{"department":"dept-b"}`, 200, `"issuers":["dept-a","dept-b"]`, "certtype:Grant(" + code + ",dept-b)"},
		{"grant again", "POST", "/api/v1/cert-types/" + code + "/issuers", govAdmin, `{"department":"dept-b"}`, 409, "may already issue", "certtype:Grant("},
		{"grant no department", "POST", "/api/v1/cert-types/" + code + "/issuers", govAdmin, `{}`, 400, "department", ""},
		{"grant by a department", "POST", "/api/v1/cert-types/" + code + "/issuers", aAdmin, `{"department":"dept-a"}`, 403, "governance", ""},
		{"revoke", "DELETE", "/api/v1/cert-types/" + code + "/issuers/dept-b", govAdmin, nil, 200, `"issuers":["dept-a"]`, "certtype:Revoke(" + code + ",dept-b)"},
		{"revoke again", "DELETE", "/api/v1/cert-types/" + code + "/issuers/dept-b", govAdmin, nil, 404, "may not issue", "certtype:Revoke("},
		{"revoke bad department", "DELETE", "/api/v1/cert-types/" + code + "/issuers/dept:b", govAdmin, nil, 400, `"field":"dept"`, ""},
		{"set code", "PUT", "/api/v1/departments/dept-a/code", govAdmin, `{"code":"11330100MB1234567E"}`, 200, `"code":"11330100MB1234567E"`, "registry:SetCode(dept-a,11330100MB1234567E)"},
		{"set code held by another", "PUT", "/api/v1/departments/dept-b/code", govAdmin, `{"code":"11330100MB1234567E"}`, 409, "already held by department dept-a", "registry:SetCode("},
		{"set code bad check", "PUT", "/api/v1/departments/dept-a/code", govAdmin, `{"code":"11330100MB1234567F"}`, 400, "expected 'E'", ""},
		{"set code by a department", "PUT", "/api/v1/departments/dept-a/code", aAdmin, `{"code":"11330100MB1234567E"}`, 403, "governance", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(e.fake.Calls())
			r := e.do(tc.method, tc.path, tc.token, tc.body)
			if r.status != tc.status || !strings.Contains(string(r.body), tc.msg) {
				t.Fatalf("%d %s, want %d containing %q", r.status, r.body, tc.status, tc.msg)
			}
			var calls []string
			for _, c := range e.fake.Calls()[before:] {
				calls = append(calls, fmt.Sprintf("%s(%s)", c.Fn, strings.Join(c.Args, ",")))
			}
			switch {
			case tc.call == "" && len(calls) != 0:
				t.Fatalf("refused request reached the ledger: %v", calls)
			case tc.call != "" && (len(calls) != 1 || !strings.HasPrefix(calls[0], tc.call)):
				t.Fatalf("calls %v, want %s", calls, tc.call)
			}
		})
	}
}
