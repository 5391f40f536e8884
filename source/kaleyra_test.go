package source_test

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/wamon/wamon/source"
	"github.com/wamon/wamon/source/faketest"
)

const testKey = "sk-test-7f3a91-never-print-me"

func newClient(t *testing.T, base string, opts ...func(*source.KaleyraOptions)) *source.Kaleyra {
	t.Helper()
	o := source.KaleyraOptions{BaseURL: base, APIKey: testKey, Timeout: 500 * time.Millisecond, Version: "1.2.3"}
	for _, f := range opts {
		f(&o)
	}
	k, err := source.NewKaleyra(o)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestClientSendsTheDocumentedRequest(t *testing.T) {
	srv := faketest.New(faketest.Healthy)
	defer srv.Close()
	snap, err := newClient(t, srv.URL+"/").Fetch(context.Background(), "+12025550100")
	if err != nil {
		t.Fatal(err)
	}
	h := srv.LastHeaders()
	for name, want := range map[string]string{"Accept": "application/json", "Api-Key": testKey, "User-Agent": "wamon/1.2.3"} {
		if got := h.Get(name); got != want {
			t.Errorf("header %s = %q, want %q", name, got, want)
		}
	}
	if snap.Number != "+12025550100" || snap.Code != "WS201" || snap.FetchedAt.IsZero() || snap.Latency <= 0 {
		t.Errorf("snapshot %+v", snap)
	}
	if snap.Metric("callback_queue_size") == nil || snap.Metric("db_pending_callbacks") == nil {
		t.Errorf("metrics missing: %v", snap.MetricNames())
	}
}

func TestClientOmitsAnEmptyKey(t *testing.T) {
	srv := faketest.New(faketest.Healthy)
	defer srv.Close()
	k := newClient(t, srv.URL, func(o *source.KaleyraOptions) { o.APIKey = "" })
	if _, err := k.Fetch(context.Background(), "+12025550100"); err != nil {
		t.Fatal(err)
	}
	if _, ok := srv.LastHeaders()["Api-Key"]; ok {
		t.Error("an empty api-key header was sent")
	}
}

func TestNewKaleyraRejectsBadBaseURLs(t *testing.T) {
	for _, u := range []string{"ftp://x", "localhost:8080", "http://", "::"} {
		if _, err := source.NewKaleyra(source.KaleyraOptions{BaseURL: u}); err == nil {
			t.Errorf("%q accepted", u)
		}
	}
}

// Every failure the server can produce comes back as its typed error and one clear line,
// and never with the key in it.
func TestClientFailureModes(t *testing.T) {
	srv := faketest.New(faketest.Healthy)
	defer srv.Close()
	cases := []struct {
		sc        faketest.Scenario
		kind      string
		transport source.TransportKind
		line      string // a part of the error's one line
	}{
		{faketest.WS406, "api", "", "WS406: The accept header mismatches"},
		{faketest.WS500, "api", "", "WS500: Invalid or in-correct input of the From number."},
		{faketest.WS500Status, "api", "", "(HTTP 500)"},
		{faketest.LowerCase, "api", "", "WS500: invalid from number"},
		{faketest.HTML502, "http", "", "HTTP 502 Bad Gateway: HTML page"},
		{faketest.HTML503, "http", "", "HTTP 503"},
		{faketest.HTML504, "http", "", "HTTP 504"},
		{faketest.Empty, "decode", "", "empty body"},
		{faketest.Truncated, "decode", "", "truncated JSON"},
		{faketest.Huge, "too_large", "", "over the 8 MiB cap"},
		{faketest.Hang, "transport", source.Timeout, "no complete response within 500ms"},
		{faketest.Drip, "transport", source.Timeout, "timeout"},
		{faketest.ResetMidBody, "transport", source.Reset, "connection closed"},
		{faketest.RedirectLoop, "transport", source.Redirect, "redirect"},
	}
	for _, c := range cases {
		t.Run(string(c.sc), func(t *testing.T) {
			number := "+1202555" + strings.ReplaceAll(string(c.sc), "-", "")
			srv.Set(number, c.sc)
			// The scenarios that never answer meet the client's own 500 ms timeout (their
			// lines say so); the rest get a minute, far past what reading any of them
			// takes on a loaded machine, so that a slow read never passes for a timeout.
			client := newClient(t, srv.URL, func(o *source.KaleyraOptions) { o.Timeout = time.Minute })
			if c.transport == source.Timeout {
				client = newClient(t, srv.URL)
			}
			snap, err := client.Fetch(context.Background(), number)
			if source.ErrorKind(err) != c.kind {
				t.Fatalf("kind %q (%v), want %q", source.ErrorKind(err), err, c.kind)
			}
			var te *source.TransportError
			if c.transport != "" && (!errors.As(err, &te) || te.Kind != c.transport) {
				t.Errorf("transport kind of %v, want %s", err, c.transport)
			}
			line := err.Error()
			if !strings.Contains(line, c.line) || strings.ContainsAny(line, "\n\r\x1b") || len(line) > 240 {
				t.Errorf("error line %q, want one line containing %q", line, c.line)
			}
			if strings.Contains(line, testKey) || strings.Contains(line, "http://") {
				t.Errorf("error line leaks the key or URL: %q", line)
			}
			if snap.Number != number || snap.FetchedAt.IsZero() {
				t.Errorf("failed snapshot lacks number/time: %+v", snap)
			}
		})
	}
}

func TestClientAPIErrorCarriesNumberAndStatus(t *testing.T) {
	srv := faketest.New(faketest.WS500Status)
	defer srv.Close()
	_, err := newClient(t, srv.URL).Fetch(context.Background(), "+12025550199")
	var apiErr *source.APIError
	if !errors.As(err, &apiErr) || apiErr.Code != "WS500" || apiErr.HTTPStatus != 500 || apiErr.Number != "+12025550199" {
		t.Fatalf("%#v", err)
	}
}

func TestClientRefusedConnection(t *testing.T) {
	_, err := newClient(t, faketest.RefusedURL()).Fetch(context.Background(), "+12025550100")
	var te *source.TransportError
	if !errors.As(err, &te) || te.Kind != source.Refused {
		t.Fatalf("%v, want refused", err)
	}
}

// End to end through the machine's resolver. Only a resolver that does not answer a
// lookup of .invalid with a *net.DNSError at all (an odd sandbox) skips the test; once it
// has, the error must be classed DNS and name the host. TestTransportErrorClassification
// checks the classification with fixed error values on every machine.
func TestClientDNSFailure(t *testing.T) {
	_, err := newClient(t, "http://no-such-host.invalid").Fetch(context.Background(), "+12025550100")
	var dnsErr *net.DNSError
	if !errors.As(err, &dnsErr) {
		t.Skipf("the resolver here gives no *net.DNSError for .invalid (got %T: %v); the classifier is covered by TestTransportErrorClassification", err, err)
	}
	var te *source.TransportError
	if !errors.As(err, &te) || te.Kind != source.DNS {
		t.Fatalf("%v (%T), want a TransportError of kind %q", err, err, source.DNS)
	}
	if source.ErrorKind(err) != "transport" {
		t.Errorf("ErrorKind %q, want transport", source.ErrorKind(err))
	}
	if line := err.Error(); !strings.HasPrefix(line, "dns: cannot resolve no-such-host.invalid") {
		t.Errorf("%q does not say the host no-such-host.invalid cannot be resolved", line)
	}
}

func TestClientVerifiesTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(faketest.Payload(1, false))
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake failure is expected
	srv.StartTLS()
	defer srv.Close()
	_, err := newClient(t, srv.URL).Fetch(context.Background(), "+12025550100")
	var te *source.TransportError
	if !errors.As(err, &te) || te.Kind != source.TLS {
		t.Fatalf("%v, want a TLS error for a self-signed certificate", err)
	}
	// Plain HTTP spoken to a TLS port is also a TLS failure, not a mystery.
	plain := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer plain.Close()
	_, err = newClient(t, strings.Replace(plain.URL, "http:", "https:", 1)).Fetch(context.Background(), "+12025550100")
	if !errors.As(err, &te) || te.Kind != source.TLS {
		t.Fatalf("%v, want a TLS error", err)
	}
}

func TestClientSuccessUnderErrorStatusKeepsDataWithAWarning(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(503)
		w.Write(faketest.Payload(1, false))
	}))
	defer srv.Close()
	snap, err := newClient(t, srv.URL).Fetch(context.Background(), "+12025550100")
	if err != nil || len(snap.Warnings) == 0 || !strings.Contains(snap.Warnings[len(snap.Warnings)-1], "503") {
		t.Fatalf("err %v, warnings %q", err, snap.Warnings)
	}
}

// The body is read through the cap: memory grows by the cap, not by what the server sends.
func TestClientHugeBodyMemoryIsBoundedByTheCap(t *testing.T) {
	srv := faketest.New(faketest.Huge)
	defer srv.Close()
	k := newClient(t, srv.URL, func(o *source.KaleyraOptions) { o.MaxBody = 1 << 20; o.Timeout = 10 * time.Second })
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := k.Fetch(context.Background(), "+12025550100")
	runtime.ReadMemStats(&after)
	if source.ErrorKind(err) != "too_large" || !strings.Contains(err.Error(), "1 MiB") {
		t.Fatalf("%v", err)
	}
	// io.ReadAll grows its buffer by doubling: a 1 MiB cap costs a few MiB in total, a
	// 40 MiB body read whole would cost 80+.
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 8<<20 {
		t.Errorf("allocated %s for a 1 MiB cap", source.FormatBytes(int64(grew)))
	}
}

func TestClientHonoursTheCallersCancel(t *testing.T) {
	srv := faketest.New(faketest.Hang)
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, err := newClient(t, srv.URL, func(o *source.KaleyraOptions) { o.Timeout = time.Minute }).Fetch(ctx, "+12025550100")
	// Cancelled at 50 ms, the fetch ends long before its minute: 30 s tells the two
	// apart on any machine.
	if err == nil || time.Since(start) > 30*time.Second {
		t.Fatalf("cancel ignored: %v after %v", err, time.Since(start))
	}
}

func TestValidateNumber(t *testing.T) {
	for _, ok := range []string{"+12025550100", "+919876543210", "+4930123456", "+123456789012345"} {
		if err := source.ValidateNumber(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "12025550100", "+", "+1234567", "+1234567890123456", "+0202555010", "+1202-555-0100", "+1202 5550100", "++12025550100", "+１２０２５５５０１００"} {
		if err := source.ValidateNumber(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// Payloads that are odd but still the API's envelope decode, keep what is sound, and carry
// nothing that could drive a terminal.
func TestClientOddPayloadsDecodeSafely(t *testing.T) {
	srv := faketest.New(faketest.Healthy)
	defer srv.Close()
	for _, sc := range []faketest.Scenario{faketest.Wrapped, faketest.Backwards, faketest.OddValues, faketest.MissingFields,
		faketest.Hostile, faketest.LongLabels, faketest.ThousandsSeries} {
		t.Run(string(sc), func(t *testing.T) {
			number := "+1202555" + strings.ReplaceAll(string(sc), "-", "")
			srv.Set(number, sc)
			snap, err := newClient(t, srv.URL).Fetch(context.Background(), number)
			if err != nil {
				t.Fatal(err)
			}
			if len(snap.Metrics) == 0 {
				t.Fatal("no metrics kept")
			}
			texts := append([]string{snap.Code, snap.Message}, snap.Warnings...)
			for name, m := range snap.Metrics {
				texts = append(texts, name, m.Help)
				for _, s := range m.Samples {
					for _, l := range s.Labels {
						texts = append(texts, l.Name, l.Value)
					}
				}
			}
			for _, v := range snap.Meta {
				texts = append(texts, v)
			}
			for _, s := range texts {
				if strings.ContainsAny(s, "\x1b\x07\r\b\u009b\u202e\u200b\u2066") {
					t.Errorf("unsanitised text %q", s)
				}
			}
		})
	}
}

// An error status with JSON that has data but no code is an outage, not an empty success.
func TestClientErrorStatusWithoutACodeIsAnHTTPError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(503)
		w.Write([]byte(`{"data":null,"error":"upstream down"}`))
	}))
	defer srv.Close()
	_, err := newClient(t, srv.URL).Fetch(context.Background(), "+12025550100")
	if source.ErrorKind(err) != "http" || !strings.Contains(err.Error(), "HTTP 503") {
		t.Fatalf("%v, want an HTTP 503 error", err)
	}
}

// Without an API key, a refusal says that none was sent, and is still the refusal it was
// (its kind and reason); a failure below HTTP says nothing of keys.
func TestNoKeySaysSoOnTheError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("api-key") == "" {
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"code":"WS401","message":"Unauthorized","error":{},"data":[]}`))
			return
		}
		w.Write([]byte(`{"code":"WS201","data":{"stats":{"app":{}}}}`))
	}))
	defer srv.Close()
	nokey, err := source.NewKaleyra(source.KaleyraOptions{BaseURL: srv.URL, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	_, err = nokey.Fetch(context.Background(), "+12025550100")
	var apiErr *source.APIError
	if err == nil || !strings.HasSuffix(err.Error(), " (no API key was sent: set KALEYRA_API_KEY or api_key)") ||
		!errors.As(err, &apiErr) || source.Reason(err) != "WS401" || source.ErrorKind(err) != "api" {
		t.Errorf("%v (reason %q, kind %q)", err, source.Reason(err), source.ErrorKind(err))
	}
	keyed, _ := source.NewKaleyra(source.KaleyraOptions{BaseURL: srv.URL, APIKey: "k", Timeout: 2 * time.Second})
	if _, err := keyed.Fetch(context.Background(), "+12025550100"); err != nil {
		t.Errorf("with a key: %v", err)
	}
	refused, _ := source.NewKaleyra(source.KaleyraOptions{BaseURL: faketest.RefusedURL(), Timeout: 2 * time.Second})
	if _, err := refused.Fetch(context.Background(), "+12025550100"); err == nil || strings.Contains(err.Error(), "API key") {
		t.Errorf("refused: %v", err)
	}
}
