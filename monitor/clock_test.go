package monitor

import (
	"slices"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

// sec is s seconds after t0.
func sec(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }

// firing is one timer call as a ManualClock made it: the timer's name and the clock's
// time inside the call.
type firing struct {
	name string
	at   time.Time
}

func TestManualClock(t *testing.T) {
	type step struct {
		advance time.Duration
		want    []firing // every call made during this Advance, in order
		pending int      // Pending() after it
		now     time.Time
	}
	tests := []struct {
		name string
		// setup arms timers on c; fired collects calls. stops are the timers the test
		// stops before the first step, with what Stop must report.
		setup func(c *ManualClock, fire func(name string) func()) map[string]Timer
		stops map[string]bool
		steps []step
	}{
		{
			name: "due order at due time",
			setup: func(c *ManualClock, fire func(string) func()) map[string]Timer {
				return map[string]Timer{
					"c": c.AfterFunc(3*time.Second, fire("c")),
					"a": c.AfterFunc(1*time.Second, fire("a")),
					"b": c.AfterFunc(2*time.Second, fire("b")),
				}
			},
			steps: []step{
				{advance: 0, want: nil, pending: 3, now: sec(0)},
				{advance: 1500 * time.Millisecond, want: []firing{{"a", sec(1)}}, pending: 2, now: sec(1.5)},
				{advance: 10 * time.Second, want: []firing{{"b", sec(2)}, {"c", sec(3)}}, pending: 0, now: sec(11.5)},
			},
		},
		{
			name: "same due time fires in creation order",
			setup: func(c *ManualClock, fire func(string) func()) map[string]Timer {
				return map[string]Timer{
					"x": c.AfterFunc(time.Second, fire("x")),
					"y": c.AfterFunc(time.Second, fire("y")),
					"z": c.AfterFunc(time.Second, fire("z")),
				}
			},
			steps: []step{
				{advance: time.Second, want: []firing{{"x", sec(1)}, {"y", sec(1)}, {"z", sec(1)}}, pending: 0, now: sec(1)},
			},
		},
		{
			name: "zero delay fires on Advance(0)",
			setup: func(c *ManualClock, fire func(string) func()) map[string]Timer {
				return map[string]Timer{"now": c.AfterFunc(0, fire("now"))}
			},
			steps: []step{
				{advance: 0, want: []firing{{"now", sec(0)}}, pending: 0, now: sec(0)},
			},
		},
		{
			name: "timers armed by a firing timer fire within the span",
			setup: func(c *ManualClock, fire func(string) func()) map[string]Timer {
				chain := func() {
					fire("first")()
					c.AfterFunc(2*time.Second, func() {
						fire("second")()
						c.AfterFunc(0, fire("third"))               // due at once: same Advance
						c.AfterFunc(10*time.Second, fire("beyond")) // past the span
					})
				}
				return map[string]Timer{
					"first": c.AfterFunc(time.Second, chain),
					"other": c.AfterFunc(4*time.Second, fire("other")),
				}
			},
			steps: []step{
				{advance: 5 * time.Second, want: []firing{{"first", sec(1)}, {"second", sec(3)}, {"third", sec(3)}, {"other", sec(4)}}, pending: 1, now: sec(5)},
				{advance: 8 * time.Second, want: []firing{{"beyond", sec(13)}}, pending: 0, now: sec(13)},
			},
		},
		{
			name: "stopped timers never fire",
			setup: func(c *ManualClock, fire func(string) func()) map[string]Timer {
				return map[string]Timer{
					"kept":    c.AfterFunc(2*time.Second, fire("kept")),
					"stopped": c.AfterFunc(1*time.Second, fire("stopped")),
				}
			},
			stops: map[string]bool{"stopped": true},
			steps: []step{
				{advance: 0, want: nil, pending: 1, now: sec(0)},
				{advance: 3 * time.Second, want: []firing{{"kept", sec(2)}}, pending: 0, now: sec(3)},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewManualClock(t0)
			var got []firing
			fire := func(name string) func() {
				return func() { got = append(got, firing{name, c.Now()}) }
			}
			timers := tt.setup(c, fire)
			if p := c.Pending(); p != len(timers) {
				t.Fatalf("Pending = %d after arming %d", p, len(timers))
			}
			for name, want := range tt.stops {
				if ok := timers[name].Stop(); ok != want {
					t.Fatalf("Stop(%s) = %v, want %v", name, ok, want)
				}
				if timers[name].Stop() {
					t.Fatalf("second Stop(%s) = true, want false", name)
				}
			}
			if p := c.Pending(); p != len(timers)-len(tt.stops) {
				t.Fatalf("Pending = %d after stopping %d of %d", p, len(tt.stops), len(timers))
			}
			for i, s := range tt.steps {
				got = nil
				c.Advance(s.advance)
				if !slices.Equal(got, s.want) {
					t.Fatalf("step %d: Advance(%v) fired %v, want %v", i, s.advance, got, s.want)
				}
				if p := c.Pending(); p != s.pending {
					t.Fatalf("step %d: Pending = %d, want %d", i, p, s.pending)
				}
				if now := c.Now(); !now.Equal(s.now) {
					t.Fatalf("step %d: Now = %v, want %v", i, now, s.now)
				}
			}
			// Whatever fired can no longer be stopped.
			for name, tm := range timers {
				if _, stopped := tt.stops[name]; !stopped && c.Pending() == 0 && tm.Stop() {
					t.Fatalf("Stop(%s) after it fired = true, want false", name)
				}
			}
		})
	}
}

func TestManualClockSet(t *testing.T) {
	c := NewManualClock(t0)
	var at []time.Time
	c.AfterFunc(2*time.Second, func() { at = append(at, c.Now()) })
	c.Set(sec(5))
	if !slices.Equal(at, []time.Time{sec(2)}) || !c.Now().Equal(sec(5)) {
		t.Fatalf("Set(5s): fired at %v, now %v; want [2s], 5s", at, c.Now())
	}
	c.Set(sec(1)) // backwards: ignored
	if !c.Now().Equal(sec(5)) {
		t.Fatalf("Set backwards moved the clock to %v", c.Now())
	}
	c.Advance(-time.Second)
	if !c.Now().Equal(sec(5)) {
		t.Fatalf("Advance(-1s) moved the clock to %v", c.Now())
	}
}
