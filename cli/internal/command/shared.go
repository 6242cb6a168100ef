package command

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/certledger/certledger/cli/internal/client"
	"github.com/certledger/certledger/cli/internal/output"
	"github.com/certledger/certledger/internal/gm"
	"github.com/emmansun/gmsm/sm2"
	"github.com/urfave/cli/v2"
)

// Helpers shared by the commands that talk to the gateway.

// argCommand reads what a command on one named thing starts with: its one
// argument (what names it in the usage error), then the printer of --output.
func argCommand(c *cli.Context, what string) (arg string, p output.Printer, err error) {
	if arg, err = oneArg(c, what); err != nil {
		return "", p, err
	}
	p, err = PrinterOf(c)
	return arg, p, err
}

// session returns what a gateway command needs: the printer of --output and a client.
func session(c *cli.Context) (output.Printer, *client.Client, error) {
	p, err := PrinterOf(c)
	if err != nil {
		return output.Printer{}, nil, err
	}
	cl, err := NewClient(c)
	if err != nil {
		return output.Printer{}, nil, err
	}
	return p, cl, nil
}

// signerSession is session with the private key of --key, loaded in between.
func signerSession(c *cli.Context) (output.Printer, *sm2.PrivateKey, *client.Client, error) {
	p, err := PrinterOf(c)
	if err != nil {
		return output.Printer{}, nil, nil, err
	}
	k, err := loadPrivate(c, "key")
	if err != nil {
		return output.Printer{}, nil, nil, err
	}
	cl, err := NewClient(c)
	if err != nil {
		return output.Printer{}, nil, nil, err
	}
	return p, k, cl, nil
}

// ask ends a gateway command whose input is checked: a client of the global flags,
// one request, and the answer printed with p, as JSON or, for a person, by rows.
func ask[T any](c *cli.Context, p output.Printer, req func(ctx context.Context, cl *client.Client) (T, error), rows func(*output.Tab, T)) error {
	cl, err := NewClient(c)
	if err != nil {
		return err
	}
	v, err := req(c.Context, cl)
	if err != nil {
		return err
	}
	return p.Print(v, func(t *output.Tab) { rows(t, v) })
}

// call sends one request to the gateway and decodes its answer as a T.
func call[T any](ctx context.Context, cl *client.Client, method, path string, body any) (T, error) {
	var v T
	err := cl.Do(ctx, method, path, body, &v)
	return v, err
}

// askTo is ask of one request, method path with body, answered by a T.
func askTo[T any](c *cli.Context, p output.Printer, method, path string, body any, rows func(*output.Tab, T)) error {
	return ask(c, p, func(ctx context.Context, cl *client.Client) (T, error) { return call[T](ctx, cl, method, path, body) }, rows)
}

// request is ask with the printer of --output read first.
func request[T any](c *cli.Context, req func(ctx context.Context, cl *client.Client) (T, error), rows func(*output.Tab, T)) error {
	p, err := PrinterOf(c)
	if err != nil {
		return err
	}
	return ask(c, p, req, rows)
}

// requestTo is askTo with the printer of --output read first.
func requestTo[T any](c *cli.Context, method, path string, body any, rows func(*output.Tab, T)) error {
	p, err := PrinterOf(c)
	if err != nil {
		return err
	}
	return askTo(c, p, method, path, body, rows)
}

// showOne is a "show ID" command: it fetches the record the one argument names
// (what describes it in the usage error) and prints it, as rows in a table.
func showOne[T any](c *cli.Context, what string, fetch func(c *cli.Context, cl *client.Client, id string) (*T, error), rows func(*output.Tab, *T)) error {
	id, err := oneArg(c, what)
	if err != nil {
		return err
	}
	return request(c, func(_ context.Context, cl *client.Client) (*T, error) { return fetch(c, cl, id) }, rows)
}

// listOf returns list, or an empty list for nil (JSON [] rather than null), and err.
func listOf[T any](list []T, err error) ([]T, error) {
	if list == nil {
		list = []T{}
	}
	return list, err
}

// writeRows prints the answer of a write for a person: "<what>: <noun> <id> (tx T,
// block N)", a blank line, and the record's rows.
func writeRows[T any](what, noun string, id func(*T) string, rows func(*output.Tab, *T)) func(*output.Tab, *client.WriteResult[T]) {
	return func(t *output.Tab, res *client.WriteResult[T]) {
		t.Line(fmt.Sprintf("%s: %s %s (tx %s, block %d)", what, noun, id(&res.Record), res.TxID, res.BlockNumber))
		t.Line("")
		rows(t, &res.Record)
	}
}

// keyHolder is the private key of --key, its id, and the department it signs for.
type keyHolder struct {
	Key   *sm2.PrivateKey
	KeyID string
	Dept  string
}

// signingClient loads --key, makes a client and finds the department the key
// signs for (signerDept: hint ends the message of a key the ledger does not know).
func signingClient(c *cli.Context, hint string) (*client.Client, keyHolder, error) {
	k, err := loadPrivate(c, "key")
	if err != nil {
		return nil, keyHolder{}, err
	}
	cl, err := NewClient(c)
	if err != nil {
		return nil, keyHolder{}, err
	}
	keyID := gm.KeyID(&k.PublicKey)
	dept, err := signerDept(c, cl, keyID, c.String("key"), hint)
	if err != nil {
		return nil, keyHolder{}, err
	}
	return cl, keyHolder{Key: k, KeyID: keyID, Dept: dept}, nil
}

// signerDept returns --dept, or the department that holds keyID on the ledger; hint
// ends the message of a key the ledger does not know.
func signerDept(c *cli.Context, cl *client.Client, keyID, keyFile, hint string) (string, error) {
	if d := c.String("dept"); d != "" {
		return d, nil
	}
	ki, err := cl.GetKey(c.Context, keyID)
	if err != nil {
		if client.StatusOf(err) == http.StatusNotFound {
			return "", Invalidf("key %s (%s) is not registered on the ledger%s", keyFile, keyID, hint)
		}
		return "", fmt.Errorf("looking up the department of key %s: %w", keyID, err)
	}
	return ki.DepartmentID, nil
}

// fileHash hashes a file as a stream ("-" = standard input); failures are input errors.
func fileHash(c *cli.Context, name string) (string, error) {
	h, _, err := hashOne(c, name)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return "", err
		}
		return "", inputErr(fmt.Errorf("%s: %w", name, err))
	}
	return h, nil
}

// pageFlags are the paging flags of list commands.
func pageFlags() []cli.Flag {
	return []cli.Flag{
		&cli.IntFlag{Name: "page-size", Usage: "records per page (1-500)", Value: 50},
		&cli.StringFlag{Name: "bookmark", Usage: "continue after this `BOOKMARK` (printed by the previous page)"},
		&cli.BoolFlag{Name: "all", Usage: "follow bookmarks and print every page"},
	}
}

// listPages fetches path (a query without paging) page by page: one page, or all
// with --all. It returns the records and the bookmark of the next page ("" at the end).
func listPages[T any](ctx context.Context, c *cli.Context, cl *client.Client, path string) ([]T, string, error) {
	ps := c.Int("page-size")
	if ps < 1 || ps > 500 {
		return nil, "", Usagef("--page-size %d: want 1-500", ps)
	}
	out := []T{}
	bookmark := c.String("bookmark")
	for {
		q := path + "&pageSize=" + strconv.Itoa(ps)
		if bookmark != "" {
			q += "&bookmark=" + url.QueryEscape(bookmark)
		}
		var page struct {
			Records  []T    `json:"records"`
			Bookmark string `json:"bookmark"`
		}
		if err := cl.Do(ctx, http.MethodGet, q, nil, &page); err != nil {
			return nil, "", err
		}
		out = append(out, page.Records...)
		bookmark = page.Bookmark
		if bookmark == "" || !c.Bool("all") {
			return out, bookmark, nil
		}
		if err := ctx.Err(); err != nil {
			return nil, "", err
		}
	}
}

// printPages is a list command once its query is built: a client, one page of
// path (every page with --all), the records printed with p, and on standard
// error how to fetch the next page.
func printPages[T any](c *cli.Context, p output.Printer, path string, rows func(*output.Tab, []T)) error {
	cl, err := NewClient(c)
	if err != nil {
		return err
	}
	list, next, err := listPages[T](c.Context, c, cl, path)
	if err != nil {
		return err
	}
	if err := p.Print(list, func(t *output.Tab) { rows(t, list) }); err != nil {
		return err
	}
	moreHint(c, next)
	return nil
}

// query builds "base?k=v&..." from the non-empty pairs (base always gets a '?').
func query(base string, kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			v.Set(kv[i], kv[i+1])
		}
	}
	return base + "?" + v.Encode()
}

// moreHint tells on standard error how to fetch the next page.
func moreHint(c *cli.Context, bookmark string) {
	if bookmark != "" {
		fmt.Fprintf(stderrOf(c), "certledger: more records: repeat with --bookmark %s (or --all)\n", bookmark)
	}
}

// operatorOf returns the operator id to sign into an action (docs/people.md):
// --operator (CERTLEDGER_OPERATOR) when given, "none" for none; else the one the
// gateway reports for the caller's token (GET /api/v1/whoami), which is what the
// ledger will see submitting. A gateway that predates whoami (404) gets actions
// signed without one: the ledger still records who submitted them.
func operatorOf(c *cli.Context, cl *client.Client) (string, error) {
	switch op := GlobalString(c, FlagOperator); op {
	case "none":
		return "", nil
	case "":
	default:
		return op, nil
	}
	w, err := cl.Whoami(c.Context)
	if err != nil {
		if client.StatusOf(err) == http.StatusNotFound {
			return "", nil
		}
		return "", fmt.Errorf("asking the gateway who signs (give --operator ID or --operator none): %w", err)
	}
	return w.Operator, nil
}
