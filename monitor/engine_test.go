package monitor

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/wamon/wamon/source"
)

// fakeSource is a source.Source the tests steer per number: fail, block until released
// (or until the poll's context ends), or answer with a given snapshot. It counts the
// calls per number and the fetches running at once.
type fakeSource struct {
	clock   *ManualClock
	started chan string // when set, receives the number at the start of every Fetch

	mu          sync.Mutex
	calls       map[string]int
	times       map[string][]time.Time // clock time at every Fetch, per number
	inside      map[string]bool        // numbers inside Fetch now
	inFlight    int
	maxInFlight int
	cancelled   int  // fetches ended by their context
	stopped     bool // set by a test right before Engine.Stop
	afterStop   int  // fetches begun after that
	fail        map[string]error
	block       map[string]chan struct{}
	snaps       map[string]source.Snapshot
}

func newFakeSource(c *ManualClock) *fakeSource {
	return &fakeSource{
		clock:  c,
		calls:  map[string]int{},
		times:  map[string][]time.Time{},
		inside: map[string]bool{},
		fail:   map[string]error{},
		block:  map[string]chan struct{}{},
		snaps:  map[string]source.Snapshot{},
	}
}

func (f *fakeSource) Name() string { return "fake" }

func (f *fakeSource) Fetch(ctx context.Context, number string) (source.Snapshot, error) {
	f.mu.Lock()
	f.calls[number]++
	f.times[number] = append(f.times[number], f.clock.Now())
	if f.stopped {
		f.afterStop++
	}
	f.inFlight++
	f.maxInFlight = max(f.maxInFlight, f.inFlight)
	f.inside[number] = true
	blk := f.block[number]
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.inFlight--
		delete(f.inside, number)
		f.mu.Unlock()
	}()
	if f.started != nil {
		f.started <- number
	}
	if blk != nil {
		select {
		case <-blk:
		case <-ctx.Done():
			f.mu.Lock()
			f.cancelled++
			f.mu.Unlock()
			return source.Snapshot{Number: number}, ctx.Err()
		}
	}
	f.mu.Lock()
	err := f.fail[number]
	snap, ok := f.snaps[number]
	f.mu.Unlock()
	if err != nil {
		return source.Snapshot{Number: number}, err
	}
	if !ok {
		snap = *queueSnap(1)
	}
	snap.Number = number
	return snap, nil
}

func (f *fakeSource) setFail(number string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err == nil {
		delete(f.fail, number)
		return
	}
	f.fail[number] = err
}

// hold makes the next fetches of number block until release.
func (f *fakeSource) hold(number string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.block[number] = make(chan struct{})
}

func (f *fakeSource) release(number string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if b := f.block[number]; b != nil {
		close(b)
		delete(f.block, number)
	}
}

func (f *fakeSource) releaseAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for n, b := range f.block {
		close(b)
		delete(f.block, n)
	}
}

func (f *fakeSource) count(number string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[number]
}

func (f *fakeSource) total() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		n += c
	}
	return n
}

// fetchedAt is the fetch times of number in seconds after t0.
func (f *fakeSource) fetchedAt(number string) []float64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	var s []float64
	for _, at := range f.times[number] {
		s = append(s, at.Sub(t0).Seconds())
	}
	return s
}

// stats returns the counters guarded by mu.
func (f *fakeSource) stats() (maxInFlight, cancelled, afterStop int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.maxInFlight, f.cancelled, f.afterStop
}

func (f *fakeSource) insideNow() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ns []string
	for n := range f.inside {
		ns = append(ns, n)
	}
	slices.Sort(ns)
	return ns
}

// rig is an engine over a fake source and a manual clock.
type rig struct {
	e   *Engine
	c   *ManualClock
	src *fakeSource
}

func phones(n int) []string {
	ns := make([]string, n)
	for i := range ns {
		ns[i] = fmt.Sprintf("+1202555%04d", i)
	}
	return ns
}

// newRig builds an engine watching n numbers, polled every 4 s with a fixed jitter of
// 0.5 (backoffs are exact powers of two), and stops it when the test ends.
func newRig(t *testing.T, n int, mod func(*Config)) *rig {
	t.Helper()
	c := NewManualClock(t0)
	src := newFakeSource(c)
	cfg := Config{
		Source:   src,
		Numbers:  phones(n),
		Interval: 4 * time.Second,
		Timeout:  2 * time.Second,
		History:  32,
		Clock:    c,
		Jitter:   func() float64 { return 0.5 },
	}
	if mod != nil {
		mod(&cfg)
	}
	e := New(cfg)
	t.Cleanup(func() {
		src.releaseAll()
		e.Stop()
		e.WaitIdle()
	})
	return &rig{e: e, c: c, src: src}
}

// step advances the clock and lets the polls it started finish.
func (r *rig) step(d time.Duration) {
	r.c.Advance(d)
	r.e.WaitIdle()
}

// runTo fires what is due now, then steps the clock a second at a time up to s seconds
// after t0. Due times fall on whole seconds, so every poll starts at its due time.
func (r *rig) runTo(s int) {
	r.step(0)
	for r.c.Now().Before(sec(float64(s))) {
		r.step(time.Second)
	}
}

func secs(v ...float64) []float64 { return v }

func TestEngineNewDefaults(t *testing.T) {
	tests := []struct {
		name                      string
		cfg                       Config
		interval, timeout, window time.Duration
		history                   int
	}{
		{"all defaults", Config{}, DefaultInterval, DefaultTimeout, DefaultWindow, DefaultHistory},
		{"history shorter than the window: everything held", Config{History: 10, Interval: time.Second}, time.Second, DefaultTimeout, 0, 10},
		{"given", Config{History: 100, Interval: time.Minute, Timeout: time.Second, Window: time.Hour}, time.Minute, time.Second, time.Hour, 100},
		{"history below 2", Config{History: 1}, DefaultInterval, DefaultTimeout, DefaultWindow, DefaultHistory},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Source = newFakeSource(NewManualClock(t0))
			tt.cfg.Numbers = phones(2)
			e := New(tt.cfg)
			if e.Interval() != tt.interval || e.Timeout() != tt.timeout || e.Window() != tt.window || e.HistoryLen() != tt.history {
				t.Fatalf("Interval %v Timeout %v Window %v History %d; want %v %v %v %d",
					e.Interval(), e.Timeout(), e.Window(), e.HistoryLen(), tt.interval, tt.timeout, tt.window, tt.history)
			}
			if e.Len() != 2 || e.Number(1) != phones(2)[1] || e.SourceName() != "fake" {
				t.Fatalf("Len %d Number(1) %q SourceName %q", e.Len(), e.Number(1), e.SourceName())
			}
			if i, ok := e.Index(phones(2)[1]); !ok || i != 1 {
				t.Fatalf("Index = %d, %v", i, ok)
			}
			if _, ok := e.Index("+0"); ok {
				t.Fatal("Index of an unwatched number is ok")
			}
		})
	}
}

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

func TestEngineRecord(t *testing.T) {
	boom := &source.APIError{Code: "WS500"}
	gone := &source.TransportError{Kind: source.Refused}
	type poll struct {
		queue float64 // > 0: a good poll with this queue
		fail  error
	}
	type want struct {
		polls, errors, failures int
		err, seenErr            error
		lastQueue               float64 // queue of Last; 0: Last nil
		histLen                 int
		lastOK                  bool // the history's newest poll
	}
	steps := []struct {
		poll
		want
	}{
		{poll{fail: boom}, want{1, 1, 1, boom, boom, 0, 1, false}},
		{poll{queue: 7}, want{2, 1, 0, nil, boom, 7, 2, true}},
		{poll{fail: boom}, want{3, 2, 1, boom, boom, 7, 3, false}},
		{poll{fail: gone}, want{4, 3, 2, gone, gone, 7, 4, false}},
		{poll{queue: 9}, want{5, 3, 0, nil, gone, 9, 5, true}},
		{poll{queue: 11}, want{6, 3, 0, nil, gone, 11, 6, true}},
		{poll{fail: boom}, want{7, 4, 1, boom, boom, 11, 7, false}},
	}
	r := newRig(t, 2, func(c *Config) { c.History = 5 })
	for k, s := range steps {
		r.c.Advance(4 * time.Second)
		snap := source.Snapshot{}
		if s.fail == nil {
			snap = *queueSnap(s.queue)
			snap.Warnings = []string{fmt.Sprint("w", k)}
		}
		snap.Latency = time.Duration(k+1) * time.Millisecond
		r.e.Record(1, snap, s.fail)
		var st Status
		var histLen int
		var histOK bool
		var queue float64
		r.e.Read(1, func(v *View) {
			st = v.Status
			histLen, histOK = v.History.Len(), v.History.LastPollOK()
			if p, ok := v.History.Latest(source.QueueSize); ok {
				queue = p.V
			}
		})
		w := s.want
		if st.Polls != w.polls || st.Errors != w.errors || st.Failures != w.failures || st.Err != w.err || st.SeenErr != w.seenErr {
			t.Fatalf("step %d: Polls %d Errors %d Failures %d Err %v SeenErr %v; want %d %d %d %v %v",
				k, st.Polls, st.Errors, st.Failures, st.Err, st.SeenErr, w.polls, w.errors, w.failures, w.err, w.seenErr)
		}
		if st.Version != uint64(k+1) {
			t.Fatalf("step %d: Version %d, want %d", k, st.Version, k+1)
		}
		if !st.LastPoll.Equal(r.c.Now()) {
			t.Fatalf("step %d: LastPoll %v, want %v", k, st.LastPoll, r.c.Now())
		}
		if w.lastQueue == 0 {
			if st.Last != nil {
				t.Fatalf("step %d: Last = %v before any good poll", k, st.Last)
			}
		} else if got := SumLatest(st.Last, source.QueueSize); got != w.lastQueue || queue != w.lastQueue {
			t.Fatalf("step %d: Last's queue %v, history's latest %v; want %v (kept across failures)", k, got, queue, w.lastQueue)
		}
		if histLen != min(w.histLen, 5) || histOK != (s.fail == nil) {
			t.Fatalf("step %d: history Len %d LastPollOK %v; want %d, %v", k, histLen, histOK, min(w.histLen, 5), s.fail == nil)
		}
		if s.fail == nil && (!st.LastOK.Equal(r.c.Now()) || !slices.Equal(st.Warnings, []string{fmt.Sprint("w", k)})) {
			t.Fatalf("step %d: LastOK %v Warnings %v", k, st.LastOK, st.Warnings)
		}
		if s.fail != nil && (!st.ErrAt.Equal(r.c.Now()) || !st.SeenErrAt.Equal(r.c.Now())) {
			t.Fatalf("step %d: ErrAt %v SeenErrAt %v, want now", k, st.ErrAt, st.SeenErrAt)
		}
	}
	// The latencies of every poll, failed or not, oldest first.
	var lat []float64
	r.e.Read(1, func(v *View) { lat = v.Latencies() })
	if !slices.Equal(lat, []float64{1, 2, 3, 4, 5, 6, 7}) {
		t.Fatalf("Latencies = %v", lat)
	}
	// The other number saw nothing.
	if st := r.e.Status(0); st.Polls != 0 || st.Version != 0 || st.Last != nil {
		t.Fatalf("number 0 touched: %+v", st)
	}
}

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

func TestEngineFiguresCache(t *testing.T) {
	r := newRig(t, 1, func(c *Config) { c.Window = time.Minute })
	other := 10 * time.Minute
	r.e.Record(0, *queueSnap(5), nil)
	r.c.Advance(4 * time.Second)
	r.e.Record(0, *queueSnap(6), nil)
	var own, mine, mine2, zero *Figures
	r.e.Read(0, func(v *View) {
		own = v.Figures(time.Minute) // derived by Record
		mine = v.Figures(other)
		mine2 = v.Figures(other)
		zero = v.Figures(0)
	})
	if mine != mine2 || mine.Window != other || own.Window != time.Minute || zero.Window != 0 || mine == zero {
		t.Fatalf("figures within one version: %p %p (window %v) and %p (window %v)", mine, mine2, mine.Window, zero, zero.Window)
	}
	if got := r.e.Figures(0, other); got != mine {
		t.Fatal("Figures again without a poll: derived anew")
	}
	if got := r.e.Figures(0, time.Minute); got != own {
		t.Fatal("Figures over the engine's window: not the one Record derived")
	}
	if mine.Queue != 6 {
		t.Fatalf("Queue = %v, want 6", mine.Queue)
	}
	r.c.Advance(4 * time.Second)
	r.e.Record(0, *queueSnap(7), nil)
	after := r.e.Figures(0, other)
	if after == mine || after.Queue != 7 || after.Window != other {
		t.Fatalf("after a Record: same figures %v, Queue %v (want 7), Window %v", after == mine, after.Queue, after.Window)
	}
	if got := r.e.Figures(0, time.Minute); got == own || got.Queue != 7 {
		t.Fatalf("engine-window figures after a Record: same %v, Queue %v", got == own, got.Queue)
	}
	if mine.Queue != 6 {
		t.Fatal("figures handed out before were changed")
	}
}

func TestEngineConcurrentReaders(t *testing.T) {
	const (
		numbers = 4
		records = 400
		readers = 8
		history = 16
	)
	r := newRig(t, numbers, func(c *Config) {
		c.History = history
		c.Interval = time.Second
		c.Concurrency = 3
		c.Thresholds = DefaultThresholds()
	})
	for i, n := range r.e.cfg.Numbers {
		s := source.Snapshot{Latency: 3 * time.Millisecond, Metrics: map[string]*source.Metric{
			source.QueueSize:     {Name: source.QueueSize, Samples: []source.Sample{sample(float64(100 * i))}},
			source.CallbackCount: {Name: source.CallbackCount, Samples: []source.Sample{cb("t", "success", float64(i))}},
		}}
		r.src.snaps[n] = s
	}
	r.src.setFail(r.e.Number(3), errors.New("flaky"))
	r.e.Start()

	var done atomic.Bool
	var wg sync.WaitGroup
	windows := []time.Duration{0, time.Second, 5 * time.Second, time.Minute, r.e.Window()}
	for k := range readers {
		wg.Go(func() {
			seen := make([]uint64, numbers)
			for j := 0; !done.Load() || j < 50; j++ {
				i := (k + j) % numbers
				st := r.e.Status(i)
				if st.Version < seen[i] {
					t.Errorf("number %d: Version went back from %d to %d", i, seen[i], st.Version)
				}
				seen[i] = st.Version
				_ = r.e.State(&st, r.e.Now())
				w := windows[j%len(windows)]
				r.e.Read(i, func(v *View) {
					// A poll at the instant of the one before (the manual clock stands
					// still between some) brings nothing new and adds no point.
					if most := min(v.Polls, history); v.History.Len() > most || v.Polls > 0 && v.History.Len() == 0 {
						t.Errorf("number %d: history Len %d with %d polls", i, v.History.Len(), v.Polls)
					}
					if v.Version != uint64(v.Polls) {
						t.Errorf("number %d: Version %d with %d polls", i, v.Version, v.Polls)
					}
					f := v.Figures(w)
					if f.Window != w || v.Figures(w) != f {
						t.Errorf("number %d: Figures(%v) has window %v or is not cached", i, w, f.Window)
					}
					if v.Last != nil && math.IsNaN(f.Queue) {
						t.Errorf("number %d: queue NaN with a snapshot", i)
					}
					if l := v.Latencies(); len(l) > 120 {
						t.Errorf("number %d: %d latencies", i, len(l))
					}
					_ = v.History.Keys()
					_, _ = v.History.Rate(source.SeriesKey(source.CallbackCount, source.NewLabels(map[string]string{"type": "t", "result": "success"})), w)
					_ = r.e.Paused()
				})
				if f := r.e.Figures(i, w); f.Window != w {
					t.Errorf("Figures(%d, %v).Window = %v", i, w, f.Window)
				}
			}
		})
	}
	var written atomic.Int64
	wg.Go(func() { // a writer filing polls of its own
		for k := range records {
			var err error
			if k%7 == 0 {
				err = errors.New("recorded failure")
			}
			r.e.Record(k%numbers, *queueSnap(float64(k)), err)
			written.Add(1)
		}
	})
	wg.Go(func() { // the scheduler, its clock, and an operator
		for k := 0; written.Load() < records || k < 100; k++ {
			r.c.Advance(250 * time.Millisecond)
			switch k % 40 {
			case 10:
				r.e.SetPaused(true)
			case 15:
				r.e.PollNow(k%numbers, (k+1)%numbers)
			case 20:
				r.e.SetPaused(false)
			case 30:
				r.e.PollAll()
			}
			r.e.WaitIdle()
		}
		done.Store(true)
	})
	wg.Wait()
	r.e.Stop()
	r.e.WaitIdle()

	polls := 0
	for i := range numbers {
		polls += r.e.Status(i).Polls
	}
	if want := records + r.src.total(); polls != want {
		t.Fatalf("%d polls filed, want %d recorded + %d fetched", polls, records, r.src.total())
	}
	if m, _, _ := r.src.stats(); m > 3 {
		t.Fatalf("%d fetches at once over a bound of 3", m)
	}
}

// holdReader has a reader of number i inside Read until release is called (which
// returns once it has left).
func holdReader(e *Engine, i int) (release func()) {
	entered, done, leave := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		e.Read(i, func(*View) {
			close(entered)
			<-leave
		})
	}()
	<-entered
	return sync.OnceFunc(func() {
		close(leave)
		<-done
	})
}

// writerWaits returns once a writer is waiting for number i's lock: a pending writer
// keeps new readers out, so TryRLock fails from then on. It yields between looks; it
// never sleeps.
func writerWaits(t *testing.T, e *Engine, i int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second) // a failure detector, not a wait
	for {
		n := e.numbers[i]
		if !n.mu.TryRLock() {
			return
		}
		n.mu.RUnlock()
		if time.Now().After(deadline) {
			t.Fatalf("no writer came to wait for number %d", i)
		}
		runtime.Gosched()
	}
}

// A slow reader of one number holds up the writers of that number only: with a poll of
// number 0 (or a sweep) waiting behind a reader of 0, a poll of number 1 is filed, and so
// are its events, Status and publication.
func TestSlowReaderStallsOnlyItsNumber(t *testing.T) {
	for _, waiting := range []string{"record", "sweep", "backfill"} {
		t.Run(waiting, func(t *testing.T) {
			r := newRig(t, 3, func(c *Config) { c.Thresholds = DefaultThresholds() })
			sub := r.e.Subscribe()
			defer sub.Close()
			release := holdReader(r.e, 0)

			blocked := make(chan struct{})
			go func() {
				defer close(blocked)
				switch waiting {
				case "record":
					r.e.Record(0, *queueSnap(5), nil)
				case "sweep":
					r.e.Sweep()
				case "backfill":
					s := *queueSnap(6)
					s.FetchedAt = r.c.Now()
					r.e.Backfill(0, []source.Outcome{{Snap: s}})
				}
			}()
			writerWaits(t, r.e, 0)

			filed := make(chan struct{})
			go func() {
				defer close(filed)
				s := *queueSnap(2000) // past critical: a state change and an alert
				s.FetchedAt = r.c.Now()
				r.e.Record(1, s, nil)
				r.e.Backfill(2, []source.Outcome{{Snap: s}})
			}()
			select {
			case <-filed:
			case <-time.After(10 * time.Second): // a failure detector only
				release()
				t.Fatalf("filing number 1 waited for a reader of number 0 (behind a %s of 0)", waiting)
			}
			if st := r.e.Status(1); st.Polls != 1 || st.State != StateCrit {
				t.Errorf("number 1 after its poll: %d polls, %v", st.Polls, st.State.Word())
			}
			if a := sub.Alerts(); len(a) != 1 || a[0].Index != 1 {
				t.Errorf("alerts = %+v, want number 1's", a)
			}
			if evs := r.e.Events(EventFilter{Number: r.e.Number(1)}); len(evs) == 0 {
				t.Error("number 1's state change is not on the timeline")
			}
			release()
			<-blocked
			if waiting == "record" {
				if st := r.e.Status(0); st.Polls != 1 {
					t.Errorf("number 0: %d polls after its reader let go, want 1", st.Polls)
				}
			}
		})
	}
}

// The scheduler never waits for a reader: with a reader of number 0 stuck, starting and
// ending a poll of 0 takes no lock a reader holds, so number 1 is still polled on time
// and its poll filed.
func TestSlowReaderDoesNotStallTheScheduler(t *testing.T) {
	r := newRig(t, 2, nil)
	defer holdReader(r.e, 0)()

	polled := make(chan struct{})
	go func() {
		defer close(polled)
		r.e.PollNow(0) // starts (and, once fetched, waits to file) behind the reader
		writerWaits(t, r.e, 0)
		r.e.PollNow(1)
		for r.e.Status(1).Polls == 0 {
			runtime.Gosched()
		}
	}()
	select {
	case <-polled:
	case <-time.After(10 * time.Second): // a failure detector only
		t.Fatal("a poll of number 1 waited for a reader of number 0")
	}
	// (Status(0) would wait behind the writer of 0, itself behind the reader.)
	if !r.e.numbers[0].inFlight.Load() {
		t.Error("number 0's poll, waiting to be filed, is not in flight")
	}
}
