package monitor

// Subscriptions: the alerts raised at critical crossings and the signal readers wait on.

import (
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wamon/wamon/source"
)

func TestEngineAlerts(t *testing.T) {
	// Interval 4 s, timeout 2 s: data is stale 10 s after the last good poll.
	type poll struct {
		at     float64
		queue  float64 // 0: a failed poll
		alerts int     // raised so far
		level  Level
	}
	steps := []poll{
		{0, 10, 0, LevelOK},
		{4, 1200, 1, LevelCrit}, // crossing
		{8, 1500, 1, LevelCrit},
		{12, 1300, 1, LevelCrit},
		{16, 40, 1, LevelOK}, // recovered
		{20, 1100, 2, LevelCrit},
		{24, 0, 2, LevelCrit}, // one failed poll: the last good data still stands
		{28, 1200, 2, LevelCrit},
		{32, 0, 2, LevelCrit},
		{38, 0, 2, LevelCrit}, // exactly 10 s since the last good poll: not stale yet
		{39, 0, 2, LevelCrit}, // stale: the crossing is over
		{43, 1200, 3, LevelCrit},
		{47, 5000, 3, LevelCrit},
		{51, 999, 3, LevelWarn},
		{55, 1000, 4, LevelCrit}, // at the threshold
	}
	wantAt := []float64{4, 20, 43, 55}
	r := newRig(t, 3, func(c *Config) {
		c.Thresholds = Thresholds{QueueThreshold: {Warn: 100, Critical: 1000}}
	})
	early := r.e.Subscribe()
	defer early.Close()
	var late *Subscription
	var got []Alert
	boom := &source.HTTPError{Status: 503}
	for k, s := range steps {
		r.c.Set(sec(s.at))
		if s.queue == 0 {
			r.e.Record(2, source.Snapshot{}, boom)
		} else {
			r.e.Record(2, *queueSnap(s.queue), nil)
		}
		got = append(got, early.Alerts()...)
		if len(got) != s.alerts {
			t.Fatalf("step %d (at %vs, queue %v): %d alerts so far, want %d", k, s.at, s.queue, len(got), s.alerts)
		}
		if st := r.e.Status(2); st.Level != s.level {
			t.Fatalf("step %d: Level %v, want %v", k, st.Level, s.level)
		}
		if k == 4 {
			late = r.e.Subscribe()
			defer late.Close()
		}
	}
	for k, a := range got {
		if a.Index != 2 || a.Number != r.e.Number(2) || !a.At.Equal(sec(wantAt[k])) {
			t.Errorf("alert %d = %+v, want number 2 at %vs", k, a, wantAt[k])
		}
	}
	// A subscription sees the alerts raised since it began.
	if la := late.Alerts(); len(la) != 3 || !la[0].At.Equal(sec(20)) {
		t.Fatalf("late subscriber got %+v, want the 3 alerts from 20 s", la)
	}
}

func TestEngineSubscription(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, 2, func(c *Config) {
			c.Thresholds = Thresholds{QueueThreshold: {Warn: 100, Critical: 1000}}
		})
		unread := r.e.Subscribe()
		defer unread.Close()
		s := r.e.Subscribe()

		// A subscriber that never reads blocks no Record; every other poll crosses.
		for k := range 1000 {
			r.c.Advance(time.Second)
			r.e.Record(k%2, *queueSnap(float64(10 + 2000*((k/2)%2))), nil)
		}
		alerts := unread.Alerts()
		if len(alerts) != maxPendingAlerts {
			t.Fatalf("%d pending alerts, want the bound %d", len(alerts), maxPendingAlerts)
		}
		// The newest are kept: the last crossing was at poll 998 and 999 (seconds 999, 1000).
		if last := alerts[len(alerts)-1]; !last.At.Equal(sec(1000)) || last.Index != 1 {
			t.Fatalf("newest pending alert %+v, want number 1 at 1000 s", last)
		}
		if !slices.IsSortedFunc(alerts, func(a, b Alert) int { return a.At.Compare(b.At) }) {
			t.Fatal("alerts not oldest first")
		}
		if again := unread.Alerts(); len(again) != 0 {
			t.Fatalf("Alerts again = %d, want none", len(again))
		}

		// Signals coalesce: one waiting, then none.
		for _, sub := range []*Subscription{s, unread} {
			select {
			case <-sub.C():
			default:
				t.Fatal("no signal after 1000 Records")
			}
			select {
			case <-sub.C():
				t.Fatal("a second signal waiting")
			default:
			}
		}
		r.e.SetPaused(true) // a change readers are told of
		select {
		case <-s.C():
		default:
			t.Fatal("no signal after SetPaused")
		}

		// Close: Done is closed, nothing more arrives.
		if a := s.Alerts(); len(a) != maxPendingAlerts {
			t.Fatalf("second subscription: %d pending alerts, want %d", len(a), maxPendingAlerts)
		}
		s.Close()
		s.Close() // twice is fine
		select {
		case <-s.Done():
		default:
			t.Fatal("Done not closed by Close")
		}
		r.e.Record(0, *queueSnap(10), nil)
		r.e.Record(0, *queueSnap(5000), nil)
		select {
		case <-s.C():
			t.Fatal("signal after Close")
		default:
		}
		if a := s.Alerts(); len(a) != 0 {
			t.Fatalf("alerts after Close: %+v", a)
		}
		if a := unread.Alerts(); len(a) != 1 {
			t.Fatalf("the open subscription got %d alerts, want 1", len(a))
		}
		r.e.subsMu.Lock()
		n := len(r.e.subs)
		r.e.subsMu.Unlock()
		if n != 1 {
			t.Fatalf("%d subscriptions held after Close, want 1", n)
		}
	})
}
