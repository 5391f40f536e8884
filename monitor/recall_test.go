package monitor

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/wamon/wamon/source"
)

// tape is a fake Recorder: what the engine handed it.
type tape struct {
	mu     sync.Mutex
	polls  []string // number, or number+"!" for a failed poll
	events []Event
}

func (r *tape) Poll(number string, snap source.Snapshot, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		number += "!"
	}
	r.polls = append(r.polls, number)
}

func (r *tape) Event(ev Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
}

// Every live poll and every event goes to the recorder; what Record or Backfill files
// by hand does not (it is not news of this engine's own polls).
func TestRecorderGetsLivePollsAndEvents(t *testing.T) {
	rec := &tape{}
	r := newRig(t, 2, func(c *Config) { c.Recorder = rec })
	r.src.fail = map[string]error{phones(2)[1]: errors.New("boom")}
	r.e.Start()
	r.step(0)
	r.step(4 * time.Second)
	r.e.Record(0, callbacks(r.c.Now(), 1, 0), nil)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	polls := map[string]int{}
	for _, p := range rec.polls {
		polls[p]++
	}
	// The second number failed and waits its backoff; the poll filed by hand is not news.
	if polls[phones(2)[0]] != 2 || polls[phones(2)[1]+"!"] != 1 || len(rec.polls) != 3 {
		t.Errorf("recorded polls %v, want two of the first number and the second's failure", rec.polls)
	}
	states := 0
	for _, ev := range rec.events {
		if ev.Kind == EventState {
			states++
		}
	}
	if states != 2 {
		t.Errorf("recorded events %+v, want the two numbers' first state changes", rec.events)
	}
}

// memory is a fake Memory: outcomes per number and events, given in batches of two.
type memory struct {
	outs   map[string][]source.Outcome
	events []Event
	err    error
	asked  struct{ from, to time.Time }
}

func (m *memory) Name() string { return "recordings in /test" }

func (m *memory) Recall(ctx context.Context, numbers []string, from, to time.Time, file func(int, []source.Outcome), event func(Event)) error {
	m.asked.from, m.asked.to = from, to
	for _, ev := range m.events {
		event(ev)
	}
	for i, n := range numbers {
		outs := m.outs[n]
		for k := 0; k < len(outs); k += 2 {
			file(i, outs[k:min(k+2, len(outs))])
		}
	}
	return m.err
}

// A restart reloads the window: the history, the newest poll or error, the recorded
// timeline; polls start after it, and the first live poll lands after the reloaded ones.
func TestRecallReloadsTheWindowBeforePolling(t *testing.T) {
	nums := phones(2)
	var outs []source.Outcome
	// 20 s apart, the newest 4 s ago: the first batches alone are long stale.
	for k := range 6 {
		outs = append(outs, source.Outcome{Snap: callbacks(t0.Add(-4*time.Second-time.Duration(5-k)*20*time.Second), float64(100+60*k), 3)})
	}
	mem := &memory{
		outs: map[string][]source.Outcome{
			nums[0]: outs,
			nums[1]: {{Snap: source.Snapshot{FetchedAt: t0.Add(-8 * time.Second)}, Err: &source.RecordedError{Kind: "api", Reason: "WS500", Line: "WS500: bad number"}}},
		},
		events: []Event{
			{At: t0.Add(-20 * time.Second), Number: nums[1], Kind: EventState, From: StateOK, To: StateError, Reason: "WS500"},
			{At: t0.Add(-19 * time.Second), Number: "+19999999999", Kind: EventState, To: StateOK}, // not watched
		},
	}
	rec := &tape{}
	r := newRig(t, 2, func(c *Config) { c.Memory = mem; c.Recorder = rec })
	r.e.Start()
	waitFor(t, func() bool { return !r.e.Filling() })
	if span := mem.asked.to.Sub(mem.asked.from); span != 31*4*time.Second || !mem.asked.to.Equal(t0) {
		t.Errorf("asked from %v to %v, want the 31 intervals before now", mem.asked.from, mem.asked.to)
	}
	st := r.e.Status(0)
	if st.Last == nil || !st.LastOK.Equal(outs[5].Snap.FetchedAt) || st.Polls != 0 {
		t.Errorf("number 0 after the reload: last ok %v, polls %d", st.LastOK, st.Polls)
	}
	r.e.Read(0, func(v *View) {
		if v.History.Len() != 6 {
			t.Errorf("history holds %d polls, want the 6 reloaded", v.History.Len())
		}
		if rate := v.Figures(0).Callbacks.Rate; rate < 179 || rate > 181 {
			t.Errorf("callback rate %.1f/min from the reloaded history, want 180 (60 per 20 s)", rate)
		}
	})
	if st := r.e.Status(1); st.Err == nil || source.Reason(st.Err) != "WS500" {
		t.Errorf("number 1 after the reload: err %v", st.Err)
	}
	var kinds []string
	for _, ev := range r.e.Events(EventFilter{}) {
		kinds = append(kinds, ev.What()+" "+ev.Number)
	}
	recalled := 0
	for _, ev := range r.e.Events(EventFilter{Number: nums[1]}) {
		if ev.Kind == EventState && ev.At.Equal(t0.Add(-20*time.Second)) && ev.Index == 1 {
			recalled++
		}
	}
	if recalled != 1 {
		t.Errorf("the recorded event of number 1 is not on the timeline: %q", kinds)
	}
	states := 0
	for _, ev := range r.e.Events(EventFilter{Number: nums[0]}) {
		if ev.Number == "+19999999999" {
			t.Errorf("an event of a number not watched was reloaded")
		}
		if ev.Kind == EventState {
			states++
			// One change, at the end of the reload: the batches on the way are not news.
			if ev.From != StateWaiting || ev.To != StateOK {
				t.Errorf("the reload made the event %s (%s)", ev.What(), ev.Reason)
			}
		}
	}
	if states != 1 {
		t.Errorf("%d state changes of number 0 from the reload, want 1", states)
	}
	rec.mu.Lock()
	for _, ev := range rec.events {
		if ev.At.Equal(t0.Add(-20 * time.Second)) {
			t.Errorf("a reloaded event was recorded again")
		}
	}
	rec.mu.Unlock()
	// Polling starts after the reload, and adds to it.
	r.step(0)
	r.step(4 * time.Second)
	r.e.Read(0, func(v *View) {
		if v.History.Len() < 7 {
			t.Errorf("history holds %d polls after polling started, want more than the 6 reloaded", v.History.Len())
		}
	})
}

// waitFor polls cond for up to 5 s: the fill runs in its own goroutine.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(time.Millisecond)
	}
}
