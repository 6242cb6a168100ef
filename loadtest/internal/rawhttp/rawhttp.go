// Package rawhttp is the load generator's lean HTTP/1.1 client for GET
// requests: keep-alive connections, one per concurrent caller, written and
// read by the caller itself (the shape of wrk and h2load). net/http's
// Transport runs two goroutines per connection and hands every request and
// response between them; on a 2-core machine that shares its cores with the
// gateway under test, that was about a third of the CPU of a verify
// benchmark, so the figure measured the client as much as the server.
//
// Responses are parsed by net/http (http.ReadResponse: status, headers,
// Content-Length or chunked bodies), so what the server sends is checked as
// strictly as any client would.
package rawhttp

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"
)

// Client sends GET requests to one server over at most Conns keep-alive
// connections.
type Client struct {
	addr, host string
	timeout    time.Duration
	idle       chan *conn
}

type conn struct {
	c net.Conn
	r *bufio.Reader
	w *bufio.Writer
}

// New returns a client for the server of base (http://host:port), keeping up
// to conns connections open; each request must finish within timeout.
func New(base string, conns int, timeout time.Duration) (*Client, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("rawhttp: %q: want http://host:port", base)
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "80")
	}
	return &Client{addr: addr, host: u.Host, timeout: timeout, idle: make(chan *conn, conns)}, nil
}

// Get sends GET target (a path with its query) and appends the response body
// to body; it returns the status code. ctx bounds the dial only; a request on
// an open connection is bounded by the client's timeout (a load generator
// lets its in-flight requests finish). A connection that fails is closed and
// the next request dials a new one.
func (cl *Client) Get(ctx context.Context, target string, body *bytes.Buffer) (int, error) {
	c, err := cl.take(ctx)
	if err != nil {
		return 0, err
	}
	status, keep, err := cl.roundTrip(c, target, body)
	if err != nil || !keep {
		_ = c.c.Close()
		return status, err
	}
	select {
	case cl.idle <- c:
	default:
		_ = c.c.Close()
	}
	return status, nil
}

func (cl *Client) take(ctx context.Context) (*conn, error) {
	select {
	case c := <-cl.idle:
		return c, nil
	default:
	}
	d := net.Dialer{Timeout: cl.timeout}
	nc, err := d.DialContext(ctx, "tcp", cl.addr)
	if err != nil {
		return nil, err
	}
	return &conn{c: nc, r: bufio.NewReaderSize(nc, 16<<10), w: bufio.NewWriterSize(nc, 1<<10)}, nil
}

func (cl *Client) roundTrip(c *conn, target string, body *bytes.Buffer) (status int, keep bool, err error) {
	if err := c.c.SetDeadline(time.Now().Add(cl.timeout)); err != nil {
		return 0, false, err
	}
	_, _ = c.w.WriteString("GET ")
	_, _ = c.w.WriteString(target)
	_, _ = c.w.WriteString(" HTTP/1.1\r\nHost: ")
	_, _ = c.w.WriteString(cl.host)
	_, _ = c.w.WriteString("\r\nUser-Agent: certledger-load\r\n\r\n")
	if err := c.w.Flush(); err != nil {
		return 0, false, err
	}
	res, err := http.ReadResponse(c.r, nil)
	if err != nil {
		return 0, false, err
	}
	_, err = body.ReadFrom(res.Body)
	if cerr := res.Body.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return res.StatusCode, false, err
	}
	return res.StatusCode, !res.Close, nil
}

// Close closes the idle connections.
func (cl *Client) Close() {
	for {
		select {
		case c := <-cl.idle:
			_ = c.c.Close()
		default:
			return
		}
	}
}
