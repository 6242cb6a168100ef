package workorder

// ActionInput is the JSON argument of every ticket action.
//
// A department action is signed: signature = SM2 over canon.Payload("ticket-action",
// {ticketId, action, department, noteHash, target, prevTxId, keyId[, operator]}) with a key of
// department valid at the transaction time; prevTxId is the ticket's txId (its last
// write), so an old signed action cannot be replayed. The intake channel's Rate and
// Reopen are unsigned (department, keyId and signature empty); prevTxId is optional for
// them but checked when given.
type ActionInput struct {
	TicketID   string `json:"ticketId"`
	Action     string `json:"action"`
	Department string `json:"department"`
	NoteHash   string `json:"noteHash"`
	Target     string `json:"target"`
	PrevTxID   string `json:"prevTxId"`
	KeyID      string `json:"keyId"`
	Signature  string `json:"signature"`
	// Operator is the operator id of the clerk the department vouches acted
	// (optional; signed when set, and then it must be the submitting identity's).
	Operator    string `json:"operator,omitempty"`
	Rating      string `json:"rating,omitempty"`
	CommentHash string `json:"commentHash,omitempty"`
}

// SignedAction is exactly what a department signs (canon kind ticket-action).
type SignedAction struct {
	TicketID   string `json:"ticketId"`
	Action     string `json:"action"`
	Department string `json:"department"`
	NoteHash   string `json:"noteHash"`
	Target     string `json:"target"`
	PrevTxID   string `json:"prevTxId"`
	KeyID      string `json:"keyId"`
	Operator   string `json:"operator,omitempty"` // signed when set (canon.OptionalFields)
}

// Signed returns the signed fields of in.
func (in ActionInput) Signed() SignedAction {
	return SignedAction{in.TicketID, in.Action, in.Department, in.NoteHash, in.Target, in.PrevTxID, in.KeyID, in.Operator}
}

// Output is the result (and event payload) of a ticket write.
type Output struct {
	Ticket         Ticket           `json:"ticket"`
	Transitions    []Transition     `json:"transitions"`
	Accountability []Accountability `json:"accountability"`
}
