package source

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// DefaultBaseURL is the API's documented base URL.
const DefaultBaseURL = "https://api-webhook-monitor-whatsapp.api.kaleyra.io"

// Defaults of the client (the README lists them with the engine's).
const (
	DefaultTimeout = 10 * time.Second
	DefaultMaxBody = 8 << 20
	// maxRedirects: the API never redirects, so a chain longer than this is a proxy loop.
	maxRedirects = 5
)

// KaleyraOptions configures the HTTP client.
type KaleyraOptions struct {
	BaseURL    string        // default DefaultBaseURL
	APIKey     string        // sent as "api-key" when non-empty; never logged or printed
	Timeout    time.Duration // per request, including reading the body; default 10s
	MaxBody    int64         // body cap in bytes; default 8 MiB
	Version    string        // for User-Agent: wamon/{version}
	HTTPClient *http.Client  // optional, for tests; its Timeout and CheckRedirect are replaced
}

// Kaleyra polls GET {base_url}/v1/wamonitor/stats/{number}. It is safe for concurrent use.
type Kaleyra struct {
	base    string // without a trailing slash
	apiKey  string
	timeout time.Duration
	maxBody int64
	agent   string
	client  *http.Client
}

// NewKaleyra validates the options (the base URL must be absolute http or https) and
// builds a client. TLS certificates are always verified.
func NewKaleyra(opts KaleyraOptions) (*Kaleyra, error) {
	if opts.BaseURL == "" {
		opts.BaseURL = DefaultBaseURL
	}
	u, err := url.Parse(opts.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("base URL %q is not an http(s) URL", Sanitize(opts.BaseURL))
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = DefaultMaxBody
	}
	if opts.Version == "" {
		opts.Version = "dev"
	}
	client := &http.Client{}
	if opts.HTTPClient != nil {
		c := *opts.HTTPClient // a copy: the caller's client is not changed
		client = &c
	}
	// The per-request context carries the deadline; a client-wide Timeout would only
	// produce a second, differently worded timeout error.
	client.Timeout = 0
	client.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= maxRedirects {
			return errTooManyRedirects
		}
		return nil
	}
	return &Kaleyra{
		base:    strings.TrimRight(opts.BaseURL, "/"),
		apiKey:  opts.APIKey,
		timeout: opts.Timeout,
		maxBody: opts.MaxBody,
		agent:   "wamon/" + opts.Version,
		client:  client,
	}, nil
}

var errTooManyRedirects = errors.New("redirect loop")

// Name says where stats come from; the base URL carries no secret.
func (k *Kaleyra) Name() string { return "kaleyra " + k.base }

// Fetch polls one number. The snapshot it returns always carries Number, FetchedAt and
// Latency, and on an API error the envelope's Code and Message.
func (k *Kaleyra) Fetch(ctx context.Context, number string) (Snapshot, error) {
	start := time.Now()
	snap, err := k.fetch(ctx, number)
	snap.Number = number
	snap.FetchedAt = start
	snap.Latency = time.Since(start)
	if err != nil && k.apiKey == "" {
		var apiErr *APIError
		var httpErr *HTTPError
		if errors.As(err, &apiErr) || errors.As(err, &httpErr) {
			// The server answered, and no key was sent: the likeliest why, said where the
			// failure is shown.
			err = &NoKeyError{Err: err}
		}
	}
	return snap, err
}

// NoKeyError is a refusal by the API of a poll that carried no API key: the error as the
// server gave it, and that no key was sent.
type NoKeyError struct{ Err error }

func (e *NoKeyError) Error() string {
	return e.Err.Error() + " (no API key was sent: set KALEYRA_API_KEY or api_key)"
}

func (e *NoKeyError) Unwrap() error { return e.Err }

func (k *Kaleyra) fetch(ctx context.Context, number string) (Snapshot, error) {
	ctx, cancel := context.WithTimeout(ctx, k.timeout)
	defer cancel()

	// PathEscape keeps the "+" of an E.164 number, as the API expects it.
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.base+"/v1/wamonitor/stats/"+url.PathEscape(number), nil)
	if err != nil {
		return Snapshot{}, &TransportError{Kind: Network, Detail: "cannot build request", Err: err}
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", k.agent)
	if k.apiKey != "" {
		req.Header.Set("api-key", k.apiKey)
	}

	resp, err := k.client.Do(req)
	if err != nil {
		return Snapshot{}, k.transportError(ctx, err)
	}
	defer resp.Body.Close()

	// One byte past the cap tells "exactly at the cap" from "over it" without reading on.
	body, err := io.ReadAll(io.LimitReader(resp.Body, k.maxBody+1))
	if err != nil {
		return Snapshot{}, k.transportError(ctx, err)
	}
	if int64(len(body)) > k.maxBody {
		return Snapshot{}, &TooLargeError{Limit: k.maxBody}
	}

	return Interpret(resp.StatusCode, body, number)
}

// Interpret makes a poll's outcome of an HTTP response to the stats request of number:
// the decoded snapshot, or the error it was (an API envelope, a page that is not the
// API, data under an error status). The client uses it, and so does a replay of a
// recorded response, so both tell the same story of the same bytes.
func Interpret(status int, body []byte, number string) (Snapshot, error) {
	snap, err := Decode(body)
	snap.HTTPStatus = status
	var (
		apiErr *APIError
		decErr *DecodeError
	)
	switch {
	case errors.As(err, &apiErr):
		apiErr.HTTPStatus = status
		apiErr.Number = number
	case errors.As(err, &decErr):
		if status < 200 || status > 299 {
			// A proxy page or an empty 5xx: the status is the news, the body the detail.
			return snap, &HTTPError{Status: status, Found: decErr.What}
		}
		decErr.HTTPStatus = status
	case err == nil && (status < 200 || status > 299):
		if snap.Code == "" {
			// An error status and no API code to say otherwise: an outage, not data.
			return snap, &HTTPError{Status: status, Found: "JSON without an API code"}
		}
		// A success envelope under an error status: keep the data, say what was odd.
		snap.Warnings = append(snap.Warnings, fmt.Sprintf("success envelope with HTTP status %d", status))
	}
	return snap, err
}

func (k *Kaleyra) transportError(ctx context.Context, err error) error {
	return classifyTransport(ctx, err, k.timeout)
}

// classifyTransport classifies a failure to get (or read) a response from a client that
// waits timeout. The *url.Error wrapper is dropped: it repeats the URL (with any
// credentials in it) in every line, and nothing below it is needed.
func classifyTransport(ctx context.Context, err error, timeout time.Duration) error {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	var (
		dnsErr   *net.DNSError
		certErr  *tls.CertificateVerificationError
		unkAuth  x509.UnknownAuthorityError
		hostErr  x509.HostnameError
		invalid  x509.CertificateInvalidError
		recErr   tls.RecordHeaderError
		opErr    *net.OpError
		netErr   net.Error
		hostPort string
	)
	if errors.As(err, &opErr) && opErr.Addr != nil {
		hostPort = " by " + opErr.Addr.String()
	}
	kind, detail := Network, Sanitize(err.Error())
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded):
		kind, detail = Timeout, fmt.Sprintf("no complete response within %v", timeout)
	case errors.Is(err, context.Canceled):
		kind, detail = Network, "cancelled"
	case errors.Is(err, errTooManyRedirects):
		kind, detail = Redirect, fmt.Sprintf("stopped after %d redirects", maxRedirects)
	case errors.As(err, &dnsErr):
		kind, detail = DNS, "cannot resolve "+Sanitize(dnsErr.Name)
		if dnsErr.IsNotFound {
			detail += ": no such host"
		}
	case errors.As(err, &certErr), errors.As(err, &unkAuth), errors.As(err, &hostErr), errors.As(err, &invalid):
		kind, detail = TLS, "certificate not trusted: "+Sanitize(lastPart(err.Error()))
	case errors.As(err, &recErr), strings.Contains(err.Error(), "HTTP response to HTTPS client"):
		// net/http reports the second case only as text.
		kind, detail = TLS, "server did not answer with TLS"
	case errors.Is(err, syscall.ECONNREFUSED):
		kind, detail = Refused, "connection refused"+hostPort
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		kind, detail = Reset, "connection closed before the response was complete"
	case errors.As(err, &netErr) && netErr.Timeout():
		kind, detail = Timeout, fmt.Sprintf("no complete response within %v", timeout)
	}
	te := &TransportError{Kind: kind, Detail: Truncate(detail, 160), Err: err}
	if kind == Timeout {
		te.Timeout = timeout
	}
	return te
}

// lastPart keeps the end of a "a: b: c" error chain, the part that says what went wrong.
func lastPart(s string) string {
	if i := strings.LastIndex(s, ": "); i >= 0 && i+2 < len(s) {
		return s[i+2:]
	}
	return s
}

// ValidateNumber checks E.164: "+" then 8 to 15 digits, the first not 0.
func ValidateNumber(n string) error {
	if !strings.HasPrefix(n, "+") {
		return errors.New("it must start with +")
	}
	digits := n[1:]
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return errors.New("only digits may follow the +")
		}
	}
	if len(digits) < 8 || len(digits) > 15 {
		return fmt.Errorf("%s, want 8 to 15", Count(len(digits), "digit"))
	}
	if digits[0] == '0' {
		return errors.New("a country code never starts with 0")
	}
	return nil
}
