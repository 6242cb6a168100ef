package command

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/certledger/certledger/cli/internal/output"
	"github.com/certledger/certledger/internal/domain/exchange"
	"github.com/certledger/certledger/internal/domain/wire"
	"github.com/urfave/cli/v2"
)

// auditExchangesCommand is "certledger audit exchanges": one department's
// exchanges in a period, from the ledger (both directions, with their status and
// acknowledgement delay), its grants, and — from the gateway's JSON access log —
// the attempts the gateway or the chaincode refused, which the ledger never
// records.
func auditExchangesCommand() *cli.Command {
	return &cli.Command{
		Name:      "exchanges",
		Usage:     "a department's data exchanges in a period, with refused attempts (auditor token, or the department's own)",
		ArgsUsage: " ",
		Description: "certledger audit exchanges --dept D --from 2026-11-01 --to 2026-11-30 [--access-log gateway.log]\n" +
			"Ledger: every exchange D sent or received from --from through --to (dates are inclusive days), their status and acknowledgement delays, D's grants.\n" +
			"Refused attempts (writes answered 4xx: out of scope, expired or revoked grant, wrong consumer, bad signature,\n" +
			"double acknowledgement...) come from the gateway's JSON access log files given with --access-log.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "dept", Usage: "department `ID`", Required: true},
			&cli.StringFlag{Name: "from", Usage: "period start `DATE` (YYYY-MM-DD or RFC 3339)", Required: true},
			&cli.StringFlag{Name: "to", Usage: "period end `DATE` (YYYY-MM-DD = through that day)", Required: true},
			&cli.StringSliceFlag{Name: "access-log", Usage: "gateway access log `FILE` (JSON lines; repeat)"},
		},
		Action: auditExchanges,
	}
}

// ExchangeAuditReport is what audit exchanges prints.
type ExchangeAuditReport struct {
	Department string               `json:"department"`
	From       string               `json:"from"`
	To         string               `json:"to"`
	Summary    ExchangeAuditSummary `json:"summary"`
	Sent       []exchange.Exchange  `json:"sent"`
	Received   []exchange.Exchange  `json:"received"`
	Grants     []exGrantView        `json:"grants"`
	// NoDeletion lists the grants to the department that have ended (revoked or
	// expired) without its signed deletion attestation.
	NoDeletion []exGrantView          `json:"endedWithoutDeletion"`
	Refused    []RefusedExchangeWrite `json:"refused"`
	// RefusedSource says where refusals were read ("" = no access log given).
	RefusedSource []string `json:"refusedSource"`
}

// ExchangeAuditSummary counts the period's exchanges.
type ExchangeAuditSummary struct {
	Sent             int            `json:"sent"`
	Received         int            `json:"received"`
	Acknowledged     int            `json:"acknowledged"`
	Rejected         int            `json:"rejected"`
	Pending          int            `json:"pending"`
	MedianAckSeconds float64        `json:"medianAckSeconds"`
	MaxAckSeconds    float64        `json:"maxAckSeconds"`
	Refused          int            `json:"refused"`
	RefusedByCode    map[string]int `json:"refusedByCode"`
	ActiveGrants     int            `json:"activeGrants"`
	TotalGrants      int            `json:"totalGrants"`
	NoDeletion       int            `json:"endedWithoutDeletion"`
}

// RefusedExchangeWrite is one refused write seen in the gateway's access log.
type RefusedExchangeWrite struct {
	Time       string `json:"time"`
	Who        string `json:"who"`
	Department string `json:"department"`
	Route      string `json:"route"`
	Status     int    `json:"status"`
	Code       string `json:"code"`
	Record     string `json:"record"`
	RequestID  string `json:"requestId"`
}

func auditExchanges(c *cli.Context) error {
	p, from, to, err := periodCommand(c, false)
	if err != nil {
		return err
	}
	dept := c.String("dept")
	rep := ExchangeAuditReport{Department: dept, From: from, To: to, Sent: []exchange.Exchange{}, Received: []exchange.Exchange{},
		Grants: []exGrantView{}, NoDeletion: []exGrantView{}, Refused: []RefusedExchangeWrite{}, RefusedSource: []string{}}
	// Read the logs first: a bad file is a usage error before any network work.
	fromT, _ := wire.ParseTime(from)
	toT, _ := wire.ParseTime(to)
	for _, f := range c.StringSlice("access-log") {
		refused, err := exReadRefusals(f, dept, fromT, toT)
		if err != nil {
			return inputErr(err)
		}
		rep.Refused = append(rep.Refused, refused...)
		rep.RefusedSource = append(rep.RefusedSource, f)
	}
	sort.SliceStable(rep.Refused, func(i, j int) bool { return rep.Refused[i].Time < rep.Refused[j].Time })

	cl, err := NewClient(c)
	if err != nil {
		return err
	}
	all := func(path string) ([]exchange.Exchange, error) {
		var out []exchange.Exchange
		bookmark := ""
		for {
			q := path + "&pageSize=500"
			if bookmark != "" {
				q += "&bookmark=" + url.QueryEscape(bookmark)
			}
			var page struct {
				Records  []exchange.Exchange `json:"records"`
				Bookmark string              `json:"bookmark"`
			}
			if err := cl.Do(c.Context, "GET", q, nil, &page); err != nil {
				return nil, err
			}
			out = append(out, page.Records...)
			if bookmark = page.Bookmark; bookmark == "" {
				return out, nil
			}
		}
	}
	if rep.Sent, err = all(query(exAPI+"/exchanges", "provider", dept, "from", from, "to", to)); err != nil {
		return err
	}
	if rep.Received, err = all(query(exAPI+"/exchanges", "consumer", dept, "from", from, "to", to)); err != nil {
		return err
	}
	for _, role := range []string{"provider", "consumer"} {
		bookmark := ""
		for {
			path := query(exAPI+"/grants", role, dept, "bookmark", bookmark) + "&pageSize=500"
			var page struct {
				Records  []exGrantView `json:"records"`
				Bookmark string        `json:"bookmark"`
			}
			if err := cl.Do(c.Context, "GET", path, nil, &page); err != nil {
				return err
			}
			rep.Grants = append(rep.Grants, page.Records...)
			if bookmark = page.Bookmark; bookmark == "" {
				break
			}
		}
	}
	for _, g := range rep.Grants {
		if g.Consumer == dept && deletionState(g) == "missing" {
			rep.NoDeletion = append(rep.NoDeletion, g)
		}
	}
	rep.Summary = exSummarize(rep)
	if err := p.Print(rep, func(t *output.Tab) { exAuditTable(t, rep) }); err != nil {
		return err
	}
	return nil
}

func exSummarize(rep ExchangeAuditReport) ExchangeAuditSummary {
	s := ExchangeAuditSummary{Sent: len(rep.Sent), Received: len(rep.Received), Refused: len(rep.Refused), RefusedByCode: map[string]int{}}
	var delays []float64
	for _, e := range append(append([]exchange.Exchange{}, rep.Sent...), rep.Received...) {
		switch e.Status {
		case exchange.StatusAcknowledged:
			s.Acknowledged++
		case exchange.StatusRejected:
			s.Rejected++
		default:
			s.Pending++
		}
		if e.Ack != nil {
			sent, err1 := wire.ParseTime(e.SentAt)
			at, err2 := wire.ParseTime(e.Ack.At)
			if err1 == nil && err2 == nil {
				delays = append(delays, at.Sub(sent).Seconds())
			}
		}
	}
	if len(delays) > 0 {
		sort.Float64s(delays)
		s.MedianAckSeconds = delays[len(delays)/2]
		s.MaxAckSeconds = delays[len(delays)-1]
	}
	for _, r := range rep.Refused {
		s.RefusedByCode[r.Code]++
	}
	s.NoDeletion = len(rep.NoDeletion)
	for _, g := range rep.Grants {
		s.TotalGrants++
		if g.EffectiveStatus == exchange.GrantActive {
			s.ActiveGrants++
		}
	}
	return s
}

// exchangeWriteRoutes are the gateway routes whose refusals the audit reports.
var exchangeWriteRoutes = map[string]bool{
	"POST /api/v1/catalog": true, "POST /api/v1/grants": true, "POST /api/v1/grants/{id}/revoke": true,
	"POST /api/v1/exchanges": true, "POST /api/v1/exchanges/{id}/ack": true, "POST /api/v1/exchanges/{id}/reject": true,
}

// exReadRefusals reads a gateway access log (slog JSON lines) and returns the
// refused exchange writes made by dept or aimed at it (record "... consumer/dept" or
// "... provider/dept": a send in its name by another department)
// in [from, to). Lines that are not access records are skipped.
func exReadRefusals(path, dept string, from, to time.Time) ([]RefusedExchangeWrite, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("access log: %w", err)
	}
	defer func() { _ = f.Close() }() // read-only file
	var out []RefusedExchangeWrite
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var l struct {
			Time       time.Time `json:"time"`
			Msg        string    `json:"msg"`
			Route      string    `json:"route"`
			Status     int       `json:"status"`
			Who        string    `json:"who"`
			Department string    `json:"department"`
			Record     string    `json:"record"`
			Code       string    `json:"code"`
			RequestID  string    `json:"request_id"`
		}
		if json.Unmarshal(sc.Bytes(), &l) != nil || l.Msg != "access" || !exchangeWriteRoutes[l.Route] || l.Status < 400 || l.Status >= 500 {
			continue
		}
		if l.Time.Before(from) || !l.Time.Before(to) {
			continue
		}
		if rec := " " + l.Record + " "; l.Department != dept && !strings.Contains(rec, " consumer/"+dept+" ") && !strings.Contains(rec, " provider/"+dept+" ") {
			continue
		}
		out = append(out, RefusedExchangeWrite{Time: l.Time.UTC().Format(time.RFC3339), Who: l.Who, Department: l.Department,
			Route: l.Route, Status: l.Status, Code: l.Code, Record: l.Record, RequestID: l.RequestID})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("access log %s: %w", path, err)
	}
	return out, nil
}

func exAuditTable(t *output.Tab, rep ExchangeAuditReport) {
	s := rep.Summary
	t.Line(fmt.Sprintf("department %s, %s .. %s", rep.Department, rep.From, rep.To))
	t.KV("sent", itoa(s.Sent))
	t.KV("received", itoa(s.Received))
	t.KV("acknowledged", itoa(s.Acknowledged))
	t.KV("rejected", itoa(s.Rejected))
	t.KV("awaiting acknowledgement", itoa(s.Pending))
	if s.Acknowledged+s.Rejected > 0 {
		t.KV("answer delay", fmt.Sprintf("median %.0fs, max %.0fs", s.MedianAckSeconds, s.MaxAckSeconds))
	}
	t.KV("grants", fmt.Sprintf("%d (%d active)", s.TotalGrants, s.ActiveGrants))
	t.KV("ended without deletion attestation", itoa(s.NoDeletion))
	if len(rep.RefusedSource) == 0 {
		t.KV("refused attempts", "not read (give --access-log with the gateway's access log)")
	} else {
		t.KV("refused attempts", itoa(s.Refused))
	}
	if len(rep.Sent)+len(rep.Received) > 0 {
		t.Line("")
		exchangeRows(t, append(append([]exchange.Exchange{}, rep.Sent...), rep.Received...))
	}
	if len(rep.Grants) > 0 {
		t.Line("")
		t.Row("GRANT", "STATUS", "PROVIDER", "CONSUMER", "ITEM", "FIELDS", "PURPOSE", "VALID UNTIL")
		for _, g := range rep.Grants {
			t.Row(g.ID, g.EffectiveStatus, g.Provider, g.Consumer, g.Item, strings.Join(g.Fields, ","), grantPurpose(g), g.ValidUntil)
		}
	}
	if len(rep.NoDeletion) > 0 {
		t.Line("")
		t.Row("GRANT ENDED, NO DELETION ATTESTED", "STATUS", "PROVIDER", "ITEM", "VALID UNTIL")
		for _, g := range rep.NoDeletion {
			t.Row(g.ID, g.EffectiveStatus, g.Provider, g.Item, g.ValidUntil)
		}
	}
	if len(rep.Refused) > 0 {
		t.Line("")
		t.Row("REFUSED AT", "WHO", "DEPARTMENT", "ROUTE", "STATUS", "CODE", "RECORD")
		for _, r := range rep.Refused {
			t.Row(r.Time, r.Who, r.Department, r.Route, itoa(r.Status), r.Code, r.Record)
		}
	}
}

// grantPurpose is the purpose a person reads: the text of a declared grant, or
// the SM3 of a sealed one's (the text is kept off the ledger).
func grantPurpose(g exGrantView) string {
	if g.PurposeHash != "" {
		return "sm3:" + g.PurposeHash[:16] + "..."
	}
	return g.Purpose
}
