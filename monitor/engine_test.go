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
