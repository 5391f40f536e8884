// Package monitor is wamon's engine: it polls the watched numbers, keeps their state and
// history, derives their figures, weighs them against the thresholds and raises alerts.
// It knows no terminal. The console, and any other reader, read it:
//
//   - Status(i) copies a number's state; Read(i, f) lends f a consistent view of one
//     number (its state, history and figures) while polls of other numbers land.
//   - Subscribe gives a coalesced change signal and the alerts raised since the last
//     look. Publishing never waits for a reader.
//
// Polls of one number are filed one at a time (Record), under that number's locks only:
// a slow reader of one number holds up the polls of that number, never another's. Time
// comes from a Clock, so tests drive the scheduler with a ManualClock and no sleeps.
//
// Beside the engine (a file per concern: the Engine and its readers, the scheduler, the
// past filed at Start, the settling of states, the subscriptions) the package holds
// what the engine works with: the thresholds and the crossings and levels they make
// (Thresholds), a number's figures over a window (Figures), the states (State, Status),
// the timeline (Event), the number formats shared by reasons and readers, and the Clock.
// The history's ring buffers are in monitor/history; what a source keeps of its past
// (source.Historian, source.Outcome) is in source.
package monitor

// The Engine, its Config and a number's state: New, the readers (Status, Read, View,
// Figures), Record, which files a poll, and Reset.

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wamon/wamon/monitor/history"
	"github.com/wamon/wamon/source"
)

// Config is what the engine watches and how.
type Config struct {
	Source      source.Source
	Numbers     []string
	Interval    time.Duration // between polls of a number (default 5s)
	Timeout     time.Duration // per poll (default 10s)
	History     int           // points kept per series (default 720)
	Concurrency int           // polls in flight at most (default 16)
	Thresholds  Thresholds
	// Window is what levels and alerts are judged over (the failure share over it).
	// Default: 5 minutes, or everything held when the history is shorter.
	Window time.Duration
	Clock  Clock          // default: the wall clock
	Logger *slog.Logger   // default: discard; events and failed polls are logged
	Jitter func() float64 // in [0, 1), spreads retries; default math/rand
	Events int            // events the timeline keeps (default 4096)
	// Recorder, when set, is given every live poll's outcome and every event as they
	// happen (not what Backfill or Recall files). It must not block.
	Recorder Recorder
	// Memory, when set, is asked at Start for the window before now (Recall): the
	// console's own recordings. Polling starts when that is filed.
	Memory Memory
}

// Recorder keeps what the engine sees, as it happens: a recording.
type Recorder interface {
	Poll(number string, snap source.Snapshot, err error)
	Event(ev Event)
}

// Engine watches a fixed list of numbers. It is safe for concurrent use.
type Engine struct {
	cfg     Config
	numbers []*number
	index   map[string]int

	ctx    context.Context
	cancel context.CancelFunc
	sem    chan struct{} // the concurrency bound

	// sched guards the fields below and each number's seq and timer. It is taken before
	// a number's lock, never inside it: readers (inside Read) must not call into the
	// scheduler, which is why paused is an atomic.
	sched   sync.Mutex
	idle    *sync.Cond // signalled when busy drops
	busy    int        // polls started and not yet filed
	started bool
	filling bool // reading a Historian's past: nothing is armed meanwhile
	stopped bool
	paused  atomic.Bool

	events   *timeline
	sweep    Timer  // notices numbers going stale; armed while polling runs (e.sched)
	sweepSeq uint64 // bumped by every arm: a sweep timer with an older one is stale

	subsMu sync.Mutex
	subs   map[*Subscription]struct{}

	noticeMu sync.Mutex
	notice   struct {
		seq  uint64
		text string
	}
	filledC          chan struct{} // closed when polling starts: the past (if any) is in
	fillFrom, fillTo time.Time     // the span a fill reads (e.sched)
	fillName         string        // what it reads from (e.sched)
	fillAt           atomic.Int64  // the newest time filed so far, in Unix ms
}

// number is one watched number.
//
// Its writers (Record, Backfill, Sweep, Reset) take write, then mu; readers take mu only.
// write is held from a change to the events and alert it makes, so that one number's
// events reach the timeline in the order of its changes, and it is the only lock a
// writer holds while it waits for mu: a writer waiting behind a slow reader of this
// number holds up nothing of any other number. No writer holds two numbers' write locks,
// but Reset, which takes them all in index order.
type number struct {
	name     string
	write    sync.Mutex   // one writer of this number at a time; taken before mu
	mu       sync.RWMutex // guards st, hist, lat, critical, and figs against the writer
	st       Status
	hist     *history.Number
	lat      latencyRing
	critical bool

	// figs caches Figures per window for st.Version. Readers fill it under mu.RLock and
	// figMu; the writer resets it under mu.Lock, which no reader can hold meanwhile.
	figMu sync.Mutex
	figs  []*Figures

	// reasoned is the st.Version st.Reason was worked out at (settle), under mu.
	reasoned uint64

	seq     uint64 // bumped by every arm and start: a timer with an older seq is stale
	timer   Timer
	started time.Time // when its newest poll started

	// The scheduler's fields readers see (Status.InFlight and NextPoll), written under
	// e.sched and never under mu: the scheduler must not wait for a reader, or one slow
	// reader of a number would hold up the polls of all.
	inFlight atomic.Bool
	nextPoll atomic.Int64 // UnixNano; 0: none armed
}

// sched lays the scheduler's fields over a copy of st.
func (n *number) sched(st *Status) {
	st.InFlight = n.inFlight.Load()
	st.NextPoll = time.Time{}
	if at := n.nextPoll.Load(); at != 0 {
		st.NextPoll = time.Unix(0, at)
	}
}

// New builds an engine. It polls nothing before Start; Record files outcomes anyway.
func New(cfg Config) *Engine {
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.History < 2 {
		cfg.History = DefaultHistory
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.Window <= 0 {
		cfg.Window = DefaultWindow
		if time.Duration(cfg.History)*cfg.Interval < cfg.Window {
			cfg.Window = 0 // everything held
		}
	}
	if cfg.Clock == nil {
		cfg.Clock = WallClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Jitter == nil {
		cfg.Jitter = rand.Float64
	}
	if cfg.Events <= 0 {
		cfg.Events = DefaultEvents
	}
	ctx, cancel := context.WithCancel(context.Background())
	e := &Engine{
		cfg:     cfg,
		index:   make(map[string]int, len(cfg.Numbers)),
		ctx:     ctx,
		cancel:  cancel,
		sem:     make(chan struct{}, cfg.Concurrency),
		subs:    map[*Subscription]struct{}{},
		events:  newTimeline(cfg.Events),
		filledC: make(chan struct{}),
	}
	born := cfg.Clock.Now()
	e.idle = sync.NewCond(&e.sched)
	for i, num := range cfg.Numbers {
		e.index[num] = i
		e.numbers = append(e.numbers, &number{
			name: num,
			st:   Status{Index: i, Number: num, State: StateWaiting, Since: born},
			hist: history.NewNumber(cfg.History),
		})
	}
	return e
}

// Len is how many numbers are watched.
func (e *Engine) Len() int { return len(e.numbers) }

// Number is the i-th watched number.
func (e *Engine) Number(i int) string { return e.numbers[i].name }

// Index finds a watched number.
func (e *Engine) Index(number string) (int, bool) {
	i, ok := e.index[number]
	return i, ok
}

func (e *Engine) Interval() time.Duration { return e.cfg.Interval }
func (e *Engine) Timeout() time.Duration  { return e.cfg.Timeout }

// HistoryLen is the most polls a number's history holds.
func (e *Engine) HistoryLen() int { return e.cfg.History }

// Window is the window levels and alerts are judged over; 0 is everything held.
func (e *Engine) Window() time.Duration { return e.cfg.Window }

func (e *Engine) Thresholds() Thresholds { return e.cfg.Thresholds }
func (e *Engine) SourceName() string     { return e.cfg.Source.Name() }
func (e *Engine) Now() time.Time         { return e.cfg.Clock.Now() }

// Status copies the state of numbers[i].
func (e *Engine) Status(i int) Status {
	n := e.numbers[i]
	n.mu.RLock()
	st := n.st
	n.mu.RUnlock()
	n.sched(&st)
	return st
}

// State is the badge of a status at now, with the engine's interval, timeout and pause.
func (e *Engine) State(st *Status, now time.Time) State {
	return st.StateAt(now, e.cfg.Interval, e.cfg.Timeout, e.Paused())
}

// View is one number as a reader sees it inside Read: consistent while f runs, and not
// to be kept after. History must only be read.
type View struct {
	Status
	History *history.Number
	n       *number
}

// Read calls f with a consistent view of numbers[i]. Polls of the number wait until f
// returns, so f should do its reading and drawing and nothing slow, and must not call
// the engine (Status, Read, PollNow ...) itself: only View's methods, State and Paused.
func (e *Engine) Read(i int, f func(v *View)) {
	n := e.numbers[i]
	n.mu.RLock()
	defer n.mu.RUnlock()
	v := View{Status: n.st, History: n.hist, n: n}
	n.sched(&v.Status)
	f(&v)
}

// Figures of the number over window, derived once per poll and window.
func (v *View) Figures(window time.Duration) *Figures { return v.FiguresIn(window, Scope{}) }

// FiguresIn is Figures within a scope (one node, or a row per node), derived once per
// poll, window and scope.
func (v *View) FiguresIn(window time.Duration, scope Scope) *Figures {
	n := v.n
	n.figMu.Lock()
	defer n.figMu.Unlock()
	for _, f := range n.figs {
		if f.Window == window && f.Scope == scope {
			return f
		}
	}
	f := Derive(v.Last, v.History, window, scope)
	n.figs = append(n.figs, &f)
	return &f
}

// Latencies are the newest poll latencies, oldest first, in milliseconds.
func (v *View) Latencies() []float64 { return v.n.lat.values() }

// Figures of numbers[i] over window.
func (e *Engine) Figures(i int, window time.Duration) *Figures {
	var f *Figures
	e.Read(i, func(v *View) { f = v.Figures(window) })
	return f
}

// Record files one poll's outcome for numbers[i]: a success adds to every series, a
// failure is a gap in each and keeps the last good snapshot, so nothing gathered before
// is lost. The figures and the level are worked out again and readers are told. The
// scheduler files its polls here; tests and recordings may too.
func (e *Engine) Record(i int, snap source.Snapshot, err error) {
	e.record(i, snap, err)
}

// record is Record, returning the number's status after it.
func (e *Engine) record(i int, snap source.Snapshot, err error) Status {
	n := e.numbers[i]
	n.write.Lock()
	defer n.write.Unlock()
	at := snap.FetchedAt
	if at.IsZero() {
		at = e.cfg.Clock.Now()
	}

	n.mu.Lock()
	st := &n.st
	st.Polls++
	st.LastPoll = at
	st.Version++
	if snap.Latency > 0 {
		n.lat.push(snap.Latency)
	}
	var drops history.Drops
	hadWarnings := len(st.Warnings) > 0
	if err != nil {
		st.Errors++
		st.ErrorsBy[slices.Index(source.ErrorKinds, source.ErrorKind(err))]++
		st.Failures++
		st.Err, st.SeenErr = err, err
		st.ErrAt, st.SeenErrAt = at, at
		n.hist.RecordGap(at)
	} else if st.Last != nil && !snap.FetchedAt.IsZero() && !at.After(st.LastOK) {
		// The source answered with a poll already filed: the Prometheus source reads an
		// exporter's polls, which may come slower than this engine asks. The source is
		// fine, but there is nothing new for the history, and the data is as old as it is.
		st.Failures = 0
		st.Err = nil
		st.LastPoll = e.cfg.Clock.Now()
	} else {
		st.Failures = 0
		st.Err = nil
		st.LastOK = at
		st.Last = &snap
		st.Warnings = snap.Warnings
		drops = n.hist.Record(at, &snap)
	}
	now := e.cfg.Clock.Now()
	change := e.reassess(n, st, now)
	crit := st.critical(now, e.cfg.Interval, e.cfg.Timeout)
	raise := crit && !n.critical
	n.critical = crit
	done := *st
	latency := n.lat.last()
	n.mu.Unlock()

	e.logPoll(&done, latency, err)
	if drops.Restarts+drops.Others > 0 {
		e.event(Event{At: at, Index: i, Number: done.Number, Kind: EventReset,
			Reason: resetReason(drops.Restarts, drops.Others, drops.First)})
	}
	if err == nil && len(snap.Warnings) > 0 && !hadWarnings {
		e.event(Event{At: at, Index: i, Number: done.Number, Kind: EventWarnings,
			Reason: fmt.Sprintf("%d dropped from the payload, first: %s", len(snap.Warnings), snap.Warnings[0])})
	}
	if change != nil {
		e.event(*change)
	}
	var alert *Alert
	if raise {
		alert = &Alert{Index: i, Number: done.Number, At: at}
		e.cfg.Logger.Warn("critical threshold crossed", "number", done.Number)
	}
	e.publish(alert)
	return done
}

// Reset forgets everything filed: every number is waiting again with an empty history,
// and the timeline is empty. A replay that seeks back files the recording again from
// before the new moment. Versions keep counting up, so readers see the change.
func (e *Engine) Reset() {
	// Every number's writer at once, so that no poll is filed half before and half
	// after: taken in index order, the only place that holds more than one.
	for _, n := range e.numbers {
		n.write.Lock()
	}
	defer func() {
		for _, n := range e.numbers {
			n.write.Unlock()
		}
	}()
	born := e.cfg.Clock.Now()
	for i, n := range e.numbers {
		n.mu.Lock()
		n.st = Status{Index: i, Number: n.name, State: StateWaiting, Since: born, Version: n.st.Version + 1}
		n.hist = history.NewNumber(e.cfg.History)
		n.lat = latencyRing{}
		n.critical = false
		n.figs = n.figs[:0]
		n.mu.Unlock()
	}
	e.events.reset()
	e.paused.Store(false)
	e.publish(nil)
}

func (e *Engine) logPoll(st *Status, latency time.Duration, err error) {
	if err != nil {
		e.cfg.Logger.Warn("poll failed", "number", st.Number, "kind", source.ErrorKind(err),
			"error", err.Error(), "failures", st.Failures)
		return
	}
	if !e.cfg.Logger.Enabled(context.Background(), slog.LevelDebug) {
		return // its arguments would be boxed for nothing at every poll
	}
	e.cfg.Logger.Debug("poll", "number", st.Number, "latency_ms", latency.Milliseconds(),
		"metrics", len(st.Last.Metrics), "warnings", len(st.Last.Warnings))
}

// latencyRing keeps the newest poll latencies for the number detail.
type latencyRing struct {
	vals [120]time.Duration
	n    int // total pushed
}

func (r *latencyRing) push(d time.Duration) {
	r.vals[r.n%len(r.vals)] = d
	r.n++
}

func (r *latencyRing) last() time.Duration {
	if r.n == 0 {
		return 0
	}
	return r.vals[(r.n-1)%len(r.vals)]
}

// values returns the held latencies, oldest first, in milliseconds.
func (r *latencyRing) values() []float64 {
	k := min(r.n, len(r.vals))
	out := make([]float64, 0, k)
	for i := r.n - k; i < r.n; i++ {
		out = append(out, float64(r.vals[i%len(r.vals)])/float64(time.Millisecond))
	}
	return out
}
