package command

import (
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/certledger/certledger/cli/internal/client"
	"github.com/certledger/certledger/cli/internal/issue"
	"github.com/certledger/certledger/cli/internal/output"
	"github.com/certledger/certledger/cli/internal/qr"
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
		return append(append(extra,
			keyFlag("your department's private key `FILE` (PKCS#8 PEM)"), passwordFlag(), actingDeptFlag()),
			noteFlags()...)
	}
	action := func(name, usage string, flags ...cli.Flag) *cli.Command {
		return &cli.Command{Name: name, Usage: usage, ArgsUsage: "TICKET", Flags: signing(flags...),
			Action: func(c *cli.Context) error { return ticketSigned(c, workorder.Action(name)) }}
	}
	target := func(usage string) cli.Flag {
		return &cli.StringFlag{Name: "to", Usage: usage, Required: true}
	}
	commands := []*cli.Command{
		ticketSubmitCommand(),
		action("accept", "accept a ticket assigned to your department (within the respond-by)"),
		action("start", "start work on an accepted ticket"),
		action("transfer", "pass a ticket to the department that should handle it (--note / --note-file: the reason, required; past the transfer limit it goes to the governance office)", target("receiving department `ID`")),
		action("return", "hand a ticket that is not your department's business back to the intake channel (--note / --note-file: the reason, required)"),
		action("suspend", "stop the resolve clock while you wait for the citizen, 挂起 (--note / --note-file: what you wait for, required)"),
		action("resolve", "answer a ticket (--note / --note-file: the answer; only its SM3 is recorded)"),
		action("escalate", "as the supervising department, reassign a ticket to yourself or another department (--note / --note-file: the reason, required)", target("department `ID` to take it over")),
		action("close", "close a rated ticket (the supervising department may also close an unrated or unsatisfied one)"),
	}
	commands = append(commands, ticketIntakeCommands()...)
	commands = append(commands,
		&cli.Command{Name: "show", Usage: "show a ticket", ArgsUsage: "TICKET", Action: ticketShow},
		&cli.Command{Name: "trace", Usage: "print a ticket's whole history: time, action, who (department, role, the submitter's certificate name), detail, tx id", ArgsUsage: "TICKET", Action: ticketTrace},
		ticketListCommand(),
		ticketPolicyCommand(),
	)
	return &cli.Command{
		Name:  "ticket",
		Usage: "citizen appeals: submit, accept, start, transfer, return, route, suspend, resume, resolve, rate, reopen, escalate, close, show, trace, list, policy",
		Description: "Department actions are signed with your department's key (--key) and need a clerk or admin token of\n" +
			"that department (--token). The intake channel's actions (submit, rate, route, and resume / reopen without\n" +
			"--key) need a token of the intake organisation (the governance office unless configured otherwise).\n" +
			"Times are shown in the deployment's time zone (--timezone, default Asia/Shanghai).",
		Subcommands: commands,
	}
}

// ticketSubmitCommand is "certledger ticket submit" (the intake channel).
func ticketSubmitCommand() *cli.Command {
	return &cli.Command{
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
			&cli.StringSliceFlag{Name: "ref", Usage: "a certificate or exchange the appeal is about: certificate:`ID` or exchange:ID (repeat; lineage)"},
			&cli.StringFlag{Name: "qr", Usage: "write the QR code of the citizen's progress link to `FILE` (PNG; with --reporter)"},
		},
		Action: ticketSubmit,
	}
}

// ticketIntakeCommands are the intake channel's commands on a submitted ticket:
// resume and reopen (also a department's, with --key), route and rate.
func ticketIntakeCommands() []*cli.Command {
	intakeOrKey := func(who string) []cli.Flag {
		return append([]cli.Flag{
			&cli.StringFlag{Name: "key", Usage: who + "'s private key `FILE` (omit for the intake channel)", EnvVars: []string{"CERTLEDGER_KEY"}},
			passwordFlag(), actingDeptFlag(),
		}, noteFlags()...)
	}
	return []*cli.Command{
		{
			Name:      "resume",
			Usage:     "restart the clock of a suspended ticket: as the intake channel when the citizen answered (no key), or the assigned department (--key)",
			ArgsUsage: "TICKET",
			Flags:     intakeOrKey("the assigned department"),
			Action:    func(c *cli.Context) error { return ticketIntakeOrSigned(c, workorder.ActResume) },
		},
		{
			Name:      "route",
			Usage:     "route a ticket returned to the intake channel to a department (intake channel)",
			ArgsUsage: "TICKET",
			Flags: append([]cli.Flag{&cli.StringFlag{Name: "to", Usage: "receiving department `ID`", Required: true}},
				noteFlags()...),
			Action: func(c *cli.Context) error { return ticketIntakeOrSigned(c, workorder.ActRoute) },
		},
		{
			Name:      "rate",
			Usage:     "relay the citizen's rating of a resolved ticket (intake channel)",
			ArgsUsage: "TICKET",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "rating", Usage: "`RATING`: 非常满意 (very_satisfied), 满意 (satisfied), 一般 (neutral) or 不满意 (unsatisfied)", Required: true},
				&cli.StringFlag{Name: "comment", Usage: "the citizen's comment `TEXT` (only its SM3 is recorded)"},
			},
			Action: ticketRate,
		},
		{
			Name:      "reopen",
			Usage:     "reopen a ticket rated unsatisfied: as the intake channel (no key) or the supervising department (--key)",
			ArgsUsage: "TICKET",
			Flags:     intakeOrKey("the supervising department"),
			Action:    func(c *cli.Context) error { return ticketIntakeOrSigned(c, workorder.ActReopen) },
		},
	}
}

// noteFlags are --note and --note-file of ticket actions (read by textHash).
func noteFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "note", Usage: "note `TEXT` (only its SM3 is recorded)"},
		&cli.StringFlag{Name: "note-file", Usage: "note `FILE` (only its SM3 is recorded)"},
	}
}

// actingDeptFlag is --dept of a signed ticket action.
func actingDeptFlag() cli.Flag {
	return &cli.StringFlag{Name: "dept", Usage: "acting department `ID` (default: the department that holds the key)"}
}

// ticketListCommand is "certledger ticket list".
func ticketListCommand() *cli.Command {
	return &cli.Command{
		Name:  "list",
		Usage: "list a department's tickets, optionally in one state (--overdue: open tickets currently past a deadline)",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "dept", Usage: "department `ID` (required unless --overdue by an auditor)"},
			&cli.StringFlag{Name: "state", Usage: "`STATE`: submitted, assigned, accepted, in_progress, suspended, resolved, rated, closed"},
			&cli.BoolFlag{Name: "overdue", Usage: "only open tickets currently past a deadline"},
		}, pageFlags()...),
		Action: ticketList,
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
	if refs := c.StringSlice("ref"); len(refs) > 0 {
		in.Refs = slices.Compact(slices.Sorted(slices.Values(refs)))
	}
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
		if c.String("qr") != "" {
			return Usagef("--qr needs --reporter: the progress link carries the salt made here")
		}
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
		Salt     string `json:"salt,omitempty"`
		Progress string `json:"progressUrl,omitempty"`
	}
	out := submitted{WriteResult: res}
	if salt != nil {
		out.Salt = hex.EncodeToString(salt)
		if out.Progress, err = qr.ProgressURL(verifyBase(c), in.ID, out.Salt); err != nil {
			return err
		}
		if f := c.String("qr"); f != "" {
			if err := qr.WritePNG(f, out.Progress); err != nil {
				return err
			}
		}
	}
	t := res.Record.Ticket
	return p.Print(out, func(tb *output.Tab) {
		tb.Line(fmt.Sprintf("ticket %s submitted and routed to %s (tx %s, block %d)", in.ID, t.Department, res.TxID, res.BlockNumber))
		tb.KV("category", t.Category)
		tb.KV("respond by", humanTime(c, t.RespondBy))
		tb.KV("resolve by", humanTime(c, t.ResolveBy))
		tb.KV("commitment", t.ReporterCommitment)
		if salt != nil {
			tb.KV("salt", out.Salt)
			tb.Line("Give the citizen the ticket id and the salt: SM3(salt || identifier) is the commitment, which")
			tb.Line("proves the appeal is theirs and opens " + ticketsAPI + "/" + in.ID + "/events?commitment=<commitment>.")
			tb.KV("progress page", out.Progress)
			tb.Line("The link (and its QR code, --qr) carries the ticket id and the salt, not the identifier: the page asks")
			tb.Line("the citizen for it and computes the commitment in the browser.")
		}
	})
}

// needsNote lists the actions that carry a reason.
func needsNote(a workorder.Action) bool {
	switch a {
	case workorder.ActTransfer, workorder.ActEscalate, workorder.ActReturn, workorder.ActSuspend:
		return true
	}
	return false
}

// ticketNoted reads what a ticket action with a note starts from: the TICKET
// argument, the printer of --output, and the SM3 of --note / --note-file.
func ticketNoted(c *cli.Context) (id string, p output.Printer, note string, err error) {
	if id, p, err = argCommand(c, "TICKET id"); err != nil {
		return "", p, "", err
	}
	if note, err = textHash(c, "note"); err != nil {
		return "", p, "", err
	}
	return id, p, note, nil
}

// ticketSigned performs a department's signed action.
func ticketSigned(c *cli.Context, action workorder.Action) error {
	id, p, note, err := ticketNoted(c)
	if err != nil {
		return err
	}
	if needsNote(action) && note == "" {
		return Usagef("%s needs a reason: give --note TEXT or --note-file FILE", action)
	}
	cl, kh, err := signingClient(c, "")
	if err != nil {
		return err
	}
	a := ticketAction{SignedAction: workorder.SignedAction{TicketID: id, Action: string(action), Department: kh.Dept, NoteHash: note, Target: c.String("to"), KeyID: kh.KeyID}}
	return postTicketAction(c, p, cl, a, func(a *ticketAction) (err error) {
		if a.Operator, err = operatorOf(c, cl); err != nil {
			return err
		}
		a.Signature, err = canon.Sign(kh.Key, canon.KindTicketAction, *a)
		return err
	})
}

// postTicketAction chains action a to the ticket's last transaction, signs it
// when sign is given, posts it and prints the answer.
func postTicketAction(c *cli.Context, p output.Printer, cl *client.Client, a ticketAction, sign func(*ticketAction) error) error {
	cur, err := fetchTicket(c, cl, a.TicketID)
	if err != nil {
		return fmt.Errorf("reading ticket %s: %w", a.TicketID, err)
	}
	a.PrevTxID = cur.TxID
	if sign != nil {
		if err := sign(&a); err != nil {
			return err
		}
	}
	var res client.WriteResult[ticketOutput]
	if err := cl.Do(c.Context, http.MethodPost, ticketsAPI+"/"+url.PathEscape(a.TicketID)+"/"+a.Action, a, &res); err != nil {
		return err
	}
	t := res.Record.Ticket
	return p.Print(res, func(tb *output.Tab) {
		tb.Line(fmt.Sprintf("ticket %s: %s done, now %s at %s (tx %s, block %d)", t.ID, a.Action, t.State, t.Department, res.TxID, res.BlockNumber))
		for _, tr := range res.Record.Transitions {
			tb.KV("step "+strconv.Itoa(tr.Seq), string(tr.Action)+": "+strings.Join(transitionDetail(c, tr), "; "))
		}
		for _, acc := range res.Record.Accountability {
			tb.KV("accountability", acc.ID+" "+strings.TrimSpace(string(acc.Cause)+" "+string(acc.Phase))+" ("+acc.Department+")")
		}
		if t.State == workorder.StateAssigned {
			tb.KV("respond by", humanTime(c, t.RespondBy))
		}
		if t.State.Open() {
			tb.KV("resolve by", humanTime(c, t.ResolveBy))
		}
		if t.RateBy != "" {
			tb.KV("closed unrated after", humanTime(c, t.RateBy))
		}
	})
}

func ticketRate(c *cli.Context) error {
	id, p, err := argCommand(c, "TICKET id")
	if err != nil {
		return err
	}
	r, ok := workorder.ParseRating(c.String("rating"))
	if !ok {
		return Usagef("--rating %q: want 非常满意 (very_satisfied), 满意 (satisfied), 一般 (neutral) or 不满意 (unsatisfied)", c.String("rating"))
	}
	a := ticketAction{SignedAction: workorder.SignedAction{TicketID: id, Action: string(workorder.ActRate)}, Rating: string(r)}
	if cm := c.String("comment"); cm != "" {
		a.CommentHash = gm.SM3Hex([]byte(cm))
	}
	cl, err := NewClient(c)
	if err != nil {
		return err
	}
	return postTicketAction(c, p, cl, a, nil)
}

// ticketIntakeOrSigned performs reopen, resume or route: signed by a department
// when --key is given (reopen, resume), else as the intake channel, unsigned.
func ticketIntakeOrSigned(c *cli.Context, action workorder.Action) error {
	if c.String("key") != "" {
		return ticketSigned(c, action)
	}
	id, p, note, err := ticketNoted(c)
	if err != nil {
		return err
	}
	cl, err := NewClient(c)
	if err != nil {
		return err
	}
	return postTicketAction(c, p, cl, ticketAction{SignedAction: workorder.SignedAction{TicketID: id, Action: string(action), NoteHash: note, Target: c.String("to")}}, nil)
}

func ticketShow(c *cli.Context) error {
	return showOne(c, "TICKET id", fetchTicket, func(tb *output.Tab, t *workorder.Ticket) { ticketRows(c, tb, t) })
}

func ticketRows(c *cli.Context, tb *output.Tab, t *workorder.Ticket) {
	h := func(s string) string { return humanTime(c, s) }
	tb.KV("ticket", t.ID)
	tb.KV("category", t.Category)
	tb.KV("channel", t.Channel)
	state := string(t.State)
	if t.Overdue {
		state += " (OVERDUE)"
	}
	tb.KV("state", state)
	tb.KV("department", t.Department)
	tb.KV("times in", zoneHeader(c, "local time"))
	tb.KV("created", h(t.CreatedAt))
	if t.State.Open() {
		tb.KV("respond by", h(t.RespondBy))
		tb.KV("resolve by", h(t.ResolveBy))
	}
	tb.KV("accepted", h(t.AcceptedAt))
	tb.KV("resolved", h(t.ResolvedAt))
	if t.RateBy != "" {
		tb.KV("closed unrated after", h(t.RateBy))
	}
	if t.Rating != "" {
		tb.KV("rating", t.Rating.Label()+" ("+string(t.Rating)+") at "+h(t.RatedAt))
	}
	closed := h(t.ClosedAt)
	if t.AutoClosed {
		closed += " (closed by the sweep, unrated)"
	}
	tb.KV("closed", closed)
	tb.KV("calendar version", strconv.Itoa(t.CalendarVersion))
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

// actorOf says who did a transition, for a person: the department and its role, and
// the identity that submitted the transaction (the common name of its certificate,
// as the chaincode saw it; with per-caller Fabric identities this is the person).
// The ledger's own steps name whose transaction triggered them.
func actorOf(tr workorder.Transition) string {
	who := ""
	switch tr.Role {
	case workorder.RoleSystem:
		who = "ledger"
		if tr.ActorMSP != "" {
			who += ", in a tx of " + tr.ActorMSP
		}
	case workorder.RoleCitizen:
		who = "citizen via " + tr.ActorMSP
	default:
		who = tr.Department + " (" + string(tr.Role) + ")"
	}
	if cn := commonName(tr.ActorID); cn != "" {
		who += " " + cn
	}
	return who
}

// commonName returns the operator id of a transition: actorId is the operator id
// itself (the certificate's common name) since the chaincode records one; records
// written before hold the whole X.509 subject, whose CN=... it extracts.
func commonName(actorID string) string {
	if !strings.Contains(actorID, "CN=") {
		return actorID
	}
	for _, part := range strings.Split(actorID, ",") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(part), "CN="); ok {
			return v
		}
	}
	return ""
}

var phaseWords = map[workorder.Phase]string{
	workorder.PhaseRespond: "respond-by",
	workorder.PhaseResolve: "resolve-by",
	workorder.PhaseRate:    "rate-by",
}

// transitionDetail says what a transition did, times in the deployment's zone.
func transitionDetail(c *cli.Context, tr workorder.Transition) []string {
	h := func(s string) string { return humanTime(c, s) }
	detail := []string{transitionMove(tr)}
	var missed []string
	for _, m := range tr.Missed {
		missed = append(missed, "missed "+phaseWords[m.Phase]+" "+h(m.At))
	}
	switch tr.Action {
	case workorder.ActRoute, workorder.ActTransfer, workorder.ActEscalate:
		if tr.Requested != "" {
			detail = append(detail, "asked for "+tr.Requested+": past the transfer limit, to the governance office")
		}
		if tr.Role == workorder.RoleSystem && tr.Action == workorder.ActEscalate {
			detail = append([]string{"escalated automatically"}, append(detail, missed...)...)
		}
		detail = append(detail, "respond by "+h(tr.RespondBy), "resolve by "+h(tr.ResolveBy))
	case workorder.ActReopen:
		detail = append(detail, "resolve by "+h(tr.ResolveBy))
	case workorder.ActRate:
		detail = append(detail, "rating "+tr.Rating.Label()+" ("+string(tr.Rating)+")")
	case workorder.ActOverdue:
		detail = missed
		if len(detail) == 0 {
			detail = []string{"deadline missed"}
		}
	case workorder.ActClose:
		if tr.Role == workorder.RoleSystem {
			detail = append(detail, "closed unrated")
			detail = append(detail, missed...)
		}
	case workorder.ActSuspend:
		detail = append(detail, "resolve clock stopped")
	case workorder.ActResume:
		if tr.Pause != nil {
			detail = append(detail, "paused "+h(tr.Pause.From)+" .. "+h(tr.Pause.To)+", resolve-by moved by "+tr.Pause.Added+" of working time")
		}
		detail = append(detail, "resolve by "+h(tr.ResolveBy))
	case workorder.ActReturn:
		detail = append(detail, "returned to the intake channel")
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
	return detail
}

func ticketTrace(c *cli.Context) error {
	id, err := oneArg(c, "TICKET id")
	if err != nil {
		return err
	}
	if _, err := zoneOf(c); err != nil {
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
		tb.Row(zoneHeader(c, "TIME"), "#", "WHAT", "WHO", "DETAIL", "TX")
		for _, tr := range trace {
			tb.Row(humanTime(c, tr.Time), strconv.Itoa(tr.Seq), string(tr.Action), actorOf(tr), strings.Join(transitionDetail(c, tr), "; "), tr.TxID)
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
		return Usagef("--state %q: want submitted, assigned, accepted, in_progress, suspended, resolved, rated or closed", state)
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
	return printPages(c, p, path, func(tb *output.Tab, list []workorder.Ticket) {
		tb.Row("TICKET", "CATEGORY", "STATE", "DEPARTMENT", zoneHeader(c, "RESPOND BY"), "RESOLVE BY", "OVERDUE")
		for _, t := range list {
			over := ""
			if t.Overdue {
				over = "yes"
			}
			tb.Row(t.ID, t.Category, string(t.State), t.Department, humanTime(c, t.RespondBy), humanTime(c, t.ResolveBy), over)
		}
	})
}
