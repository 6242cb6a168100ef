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
	SignedAction
	Signature   string `json:"signature"`
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
	// Operator is the operator id of the clerk the department vouches acted
	// (optional; signed when set, and then it must be the submitting identity's;
	// canon.OptionalFields).
	Operator string `json:"operator,omitempty"`
}

// Signed returns the signed fields of in.
func (in ActionInput) Signed() SignedAction {
	return in.SignedAction
}

// Output is the result (and event payload) of a ticket write.
type Output struct {
	Ticket         Ticket           `json:"ticket"`
	Transitions    []Transition     `json:"transitions"`
	Accountability []Accountability `json:"accountability"`
}
