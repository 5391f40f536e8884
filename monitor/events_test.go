package monitor

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wamon/wamon/source"
)

// eventLine is an event as the tests compare it.
func eventLine(ev Event) string {
	who := ev.Number
	if ev.Index < 0 {
		who = "fleet"
	}
	s := who + " " + ev.What()
	if ev.Reason != "" && ev.Kind != EventPause {
		s += ": " + ev.Reason
	}
	return s
}

func lines(evs []Event) []string {
	out := make([]string, 0, len(evs))
	for _, ev := range evs {
		out = append(out, eventLine(ev))
	}
	return out
}

// The timeline records each change of state with its reason and how long the state
// before lasted, counters that went down, the first decoder warnings, pauses; newest
// first, and as log lines.
func TestTimeline(t *testing.T) {
	var log bytes.Buffer
	c := NewManualClock(t0)
	e := New(Config{
		Source: newFakeSource(c), Numbers: phones(2), Interval: 5 * time.Second, Timeout: 2 * time.Second,
		History: 32, Clock: c, Thresholds: Thresholds{QueueThreshold: {Warn: 100, Critical: 1000}},
		Logger: slog.New(slog.NewJSONHandler(&log, nil)),
	})
	a, b := phones(2)[0], phones(2)[1]
	snap := func(queue, counter float64) source.Snapshot {
		s := *mkSnap(map[string][]source.Sample{"callback_requests": {sample(counter)}})
		s.Metrics[source.QueueSize] = &source.Metric{Name: source.QueueSize, Type: source.Gauge, Samples: []source.Sample{sample(queue)}}
		s.FetchedAt = c.Now()
		return s
	}
	step := func(i int, s source.Snapshot, err error) {
		c.Advance(5 * time.Second)
		s.FetchedAt = c.Now()
		e.Record(i, s, err)
	}
	step(0, snap(10, 1000), nil)                                              // 5s: WAIT -> OK
	step(0, snap(150, 1100), nil)                                             // 10s: OK -> WARN
	step(0, snap(1500, 1200), nil)                                            // 15s: WARN -> CRIT
	step(0, snap(1500, 50), nil)                                              // 20s: a restart
	step(0, source.Snapshot{}, &source.APIError{Code: "WS406", Message: "x"}) // 25s: CRIT -> ERR
	step(0, snap(20, 80), nil)                                                // 30s: ERR -> OK
	warned := snap(20, 100)
	warned.Warnings = []string{"as_null: sample 1: value is null", "second"}
	step(0, warned, nil) // 35s: decoder warnings
	step(0, warned, nil) // 40s: still there: no new event
	step(1, snap(5, 1), nil)
	e.SetPaused(true)
	e.SetPaused(false)

	got := lines(e.Events(EventFilter{}))
	want := []string{
		"fleet polling resumed",
		"fleet polling paused",
		b + " WAIT → OK: first answer",
		a + " decoder warnings: 2 dropped from the payload, first: as_null: sample 1: value is null",
		a + " ERR → OK: recovered",
		a + " CRIT → ERR: WS406",
		a + " counters went down: restarted from zero: callback_requests",
		a + " WARN → CRIT: callback_queue_size 1.5k!",
		a + " OK → WARN: callback_queue_size 150~",
		a + " WAIT → OK: first answer",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("timeline:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// How long each state lasted, and since when the current one holds.
	evs := e.Events(EventFilter{Number: a})
	lasted := map[string]time.Duration{}
	for _, ev := range evs {
		if ev.Kind == EventState {
			lasted[ev.What()] = ev.Lasted
		}
	}
	if lasted["WARN → CRIT"] != 5*time.Second || lasted["CRIT → ERR"] != 10*time.Second || lasted["WAIT → OK"] != 5*time.Second {
		t.Errorf("lasted %v", lasted)
	}
	if st := e.Status(0); st.State != StateOK || !st.Since.Equal(t0.Add(30*time.Second)) || st.Reason != "" {
		t.Errorf("status: %s since %v (%q), want OK since 30s", st.State.Word(), st.Since.Sub(t0), st.Reason)
	}

	// By number: the fleet's own events stay; the other number's do not.
	for _, l := range lines(evs) {
		if strings.HasPrefix(l, b) {
			t.Errorf("events of %s listed for %s: %q", b, a, l)
		}
	}
	// By severity: warnings and worse, newest first.
	warn := lines(e.Events(EventFilter{MinSeverity: 1}))
	if want := []string{want[3], want[5], want[6], want[7], want[8]}; !slices.Equal(warn, want) {
		t.Errorf("warnings and worse:\n%s\nwant:\n%s", strings.Join(warn, "\n"), strings.Join(want, "\n"))
	}
	if crit := e.Events(EventFilter{MinSeverity: 2, Limit: 1}); len(crit) != 1 || crit[0].To != StateError {
		t.Errorf("the newest critical event: %v", crit)
	}

	// The log has the same events, one JSON line each.
	var logged []string
	for line := range strings.Lines(log.String()) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if rec["msg"] == "event" {
			logged = append(logged, rec["kind"].(string))
		}
	}
	if len(logged) != len(want) || logged[0] != "OK → WARN" && logged[1] != "OK → WARN" {
		t.Errorf("logged events %q", logged)
	}
}

// A number whose polls stop coming back turns STALE by the clock alone (here its poll
// hangs within a one-minute timeout): the sweep notices, with the time since the last
// good poll as its reason; the answer ends it.
func TestSweepNoticesStaleData(t *testing.T) {
	r := newRig(t, 1, func(c *Config) { c.Interval = 5 * time.Second; c.Timeout = time.Minute })
	r.e.Start()
	r.runTo(1) // the first poll, at 0
	if st := r.e.Status(0); st.State != StateOK {
		t.Fatalf("state %s after the first poll", st.State.Word())
	}
	r.src.hold(r.e.Number(0)) // the next poll, at 5 s, hangs
	r.c.Advance(69 * time.Second)
	if st := r.e.Status(0); st.State != StateOK || !st.InFlight {
		t.Fatalf("at 70 s, 70 s after the last good poll: %s (in flight %v); stale is past 70 s", st.State.Word(), st.InFlight)
	}
	r.c.Advance(time.Second)
	st := r.e.Status(0)
	if st.State != StateStale || !st.Since.Equal(sec(71)) || st.Reason != "no good poll for 1m11s" {
		t.Fatalf("at 71 s: %s since %v (%q), want STALE since 71 s", st.State.Word(), st.Since.Sub(t0), st.Reason)
	}
	if evs := r.e.Events(EventFilter{Limit: 1}); len(evs) != 1 || evs[0].What() != "OK → STALE" || evs[0].Lasted != 71*time.Second {
		t.Fatalf("newest event %+v", evs)
	}
	r.src.release(r.e.Number(0))
	r.e.WaitIdle()
	if evs := r.e.Events(EventFilter{Limit: 1}); r.e.Status(0).State != StateOK || evs[0].What() != "STALE → OK" || evs[0].Reason != "recovered" {
		t.Fatalf("after the hung poll answered: %s, %+v", r.e.Status(0).State.Word(), evs)
	}
	// Paused, nothing goes stale and no sweep is armed.
	r.e.SetPaused(true)
	if p := r.c.Pending(); p != 0 {
		t.Fatalf("%d timers while paused", p)
	}
}

// The timeline holds at most Events entries: the oldest go.
func TestTimelineIsBounded(t *testing.T) {
	c := NewManualClock(t0)
	e := New(Config{Source: newFakeSource(c), Numbers: phones(1), Clock: c, Events: 4,
		Thresholds: Thresholds{QueueThreshold: {Warn: 100, Critical: 1000}}})
	for i := range 10 {
		c.Advance(5 * time.Second)
		q := 10.0
		if i%2 == 1 {
			q = 500
		}
		s := queueSnap(q)
		s.Metrics[source.QueueSize].Type = source.Gauge
		e.Record(0, *s, nil)
	}
	evs := e.Events(EventFilter{})
	if len(evs) != 4 || !evs[0].At.Equal(t0.Add(50*time.Second)) || !evs[3].At.Equal(t0.Add(35*time.Second)) {
		t.Fatalf("timeline of 4 holds %d events, newest %v, oldest %v", len(evs), evs[0].At.Sub(t0), evs[len(evs)-1].At.Sub(t0))
	}
}
