package monitor

// The scheduler's tests: the schedule, the backoff, the concurrency bound, one poll in
// flight per number, pause, poll now and Stop.

import (
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wamon/wamon/source"
)

func TestEngineSchedule(t *testing.T) {
	boom := &source.HTTPError{Status: 502, Found: "HTML page"}
	tests := []struct {
		name string
		n    int
		// failUntil: the numbers fail from the start and recover after their poll at this
		// second (-1: never fail).
		failUntil int
		until     int
		want      [][]float64 // fetch times per number, seconds after t0
		wantFails []int       // Failures per number at the end
	}{
		{
			name: "first polls staggered over one interval, then every interval",
			n:    4, failUntil: -1, until: 13,
			want: [][]float64{
				secs(0, 4, 8, 12),
				secs(1, 5, 9, 13),
				secs(2, 6, 10),
				secs(3, 7, 11),
			},
			wantFails: []int{0, 0, 0, 0},
		},
		{
			name: "backoff doubles per failure up to the cap, back to the interval after a success",
			n:    1, failUntil: 808, until: 1120,
			// gaps 4 8 16 32 64 128 256, then 300 (capped) twice, then 4 again
			want:      [][]float64{secs(0, 4, 12, 28, 60, 124, 252, 508, 808, 1108, 1112, 1116, 1120)},
			wantFails: []int{0},
		},
		{
			name: "still failing: failures counted, polls spaced by the cap",
			n:    2, failUntil: 1 << 30, until: 1400,
			want: [][]float64{
				secs(0, 4, 12, 28, 60, 124, 252, 508, 808, 1108),
				secs(2, 6, 14, 30, 62, 126, 254, 510, 810, 1110),
			},
			wantFails: []int{10, 10},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, tt.n, nil)
			names := r.e.cfg.Numbers
			if tt.failUntil >= 0 {
				for _, n := range names {
					r.src.setFail(n, boom)
				}
			}
			r.e.Start()
			r.e.Start() // a second Start changes nothing
			r.step(0)
			for r.c.Now().Before(sec(float64(tt.until))) {
				if tt.failUntil >= 0 && !r.c.Now().Before(sec(float64(tt.failUntil))) {
					for _, n := range names {
						r.src.setFail(n, nil)
					}
				}
				r.step(time.Second)
			}
			for i, n := range names {
				if got := r.src.fetchedAt(n); !slices.Equal(got, tt.want[i]) {
					t.Errorf("number %d fetched at %v, want %v", i, got, tt.want[i])
				}
				st := r.e.Status(i)
				if st.Failures != tt.wantFails[i] {
					t.Errorf("number %d: Failures = %d, want %d", i, st.Failures, tt.wantFails[i])
				}
				if st.Polls != len(tt.want[i]) || st.InFlight {
					t.Errorf("number %d: Polls = %d, InFlight %v; want %d, false", i, st.Polls, st.InFlight, len(tt.want[i]))
				}
				// The next poll is announced: one gap after the last.
				last := tt.want[i][len(tt.want[i])-1]
				gap := Backoff(r.e.Interval(), max(0, st.Failures-1), 0.5)
				if st.Failures == 0 {
					gap = r.e.Interval()
				}
				if want := sec(last).Add(gap); !st.NextPoll.Equal(want) {
					t.Errorf("number %d: NextPoll = %v, want %v", i, st.NextPoll, want)
				}
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	const i = 4 * time.Second
	tests := []struct {
		interval time.Duration
		failures int
		jitter   float64
		want     time.Duration
	}{
		{i, 0, 0.5, 4 * time.Second},
		{i, 1, 0.5, 8 * time.Second},
		{i, 2, 0.5, 16 * time.Second},
		{i, 6, 0.5, 256 * time.Second},
		{i, 7, 0.5, MaxBackoff}, // 512 s capped
		{i, 1000, 0.5, MaxBackoff},
		{i, 0, 0, 3200 * time.Millisecond},              // 0.8x
		{i, 1, 0.25, 7200 * time.Millisecond},           // 0.9x
		{i, 7, 0, 4 * time.Minute},                      // 0.8 x the cap
		{time.Second, 3, 0.75, 8800 * time.Millisecond}, // 1.1x
		// An interval past the cap: a failing number waits at least the interval.
		{10 * time.Minute, 0, 0.5, 10 * time.Minute},
		{10 * time.Minute, 3, 0.5, 10 * time.Minute},
	}
	for _, tt := range tests {
		if got := Backoff(tt.interval, tt.failures, tt.jitter); got != tt.want {
			t.Errorf("Backoff(%v, %d, %v) = %v, want %v", tt.interval, tt.failures, tt.jitter, got, tt.want)
		}
	}
	// Jitter spreads within 0.8x .. 1.2x of the undisturbed wait.
	for failures := range 12 {
		base := Backoff(i, failures, 0.5)
		for _, j := range []float64{0, 0.1, 0.3, 0.5, 0.7, 0.9, 0.999999} {
			got := Backoff(i, failures, j)
			lo, hi := time.Duration(0.8*float64(base)), time.Duration(1.2*float64(base))
			if got < lo || got > hi {
				t.Errorf("Backoff(%v, %d, %v) = %v, outside [%v, %v]", i, failures, j, got, lo, hi)
			}
		}
	}
}

func TestEngineConcurrencyBound(t *testing.T) {
	// synctest.Wait lets the test see that the polls not running are parked on the
	// bound (durably blocked), not merely late: without the bound all six would be in.
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, 6, func(c *Config) {
			c.Concurrency = 2
			c.Interval = 6 * time.Second
		})
		for _, n := range r.e.cfg.Numbers {
			r.src.hold(n)
		}
		r.e.Start()
		r.c.Advance(5 * time.Second) // all six due, one a second
		filed := 0
		for filed < 6 {
			synctest.Wait()
			in := r.src.insideNow()
			if want := min(2, 6-filed); len(in) != want {
				t.Fatalf("%d filed: fetches running = %v, want %d of them", filed, in, want)
			}
			r.src.release(in[0])
			synctest.Wait()
			filed++
			if got := r.src.total(); got != min(6, filed+2) {
				t.Fatalf("%d filed: %d fetches begun, want %d", filed, got, min(6, filed+2))
			}
		}
		r.e.WaitIdle()
		for i := range 6 {
			if st := r.e.Status(i); st.Polls != 1 || st.InFlight {
				t.Errorf("number %d: Polls %d InFlight %v, want 1, false", i, st.Polls, st.InFlight)
			}
		}
		if m, _, _ := r.src.stats(); m != 2 {
			t.Fatalf("at most %d fetches ran at once, want 2", m)
		}
	})
}

func TestEngineOnePollInFlight(t *testing.T) {
	tests := []struct {
		name    string
		release float64 // second at which the polled-now fetch is let go
		want    []float64
	}{
		// Polled at 2 out of turn (half the interval after the last): the poll armed for
		// 4 is superseded, the next is 4 s after the answer.
		{"answer before the old due time", 3, secs(0, 2, 7, 11, 15, 19, 23)},
		{"answer after the old due time", 5, secs(0, 2, 9, 13, 17, 21)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, 1, nil)
			num := r.e.Number(0)
			r.src.started = make(chan string, 100)
			r.e.Start()
			r.step(0) // the first poll, at 0
			<-r.src.started
			r.step(2 * time.Second)

			r.src.hold(num)
			r.e.PollNow(0)
			<-r.src.started
			if st := r.e.Status(0); !st.InFlight || !st.NextPoll.IsZero() {
				t.Fatalf("polled now: InFlight %v NextPoll %v, want true, none", st.InFlight, st.NextPoll)
			}
			// Coalesced with the poll in flight; a timer due meanwhile does nothing.
			r.e.PollNow(0)
			r.e.PollAll()
			for r.c.Now().Before(sec(tt.release)) {
				r.c.Advance(time.Second)
				r.e.PollNow(0)
			}
			r.src.release(num)
			r.e.WaitIdle()
			if got := r.src.count(num); got != 2 {
				t.Fatalf("%d fetches by the answer, want 2", got)
			}
			if st := r.e.Status(0); st.InFlight || !st.NextPoll.Equal(sec(tt.release+4)) {
				t.Fatalf("after the answer: InFlight %v NextPoll %v, want false, %v", st.InFlight, st.NextPoll, sec(tt.release+4))
			}
			r.runTo(int(tt.want[len(tt.want)-1]) + 3)
			if got := r.src.fetchedAt(num); !slices.Equal(got, tt.want) {
				t.Fatalf("fetched at %v, want %v", got, tt.want)
			}
			// The number's next poll, and the sweep that notices data going stale.
			if p := r.c.Pending(); p != 2 {
				t.Fatalf("%d timers pending, want 2", p)
			}
		})
	}
}

func TestEnginePause(t *testing.T) {
	tests := []struct {
		name string
		// act runs at 3 s, when number 0 has a poll in flight (held) and SetPaused(true)
		// has been called; then the poll is let go.
		pollNow bool
	}{
		{"paused", false},
		{"paused, then PollNow", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, 3, func(c *Config) { c.Interval = 3 * time.Second })
			n0 := r.e.Number(0)
			r.src.started = make(chan string, 100)
			r.e.Start()
			r.runTo(2) // 0 at 0, 1 at 1, 2 at 2
			r.src.hold(n0)
			r.c.Advance(time.Second) // 0 again at 3, held
			for range 4 {
				<-r.src.started
			}
			r.e.SetPaused(true)
			if !r.e.Paused() {
				t.Fatal("Paused() = false after SetPaused(true)")
			}
			r.src.release(n0)
			r.e.WaitIdle()
			st := r.e.Status(0)
			if st.Polls != 2 || st.InFlight || !st.NextPoll.IsZero() {
				t.Fatalf("poll in flight at the pause: Polls %d InFlight %v NextPoll %v; want 2, filed, none armed",
					st.Polls, st.InFlight, st.NextPoll)
			}
			if p := r.c.Pending(); p != 0 {
				t.Fatalf("%d timers pending while paused, want 0", p)
			}
			for i := range 3 {
				if st := r.e.Status(i); !st.NextPoll.IsZero() {
					t.Fatalf("number %d shows a next poll at %v while paused", i, st.NextPoll)
				}
			}
			before := r.src.total()
			r.runTo(300)
			if got := r.src.total(); got != before {
				t.Fatalf("%d fetches while paused", got-before)
			}
			// Paused data is not called stale.
			if s := r.e.Status(1); r.e.State(&s, r.e.Now()) != StateOK {
				t.Fatalf("state while paused = %s, want OK", r.e.State(&s, r.e.Now()).Word())
			}

			if tt.pollNow {
				r.e.PollNow(1)
				r.e.WaitIdle()
				if got := r.src.total(); got != before+1 {
					t.Fatalf("PollNow while paused: %d fetches, want 1", got-before)
				}
				r.runTo(400)
				if got := r.src.total(); got != before+1 {
					t.Fatalf("PollNow while paused re-armed: %d fetches, want 1", got-before)
				}
				before++
			}

			// Resume: every number within one interval, staggered, then on schedule.
			resume := r.c.Now()
			r.e.SetPaused(false)
			if r.e.Paused() {
				t.Fatal("Paused() after SetPaused(false)")
			}
			r.step(0)
			for i := 0; i < 2; i++ {
				r.step(time.Second)
			}
			if got := r.src.total(); got != before+3 {
				t.Fatalf("%d fetches within an interval of resuming, want 3", got-before)
			}
			r.runTo(int(resume.Sub(t0).Seconds()) + 5)
			if got := r.src.total(); got != before+6 {
				t.Fatalf("%d fetches within two intervals of resuming, want 6", got-before)
			}
			if s := r.e.Status(2); !s.LastPoll.Equal(resume.Add(5 * time.Second)) {
				t.Fatalf("number 2 last polled at %v, want %v", s.LastPoll, resume.Add(5*time.Second))
			}
		})
	}
}

func TestEnginePollNowBeforeStart(t *testing.T) {
	r := newRig(t, 2, nil)
	r.e.PollNow(1, 7, -1) // out of range: ignored
	r.e.WaitIdle()
	if st := r.e.Status(1); st.Polls != 1 || !st.NextPoll.IsZero() || r.c.Pending() != 0 {
		t.Fatalf("PollNow before Start: Polls %d NextPoll %v, %d timers; want a one-off poll", st.Polls, st.NextPoll, r.c.Pending())
	}
	r.runTo(60)
	if got := r.src.total(); got != 1 {
		t.Fatalf("%d fetches before Start, want 1", got)
	}
	r.e.Start()
	r.runTo(64) // 0 at 60 and 64, 1 at 62
	if got := [][]float64{r.src.fetchedAt(r.e.Number(0)), r.src.fetchedAt(r.e.Number(1))}; !slices.Equal(got[0], secs(60, 64)) || !slices.Equal(got[1], secs(0, 62)) {
		t.Fatalf("fetched at %v, want [60 64] and [0 62]", got)
	}
}

// However many viewers press r, a number is polled at most once per half interval (a
// second at least): a PollNow within that of the number's last poll is coalesced with
// it.
func TestEnginePollNowIsSpaced(t *testing.T) {
	for _, tc := range []struct {
		interval, spacing time.Duration
	}{
		{4 * time.Second, 2 * time.Second},
		{5 * time.Second, 2500 * time.Millisecond},
		{time.Minute, 30 * time.Second},
		{time.Second, time.Second}, // never closer than a second
		{500 * time.Millisecond, time.Second},
	} {
		t.Run(tc.interval.String(), func(t *testing.T) {
			r := newRig(t, 1, func(c *Config) { c.Interval = tc.interval })
			if got := r.e.RequestSpacing(); got != tc.spacing {
				t.Fatalf("RequestSpacing() = %v, want %v", got, tc.spacing)
			}
			for _, step := range []struct {
				advance time.Duration
				want    int // fetches in all after PollNow
			}{{0, 1}, {0, 1}, {tc.spacing / 2, 1}, {tc.spacing/2 - time.Millisecond, 1}, {time.Millisecond, 2}, {tc.spacing + time.Second, 3}} {
				r.c.Advance(step.advance)
				for range 5 { // five viewers at once
					r.e.PollNow(0)
				}
				r.e.WaitIdle()
				if got := r.src.total(); got != step.want {
					t.Fatalf("at %v: %d fetches, want %d", r.c.Now().Sub(t0), got, step.want)
				}
			}
		})
	}
}

// Viewers holding r on the overview (PollAll ten times a second, five of them) while the
// engine polls every 5 s: each number is polled at most once per half interval, server
// wide, not once a second.
func TestEnginePollAllHeldDown(t *testing.T) {
	r := newRig(t, 3, func(c *Config) { c.Interval = 5 * time.Second })
	r.e.Start()
	r.step(0)
	for r.c.Now().Before(sec(60)) {
		r.c.Advance(100 * time.Millisecond)
		for range 5 {
			r.e.PollAll()
		}
		r.e.WaitIdle()
	}
	for i := range 3 {
		at := r.src.fetchedAt(r.e.Number(i))
		// One at start (staggered), then one every 2.5 s: 24 or 25 in a minute.
		if len(at) < 24 || len(at) > 25 {
			t.Errorf("number %d: %d fetches in 60 s with r held, want 24-25 (one per 2.5 s): %v", i, len(at), at)
		}
		for k := 1; k < len(at); k++ {
			if gap := at[k] - at[k-1]; gap < 2.5-1e-6 {
				t.Errorf("number %d: fetches at %v and %v, %.1f s apart, want 2.5 s at least", i, at[k-1], at[k], gap)
			}
		}
	}
}

func TestEngineStop(t *testing.T) {
	tests := []struct {
		name string
		// holdWaiting: the number waiting for a slot at Stop is held too (its fetch would
		// end with the context); otherwise its source answers at once, ignoring ctx.
		holdWaiting bool
	}{
		{"every fetch honours its context", true},
		{"the waiting number's source ignores its context", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, 3, func(c *Config) {
				c.Concurrency = 2
				c.Interval = 3 * time.Second
			})
			r.src.started = make(chan string, 100)
			for i, n := range r.e.cfg.Numbers {
				if i < 2 || tt.holdWaiting {
					r.src.hold(n)
				}
			}
			r.e.Start()
			// 0 and 1 take the two slots and block; 2 is started and waits for a slot.
			r.c.Advance(0)
			<-r.src.started
			r.c.Advance(time.Second)
			<-r.src.started
			r.c.Advance(time.Second)
			if st := r.e.Status(2); !st.InFlight {
				t.Fatal("number 2 not in flight")
			}
			sub := r.e.Subscribe()
			defer sub.Close()

			r.src.mu.Lock()
			r.src.stopped = true
			r.src.mu.Unlock()
			r.e.Stop()
			r.e.WaitIdle()
			for i := range 3 {
				if st := r.e.Status(i); st.Polls != 0 || st.InFlight || st.Version != 0 {
					t.Fatalf("number %d after Stop: Polls %d InFlight %v Version %d; want a cancelled poll dropped",
						i, st.Polls, st.InFlight, st.Version)
				}
			}
			if _, c, a := r.src.stats(); c != 2 || a != 0 {
				t.Fatalf("Stop: %d fetches cancelled, %d begun after it; want 2, 0", c, a)
			}
			select {
			case <-sub.C():
			default:
				t.Fatal("Stop told no subscriber")
			}
			// Nothing polls a stopped engine.
			r.e.PollAll()
			r.e.SetPaused(true)
			r.e.SetPaused(false)
			r.e.Start()
			for i := range 3 {
				if st := r.e.Status(i); st.InFlight || !st.NextPoll.IsZero() {
					t.Fatalf("number %d after Stop: InFlight %v NextPoll %v; want nothing started or armed", i, st.InFlight, st.NextPoll)
				}
			}
			if p := r.c.Pending(); p != 0 {
				t.Fatalf("%d timers armed after Stop", p)
			}
			r.src.releaseAll()
			r.runTo(60)
			if _, _, a := r.src.stats(); a != 0 {
				t.Fatalf("%d fetches begun after Stop", a)
			}
			if got := r.src.total(); got != 2 {
				t.Fatalf("%d fetches in all, want 2", got)
			}
			if p := r.c.Pending(); p != 0 {
				t.Fatalf("%d timers pending after Stop", p)
			}
		})
	}
}
