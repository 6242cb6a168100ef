package httpapi

// registrars lists every resource's route registration, in order. A new resource
// (tickets, exchanges, ...) lives in its own file with
//
//	func (s *Server) registerTickets(r *Router) { r.Add(Route{...}) }
//
// plus an OpenAPI fragment openapi/tickets.json, and adds one line here.
func (s *Server) registrars() []func(*Router) {
	return []func(*Router){
		s.registerHealth,
		s.registerDepartments,
		s.registerCertificates,
		s.registerBatches,
		s.registerCertTypes,
		s.registerVerify,
		s.registerEvents,
		s.registerExchanges,
		s.registerEnvelopes,
		s.registerLineage,
		s.registerTickets,
		s.registerTicketControls,
		s.registerPages,
		s.registerTrust,
		s.registerWhoami,
		s.registerWeb,
	}
}
