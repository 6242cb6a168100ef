package httpapi

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/certledger/certledger/gateway/internal/ledgerclient"
)

// TestCertTypeRoutes checks the catalogue and department-code endpoints: the
// chaincode function and arguments each one calls, who may call it, and the
// refusals made before the ledger (a wrong check character is named).
func TestCertTypeRoutes(t *testing.T) {
	e := newEnv(t, nil)
	var mu sync.Mutex
	var calls []string
	for _, fn := range []string{"certtype:Register", "certtype:Grant", "certtype:Revoke", "certtype:Get", "certtype:List", "registry:SetCode"} {
		e.fake.On(fn, func(_, _ string, args []string) ([]byte, *ledgerclient.Event, error) {
			mu.Lock()
			calls = append(calls, fn+"("+strings.Join(args, ",")+")")
			mu.Unlock()
			if fn == "certtype:List" {
				return []byte(`[]`), nil, nil
			}
			return []byte(`{"code":"11100000MB0143028R001"}`), nil, nil
		})
	}
	reg := `{"code":"11100000MB0143028R001","name":"营业执照","nameEn":"Business licence","definingBody":"国家市场监督管理总局","holderCodeType":"001","defaultValidity":"P20Y","issuers":["dept-a"]}`
	for _, tc := range []struct {
		name, method, path, token string
		body                      any
		status                    int
		msg, call                 string
	}{
		{"list", "GET", "/api/v1/cert-types", "", nil, 200, "", "certtype:List()"},
		{"get", "GET", "/api/v1/cert-types/11100000MB0143028R001", "", nil, 200, "", "certtype:Get(11100000MB0143028R001)"},
		{"get bad check", "GET", "/api/v1/cert-types/11100000MB0143028X001", "", nil, 400, "expected 'R'", ""},
		{"get short", "GET", "/api/v1/cert-types/123", "", nil, 400, "want 21 characters", ""},
		{"register", "POST", "/api/v1/cert-types", govAdmin, reg, 201, "", "certtype:Register("},
		{"register by a department admin", "POST", "/api/v1/cert-types", aAdmin, reg, 403, "governance", ""},
		{"register by a clerk", "POST", "/api/v1/cert-types", aClerk, reg, 403, "role clerk", ""},
		{"register bad code", "POST", "/api/v1/cert-types", govAdmin, strings.Replace(reg, "028R001", "028X001", 1), 400, "expected 'R'", ""},
		{"register bad validity", "POST", "/api/v1/cert-types", govAdmin, strings.Replace(reg, "P20Y", "20 years", 1), 400, "defaultValidity", ""},
		{"register unknown field", "POST", "/api/v1/cert-types", govAdmin, strings.Replace(reg, `"name":`, `"x":1,"name":`, 1), 400, "unknown field", ""},
		{"grant", "POST", "/api/v1/cert-types/11100000MB0143028R001/issuers", govAdmin, `{"department":"dept-b"}`, 200, "", "certtype:Grant(11100000MB0143028R001,dept-b)"},
		{"grant no department", "POST", "/api/v1/cert-types/11100000MB0143028R001/issuers", govAdmin, `{}`, 400, "department", ""},
		{"grant by a department", "POST", "/api/v1/cert-types/11100000MB0143028R001/issuers", aAdmin, `{"department":"dept-a"}`, 403, "governance", ""},
		{"revoke", "DELETE", "/api/v1/cert-types/11100000MB0143028R001/issuers/dept-b", govAdmin, nil, 200, "", "certtype:Revoke(11100000MB0143028R001,dept-b)"},
		{"set code", "PUT", "/api/v1/departments/dept-a/code", govAdmin, `{"code":"11330100MB1234567E"}`, 200, "", "registry:SetCode(dept-a,11330100MB1234567E)"},
		{"set code bad check", "PUT", "/api/v1/departments/dept-a/code", govAdmin, `{"code":"11330100MB1234567F"}`, 400, "expected 'E'", ""},
		{"set code by a department", "PUT", "/api/v1/departments/dept-a/code", aAdmin, `{"code":"11330100MB1234567E"}`, 403, "governance", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mu.Lock()
			calls = nil
			mu.Unlock()
			r := e.do(tc.method, tc.path, tc.token, tc.body)
			if r.status != tc.status || !strings.Contains(string(r.body), tc.msg) {
				t.Fatalf("%d %s, want %d containing %q", r.status, r.body, tc.status, tc.msg)
			}
			mu.Lock()
			defer mu.Unlock()
			switch {
			case tc.call == "" && len(calls) != 0:
				t.Fatalf("refused request reached the ledger: %v", calls)
			case tc.call != "" && (len(calls) != 1 || !strings.HasPrefix(calls[0], tc.call)):
				t.Fatalf("calls %v, want %s", calls, tc.call)
			}
		})
	}
	if r := e.do("GET", "/api/v1/cert-types", "", nil); r.status != http.StatusOK {
		t.Fatal(r.status)
	}
}
