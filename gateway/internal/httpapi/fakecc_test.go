package httpapi

import (
	"encoding/json"
	"fmt"
	"sort"
	"sync"

	"github.com/certledger/certledger/gateway/internal/ledgerclient"
	"github.com/certledger/certledger/gateway/internal/ledgerclient/ledgertest"
)

// fakeChaincode is just enough of the registry and certificate contracts for the
// handler tests: records in maps, the chaincode's error texts, one event per write.
type fakeChaincode struct {
	mu    sync.Mutex
	certs map[string]map[string]any
	depts map[string]map[string]any
}

func installFakeChaincode(f *ledgertest.Fake) *fakeChaincode {
	cc := &fakeChaincode{certs: map[string]map[string]any{}, depts: map[string]map[string]any{}}
	f.On("registry:GetGovernance", func(string, string, []string) ([]byte, *ledgerclient.Event, error) {
		return []byte(`{"mspId":"GovMSP"}`), nil, nil
	})
	f.On("registry:RegisterDepartment", func(_, tx string, args []string) ([]byte, *ledgerclient.Event, error) {
		var d map[string]any
		if err := json.Unmarshal([]byte(args[0]), &d); err != nil {
			return nil, nil, fmt.Errorf("chaincode response 500, INVALID_ARGUMENT: %v", err) //nolint:errorlint // mimics Fabric: only the text crosses, never the error value
		}
		cc.mu.Lock()
		defer cc.mu.Unlock()
		id := d["id"].(string)
		if _, ok := cc.depts[id]; ok {
			return nil, nil, fmt.Errorf("chaincode response 500, CONFLICT: department %s exists", id)
		}
		d["status"], d["txId"] = "active", tx
		cc.depts[id] = d
		b, _ := json.Marshal(d)
		return b, &ledgerclient.Event{Name: "DepartmentRegistered", Payload: b}, nil
	})
	f.On("registry:ListDepartments", func(string, string, []string) ([]byte, *ledgerclient.Event, error) {
		cc.mu.Lock()
		defer cc.mu.Unlock()
		var ids []string
		for id := range cc.depts {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		out := []map[string]any{}
		for _, id := range ids {
			out = append(out, cc.depts[id])
		}
		b, _ := json.Marshal(out)
		return b, nil, nil
	})
	f.On("registry:GetDepartment", func(_, _ string, args []string) ([]byte, *ledgerclient.Event, error) {
		cc.mu.Lock()
		defer cc.mu.Unlock()
		d, ok := cc.depts[args[0]]
		if !ok {
			return nil, nil, fmt.Errorf("chaincode response 500, NOT_FOUND: department %s", args[0])
		}
		b, _ := json.Marshal(d)
		return b, nil, nil
	})
	deptWrite := func(name string) ledgertest.Func {
		return func(_, tx string, args []string) ([]byte, *ledgerclient.Event, error) {
			cc.mu.Lock()
			defer cc.mu.Unlock()
			d, ok := cc.depts[args[0]]
			if !ok {
				return nil, nil, fmt.Errorf("chaincode response 500, NOT_FOUND: department %s", args[0])
			}
			d["txId"] = tx
			b, _ := json.Marshal(d)
			return b, &ledgerclient.Event{Name: name, Payload: b}, nil
		}
	}
	f.On("registry:AddKey", deptWrite("KeyAdded"))
	f.On("registry:RotateKey", deptWrite("KeyRotated"))
	f.On("registry:RevokeKey", deptWrite("KeyRevoked"))
	f.On("registry:GetKey", func(_, _ string, args []string) ([]byte, *ledgerclient.Event, error) {
		return []byte(`{"departmentId":"dept-a","keyId":"` + args[0] + `"}`), nil, nil
	})
	write := func(name string, supersede bool) ledgertest.Func {
		return func(_, tx string, args []string) ([]byte, *ledgerclient.Event, error) {
			var c map[string]any
			if err := json.Unmarshal([]byte(args[0]), &c); err != nil {
				return nil, nil, fmt.Errorf("chaincode response 500, INVALID_ARGUMENT: %v", err) //nolint:errorlint // mimics Fabric: only the text crosses, never the error value
			}
			cc.mu.Lock()
			defer cc.mu.Unlock()
			id := c["id"].(string)
			if _, ok := cc.certs[id]; ok {
				return nil, nil, fmt.Errorf("chaincode response 500, CONFLICT: certificate %s exists", id)
			}
			if supersede {
				old, ok := cc.certs[c["supersedes"].(string)]
				if !ok {
					return nil, nil, fmt.Errorf("chaincode response 500, NOT_FOUND: certificate %s", c["supersedes"])
				}
				old["status"], old["supersededBy"] = "superseded", id
			}
			c["status"], c["txId"], c["issuedAt"] = "valid", tx, "2026-11-28T12:00:00Z"
			cc.certs[id] = c
			b, _ := json.Marshal(c)
			return b, &ledgerclient.Event{Name: name, Payload: b}, nil
		}
	}
	f.On("certificate:Issue", write("CertificateIssued", false))
	f.On("certificate:Supersede", write("CertificateSuperseded", true))
	status := func(newStatus, event string) ledgertest.Func {
		return func(_, tx string, args []string) ([]byte, *ledgerclient.Event, error) {
			var req StatusRequest
			_ = json.Unmarshal([]byte(args[0]), &req)
			cc.mu.Lock()
			defer cc.mu.Unlock()
			c, ok := cc.certs[req.CertificateID]
			if !ok {
				return nil, nil, fmt.Errorf("chaincode response 500, NOT_FOUND: certificate %s", req.CertificateID)
			}
			if c["status"] == "revoked" {
				return nil, nil, fmt.Errorf("chaincode response 500, ILLEGAL_TRANSITION: certificate %s is revoked", req.CertificateID)
			}
			c["status"], c["statusReason"], c["txId"] = newStatus, req.Reason, tx
			b, _ := json.Marshal(c)
			return b, &ledgerclient.Event{Name: event, Payload: b}, nil
		}
	}
	f.On("certificate:Revoke", status("revoked", "CertificateRevoked"))
	f.On("certificate:Suspend", status("suspended", "CertificateSuspended"))
	f.On("certificate:Reinstate", status("valid", "CertificateReinstated"))
	f.On("certificate:Get", func(_, _ string, args []string) ([]byte, *ledgerclient.Event, error) {
		cc.mu.Lock()
		defer cc.mu.Unlock()
		c, ok := cc.certs[args[0]]
		if !ok {
			return nil, nil, fmt.Errorf("rpc error: code = Unknown desc = evaluate call to endorser returned error: chaincode response 500, NOT_FOUND: certificate %s", args[0])
		}
		b, _ := json.Marshal(c)
		return b, nil, nil
	})
	f.On("certificate:FindByHash", func(_, _ string, args []string) ([]byte, *ledgerclient.Event, error) {
		cc.mu.Lock()
		defer cc.mu.Unlock()
		out := []map[string]any{}
		for _, c := range cc.certs {
			if c["docHash"] == args[0] {
				out = append(out, c)
			}
		}
		b, _ := json.Marshal(out)
		return b, nil, nil
	})
	f.On("certificate:History", func(_, _ string, args []string) ([]byte, *ledgerclient.Event, error) {
		cc.mu.Lock()
		defer cc.mu.Unlock()
		c, ok := cc.certs[args[0]]
		if !ok {
			return nil, nil, fmt.Errorf("chaincode response 500, NOT_FOUND: certificate %s", args[0])
		}
		b, _ := json.Marshal([]map[string]any{{"txId": c["txId"], "timestamp": "2026-11-28T12:00:00Z", "isDelete": false, "record": c}})
		return b, nil, nil
	})
	f.On("certificate:Verify", func(_, _ string, args []string) ([]byte, *ledgerclient.Event, error) {
		var in verifyInput
		if err := json.Unmarshal([]byte(args[0]), &in); err != nil {
			return nil, nil, err
		}
		cc.mu.Lock()
		defer cc.mu.Unlock()
		for _, c := range cc.certs {
			if (in.ID == "" || c["id"] == in.ID) && (in.DocHash == "" || c["docHash"] == in.DocHash) {
				verdict := "VALID"
				if c["status"] == "revoked" {
					verdict = "REVOKED"
				}
				b, _ := json.Marshal(map[string]any{"verdict": verdict, "certificate": c, "steps": []any{}})
				return b, nil, nil
			}
		}
		return []byte(`{"verdict":"NOT_FOUND","steps":[]}`), nil, nil
	})
	return cc
}
