package workorder

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/certledger/certledger/chaincode/contract/registry"
	"github.com/certledger/certledger/chaincode/internal/state"
	"github.com/certledger/certledger/internal/codes"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/certledger/certledger/internal/domain/workorder"
)

// World state. The work-order records use simple keys (not composite keys) because
// time-ordered indexes need true range queries, which Fabric allows only on simple
// keys. Key parts are ids (no "/", see wire.ValidID) and fixed-width UTC times,
// so keys sort by (department, time, ticket). All keys start with "wo/".
//
//	wo/cfg/calendar | wo/cfg/sla | wo/cfg/intake | wo/cfg/policy  configuration
//	wo/cfg/cal/<version %08d> | wo/cfg/year/<year>           calendar versions, loaded schedules (config.go)
//	wo/t/<ticket>                                          Ticket
//	wo/tr/<ticket>/<seq %08d>                              Transition (trace = one range)
//	wo/acc/<dept>/<at>/<ticket>/<n %06d>                   Accountability (append-only)
//	wo/ds/<dept>/<state>/<ticket>                          index: tickets by department and state
//	wo/od/<dept>/<ticket>                                  index: open overdue tickets
//	wo/due/<deadline>/<ticket>/<phase>                     index: running deadlines (sweep)
//	wo/kr/<dept>/<assignedAt>/<ticket>/<episode %04d>      KPI: "assignedAt|respondBy|respondedAt|handedOverAt"
//	wo/ks/<dept>/<resolveBy>/<ticket>/<ep %04d>/<round %04d> KPI: "resolveBy|resolvedAt|handedOverAt|pausedAt"
//	wo/kt/<dept>/<ratedAt>/<ticket>/<ep %04d>/<n %04d>     KPI: "ratedAt|rating"
//	wo/esc/<dept>/<at>/<ticket>/<ep %04d>                  index: escalations away from dept, "to" department (escalations.go)
//
// KPI values are "|"-separated rather than JSON: a KPI over 100,000 tickets decodes
// ~300,000 of them, and splitting a string is ~20 times cheaper than encoding/json.
// The index entries of a ticket are a function of the ticket (indexEntries); each write
// deletes the entries that disappeared and puts the new or changed ones, in a fixed order.
const (
	keyCalendar = "wo/cfg/calendar"
	keySLA      = "wo/cfg/sla"
	keyIntake   = "wo/cfg/intake"

	pTicket = "wo/t/"
	pTrace  = "wo/tr/"
	pAcc    = "wo/acc/"
	pByDept = "wo/ds/"
	pOver   = "wo/od/"
	pDue    = "wo/due/"
	pResp   = "wo/kr/"
	pRes    = "wo/ks/"
	pRate   = "wo/kt/"
	pEsc    = "wo/esc/"
)

// rangeEnd is the exclusive end of the range of every key starting with prefix.
func rangeEnd(prefix string) string { return prefix + string(utf8.MaxRune) }

var indexValue = []byte{0}

func ticketKey(id string) string { return pTicket + id }

func traceKey(id string, seq int) string { return fmt.Sprintf("%s%s/%08d", pTrace, id, seq) }

func accKey(a workorder.Accountability) string {
	n := strings.TrimPrefix(a.ID, a.TicketID+"#")
	var i int
	_, _ = fmt.Sscanf(n, "%d", &i) // a malformed suffix keys as 0, as it always has
	return fmt.Sprintf("%s%s/%s/%s/%06d", pAcc, a.Department, a.At, a.TicketID, i)
}

func sortedUnique(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}

func loadConfig(ctx state.Context) (workorder.Calendar, workorder.SLA, error) {
	cal, sla := workorder.DefaultCalendar(), workorder.DefaultSLA()
	if _, err := state.GetJSON(ctx, keyCalendar, &cal); err != nil {
		return cal, sla, err
	}
	if _, err := state.GetJSON(ctx, keySLA, &sla); err != nil {
		return cal, sla, err
	}
	return cal, sla, nil
}

// intakeMSPs returns the intake channel's MSPs: SetIntake's list, else the governance MSP.
func intakeMSPs(ctx state.Context) ([]string, error) {
	var in Intake
	found, err := state.GetJSON(ctx, keyIntake, &in)
	if err != nil {
		return nil, err
	}
	if found {
		return in.MSPIDs, nil
	}
	gov, err := registry.GovernanceMSP(ctx)
	if err != nil {
		return nil, err
	}
	return []string{gov}, nil
}

func loadTicket(ctx state.Context, id string) (workorder.Ticket, error) {
	var t workorder.Ticket
	if !wire.ValidID(id) {
		return t, codes.New(codes.InvalidArgument, "ticket id %q", id)
	}
	found, err := state.GetJSON(ctx, ticketKey(id), &t)
	if err != nil {
		return t, err
	}
	if !found {
		return t, codes.New(codes.NotFound, "ticket %s", id)
	}
	return t, nil
}

type kv struct {
	key   string
	value []byte
}

func joinValue(parts ...string) []byte { return []byte(strings.Join(parts, "|")) }

func splitValue(what string, v []byte, n int) ([]string, error) {
	parts := strings.Split(string(v), "|")
	if len(parts) != n {
		return nil, codes.New(codes.Internal, "stored %s %q has %d fields, want %d", what, v, len(parts), n)
	}
	return parts, nil
}

func decodeResponse(dept string, v []byte) (workorder.ResponseFact, error) {
	p, err := splitValue("response fact", v, 4)
	if err != nil {
		return workorder.ResponseFact{}, err
	}
	return workorder.ResponseFact{Department: dept, AssignedAt: p[0], RespondBy: p[1], RespondedAt: p[2], HandedOverAt: p[3]}, nil
}

func decodeResolution(dept string, v []byte) (workorder.ResolutionFact, error) {
	p, err := splitValue("resolution fact", v, 4)
	if err != nil {
		if p3, err3 := splitValue("resolution fact", v, 3); err3 == nil {
			p = append(p3, "") // written before pauses existed
		} else {
			return workorder.ResolutionFact{}, err
		}
	}
	return workorder.ResolutionFact{Department: dept, ResolveBy: p[0], ResolvedAt: p[1], HandedOverAt: p[2], PausedAt: p[3]}, nil
}

func decodeRating(dept string, v []byte) (workorder.RatingFact, error) {
	p, err := splitValue("rating fact", v, 2)
	if err != nil {
		return workorder.RatingFact{}, err
	}
	return workorder.RatingFact{Department: dept, At: p[0], Rating: workorder.Rating(p[1])}, nil
}

// indexEntries lists every index entry of ticket t, in a fixed order.
func indexEntries(t *workorder.Ticket) ([]kv, error) {
	if t == nil {
		return nil, nil
	}
	out := []kv{{fmt.Sprintf("%s%s/%s/%s", pByDept, t.Department, t.State, t.ID), indexValue}}
	if t.Overdue && t.State.Open() {
		out = append(out, kv{fmt.Sprintf("%s%s/%s", pOver, t.Department, t.ID), indexValue})
	}
	for _, d := range t.Dues() {
		out = append(out, kv{fmt.Sprintf("%s%s/%s/%s", pDue, d.At, t.ID, d.Phase), indexValue})
	}
	resp, res, rat := t.Facts()
	for _, f := range resp {
		out = append(out, kv{fmt.Sprintf("%s%s/%s/%s/%04d", pResp, f.Department, f.AssignedAt, f.TicketID, f.Episode),
			joinValue(f.AssignedAt, f.RespondBy, f.RespondedAt, f.HandedOverAt)})
	}
	for _, f := range res {
		out = append(out, kv{fmt.Sprintf("%s%s/%s/%s/%04d/%04d", pRes, f.Department, f.ResolveBy, f.TicketID, f.Episode, f.Round),
			joinValue(f.ResolveBy, f.ResolvedAt, f.HandedOverAt, f.PausedAt)})
	}
	for _, f := range rat {
		out = append(out, kv{fmt.Sprintf("%s%s/%s/%s/%04d/%04d", pRate, f.Department, f.At, f.TicketID, f.Episode, f.N),
			joinValue(f.At, string(f.Rating))})
	}
	return append(out, escalationEntries(t)...), nil
}

// StoreNew writes a ticket that is new on the ledger with its transitions,
// accountability records and index entries, exactly as Submit and the actions
// persist them. The bench chaincode (loadtest/benchcc) preloads synthetic
// tickets with it; the contract's own transactions go through persist.
func StoreNew(ctx state.Context, res workorder.Result) error { return persist(ctx, nil, res) }

// persist writes the result of a transition on old (nil for a new ticket): the ticket,
// its new transition and accountability records, and the index changes.
func persist(ctx state.Context, old *workorder.Ticket, res workorder.Result) error {
	stub := ctx.GetStub()
	if err := state.PutJSON(ctx, ticketKey(res.Ticket.ID), res.Ticket); err != nil {
		return err
	}
	for _, tr := range res.Transitions {
		if err := state.PutJSON(ctx, traceKey(tr.TicketID, tr.Seq), tr); err != nil {
			return err
		}
	}
	for _, a := range res.Accountability {
		if err := state.PutJSON(ctx, accKey(a), a); err != nil {
			return err
		}
	}
	before, err := indexEntries(old)
	if err != nil {
		return err
	}
	after, err := indexEntries(&res.Ticket)
	if err != nil {
		return err
	}
	// Maps are used for lookups only; writes follow the slices' order.
	kept := make(map[string]bool, len(after))
	for _, e := range after {
		kept[e.key] = true
	}
	prev := make(map[string][]byte, len(before))
	for _, e := range before {
		prev[e.key] = e.value
		if !kept[e.key] {
			if err := stub.DelState(e.key); err != nil {
				return codes.New(codes.Internal, "deleting index: %v", err)
			}
		}
	}
	for _, e := range after {
		if v, ok := prev[e.key]; ok && string(v) == string(e.value) {
			continue
		}
		if err := stub.PutState(e.key, e.value); err != nil {
			return codes.New(codes.Internal, "writing index: %v", err)
		}
	}
	return nil
}

// scanChunk bounds the entries read through one range query: a Fabric peer stops a
// non-paginated query silently at state.state.totalQueryLimit (100,000 by default),
// so long scans restart after the last key seen.
const scanChunk = 50000

// scanAll calls fn for every entry with start <= key < end, in key order.
func scanAll(ctx state.Context, start, end string, fn func(key string, value []byte) error) error {
	stub := ctx.GetStub()
	for {
		it, err := stub.GetStateByRange(start, end)
		if err != nil {
			return codes.New(codes.Internal, "range scan: %v", err)
		}
		n, last := 0, ""
		for it.HasNext() && n < scanChunk {
			e, err := it.Next()
			if err != nil {
				_ = it.Close() // read-only iterator; the scan error is returned
				return codes.New(codes.Internal, "range scan: %v", err)
			}
			if err := fn(e.Key, e.Value); err != nil {
				_ = it.Close() // read-only iterator; fn's error is returned
				return err
			}
			n, last = n+1, e.Key
		}
		_ = it.Close() // read-only iterator; nothing to flush
		if n < scanChunk {
			return nil
		}
		start = last + "\x00"
	}
}

// Page sizes of the list functions.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

// Page is one page of a list; Bookmark is "" on the last page, else what to pass to get
// the next one (same shape as the exchange contract's pages).
type Page[T any] struct {
	Records  []T    `json:"records"`
	Count    int    `json:"count"`
	Bookmark string `json:"bookmark"`
}

func parsePageSize(s string) (int, error) {
	if s == "" || s == "0" {
		return DefaultPageSize, nil
	}
	var n int
	if _, err := fmt.Sscanf(s, "%d", &n); err != nil || fmt.Sprint(n) != s || n < 1 || n > MaxPageSize {
		return 0, codes.New(codes.InvalidArgument, "pageSize %q must be an integer from 1 to %d", s, MaxPageSize)
	}
	return n, nil
}

// page reads up to size entries of [start, end) after the bookmark (an opaque encoding
// of the last key returned) and returns the next bookmark.
func page(ctx state.Context, start, end string, size int, bookmark string, fn func(key string, value []byte) error) (string, error) {
	if bookmark != "" {
		b, err := base64.RawURLEncoding.DecodeString(bookmark)
		if err != nil || string(b) < start || string(b) >= end {
			return "", codes.New(codes.InvalidArgument, "bookmark %q is not one this list returned", bookmark)
		}
		start = string(b) + "\x00"
	}
	it, err := ctx.GetStub().GetStateByRange(start, end)
	if err != nil {
		return "", codes.New(codes.Internal, "range scan: %v", err)
	}
	defer func() { _ = it.Close() }() // read-only iterator; nothing to flush
	n, last := 0, ""
	for it.HasNext() {
		if n == size {
			return base64.RawURLEncoding.EncodeToString([]byte(last)), nil
		}
		e, err := it.Next()
		if err != nil {
			return "", codes.New(codes.Internal, "range scan: %v", err)
		}
		if err := fn(e.Key, e.Value); err != nil {
			return "", err
		}
		n, last = n+1, e.Key
	}
	return "", nil
}

// lastPart returns the key part after the final "/" (or before it with skip > 0).
func keyPart(key string, fromEnd int) string {
	parts := strings.Split(key, "/")
	if fromEnd >= len(parts) {
		return ""
	}
	return parts[len(parts)-1-fromEnd]
}

func decode(what string, b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return codes.New(codes.Internal, "decoding stored %s: %v", what, err)
	}
	return nil
}
