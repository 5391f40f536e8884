package monitor

import (
	"sort"
	"sync"
	"time"
)

// Clock is where the engine takes its time from and how it waits. The real one is the
// wall clock; tests use a ManualClock, so that the scheduler runs without sleeps.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f in its own goroutine (or, for a ManualClock, from Advance) once d
	// has passed.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending AfterFunc.
type Timer interface {
	// Stop prevents the call if it has not happened yet, and reports whether it did.
	Stop() bool
}

// WallClock is the system clock.
type WallClock struct{}

func (WallClock) Now() time.Time { return time.Now() }

func (WallClock) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

// ManualClock is a clock that moves only when told to. Timers fire from Advance, in the
// order of their due times, each with the clock set to its due time. It is safe for
// concurrent use.
type ManualClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*manualTimer
	seq    int // orders timers due at the same instant by creation
}

type manualTimer struct {
	c    *ManualClock
	due  time.Time
	seq  int
	f    func()
	done bool
}

// NewManualClock starts a manual clock at t.
func NewManualClock(t time.Time) *ManualClock { return &ManualClock{now: t} }

func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *ManualClock) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	t := &manualTimer{c: c, due: c.now.Add(d), seq: c.seq, f: f}
	c.timers = append(c.timers, t)
	return t
}

func (t *manualTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	if t.done {
		return false
	}
	t.done = true
	return true
}

// Advance moves the clock forward by d, firing every timer due meanwhile (those armed by
// a firing timer included) at its due time, one after the other. A clock never goes
// back: a negative d does nothing.
func (c *ManualClock) Advance(d time.Duration) {
	if d < 0 {
		return
	}
	c.mu.Lock()
	target := c.now.Add(d)
	c.mu.Unlock()
	for {
		c.mu.Lock()
		t := c.nextDue(target)
		if t == nil {
			c.now = target
			c.mu.Unlock()
			return
		}
		t.done = true
		if t.due.After(c.now) {
			c.now = t.due
		}
		c.mu.Unlock()
		t.f()
	}
}

// Set moves the clock to t (forward only), firing the timers due on the way.
func (c *ManualClock) Set(t time.Time) {
	if d := t.Sub(c.Now()); d > 0 {
		c.Advance(d)
	}
}

// Pending is how many timers wait to fire.
func (c *ManualClock) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.compact()
	return len(c.timers)
}

// nextDue removes and returns the earliest live timer due by target, or nil.
func (c *ManualClock) nextDue(target time.Time) *manualTimer {
	c.compact()
	sort.SliceStable(c.timers, func(i, j int) bool {
		a, b := c.timers[i], c.timers[j]
		if !a.due.Equal(b.due) {
			return a.due.Before(b.due)
		}
		return a.seq < b.seq
	})
	if len(c.timers) == 0 || c.timers[0].due.After(target) {
		return nil
	}
	t := c.timers[0]
	c.timers = c.timers[1:]
	return t
}

// compact drops stopped timers.
func (c *ManualClock) compact() {
	live := c.timers[:0]
	for _, t := range c.timers {
		if !t.done {
			live = append(live, t)
		}
	}
	clear(c.timers[len(live):])
	c.timers = live
}
