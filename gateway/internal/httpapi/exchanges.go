package httpapi

// Cross-department exchanges (contract "exchange"): the provider's catalogue,
// grants, exchanges sent under a grant and the consumer's acknowledgement. Types
// are in exchange_types.go, writes in exchange_writes.go, reads in
// exchange_reads.go; who may read what is package access.
//
// Writes: the principal's department must be the provider (catalogue, grants,
// send) or the consumer (ack, reject); the chaincode checks the same against the
// submitter's MSP and the SM2 signature. Reads need a token: an auditor and the
// governance department read everything, other callers only grants and exchanges
// their department is a party to (lists must name it as provider or consumer).
// Every request notes the record it touched in the access log, so refused
// attempts are auditable.
func (s *Server) registerExchanges(r *Router) {
	r.Add(Route{Pattern: "POST /api/v1/catalog", Roles: writerRoles, Handler: s.addCatalogItem})
	r.Add(Route{Pattern: "GET /api/v1/catalog", Handler: s.listCatalog})
	r.Add(Route{Pattern: "GET /api/v1/catalog/{provider}/{item}", Handler: s.catalogItemRead("exchange:GetCatalogItem")})
	r.Add(Route{Pattern: "PUT /api/v1/catalog/{provider}/{item}", Roles: writerRoles, Handler: s.updateCatalogItem})
	r.Add(Route{Pattern: "POST /api/v1/catalog/{provider}/{item}/withdraw", Roles: writerRoles, Handler: s.withdrawCatalogItem})
	r.Add(Route{Pattern: "GET /api/v1/catalog/{provider}/{item}/history", Handler: s.catalogItemRead("exchange:CatalogHistory")})

	r.Add(Route{Pattern: "POST /api/v1/grants", Roles: writerRoles, Handler: s.createGrant})
	r.Add(Route{Pattern: "GET /api/v1/grants", Handler: s.listGrants})
	r.Add(Route{Pattern: "GET /api/v1/grants/{id}", Handler: s.getExchangeRecord("grant")})
	r.Add(Route{Pattern: "GET /api/v1/grants/{id}/history", Handler: s.exchangeHistory("grant")})
	r.Add(Route{Pattern: "POST /api/v1/grants/{id}/revoke", Roles: writerRoles, Handler: s.revokeGrant})
	r.Add(Route{Pattern: "POST /api/v1/grants/{id}/deletion", Roles: writerRoles, Handler: s.attestDeletion})

	r.Add(Route{Pattern: "GET /api/v1/exchange/policy", Handler: s.getExchangePolicy})
	r.Add(Route{Pattern: "PUT /api/v1/exchange/policy", Roles: adminRoles, Handler: s.setExchangePolicy})

	r.Add(Route{Pattern: "POST /api/v1/exchanges", Roles: writerRoles, Handler: s.sendExchange})
	r.Add(Route{Pattern: "GET /api/v1/exchanges", Handler: s.listExchanges})
	r.Add(Route{Pattern: "GET /api/v1/exchanges/verify", Handler: s.verifyExchange})
	r.Add(Route{Pattern: "GET /api/v1/exchanges/{id}", Handler: s.getExchangeRecord("exchange")})
	r.Add(Route{Pattern: "GET /api/v1/exchanges/{id}/history", Handler: s.exchangeHistory("exchange")})
	r.Add(Route{Pattern: "POST /api/v1/exchanges/{id}/ack", Roles: writerRoles, Handler: s.answerExchange("ack", "exchange:Ack")})
	r.Add(Route{Pattern: "POST /api/v1/exchanges/{id}/reject", Roles: writerRoles, Handler: s.answerExchange("reject", "exchange:Reject")})
}
