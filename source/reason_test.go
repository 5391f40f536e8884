package source_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/wamon/wamon/source"
	"github.com/wamon/wamon/source/faketest"
)

// reasonWant is the Reason of every fault scenario, polled the way the console and --once
// poll: "" for the ones that carry a usable payload.
var reasonWant = map[faketest.Scenario]string{
	faketest.Healthy:         "",
	faketest.Wrapped:         "",
	faketest.Backwards:       "",
	faketest.OddValues:       "",
	faketest.MissingFields:   "",
	faketest.Hostile:         "",
	faketest.LongLabels:      "",
	faketest.ThousandsSeries: "",
	faketest.QueueCritical:   "",
	faketest.Burst429:        "",
	faketest.Multiconnect:    "",
	faketest.DB:              "",
	faketest.Unpaired:        "",
	faketest.WS406:           "WS406",
	faketest.WS500:           "WS500",
	faketest.WS500Status:     "WS500",
	faketest.LowerCase:       "WS500",
	faketest.HTML502:         "HTTP 502",
	faketest.HTML503:         "HTTP 503",
	faketest.HTML504:         "HTTP 504",
	faketest.Empty:           "bad payload",
	faketest.Truncated:       "bad payload",
	faketest.Huge:            "too large",
	faketest.Hang:            "timeout 500ms",
	faketest.Drip:            "timeout 500ms",
	faketest.ResetMidBody:    "reset",
	faketest.RedirectLoop:    "redirect",
}

func TestReasonOfEveryFault(t *testing.T) {
	srv := faketest.New(faketest.Healthy)
	t.Cleanup(srv.Close)
	// Only the scenarios that never answer wait for the client's timeout, a short one;
	// the rest get one far past what any answer takes on a loaded machine, so that a
	// slow read of the huge body cannot pass for a timeout.
	quick := newClient(t, srv.URL)
	patient := newClient(t, srv.URL, func(o *source.KaleyraOptions) { o.Timeout = time.Minute })
	for i, sc := range faketest.All {
		client := patient
		if sc == faketest.Hang || sc == faketest.Drip {
			client = quick
		}
		want, ok := reasonWant[sc]
		if !ok {
			t.Errorf("scenario %q has no expected reason in this test", sc)
			continue
		}
		number := fmt.Sprintf("+1202555%04d", i)
		srv.Set(number, sc)
		t.Run(string(sc), func(t *testing.T) {
			t.Parallel()
			// The poll's deadline is longer than the client's: the client's own 500 ms is
			// what a timeout reports.
			_, err := source.Poll(context.Background(), client, number, 2*time.Minute, time.Now)
			if got := source.Reason(err); got != want {
				t.Errorf("Reason = %q, want %q (error %v)", got, want, err)
			}
			// And the wrapped error a caller may make of it says the same.
			if err != nil {
				if got := source.Reason(fmt.Errorf("%s: %w", number, err)); got != want {
					t.Errorf("Reason of the wrapped error = %q, want %q", got, want)
				}
			}
		})
	}
}

// A poll deadline shorter than the client's own timeout is the wait a timeout reports.
func TestReasonOfAShorterPollDeadline(t *testing.T) {
	srv := faketest.New(faketest.Hang)
	t.Cleanup(srv.Close)
	client := newClient(t, srv.URL, func(o *source.KaleyraOptions) { o.Timeout = 10 * time.Second })
	_, err := source.Poll(context.Background(), client, "+12025550100", 300*time.Millisecond, time.Now)
	if got := source.Reason(err); got != "timeout 300ms" {
		t.Errorf("Reason = %q, want timeout 300ms (error %v)", got, err)
	}
}

func TestReasonOfARefusedConnection(t *testing.T) {
	_, err := source.Poll(context.Background(), newClient(t, faketest.RefusedURL()), "+12025550100", time.Second, time.Now)
	if got := source.Reason(err); got != "refused" {
		t.Errorf("Reason = %q, want refused (error %v)", got, err)
	}
}

// Errors that carry a failure from elsewhere say its kind and reason, or theirs when it
// gave none, and an unknown kind is "other".
func TestReportedErrorsKindAndReason(t *testing.T) {
	for _, tc := range []struct {
		err          error
		kind, reason string
	}{
		{&source.UpstreamError{Number: "+1", Kind: "api", Reason: "WS500"}, "api", "WS500"},
		{&source.UpstreamError{Number: "+1"}, "other", "wamon_up 0"},
		{&source.RecordedError{Kind: "transport", Reason: "timeout 10s", Line: "timeout"}, "transport", "timeout 10s"},
		{&source.RecordedError{Kind: "made-up", Line: "x"}, "other", "error"},
		{fmt.Errorf("wrapped: %w", &source.RecordedError{Kind: "http", Reason: "HTTP 502\x1b[31m"}), "http", "HTTP 502"},
	} {
		if k, r := source.ErrorKind(tc.err), source.Reason(tc.err); k != tc.kind || r != tc.reason {
			t.Errorf("%v: %q, %q; want %q, %q", tc.err, k, r, tc.kind, tc.reason)
		}
	}
}
