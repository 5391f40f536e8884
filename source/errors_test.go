package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"
)

// slowSource answers once the poll's context is done, with the error err makes of it.
type slowSource struct{ err func(ctx error) error }

func (s slowSource) Name() string { return "slow" }
func (s slowSource) Fetch(ctx context.Context, number string) (Snapshot, error) {
	<-ctx.Done()
	return Snapshot{Number: number}, s.err(ctx.Err())
}

// quickSource answers at once with err.
type quickSource struct{ err error }

func (s quickSource) Name() string { return "quick" }
func (s quickSource) Fetch(context.Context, string) (Snapshot, error) {
	return Snapshot{}, s.err
}

// lateSource asks its source only once the poll's context is done.
type lateSource struct{ Source }

func (s lateSource) Fetch(ctx context.Context, number string) (Snapshot, error) {
	<-ctx.Done()
	return s.Source.Fetch(ctx, number)
}

func TestReason(t *testing.T) {
	decodeErr := func(body string) error {
		_, err := Decode([]byte(body))
		if err == nil {
			t.Fatalf("Decode(%q) succeeded", body)
		}
		return err
	}
	poll := func(src Source, timeout time.Duration) error {
		_, err := Poll(context.Background(), src, "+12025550100", timeout, time.Now)
		return err
	}
	k := &Kaleyra{timeout: 10 * time.Second}
	urlErr := func(err error) error { return &url.Error{Op: "Get", URL: "http://x/", Err: err} }
	shared := &TransportError{Kind: Timeout, Detail: "gave up"}
	sharedLate := &TransportError{Kind: Timeout, Detail: "gave up late"}

	tests := []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},

		{"API error from the decoder", decodeErr(`{"code":"ws406","message":"The accept header mismatches","error":{},"data":[]}`), "WS406"},
		{"API error inside RESPONSE", decodeErr(`{"RESPONSE":{"code":"WS500","message":"x","error":{},"data":[]}}`), "WS500"},
		{"API error with status and number", &APIError{Code: "WS500", Message: "m", HTTPStatus: 500, Number: "+12025550100"}, "WS500"},
		{"API error without a code", &APIError{Message: "odd"}, "API error"},
		{"API error with a blank code", &APIError{Code: " \t"}, "API error"},
		{"API error code is sanitised", &APIError{Code: "WS\x1b[2J5\u202e00"}, "WS500"},
		{"API error code is bounded", &APIError{Code: "WS" + strings.Repeat("9", 40)}, "WS9999999999999…"},
		{"wrapped API error", fmt.Errorf("poll +12025550100: %w", &APIError{Code: "WS406"}), "WS406"},

		{"HTTP error", &HTTPError{Status: 502, Found: `HTML page "502 Bad Gateway"`}, "HTTP 502"},
		{"HTTP error without a body", &HTTPError{Status: 504}, "HTTP 504"},
		{"joined HTTP error", errors.Join(errors.New("first"), &HTTPError{Status: 503}), "HTTP 503"},

		{"refused", &TransportError{Kind: Refused, Detail: "connection refused by 127.0.0.1:1"}, "refused"},
		{"network from the classifier", k.transportError(context.Background(), urlErr(errors.New("x"))), "network"},
		{"dns from the classifier", k.transportError(context.Background(), urlErr(&net.DNSError{Err: "no such host", Name: "api.example", IsNotFound: true})), "dns"},
		{"tls", &TransportError{Kind: TLS, Detail: "server did not answer with TLS"}, "tls"},
		{"reset from the classifier", k.transportError(context.Background(), urlErr(fmt.Errorf("read: %w", io.ErrUnexpectedEOF))), "reset"},
		{"redirect from the classifier", k.transportError(context.Background(), urlErr(errTooManyRedirects)), "redirect"},
		{"network", &TransportError{Kind: Network, Detail: "cancelled"}, "network"},
		{"transport error without a kind", &TransportError{Detail: "?"}, "network"},
		{"timeout from the classifier", k.transportError(context.Background(), urlErr(context.DeadlineExceeded)), "timeout 10s"},
		{"timeout of a sub-second client", (&Kaleyra{timeout: 500 * time.Millisecond}).transportError(context.Background(), context.DeadlineExceeded), "timeout 500ms"},
		{"timeout with no duration", &TransportError{Kind: Timeout, Detail: "no response"}, "timeout"},
		{"wrapped timeout", fmt.Errorf("number 3: %w", &TransportError{Kind: Timeout, Timeout: 2 * time.Second}), "timeout 2s"},
		{"Poll: bare deadline becomes a timeout", poll(slowSource{func(err error) error { return err }}, 30*time.Millisecond), "timeout 30ms"},
		{"Poll: wrapped deadline becomes a timeout", poll(slowSource{func(err error) error { return fmt.Errorf("fetch: %w", err) }}, 20*time.Millisecond), "timeout 20ms"},
		{"Poll: a source's timeout without a duration gets the deadline", poll(slowSource{func(err error) error {
			return &TransportError{Kind: Timeout, Detail: err.Error(), Err: err}
		}}, 40*time.Millisecond), "timeout 40ms"},
		{"Poll: a source's longer timeout cut short by the deadline", poll(slowSource{func(err error) error {
			return &TransportError{Kind: Timeout, Timeout: 10 * time.Second, Err: err}
		}}, 25*time.Millisecond), "timeout 25ms"},
		{"Poll: a source's shorter timeout is kept", poll(quickSource{&TransportError{Kind: Timeout, Timeout: 300 * time.Millisecond}}, time.Second), "timeout 300ms"},
		{"Poll: a source's shorter timeout is kept past the deadline", poll(slowSource{func(err error) error {
			return &TransportError{Kind: Timeout, Timeout: 5 * time.Millisecond, Err: err}
		}}, 20*time.Millisecond), "timeout 5ms"},
		{"Poll: a source's own deadline, not this poll's", poll(quickSource{fmt.Errorf("inner: %w", context.DeadlineExceeded)}, time.Second), "timeout"},
		{"Poll: a timeout before the deadline is left alone", poll(quickSource{shared}, time.Second), "timeout"},
		{"Poll: a source's shared timeout error is copied", poll(slowSource{func(error) error { return sharedLate }}, 15*time.Millisecond), "timeout 15ms"},
		{"Poll: the demo past the deadline", poll(lateSource{NewDemo(DemoOptions{})}, 35*time.Millisecond), "timeout 35ms"},

		{"too large", &TooLargeError{Limit: DefaultMaxBody}, "too large"},
		{"wrapped too large", fmt.Errorf("read: %w", &TooLargeError{Limit: 1 << 20}), "too large"},
		{"empty body", decodeErr(""), "bad payload"},
		{"HTML page with 200", decodeErr("<html><title>Maintenance</title></html>"), "bad payload"},
		{"truncated JSON", decodeErr(`{"code":"WS201","data":{"stats":{`), "bad payload"},
		{"decode error with status", &DecodeError{What: "JSON array, not the API envelope", HTTPStatus: 200}, "bad payload"},

		{"plain error", errors.New("boom"), "error"},
		{"cancelled context", context.Canceled, "error"},
		{"deadline outside Poll", context.DeadlineExceeded, "error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Reason(tt.err); got != tt.want {
				t.Errorf("Reason(%T %v) = %q, want %q", tt.err, tt.err, got, tt.want)
			}
		})
	}
	if shared.Timeout != 0 || sharedLate.Timeout != 0 {
		t.Errorf("Poll changed a source's error: Timeout %v, %v", shared.Timeout, sharedLate.Timeout)
	}
}

// TestReasonKeepsErrorLines: the new field changes no error's line.
func TestReasonKeepsErrorLines(t *testing.T) {
	for _, c := range []struct {
		err  error
		line string
	}{
		{&TransportError{Kind: Timeout, Detail: "no complete response within 10s", Timeout: 10 * time.Second}, "timeout: no complete response within 10s"},
		{&TransportError{Kind: Timeout, Timeout: time.Second}, "timeout"},
	} {
		if got := c.err.Error(); got != c.line {
			t.Errorf("Error() = %q, want %q", got, c.line)
		}
	}
}

func TestCountSaysOneAsOne(t *testing.T) {
	for _, tt := range []struct {
		n          int
		noun, want string
	}{{0, "poll", "0 polls"}, {1, "poll", "1 poll"}, {2, "file", "2 files"}, {1, "series", "1 series"}, {10000, "series", "10,000 series"}, {1234567, "line", "1,234,567 lines"}} {
		if got := Count(tt.n, tt.noun); got != tt.want {
			t.Errorf("Count(%d, %q) = %q, want %q", tt.n, tt.noun, got, tt.want)
		}
	}
}
