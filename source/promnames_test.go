package source

import (
	"regexp"
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

func TestPromHelpReadsBack(t *testing.T) {
	f := PromSummaryOf("callback_requests_duration_ms")
	help := PromHelp(f, "app", "Callback request duration\x1b[31m (count)")
	o, ok := ParsePromHelp(help)
	if !ok || o != (PromHelpOrigin{Payload: "callback_requests_duration_ms", Group: "app", Unit: "ms", Help: "Callback request duration (count)"}) {
		t.Errorf("%q read back as %+v %v", help, o, ok)
	}
	// No group, no unit, no help of its own.
	o, ok = ParsePromHelp(PromHelp(PromFamilyOf("odd thing", Untyped), "", ""))
	if !ok || o != (PromHelpOrigin{Payload: "odd thing"}) {
		t.Errorf("read back as %+v %v", o, ok)
	}
	if _, ok := ParsePromHelp("Current callback queue size"); ok {
		t.Error("a help of another exporter read as wamon's")
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
