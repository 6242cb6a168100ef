package command

import (
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/certledger/certledger/cli/internal/client"
	"github.com/certledger/certledger/cli/internal/issue"
	"github.com/certledger/certledger/cli/internal/output"
	"github.com/certledger/certledger/internal/canon"
	"github.com/certledger/certledger/internal/domain/workorder"
	"github.com/certledger/certledger/internal/gm"
)

// ticketCommand is "certledger ticket": citizen appeals (work orders). Submit, rate and
// the citizen's reopen are the intake channel's (no key); the department actions are
// signed here with the department's SM2 key over the canonical ticket-action payload.
// Texts (appeal, notes, comments) never leave this machine: only their SM3 does.
func ticketCommand() *cli.Command {
	signing := func(extra ...cli.Flag) []cli.Flag {
		return append(extra,
			keyFlag("your department's private key `FILE` (PKCS#8 PEM)"), passwordFlag(),
			&cli.StringFlag{Name: "dept", Usage: "acting department `ID` (default: the department that holds the key)"},
			&cli.StringFlag{Name: "note", Usage: "note `TEXT` (only its SM3 is recorded)"},
			&cli.StringFlag{Name: "note-file", Usage: "note `FILE` (only its SM3 is recorded)"},
		)
	}
	action := func(name, usage string, flags ...cli.Flag) *cli.Command {
		return &cli.Command{Name: name, Usage: usage, ArgsUsage: "TICKET", Flags: signing(flags...),
			Action: func(c *cli.Context) error { return ticketSigned(c, workorder.Action(name)) }}
	}
	target := func(usage string) cli.Flag {
		return &cli.StringFlag{Name: "to", Usage: usage, Required: true}
	}
	return &cli.Command{
		Name:  "ticket",
		Usage: "citizen appeals: submit, accept, start, transfer, resolve, rate, reopen, escalate, close, show, trace, list",
		Subcommands: []*cli.Command{
			{
				Name:      "submit",
				Usage:     "record a citizen appeal (intake channel); it is routed by category to a department",
				ArgsUsage: " ",
				Description: "certledger ticket submit --category noise --content APPEAL.txt --reporter 110101199003077777 --channel hotline\n" +
					"The appeal text is hashed here (SM3); the reporter's identifier becomes SM3(salt || identifier)\n" +
					"with a fresh random salt, printed once: give it to the citizen (it proves the link and opens the\n" +
					"progress stream). Nothing personal is sent.",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "category", Usage: "ticket `CATEGORY` (routes it)", Required: true},
					&cli.StringFlag{Name: "content", Usage: "appeal text `FILE` (- for standard input)"},
					&cli.StringFlag{Name: "content-hash", Usage: "SM3 `HASH` of the appeal text (instead of --content)"},
					&cli.StringFlag{Name: "reporter", Usage: "reporter `IDENTIFIER` (ID number, phone...): committed with a random salt"},
					&cli.StringFlag{Name: "commitment", Usage: "reporter commitment `HASH` made elsewhere (instead of --reporter)"},
					&cli.StringFlag{Name: "channel", Usage: "`CHANNEL`: web, app or hotline", Value: "web"},
					&cli.StringFlag{Name: "id", Usage: "ticket `ID` (default: t-<random>)"},
				},
				Action: ticketSubmit,
			},
			action("accept", "accept a ticket assigned to your department (within the respond-by)"),
			action("start", "start work on an accepted ticket"),
			action("transfer", "pass a ticket to the department that should handle it (--note / --note-file: the reason, required)", target("receiving department `ID`")),
			action("resolve", "answer a ticket (--note / --note-file: the answer; only its SM3 is recorded)"),
			action("escalate", "as the supervising department, reassign a ticket (to yourself or another department)", target("department `ID` to take it over")),
			action("close", "close a rated ticket (the supervising department may also close an unrated or unsatisfied one)"),
			{
				Name:      "rate",
				Usage:     "relay the citizen's rating of a resolved ticket (intake channel)",
				ArgsUsage: "TICKET",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "rating", Usage: "`RATING`: very_satisfied, satisfied, neutral, unsatisfied", Required: true},
					&cli.StringFlag{Name: "comment", Usage: "the citizen's comment `TEXT` (only its SM3 is recorded)"},
				},
				Action: ticketRate,
			},
			{
				Name:      "reopen",
				Usage:     "reopen a ticket rated unsatisfied: as the intake channel (no key) or the supervising department (--key)",
				ArgsUsage: "TICKET",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "key", Usage: "supervising department's private key `FILE` (omit for the intake channel)", EnvVars: []string{"CERTLEDGER_KEY"}},
					passwordFlag(),
					&cli.StringFlag{Name: "dept", Usage: "acting department `ID` (default: the department that holds the key)"},
					&cli.StringFlag{Name: "note", Usage: "note `TEXT` (only its SM3 is recorded)"},
					&cli.StringFlag{Name: "note-file", Usage: "note `FILE` (only its SM3 is recorded)"},
				},
				Action: ticketReopen,
			},
			{Name: "show", Usage: "show a ticket", ArgsUsage: "TICKET", Action: ticketShow},
			{Name: "trace", Usage: "print a ticket's whole history as a timeline", ArgsUsage: "TICKET", Action: ticketTrace},
			{
				Name:  "list",
				Usage: "list a department's tickets, optionally in one state (--overdue: open tickets past a deadline)",
				Flags: append([]cli.Flag{
					&cli.StringFlag{Name: "dept", Usage: "department `ID` (required unless --overdue by an auditor)"},
					&cli.StringFlag{Name: "state", Usage: "`STATE`: submitted, assigned, accepted, in_progress, resolved, rated, closed"},
					&cli.BoolFlag{Name: "overdue", Usage: "only open tickets that missed a deadline"},
				}, pageFlags()...),
				Action: ticketList,
			},
		},
	}
}

const ticketsAPI = "/api/v1/tickets"

// ticketOutput is the record of every ticket write.
type ticketOutput = workorder.Output

// ticketAction is the body of POST /api/v1/tickets/{id}/<action>.
type ticketAction = workorder.ActionInput

// textHash returns the SM3 of --<name> TEXT or --<name>-file FILE ("" when neither).
func textHash(c *cli.Context, name string) (string, error) {
	text, file := c.String(name), c.String(name+"-file")
	switch {
	case text != "" && file != "":
		return "", Usagef("give --%s or --%s-file, not both", name, name)
	case text != "":
		return gm.SM3Hex([]byte(text)), nil
	case file != "":
		return fileHash(c, file)
	}
	return "", nil
}

func fetchTicket(c *cli.Context, cl *client.Client, id string) (*workorder.Ticket, error) {
	var t workorder.Ticket
	if err := cl.Do(c.Context, http.MethodGet, ticketsAPI+"/"+url.PathEscape(id), nil, &t); err != nil {
		return nil, err
	}
	return &t, nil
}

func ticketSubmit(c *cli.Context) error {
	p, err := PrinterOf(c)
	if err != nil {
		return err
	}
	in := workorder.SubmitInput{ID: c.String("id"), Category: c.String("category"), Channel: c.String("channel")}
	switch {
	case (c.String("content") == "") == (c.String("content-hash") == ""):
		return Usagef("give --content FILE or --content-hash HASH")
	case c.String("content") != "":
		if in.ContentHash, err = fileHash(c, c.String("content")); err != nil {
			return err
		}
	default:
		in.ContentHash = c.String("content-hash")
	}
	var salt []byte
	switch {
	case (c.String("reporter") == "") == (c.String("commitment") == ""):
		return Usagef("give --reporter IDENTIFIER or --commitment HASH")
	case c.String("reporter") != "":
		if salt, err = gm.NewSalt(); err != nil {
			return err
		}
		in.ReporterCommitment = gm.Commitment(salt, c.String("reporter"))
	default:
		in.ReporterCommitment = c.String("commitment")
	}
	if in.ID == "" {
		if in.ID, err = issue.NewID("t"); err != nil {
			return err
		}
	}
	if err := in.Validate(); err != nil {
		return InvalidInput("ticket", err)
	}
	cl, err := NewClient(c)
	if err != nil {
		return err
	}
	var res client.WriteResult[ticketOutput]
	if err := cl.Do(c.Context, http.MethodPost, ticketsAPI, in, &res); err != nil {
		return err
	}
	type submitted struct {
		client.WriteResult[ticketOutput]
		Salt string `json:"salt,omitempty"`
	}
	out := submitted{WriteResult: res}
	if salt != nil {
		out.Salt = hex.EncodeToString(salt)
	}
	t := res.Record.Ticket
	return p.Print(out, func(tb *output.Tab) {
		tb.Line(fmt.Sprintf("ticket %s submitted and routed to %s (tx %s, block %d)", in.ID, t.Department, res.TxID, res.BlockNumber))
		tb.KV("category", t.Category)
		tb.KV("respond by", t.RespondBy)
		tb.KV("resolve by", t.ResolveBy)
		tb.KV("commitment", t.ReporterCommitment)
		if salt != nil {
			tb.KV("salt", out.Salt)
			tb.Line("Give the citizen the ticket id and the salt: SM3(salt || identifier) is the commitment, which")
			tb.Line("proves the appeal is theirs and opens " + ticketsAPI + "/" + in.ID + "/events?commitment=<commitment>.")
		}
	})
}

// ticketSigned performs a department's signed action.
func ticketSigned(c *cli.Context, action workorder.Action) error {
	id, err := oneArg(c, "TICKET id")
	if err != nil {
		return err
	}
	p, err := PrinterOf(c)
	if err != nil {
		return err
	}
	note, err := textHash(c, "note")
	if err != nil {
		return err
	}
	if action == workorder.ActTransfer && note == "" {
		return Usagef("transfer needs a reason: give --note TEXT or --note-file FILE")
	}
	k, err := loadPrivate(c, "key")
	if err != nil {
		return err
	}
	cl, err := NewClient(c)
	if err != nil {
		return err
	}
	keyID := gm.KeyID(&k.PublicKey)
	dept, err := signerDept(c, cl, keyID, c.String("key"), "")
	if err != nil {
		return err
	}
	t, err := fetchTicket(c, cl, id)
	if err != nil {
		return fmt.Errorf("reading ticket %s: %w", id, err)
	}
	a := ticketAction{TicketID: id, Action: string(action), Department: dept, NoteHash: note, Target: c.String("to"),
		PrevTxID: t.TxID, KeyID: keyID}
	if a.Signature, err = canon.Sign(k, canon.KindTicketAction, a); err != nil {
		return err
	}
	return postTicketAction(c, p, cl, a)
}

func postTicketAction(c *cli.Context, p output.Printer, cl *client.Client, a ticketAction) error {
	var res client.WriteResult[ticketOutput]
	if err := cl.Do(c.Context, http.MethodPost, ticketsAPI+"/"+url.PathEscape(a.TicketID)+"/"+a.Action, a, &res); err != nil {
		return err
	}
	t := res.Record.Ticket
	return p.Print(res, func(tb *output.Tab) {
		tb.Line(fmt.Sprintf("ticket %s: %s done, now %s at %s (tx %s, block %d)", t.ID, a.Action, t.State, t.Department, res.TxID, res.BlockNumber))
		for _, tr := range res.Record.Transitions {
			tb.KV("step "+strconv.Itoa(tr.Seq), string(tr.Action)+": "+transitionMove(tr))
		}
		for _, acc := range res.Record.Accountability {
			tb.KV("accountability", acc.ID+" "+strings.TrimSpace(string(acc.Cause)+" "+string(acc.Phase))+" ("+acc.Department+")")
		}
		if t.State == workorder.StateAssigned {
			tb.KV("respond by", t.RespondBy)
		}
		if t.State.Open() {
			tb.KV("resolve by", t.ResolveBy)
		}
	})
}

func ticketRate(c *cli.Context) error {
	id, err := oneArg(c, "TICKET id")
	if err != nil {
		return err
	}
	p, err := PrinterOf(c)
	if err != nil {
		return err
	}
	r := workorder.Rating(c.String("rating"))
	if !r.Valid() {
		return Usagef("--rating %q: want very_satisfied, satisfied, neutral or unsatisfied", r)
	}
	a := ticketAction{TicketID: id, Action: string(workorder.ActRate), Rating: string(r)}
	if cm := c.String("comment"); cm != "" {
		a.CommentHash = gm.SM3Hex([]byte(cm))
	}
	cl, err := NewClient(c)
	if err != nil {
		return err
	}
	t, err := fetchTicket(c, cl, id)
	if err != nil {
		return fmt.Errorf("reading ticket %s: %w", id, err)
	}
	a.PrevTxID = t.TxID
	return postTicketAction(c, p, cl, a)
}

func ticketReopen(c *cli.Context) error {
	if c.String("key") != "" {
		return ticketSigned(c, workorder.ActReopen)
	}
	id, err := oneArg(c, "TICKET id")
	if err != nil {
		return err
	}
	p, err := PrinterOf(c)
	if err != nil {
		return err
	}
	note, err := textHash(c, "note")
	if err != nil {
		return err
	}
	cl, err := NewClient(c)
	if err != nil {
		return err
	}
	t, err := fetchTicket(c, cl, id)
	if err != nil {
		return fmt.Errorf("reading ticket %s: %w", id, err)
	}
	return postTicketAction(c, p, cl, ticketAction{TicketID: id, Action: string(workorder.ActReopen), NoteHash: note, PrevTxID: t.TxID})
}

func ticketShow(c *cli.Context) error {
	return showOne(c, "TICKET id", fetchTicket, ticketRows)
}

func ticketRows(tb *output.Tab, t *workorder.Ticket) {
	tb.KV("ticket", t.ID)
	tb.KV("category", t.Category)
	tb.KV("channel", t.Channel)
	state := string(t.State)
	if t.Overdue {
		state += " (OVERDUE)"
	}
	tb.KV("state", state)
	tb.KV("department", t.Department)
	tb.KV("created", t.CreatedAt)
	if t.State.Open() {
		tb.KV("respond by", t.RespondBy)
		tb.KV("resolve by", t.ResolveBy)
	}
	tb.KV("accepted", t.AcceptedAt)
	tb.KV("resolved", t.ResolvedAt)
	if t.Rating != "" {
		tb.KV("rating", string(t.Rating)+" at "+t.RatedAt)
	}
	tb.KV("closed", t.ClosedAt)
	tb.KV("transfers/escalations/reopens", fmt.Sprintf("%d/%d/%d", t.Transfers, t.Escalations, t.Reopens))
	tb.KV("accountability records", strconv.Itoa(t.Accountability))
	tb.KV("content sm3", t.ContentHash)
	tb.KV("reporter commitment", t.ReporterCommitment)
	tb.KV("last tx", t.TxID)
}

// transitionMove is "from -> to" with the department when it changes hands.
func transitionMove(tr workorder.Transition) string {
	from := string(tr.From)
	if from == "" {
		from = "(new)"
	}
	s := from + " -> " + string(tr.To)
	if tr.Action == workorder.ActRoute || tr.Action == workorder.ActTransfer || tr.Action == workorder.ActEscalate {
		s += " at " + tr.AssignedTo
	}
	return s
}

// actorOf says who did a transition, for a person.
func actorOf(tr workorder.Transition) string {
	switch tr.Role {
	case workorder.RoleSystem:
		return "ledger"
	case workorder.RoleCitizen:
		return "citizen via " + tr.ActorMSP
	}
	who := tr.Department + " (" + string(tr.Role) + ")"
	if cn := commonName(tr.ActorID); cn != "" {
		who += " " + cn
	}
	return who
}

// commonName extracts CN=... from an X.509 subject string.
func commonName(subject string) string {
	for _, part := range strings.Split(subject, ",") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(part), "CN="); ok {
			return v
		}
	}
	return ""
}

func ticketTrace(c *cli.Context) error {
	id, err := oneArg(c, "TICKET id")
	if err != nil {
		return err
	}
	p, cl, err := session(c)
	if err != nil {
		return err
	}
	t, err := fetchTicket(c, cl, id)
	if err != nil {
		return err
	}
	var trace []workorder.Transition
	if err := cl.Do(c.Context, http.MethodGet, ticketsAPI+"/"+url.PathEscape(id)+"/trace", nil, &trace); err != nil {
		return err
	}
	type traced struct {
		Ticket *workorder.Ticket      `json:"ticket"`
		Trace  []workorder.Transition `json:"trace"`
	}
	return p.Print(traced{t, trace}, func(tb *output.Tab) {
		state := string(t.State)
		if t.Overdue {
			state += ", OVERDUE"
		}
		tb.Line(fmt.Sprintf("ticket %s (%s, via %s): %s at %s", t.ID, t.Category, t.Channel, state, t.Department))
		tb.Row("TIME (UTC)", "#", "WHAT", "WHO", "DETAIL")
		for _, tr := range trace {
			detail := []string{transitionMove(tr)}
			switch tr.Action {
			case workorder.ActRoute, workorder.ActTransfer, workorder.ActEscalate:
				detail = append(detail, "respond by "+tr.RespondBy, "resolve by "+tr.ResolveBy)
			case workorder.ActReopen:
				detail = append(detail, "resolve by "+tr.ResolveBy)
			case workorder.ActRate:
				detail = append(detail, "rating "+string(tr.Rating))
			case workorder.ActOverdue:
				detail = []string{"deadline missed"}
			}
			if len(tr.Accountability) > 0 {
				detail = append(detail, "accountability "+strings.Join(tr.Accountability, ","))
			}
			if tr.NoteHash != "" {
				detail = append(detail, "note sm3 "+tr.NoteHash[:12]+"…")
			}
			if tr.KeyID != "" {
				detail = append(detail, "signed by key "+tr.KeyID[:12]+"…")
			}
			tb.Row(strings.Replace(strings.TrimSuffix(tr.Time, "Z"), "T", " ", 1), strconv.Itoa(tr.Seq), string(tr.Action), actorOf(tr), strings.Join(detail, "; "))
		}
	})
}

func ticketList(c *cli.Context) error {
	p, err := PrinterOf(c)
	if err != nil {
		return err
	}
	dept, state := c.String("dept"), c.String("state")
	if state != "" && !workorder.State(state).Valid() {
		return Usagef("--state %q: want submitted, assigned, accepted, in_progress, resolved, rated or closed", state)
	}
	var path string
	switch {
	case c.Bool("overdue"):
		if state != "" {
			return Usagef("--overdue lists open tickets; drop --state")
		}
		path = query("/api/v1/audit/overdue", "department", dept)
	case dept == "":
		return Usagef("give --dept (or --overdue as an auditor)")
	default:
		path = query(ticketsAPI, "department", dept, "state", state)
	}
	cl, err := NewClient(c)
	if err != nil {
		return err
	}
	list, next, err := listPages[workorder.Ticket](c.Context, c, cl, path)
	if err != nil {
		return err
	}
	if err := p.Print(list, func(tb *output.Tab) {
		tb.Row("TICKET", "CATEGORY", "STATE", "DEPARTMENT", "RESPOND BY", "RESOLVE BY", "OVERDUE")
		for _, t := range list {
			over := ""
			if t.Overdue {
				over = "yes"
			}
			tb.Row(t.ID, t.Category, string(t.State), t.Department, t.RespondBy, t.ResolveBy, over)
		}
	}); err != nil {
		return err
	}
	moreHint(c, next)
	return nil
}
