package source

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The classifier of transport failures, fed the error values net/http really returns, so
// that each class is checked whatever the resolver and network of the machine running the
// tests do. TestClientDNSFailure checks the same end to end when the resolver allows.
func TestTransportErrorClassification(t *testing.T) {
	k := &Kaleyra{timeout: 500 * time.Millisecond}
	const target = "http://no-such-host.invalid/v1/wamonitor/stats/%2B12025550100"
	get := func(err error) error { return &url.Error{Op: "Get", URL: target, Err: err} }
	dial := func(err error) error { return &net.OpError{Op: "dial", Net: "tcp", Err: err} }
	dialTo := func(err error) error {
		return &net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}, Err: err}
	}
	notFound := &net.DNSError{Err: "no such host", Name: "no-such-host.invalid", IsNotFound: true}
	cases := []struct {
		name   string
		err    error
		kind   TransportKind
		detail string
	}{
		{"DNS not found, as net/http returns it", get(dial(notFound)), DNS,
			"cannot resolve no-such-host.invalid: no such host"},
		{"DNS not found, without url.Error", dial(notFound), DNS,
			"cannot resolve no-such-host.invalid: no such host"},
		{"bare DNS error", notFound, DNS,
			"cannot resolve no-such-host.invalid: no such host"},
		{"DNS server failure", get(dial(&net.DNSError{Err: "server misbehaving", Name: "api.example.com", Server: "10.0.0.53:53", IsTemporary: true})), DNS,
			"cannot resolve api.example.com"},
		{"DNS error under a wrapper of its own", get(fmt.Errorf("lookup failed: %w", dial(notFound))), DNS,
			"cannot resolve no-such-host.invalid: no such host"},
		{"hostile host name is sanitised", get(dial(&net.DNSError{Err: "no such host", Name: "evil\x1b]0;pwned\x07\u202e.example", IsNotFound: true})), DNS,
			"cannot resolve evil.example: no such host"},

		// The classes a DNS failure must not be confused with, and the fallback.
		{"refused", get(dialTo(&os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED})), Refused,
			"connection refused by 127.0.0.1:1"},
		{"reset", get(&net.OpError{Op: "read", Net: "tcp", Err: &os.SyscallError{Syscall: "read", Err: syscall.ECONNRESET}}), Reset,
			"connection closed before the response was complete"},
		{"unexpected EOF", io.ErrUnexpectedEOF, Reset,
			"connection closed before the response was complete"},
		{"deadline", get(context.DeadlineExceeded), Timeout,
			"no complete response within 500ms"},
		{"redirect loop", get(errTooManyRedirects), Redirect,
			"stopped after 5 redirects"},
		{"not TLS", get(tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}), TLS,
			"server did not answer with TLS"},
		{"other network failure", get(dial(&os.SyscallError{Syscall: "connect", Err: syscall.ENETUNREACH})), Network,
			"dial tcp: connect: network is unreachable"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := k.transportError(context.Background(), c.err)
			var te *TransportError
			if !errors.As(err, &te) {
				t.Fatalf("%T %v, want a *TransportError", err, err)
			}
			if te.Kind != c.kind {
				t.Errorf("kind %q (%v), want %q", te.Kind, err, c.kind)
			}
			if te.Detail != c.detail {
				t.Errorf("detail %q, want %q", te.Detail, c.detail)
			}
			if want := map[bool]time.Duration{true: k.timeout}[c.kind == Timeout]; te.Timeout != want {
				t.Errorf("Timeout %v, want %v", te.Timeout, want)
			}
			if want := string(c.kind) + ": " + c.detail; err.Error() != want {
				t.Errorf("line %q, want %q", err.Error(), want)
			}
			if strings.Contains(err.Error(), "http://") {
				t.Errorf("line %q repeats the URL", err.Error())
			}
			var dnsErr *net.DNSError
			if isDNS := errors.As(c.err, &dnsErr); isDNS && !errors.As(err, &dnsErr) {
				t.Errorf("the *net.DNSError is not kept under %v", err)
			}
			if ErrorKind(err) != "transport" {
				t.Errorf("ErrorKind %q, want transport", ErrorKind(err))
			}
		})
	}
}
