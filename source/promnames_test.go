package source

import (
	"regexp"
	"strconv"
	"testing"
	"time"
)

// promSafe is a hand-written loop for speed; the regexp it replaced is its oracle.
func FuzzPromSafe(f *testing.F) {
	re := regexp.MustCompile(`[^a-zA-Z0-9_]`)
	for _, s := range []string{"", "callback_queue_size", "a-b.c", "é", "a\x00b", "日本_x", "\xff\xfe", "x y\tz", "_9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := promSafe(s), re.ReplaceAllString(s, "_"); got != want {
			t.Errorf("promSafe(%q) = %q, want %q", s, got, want)
		}
	})
}

// An info series' labels read back into the origin they were written from, cleaned of
// what a store (or someone writing into it) may have put in them.
func TestPromOriginReadsBackItsLabels(t *testing.T) {
	o := PromOrigin{Metric: "whatsapp_callback_requests_duration_seconds_sum", Payload: "callback_requests_duration_ms_sum",
		Group: "app", Type: Counter, Unit: "ms", Help: "Callback request duration"}
	labels := map[string]string{}
	for i, name := range PromInfoLabels {
		labels[name] = o.Values()[i]
	}
	got, ok := PromOriginOf(func(name string) string { return labels[name] })
	if !ok || got != o {
		t.Errorf("read back %+v %v, want %+v", got, ok, o)
	}

	hostile := map[string]string{"metric": "whatsapp_x\x1b]0;t\x07", "payload": "x\x1b[2J\u202e", "group": "a\x07pp",
		"type": "GAUGE\x1b[31m", "unit": "ks", "help": "h\x1b]52;c;Y29weQ==\x07elp"}
	for k, v := range hostile {
		hostile[k] = unquote(t, v)
	}
	got, ok = PromOriginOf(func(name string) string { return hostile[name] })
	want := PromOrigin{Metric: "whatsapp_x", Payload: "x", Group: "app", Type: Untyped, Unit: "", Help: "help"}
	if !ok || got != want {
		t.Errorf("hostile labels read back as %+v %v, want %+v", got, ok, want)
	}
	if _, ok := PromOriginOf(func(name string) string { return map[string]string{"metric": "whatsapp_x"}[name] }); ok {
		t.Error("an info series without a payload read as one")
	}
}

func unquote(t *testing.T, s string) string {
	t.Helper()
	u, err := strconv.Unquote(`"` + s + `"`)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// Without an info series, a name goes back by the exporter's conventions.
func TestGuessPromOriginUndoesTheConventions(t *testing.T) {
	for _, tt := range []struct {
		name string
		want PromOrigin
	}{
		{"whatsapp_callback_queue_size", PromOrigin{Payload: "callback_queue_size", Type: Gauge}},
		{"whatsapp_endpoint_requests_total", PromOrigin{Payload: "endpoint_requests", Type: Counter}},
		{"whatsapp_callback_requests_duration_seconds_count", PromOrigin{Payload: "callback_requests_duration_ms_count", Type: Counter}},
		{"whatsapp_callback_requests_duration_seconds_sum", PromOrigin{Payload: "callback_requests_duration_ms_sum", Type: Counter, Unit: "ms"}},
		{"whatsapp_db_request_duration_seconds_sum", PromOrigin{Payload: "db_request_duration_us_sum", Type: Counter, Unit: "us"}},
		{"whatsapp_internal_server_conn_duration_seconds_count", PromOrigin{Payload: "internal_server_conn_duration_ms_count", Type: Counter}},
		{"whatsapp_uptime_seconds_total", PromOrigin{Payload: "uptime_ms", Type: Counter, Unit: "ms"}},
	} {
		tt.want.Metric = tt.name
		if got := GuessPromOrigin(tt.name); got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

// Seconds go back to the payload's unit exactly: what left as 1234 ms comes back 1234.
func TestToPayloadUnitIsExact(t *testing.T) {
	for _, v := range []float64{0, 1, 95, 1234, 900 * 301, 27000000, 1e15 + 1, 0.5, 1234.5678} {
		for _, unit := range []string{"ms", "us"} {
			out := PromFamily{Unit: unit}.Seconds(v)
			if got := toPayloadUnit(out, unit); got != v {
				t.Errorf("%v %s went out as %v s and came back %v", v, unit, out, got)
			}
		}
	}
	if got := toPayloadUnit(2.5, ""); got != 2.5 {
		t.Errorf("no unit: %v", got)
	}
}

func TestBucketOfTakesTheNearestStep(t *testing.T) {
	start := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		off  time.Duration
		want int
	}{{0, 0}, {time.Millisecond, 0}, {15*time.Second - time.Millisecond, 1}, {15 * time.Second, 1}, {30*time.Second + time.Millisecond, 2}} {
		if got := bucketOf(start.Add(tt.off), start, 15*time.Second); got != tt.want {
			t.Errorf("bucketOf(start+%v) = %d, want %d", tt.off, got, tt.want)
		}
	}
}
