// Package client is the HTTP/JSON client of the certledger gateway REST API.
//
// Every CLI command group uses one *Client: New(baseURL, token, caCertPath), then
// Do for any route, or the typed helpers in api.go. A non-2xx answer is an *Error
// carrying the HTTP status and the gateway's {"code","message"} body; a failure to
// reach the gateway wraps ErrUnreachable.
package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ErrUnreachable is wrapped by every error that means the gateway could not be reached
// (connection refused, DNS, TLS handshake, timeout) or answered that the ledger is
// unavailable (502, 503, 504).
var ErrUnreachable = errors.New("gateway unreachable")

// ErrOutcomeUnknown is wrapped by the error of a write (POST) whose outcome is
// unknown: the gateway answered COMMIT_UNKNOWN or a timeout, or the connection
// broke after the request was sent. The write may have committed.
var ErrOutcomeUnknown = errors.New("the write may have committed: run the same command again with the same " +
	"record (same id, same signed request); a write that committed is answered with its result, never made twice. " +
	"A new id would issue twice")

// CodeCommitUnknown is the gateway's code for a write sent for ordering whose
// commit it could not confirm in time (HTTP 504): retrying the same request is safe.
const CodeCommitUnknown = "COMMIT_UNKNOWN"

// ErrConfig is wrapped by errors in the client's own configuration (bad URL, CA file).
var ErrConfig = errors.New("bad client configuration")

// Error is a non-2xx answer of the gateway.
type Error struct {
	Status     int    // HTTP status
	Code       string // stable code from the body (NOT_FOUND, FORBIDDEN, ...), "" if none
	Message    string // message from the body, or the start of a non-JSON body
	Method     string
	Path       string
	RetryAfter string // Retry-After header, if any
}

func (e *Error) Error() string {
	code := e.Code
	if code == "" {
		code = "HTTP_" + strconv.Itoa(e.Status)
	}
	return fmt.Sprintf("%s: %s (HTTP %d from %s %s)", code, e.Message, e.Status, e.Method, e.Path)
}

// Unwrap makes errors.Is(err, ErrUnreachable) true for 502/503/504 answers.
func (e *Error) Unwrap() error {
	switch e.Status {
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return ErrUnreachable
	}
	return nil
}

// HasCode reports whether err is (or wraps) an *Error with the given code.
func HasCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

// StatusOf returns the HTTP status of err if it is (or wraps) an *Error, else 0.
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// Client talks to one gateway.
type Client struct {
	base      *url.URL
	token     string
	hc        *http.Client
	userAgent string
	retries   int
	maxBody   int64
}

// Option configures a Client.
type Option func(*Client) error

// WithHTTPClient replaces the HTTP client (tests, custom transports). It overrides
// the CA certificate and timeout given elsewhere.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) error {
		if hc == nil {
			return fmt.Errorf("%w: nil http client", ErrConfig)
		}
		c.hc = hc
		return nil
	}
}

// DefaultTimeout is the default timeout of each request: longer than the
// gateway's own bound on a write (endorsement, then at most 10 s waiting for the
// commit, timeouts.commitStatus), so the gateway's answer, COMMIT_UNKNOWN
// included, arrives before the client gives up.
const DefaultTimeout = 30 * time.Second

// WithTimeout sets the timeout of each request (default DefaultTimeout).
func WithTimeout(d time.Duration) Option {
	return func(c *Client) error {
		if d <= 0 {
			return fmt.Errorf("%w: timeout must be positive", ErrConfig)
		}
		c.hc.Timeout = d
		return nil
	}
}

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option {
	return func(c *Client) error { c.userAgent = ua; return nil }
}

// WithRetries sets how many times a request answered 503 (nothing was written) or
// 504 COMMIT_UNKNOWN (sent, outcome unknown) is retried, with the same body
// (default 2), waiting for Retry-After (at most 5 s) or 500 ms between tries. A
// retried write is safe: the gateway answers a write that already committed with
// its result (Idempotent-Replay).
func WithRetries(n int) Option {
	return func(c *Client) error {
		if n < 0 {
			return fmt.Errorf("%w: retries must be >= 0", ErrConfig)
		}
		c.retries = n
		return nil
	}
}

// New returns a client of the gateway at baseURL (http or https). token, if not
// empty, is sent as a bearer token. caCertPath, if not empty, names a PEM file of CA
// certificates trusted for the gateway's TLS certificate (instead of the system's).
func New(baseURL, token, caCertPath string, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: gateway URL %q must look like http(s)://host:port", ErrConfig, baseURL)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if caCertPath != "" {
		pemBytes, err := os.ReadFile(caCertPath)
		if err != nil {
			return nil, fmt.Errorf("%w: reading CA certificate: %w", ErrConfig, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pemBytes) {
			return nil, fmt.Errorf("%w: no PEM certificate in %s", ErrConfig, caCertPath)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	c := &Client{
		base:      u,
		token:     token,
		hc:        &http.Client{Transport: tr, Timeout: DefaultTimeout},
		userAgent: "certledger-cli",
		retries:   2,
		maxBody:   32 << 20,
	}
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Close releases idle connections.
func (c *Client) Close() { c.hc.CloseIdleConnections() }

// BaseURL returns the gateway URL without a trailing slash.
func (c *Client) BaseURL() string { return c.base.String() }

// Do sends one request. path is relative to the gateway root and may carry a query
// ("/api/v1/certificates?hash=..."). body, if not nil, is sent as JSON (a []byte or
// json.RawMessage is sent as is). out, if not nil, receives the decoded JSON answer
// of a 2xx response. A non-2xx answer returns *Error.
func (c *Client) Do(ctx context.Context, method, path string, body, out any) error {
	var payload []byte
	if body != nil {
		switch b := body.(type) {
		case []byte:
			payload = b
		case json.RawMessage:
			payload = b
		default:
			var err error
			if payload, err = json.Marshal(body); err != nil {
				return fmt.Errorf("encoding request body for %s %s: %w", method, path, err)
			}
		}
	}
	ref, err := url.Parse(path)
	if err != nil {
		return fmt.Errorf("%w: bad request path %q", ErrConfig, path)
	}
	target := *c.base
	target.Path = c.base.Path + ref.Path
	target.RawPath = ""
	if ref.RawPath != "" {
		target.RawPath = c.base.EscapedPath() + ref.RawPath
	}
	target.RawQuery = ref.RawQuery

	for attempt := 0; ; attempt++ {
		err := c.once(ctx, method, target.String(), path, payload, out)
		var he *Error
		if attempt < c.retries && errors.As(err, &he) && (he.Status == http.StatusServiceUnavailable || he.Code == CodeCommitUnknown) {
			wait := 500 * time.Millisecond
			if s, perr := strconv.Atoi(he.RetryAfter); perr == nil && s >= 0 {
				wait = min(time.Duration(s)*time.Second, 5*time.Second)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(wait):
			}
			continue
		}
		if method == http.MethodPost && outcomeUnknown(err) {
			return fmt.Errorf("%w; %w", err, ErrOutcomeUnknown)
		}
		return err
	}
}

// outcomeUnknown reports whether a failed request may still have been carried
// out: the gateway said so (COMMIT_UNKNOWN, a timeout), or the connection failed
// after the request could have reached it (anything but a refused connection).
func outcomeUnknown(err error) bool {
	var he *Error
	if errors.As(err, &he) {
		return he.Code == CodeCommitUnknown || he.Status == http.StatusGatewayTimeout
	}
	return errors.Is(err, ErrUnreachable) && !errors.Is(err, syscall.ECONNREFUSED)
}

func (c *Client) once(ctx context.Context, method, target, path string, payload []byte, out any) error {
	var hdr http.Header
	if payload != nil {
		hdr = http.Header{"Content-Type": {"application/json"}}
	}
	return c.onceWith(ctx, method, target, path, hdr, payload, out)
}

// onceWith is once with the request headers given (a raw upload chunk).
func (c *Client) onceWith(ctx context.Context, method, target, path string, hdr http.Header, payload []byte, out any) error {
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return fmt.Errorf("building request %s %s: %w", method, path, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	for k, v := range hdr {
		req.Header[k] = v
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("%w: %s %s: %w", ErrUnreachable, method, c.base.Host, unwrapURLError(err))
	}
	defer func() { _ = resp.Body.Close() }() // body fully read or abandoned; close error carries nothing
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBody))
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("%w: reading answer to %s %s: %w", ErrUnreachable, method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := &Error{Status: resp.StatusCode, Method: method, Path: path, RetryAfter: resp.Header.Get("Retry-After")}
		var body struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		}
		if json.Unmarshal(data, &body) == nil && (body.Code != "" || body.Message != "") {
			e.Code, e.Message = body.Code, body.Message
		} else {
			msg := strings.TrimSpace(string(data))
			if len(msg) > 200 {
				msg = msg[:200] + "..."
			}
			if msg == "" {
				msg = http.StatusText(resp.StatusCode)
			}
			e.Message = msg
		}
		return e
	}
	if out == nil {
		return nil
	}
	if raw, ok := out.(*json.RawMessage); ok {
		*raw = append((*raw)[:0], data...)
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("decoding answer to %s %s: %w", method, path, err)
	}
	return nil
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
