package source

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The error taxonomy. Every error a Source returns is one of these (use errors.As), and
// each renders as one line a person understands. All text that came from the network is
// sanitised (see Sanitize) before it is stored in an error.

// APIError is a WS4xx/WS5xx envelope, whatever the HTTP status it came with.
type APIError struct {
	Code       string // upper-cased: "WS500"
	Message    string // the envelope's message, sanitised
	HTTPStatus int
	Number     string // the number polled, for context in the line
}

func (e *APIError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = apiCodeMeaning(e.Code)
	}
	s := e.Code + ": " + msg
	if hint := apiCodeMeaning(e.Code); hint != "" && !strings.EqualFold(hint, msg) && e.Message != "" {
		s += " (" + hint + ")"
	}
	if e.Number != "" {
		s += " [" + e.Number + "]"
	}
	if e.HTTPStatus != 0 && e.HTTPStatus != http.StatusOK {
		s += fmt.Sprintf(" (HTTP %d)", e.HTTPStatus)
	}
	return s
}

// apiCodeMeaning is what the API's documentation says a code means.
func apiCodeMeaning(code string) string {
	switch strings.ToUpper(code) {
	case "WS406":
		return "accept header mismatch"
	case "WS500":
		return "invalid or incorrect FROM number, or server failure"
	}
	return ""
}

// HTTPError is a non-2xx HTTP response without a usable API envelope (a proxy page, an
// empty body ...). Found says what the body was, e.g. "HTML page", "empty body".
type HTTPError struct {
	Status int
	Found  string
}

func (e *HTTPError) Error() string {
	s := fmt.Sprintf("HTTP %d %s", e.Status, http.StatusText(e.Status))
	if e.Found != "" {
		s += ": " + e.Found
	}
	return strings.TrimSpace(s)
}

// TransportKind tells transport failures apart.
type TransportKind string

const (
	Timeout  TransportKind = "timeout"
	Refused  TransportKind = "refused"
	DNS      TransportKind = "dns"
	TLS      TransportKind = "tls"
	Reset    TransportKind = "reset"
	Redirect TransportKind = "redirect"
	Network  TransportKind = "network" // anything else below HTTP
)

// TransportError is a failure to get a response at all (or to read it whole).
type TransportError struct {
	Kind   TransportKind
	Detail string // one short line, no URL query, no headers
	// Timeout is how long the client waited, for a Timeout; zero when it is not known.
	Timeout time.Duration
	Err     error
}

func (e *TransportError) Error() string {
	if e.Detail == "" {
		return string(e.Kind)
	}
	return string(e.Kind) + ": " + e.Detail
}

func (e *TransportError) Unwrap() error { return e.Err }

// TooLargeError is a response body over the configured cap. Reading stopped at the cap.
type TooLargeError struct {
	Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("response body over the %s cap", FormatBytes(e.Limit))
}

// DecodeError is a body that is not the API's envelope. What says what was found and
// where decoding failed, e.g. "HTML page, status 502" or "truncated JSON at byte 812".
type DecodeError struct {
	What       string
	HTTPStatus int
}

func (e *DecodeError) Error() string {
	s := "cannot decode response: " + e.What
	if e.HTTPStatus != 0 && e.HTTPStatus != http.StatusOK && !strings.Contains(e.What, "status") {
		s += fmt.Sprintf(", status %d", e.HTTPStatus)
	}
	return s
}

// QueryError is Prometheus (the Prometheus source's) answering with an error: a query it
// refused (HTTP 400 bad_data, 422 execution), one that timed out or found it overloaded
// (503 timeout, unavailable), a failure of its own (500), or a page that is not its API
// at all (a 404 from a wrong URL or path, a proxy's login page).
type QueryError struct {
	Status int    // the HTTP status; 0 when it is not known
	Type   string // Prometheus' errorType ("bad_data", "execution", "timeout" ...), sanitised
	Msg    string // Prometheus' error text or what the body was, sanitised, one line
}

func (e *QueryError) Error() string {
	s := "prometheus"
	if e.Status != 0 {
		s += fmt.Sprintf(" HTTP %d", e.Status)
	}
	if e.Type != "" {
		s += " " + e.Type
	}
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	return s
}

// TooManyError is a store answering more than wamon reads: more series of one number
// than the Prometheus source's MaxSeries, or more numbers than its MaxNumbers. Nothing
// of the answer is used.
type TooManyError struct {
	What  string // "series of +12025550100", "numbers"
	Count int
	Limit int
	Hint  string // what to do instead, or ""
}

func (e *TooManyError) Error() string {
	s := fmt.Sprintf("prometheus answered %s %s, over the %s wamon reads", formatCount(e.Count), e.What, formatCount(e.Limit))
	if e.Hint != "" {
		s += ": " + e.Hint
	}
	return s
}

// Count says how many of a noun, in the plural but for one: "1 poll", "2 polls",
// "10,000 series" (a noun that ends in s is its own plural).
func Count(n int, noun string) string {
	if n != 1 && !strings.HasSuffix(noun, "s") {
		noun += "s"
	}
	return formatCount(n) + " " + noun
}

// formatCount writes n with thousands separators: 100,000.
func formatCount(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// NoDataError is a source that answered but holds nothing for the number: Prometheus has
// no wamon_up series of it (the exporter is not scraped, or does not watch the number).
type NoDataError struct {
	Number string
	Detail string // what was looked for, one line
}

func (e *NoDataError) Error() string {
	s := "no data for " + e.Number
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// UpstreamError is a poll that failed further up: the wamon that Prometheus scrapes
// exported wamon_up 0 for the number, with the kind, reason and message of its own
// failure (wamon_last_error_info), which this error reports as its own: a console
// reading the store shows the line the console polling the API shows.
type UpstreamError struct {
	Number  string
	Kind    string // one of ErrorKinds, or "" when the exporter did not say
	Reason  string // as Reason gave it at the exporter: "WS500", "timeout 10s" ...
	Message string // as the exporter's error read; "" from an exporter that did not say
}

func (e *UpstreamError) Error() string {
	switch {
	case e.Message != "":
		return e.Message
	case e.Reason == "":
		// No wamon_last_error_info: the exporter has not had an answer yet.
		return "the exporter has no good poll of " + e.Number + " (wamon_up 0 in Prometheus)"
	}
	return "the exporter's poll of " + e.Number + " failed: " + e.Reason + " (wamon_up 0 in Prometheus)"
}

// RecordedError is a failed poll read back from a recording that kept no response to
// interpret again (a timeout, a refused connection, a body over the cap): the kind,
// reason and line it had when it happened, sanitised.
type RecordedError struct {
	Kind   string // one of ErrorKinds
	Reason string // as Reason gave it then: "timeout 10s", "refused" ...
	Line   string // as Error gave it then
}

func (e *RecordedError) Error() string { return e.Line }

// reported is an error that carries the kind and reason of a failure that happened
// elsewhere (an exporter's poll, a recorded one); fallback is its reason when it gave
// none.
type reported interface {
	error
	reported() (kind, reason, fallback string)
}

func (e *UpstreamError) reported() (string, string, string) { return e.Kind, e.Reason, "wamon_up 0" }
func (e *RecordedError) reported() (string, string, string) { return e.Kind, e.Reason, "error" }

// ErrorKind names the class of an error for machine output (--once --json):
// "api", "http", "transport", "too_large" (a body over its cap, or a store's answer of
// more series or numbers than wamon reads), "decode", or "other".
// ErrorKinds are the kinds ErrorKind names, in a fixed order.
var ErrorKinds = []string{"api", "http", "transport", "too_large", "decode", "other"}

// The Prometheus source's errors take the kind of what they resemble: a QueryError is
// "http"; an UpstreamError or a RecordedError the kind it carries ("other" when it
// carries none).
func ErrorKind(err error) string {
	var (
		apiErr  *APIError
		httpErr *HTTPError
		trErr   *TransportError
		bigErr  *TooLargeError
		many    *TooManyError
		decErr  *DecodeError
		qErr    *QueryError
		rep     reported
	)
	switch {
	case err == nil:
		return ""
	case errors.As(err, &many):
		return "too_large"
	case errors.As(err, &rep):
		if kind, _, _ := rep.reported(); slices.Contains(ErrorKinds, kind) {
			return kind
		}
		return "other"
	case errors.As(err, &qErr):
		return "http"
	case errors.As(err, &apiErr):
		return "api"
	case errors.As(err, &httpErr):
		return "http"
	case errors.As(err, &trErr):
		return "transport"
	case errors.As(err, &bigErr):
		return "too_large"
	case errors.As(err, &decErr):
		return "decode"
	}
	return "other"
}

// Reason names what went wrong in a word or two, for a table column or the "reasons"
// of --once --json: an API error's code ("WS406", or "API error" without one), "HTTP 502",
// a transport failure's kind ("refused", "dns", "tls", "reset", "redirect", "network",
// "timeout 10s" with how long the client waited, "timeout" when that is not known),
// "too large", "bad payload", and "error" for anything else; "" for nil. From the
// Prometheus source: the exporter's own reason for an UpstreamError ("wamon_up 0" when
// it gave none), "no data", "too many", "query timeout" or "prometheus 422". Wrapped errors are
// recognised (errors.As), in ErrorKind's order. The result is sanitised.
func Reason(err error) string {
	var (
		apiErr  *APIError
		httpErr *HTTPError
		trErr   *TransportError
		bigErr  *TooLargeError
		decErr  *DecodeError
		qErr    *QueryError
		noData  *NoDataError
		many    *TooManyError
		rep     reported
	)
	switch {
	case err == nil:
		return ""
	case errors.As(err, &many):
		return "too many"
	case errors.As(err, &rep):
		_, reason, fallback := rep.reported()
		if r := strings.TrimSpace(Truncate(Sanitize(reason), reasonWidth)); r != "" {
			return r
		}
		return fallback
	case errors.As(err, &noData):
		return "no data"
	case errors.As(err, &qErr):
		if qErr.Type == "timeout" {
			return "query timeout"
		}
		if qErr.Status != 0 {
			return "prometheus " + strconv.Itoa(qErr.Status)
		}
		return "prometheus"
	case errors.As(err, &apiErr):
		if code := strings.TrimSpace(Truncate(Sanitize(apiErr.Code), reasonWidth)); code != "" {
			return code
		}
		return "API error"
	case errors.As(err, &httpErr):
		return "HTTP " + strconv.Itoa(httpErr.Status)
	case errors.As(err, &trErr):
		kind := strings.TrimSpace(Truncate(Sanitize(string(trErr.Kind)), reasonWidth))
		switch {
		case kind == "":
			return string(Network)
		case trErr.Kind == Timeout && trErr.Timeout > 0:
			return kind + " " + trErr.Timeout.String()
		}
		return kind
	case errors.As(err, &bigErr):
		return "too large"
	case errors.As(err, &decErr):
		return "bad payload"
	}
	return "error"
}

// reasonWidth bounds the text of a Reason that comes from outside this package (an API
// code, a transport kind), in cells.
const reasonWidth = 16

// FormatBytes renders a byte count for people: "8 MiB", "512 KiB", "900 B".
func FormatBytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
