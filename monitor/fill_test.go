package monitor

import (
	"context"
	"errors"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/wamon/wamon/source"
)

// historian is a fake source.Historian: it answers History with outcomes a test sets,
// after a test lets it (gate), and records what it was asked.
type historian struct {
	*fakeSource
	gate  chan struct{} // History waits for it to close, or for its context
	asks  chan struct{} // History sends on it when asked
	past  [][]source.Outcome
	err   error
	mu    sync.Mutex
	asked struct {
		numbers  []string
		from, to time.Time
		step     time.Duration
	}
}

// History hands every number its past, each with err: a store that failed fails every
// number.
func (h *historian) History(ctx context.Context, numbers []string, from, to time.Time, step time.Duration, file func(int, []source.Outcome, error)) {
	h.mu.Lock()
	h.asked.numbers, h.asked.from, h.asked.to, h.asked.step = numbers, from, to, step
	h.mu.Unlock()
	h.asks <- struct{}{}
	select {
	case <-h.gate:
	case <-ctx.Done():
		for i := range numbers {
			file(i, nil, ctx.Err())
		}
		return
	}
	for i := range numbers {
		var past []source.Outcome
		if i < len(h.past) {
			past = h.past[i]
		}
		file(i, past, h.err)
	}
}

// callbacks is a snapshot with a callback counter, the queue and a poll time.
func callbacks(at time.Time, count, queue float64) source.Snapshot {
	s := *mkSnap(map[string][]source.Sample{
		source.CallbackCount: {cb("inbound_message", "success", count)},
	})
	s.Metrics[source.QueueSize] = &source.Metric{Name: source.QueueSize, Type: source.Gauge, Samples: []source.Sample{sample(queue)}}
	s.FetchedAt = at
	s.Latency = 40 * time.Millisecond
	return s
}

var cbKey = source.SeriesKey(source.CallbackCount, source.NewLabels(map[string]string{"type": "inbound_message", "result": "success"}))

func TestRecordOfAPollAlreadyFiledAddsNoPoint(t *testing.T) {
	r := newRig(t, 1, nil)
	at := t0.Add(-30 * time.Second)
	r.e.Record(0, callbacks(at, 100, 0), nil)
	r.c.Advance(4 * time.Second)
	r.e.Record(0, callbacks(at, 100, 0), nil) // the same poll again (an exporter's, read twice)
	r.e.Record(0, source.Snapshot{}, errors.New("prometheus down"))
	r.e.Record(0, callbacks(at, 100, 0), nil) // and once more after a failure
	st := r.e.Status(0)
	if st.Polls != 4 || st.Err != nil || !st.LastOK.Equal(at) || !st.LastPoll.Equal(r.c.Now()) {
		t.Fatalf("polls %d, err %v, last ok %v, last poll %v", st.Polls, st.Err, st.LastOK, st.LastPoll)
	}
	r.e.Read(0, func(v *View) {
		// The first poll and the failure's gap: the repeats add nothing.
		if v.History.Len() != 2 {
			t.Errorf("history holds %d polls, want 2", v.History.Len())
		}
	})
	r.e.Record(0, callbacks(at.Add(10*time.Second), 150, 0), nil)
	r.e.Read(0, func(v *View) {
		if v.History.Len() != 3 {
			t.Errorf("history holds %d polls after a new one, want 3", v.History.Len())
		}
	})
}

// fillRig is a rig whose source is a historian, started, with its fill still waiting.
func fillRig(t *testing.T, n int, past [][]source.Outcome, err error) (*rig, *historian, *Subscription) {
	t.Helper()
	var h *historian
	r := newRig(t, n, func(c *Config) {
		h = &historian{fakeSource: c.Source.(*fakeSource), gate: make(chan struct{}), asks: make(chan struct{}, 1), past: past, err: err}
		c.Source = h
		c.History = 20
		c.Thresholds = DefaultThresholds()
	})
	sub := r.e.Subscribe()
	t.Cleanup(sub.Close)
	r.e.Start()
	select {
	case <-h.asks:
	case <-time.After(10 * time.Second):
		t.Fatal("Start did not ask for the past")
	}
	return r, h, sub
}

// waitFilled lets the historian answer and waits for the engine to file it.
func waitFilled(t *testing.T, r *rig, h *historian, sub *Subscription) {
	t.Helper()
	close(h.gate)
	for r.e.Filling() {
		select {
		case <-sub.C():
		case <-time.After(10 * time.Second):
			t.Fatal("the fill never ended")
		}
	}
}

func TestStartFillsTheWindowFromAHistorianBeforePolling(t *testing.T) {
	crit := DefaultThresholds()[QueueThreshold].Critical
	var past0 []source.Outcome
	// Number 0: an hour's worth, 10 callbacks a second, a restart half-way, the queue
	// past critical all along.
	count := 0.0
	for k := range 19 {
		at := t0.Add(time.Duration(k-19) * 4 * time.Second)
		count += 40
		if k == 10 {
			count = 40 // the client restarted
		}
		past0 = append(past0, source.Outcome{Snap: callbacks(at, count, crit+1)})
	}
	// Number 1: it answered, then its exporter failed.
	past1 := []source.Outcome{
		{Snap: callbacks(t0.Add(-20*time.Second), 5, 0)},
		{Snap: source.Snapshot{FetchedAt: t0.Add(-8 * time.Second)}, Err: &source.UpstreamError{Number: "x", Kind: "api", Reason: "WS500"}},
	}
	r, h, sub := fillRig(t, 3, [][]source.Outcome{past0, past1, nil}, nil)

	// While the historian has not answered, nothing is polled, even when asked (the
	// first number would be polled at once).
	r.e.PollAll()
	r.c.Advance(time.Second)
	r.e.WaitIdle()
	if n := r.src.total(); n != 0 || !r.e.Filling() {
		t.Fatalf("%d polls while filling (filling %v)", n, r.e.Filling())
	}
	h.mu.Lock()
	if h.asked.step != 4*time.Second || !h.asked.to.Equal(t0) || h.asked.to.Sub(h.asked.from) != 19*4*time.Second || len(h.asked.numbers) != 3 {
		t.Errorf("asked for %v from %v to %v, step %v", h.asked.numbers, h.asked.from, h.asked.to, h.asked.step)
	}
	h.mu.Unlock()
	waitFilled(t, r, h, sub)

	st := r.e.Status(0)
	if st.Polls != 0 || st.State != StateCrit || st.Last == nil || !st.LastOK.Equal(past0[18].Snap.FetchedAt) {
		t.Errorf("number 0: polls %d, state %v, last ok %v", st.Polls, st.State.Word(), st.LastOK)
	}
	r.e.Read(0, func(v *View) {
		if v.History.Len() != 19 {
			t.Errorf("number 0 holds %d polls, want 19", v.History.Len())
		}
		if rate, ok := v.History.Rate(cbKey, 0); !ok || math.Abs(rate-10) > 1e-9 {
			t.Errorf("number 0: callback rate %v (%v), want 10/s across the restart", rate, ok)
		}
		if len(v.Latencies()) != 19 {
			t.Errorf("number 0: %d latencies", len(v.Latencies()))
		}
	})
	if st := r.e.Status(1); st.State != StateError || source.Reason(st.Err) != "WS500" || st.Last == nil {
		t.Errorf("number 1: state %v, reason %q", st.State.Word(), source.Reason(st.Err))
	}
	if st := r.e.Status(2); st.State != StateWaiting {
		t.Errorf("number 2 without a past: state %v", st.State.Word())
	}
	// A crossing from the past rings no bell.
	if a := sub.Alerts(); len(a) != 0 {
		t.Errorf("alerts for the past: %v", a)
	}
	var loaded, reset bool
	for _, ev := range r.e.Events(EventFilter{}) {
		switch ev.Kind {
		case EventHistory:
			loaded = ev.Index == -1 && ev.Reason == "21 polls of 2 numbers, back 1m16s (of 1m16s asked), in 1s"
			if !loaded {
				t.Errorf("history event: %q", ev.Reason)
			}
		case EventReset:
			// Filed at the time it happened.
			reset = ev.Number == r.e.Number(0) && ev.At.Equal(past0[10].Snap.FetchedAt)
		}
	}
	if !loaded || !reset {
		t.Errorf("timeline: history loaded %v, reset at its time %v", loaded, reset)
	}

	// Then polling begins; the first live poll past critical rings, once.
	crit0 := callbacks(time.Time{}, count+40, crit+1)
	r.src.mu.Lock()
	r.src.snaps[r.e.Number(0)] = crit0
	r.src.mu.Unlock()
	r.c.Advance(time.Second)
	r.e.WaitIdle()
	if r.src.count(r.e.Number(0)) != 1 {
		t.Errorf("number 0 polled %d times after the fill", r.src.count(r.e.Number(0)))
	}
	if a := sub.Alerts(); len(a) != 1 || a[0].Index != 0 {
		t.Errorf("alerts after the first live poll: %v, want number 0's", a)
	}
}

func TestAFailedFillIsAnEventAndPollingStartsAnyway(t *testing.T) {
	r, h, sub := fillRig(t, 2, nil, &source.QueryError{Status: 503, Type: "timeout", Msg: "query timed out"})
	waitFilled(t, r, h, sub)
	evs := r.e.Events(EventFilter{})
	if len(evs) == 0 || evs[0].Kind != EventHistoryFailed || evs[0].Severity() != 1 ||
		evs[0].Reason != "2 numbers, the first +12025550000: prometheus HTTP 503 timeout: query timed out (0 polls filed, in 0s)" {
		t.Fatalf("events %+v", evs)
	}
	r.c.Advance(time.Second)
	r.e.WaitIdle()
	if r.src.total() == 0 {
		t.Error("no poll after a failed fill")
	}
}

func TestStopWhileFillingEndsIt(t *testing.T) {
	r, _, sub := fillRig(t, 2, nil, nil)
	r.e.Stop()
	for r.e.Filling() {
		select {
		case <-sub.C():
		case <-time.After(10 * time.Second):
			t.Fatal("the fill outlived Stop")
		}
	}
	r.c.Advance(10 * time.Second)
	r.e.WaitIdle()
	if n := r.src.total(); n != 0 {
		t.Errorf("%d polls after Stop", n)
	}
	for _, ev := range r.e.Events(EventFilter{}) {
		if ev.Kind == EventHistory || ev.Kind == EventHistoryFailed {
			t.Errorf("event after Stop: %+v", ev)
		}
	}
}

func TestBackfillKeepsTheHistoryInOrder(t *testing.T) {
	r := newRig(t, 1, nil)
	r.e.Record(0, callbacks(t0, 100, 0), nil)
	n := r.e.Backfill(0, []source.Outcome{
		{Snap: callbacks(t0.Add(-8*time.Second), 60, 0)}, // older than what is held
		{Snap: callbacks(t0, 100, 0)},                    // as old
		{Snap: callbacks(t0.Add(4*time.Second), 140, 0)},
		{Snap: callbacks(t0.Add(2*time.Second), 120, 0)}, // out of order
		{Snap: source.Snapshot{}},                        // no time at all
	})
	if n != 1 {
		t.Errorf("filed %d, want 1", n)
	}
	r.e.Read(0, func(v *View) {
		if v.History.Len() != 2 {
			t.Errorf("history holds %d polls, want 2", v.History.Len())
		}
		if rate, ok := v.History.Rate(cbKey, 0); !ok || rate != 10 {
			t.Errorf("rate %v %v, want 10", rate, ok)
		}
	})
}
